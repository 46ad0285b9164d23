"""A Kivy-free kiosk wired to a real reference portal on loopback, for flow tests:
the real portal client, outbox, print jobs and sync worker; background work runs at
once (run_now), so a test reads the outcome right after the intent."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from drivers.card.interface import CardData, CardRead, CardRemoved
from kiosk.config import load_config
from kiosk.model import KioskModel
from kiosk.portal_client import PortalClient
from kiosk.speech import SilentSpeaker
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Outbox
from offline.print_jobs import PrintJobs
from offline.sync import SyncSettings, SyncWorker
from portal.demo_data import DEMO_CARDS, DEMO_NEW_RESIDENT_CARD
from portal.server import PortalServer, start_portal

READER = "Test Reader 0"
FAST = SyncSettings(batch_size=50, backoff_base_s=0.01, backoff_max_s=0.05, health_interval_s=1)
MARIA = CardData(DEMO_CARDS[0].profile, DEMO_CARDS[0].identifier, DEMO_CARDS[0].holder)
NADIA = CardData(*DEMO_NEW_RESIDENT_CARD)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@dataclass
class Kiosk:
    model: KioskModel
    outbox: Outbox
    sync: SyncWorker
    client: PortalClient
    portal: PortalServer
    spoken: list

    def insert(self, card: CardData) -> None:
        self.model.card_event(CardRead(READER, card))

    def remove_card(self) -> None:
        self.model.card_event(CardRemoved(READER))

    def portal_down(self) -> None:
        self.portal.stop()

    def portal_back(self) -> None:
        """The same portal, database and token, on the same port."""
        port = int(self.portal.url.rsplit(":", 1)[1])
        self.portal = start_portal(
            self.portal.db_path, port=port, seed_demo=False, token=self.portal.token
        )


def build_kiosk(tmp_path: Path) -> Kiosk:
    portal = start_portal(tmp_path / "portal.db", seed_demo=True)
    config = load_config(None, demo=True).with_values(
        storage__data_dir=tmp_path / "kiosk", portal__url=portal.url
    )
    cipher = PayloadCipher(load_or_create_key(tmp_path / "outbox.key"))
    db = open_database(tmp_path / "kiosk.db")
    outbox = Outbox(db, cipher)
    client = PortalClient(portal.url, portal.token, connect_timeout_s=1, retries=0)
    sync_client = PortalClient(portal.url, portal.token, connect_timeout_s=1, retries=0)
    sync = SyncWorker(
        lambda: Outbox(open_database(tmp_path / "kiosk.db"), cipher), sync_client, FAST
    )
    speaker = SilentSpeaker()
    model = KioskModel(
        config,
        portal=client,
        speaker=speaker,
        outbox=outbox,
        print_jobs=PrintJobs(db, cipher),
        sync=sync,
        clock=Clock(),
    )
    model.load_catalogue()
    return Kiosk(model, outbox, sync, client, portal, speaker.spoken)


def close_kiosk(kiosk: Kiosk) -> None:
    kiosk.sync.outbox.close()
    kiosk.client.close()
    kiosk.outbox.close()
    kiosk.portal.stop()


def expired(card: CardData) -> CardData:
    return CardData(card.profile, card.identifier, card.display_name, datetime.date(2020, 1, 1))

"""A kiosk core for the tests of help, news, records and surveys: the real model with
a real portal client talking to the reference portal on loopback, the real cache,
outbox, alerts and print jobs in SQLite, and a print worker on the simulated printer.
Background work runs at once (run_now), so each intent has done its work on return."""

from __future__ import annotations

import socket

from drivers.printer.render import render
from drivers.printer.simulator import SimulatedPrinter
from kiosk.config import load_config
from kiosk.model import KioskModel
from kiosk.portal_client import PortalClient
from kiosk.printing import PrintWorker
from kiosk.speech import SilentSpeaker
from offline.alerts import Alerts
from offline.cache import Cache
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Outbox
from offline.print_jobs import PrintJobs


class Waker:
    def __init__(self):
        self.woken = 0

    def wake(self):
        self.woken += 1


def unreachable_url() -> str:
    """A loopback port nobody listens on: the portal is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def client(url: str, token: str) -> PortalClient:
    return PortalClient(url, token, connect_timeout_s=1, read_timeout_s=5, retries=0)


class ContentKiosk:
    def __init__(self, tmp_path, clock, portal, *, printer: bool = True, up: bool = True):
        """``up=False``: the portal cannot be reached from the start."""
        cipher = PayloadCipher(load_or_create_key(tmp_path / "key"))
        path = tmp_path / "kiosk.db"
        self.portal_server = portal
        self.db = open_database(path)
        self.outbox = Outbox(self.db, cipher)
        self.alerts = Alerts(self.db)
        self.jobs = PrintJobs(self.db, cipher)
        self.printer = SimulatedPrinter()
        self.printer.start()
        self.worker = PrintWorker(
            lambda: (PrintJobs(open_database(path), cipher), Alerts(open_database(path))),
            lambda: self.printer,
            on_outcome=lambda outcome: self.model.print_outcome(outcome),
            on_status=lambda status: self.model.printer_status_changed(status),
        )
        self.sync = Waker()
        self.model = KioskModel(
            load_config(None, demo=True),
            portal=client(portal.url if up else unreachable_url(), portal.token),
            speaker=SilentSpeaker(),
            cache=Cache(self.db, cipher),
            outbox=self.outbox,
            alerts=self.alerts,
            sync=self.sync,
            print_jobs=self.jobs if printer else None,
            printing=self.worker if printer else None,
            clock=clock,
        )
        self.model.load_catalogue()
        self.model.start_session()

    def portal_down(self) -> None:
        self.model.portal.close()
        self.model.portal = client(unreachable_url(), self.portal_server.token)

    def portal_up(self) -> None:
        self.model.portal.close()
        self.model.portal = client(self.portal_server.url, self.portal_server.token)

    def queued(self, kind: str) -> list[dict]:
        return [
            self.outbox.payload(item.idempotency_key)
            for item in self.outbox.summaries()
            if item.kind == kind
        ]

    def paper(self) -> list[list[str]]:
        return [render(job).lines for job in self.printer.jobs]

    def close(self) -> None:
        self.worker.stop()
        self.model.portal.close()
        self.db.close()

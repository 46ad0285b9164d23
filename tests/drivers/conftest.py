"""Fixtures for the driver tests: a real pcscd with the vpcd readers, and virtual cards
inserted into them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from pcsc_daemon import VPCD_READERS, PcscDaemon

from drivers.card.virtual_card import Misbehaviour, VirtualCard, VpcdCard


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscDaemon]:
    """pcscd for the whole session; fails (never skips) if pcscd or vpcd is missing."""
    daemon = PcscDaemon(tmp_path_factory.mktemp("pcscd") / "pcscd.log")
    daemon.start()
    yield daemon
    daemon.stop()


class CardSlot:
    """One vpcd reader's slot. ``insert`` returns once pcscd has seen the card.

    ``remove`` does not wait for pcscd to notice (up to 0.4 s); the next ``insert`` into
    this slot does, because pcscd never notices a card put in before it saw the previous
    one leave. Tests alternate between the two vpcd readers, so that wait overlaps the
    next test instead of adding to it.
    """

    def __init__(self, pcscd: PcscDaemon, reader: str, port: int) -> None:
        self.reader = reader
        self.port = port
        self._pcscd = pcscd
        self._card: VpcdCard | None = None
        self._event = 0
        self._unseen_removal: int | None = None

    def insert(self, profile: str, **misbehaviour: int | bool) -> VpcdCard:
        """``slot.insert("beid-maria", chain=16)``; takes out the previous card first."""
        self.remove()
        self.settle()
        virtual = VirtualCard.from_profile(profile, Misbehaviour(**misbehaviour))
        card = VpcdCard(virtual, port=self.port)
        before = self._pcscd.event_count(self.reader)
        card.insert()
        self._card = card
        self._event = self._pcscd.wait_for_card(
            present=True, since_event=before, reader=self.reader
        )
        return card

    def remove(self) -> None:
        card, self._card = self._card, None
        if card is not None:
            card.remove()
            self._unseen_removal = self._event

    def settle(self) -> None:
        """Until pcscd has seen the last removal: the slot is empty in its eyes too."""
        if self._unseen_removal is not None:
            self._pcscd.wait_for_card(
                present=False, since_event=self._unseen_removal, reader=self.reader
            )
            self._unseen_removal = None


@pytest.fixture(scope="session")
def _card_slots(pcscd: PcscDaemon) -> Iterator[CardSlot]:
    return itertools.cycle([CardSlot(pcscd, reader, port) for reader, port in VPCD_READERS])


@pytest.fixture
def card_slot(_card_slots: Iterator[CardSlot]) -> Iterator[CardSlot]:
    """An empty vpcd slot (the two readers in turn); its card is pulled after the test."""
    slot = next(_card_slots)
    slot.settle()
    yield slot
    slot.remove()

"""Cards read through the real stack: VpcdCard -> vpcd -> pcscd -> pyscard -> our layers."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drivers.card.connection import PcscCard
from drivers.card.errors import CardDataError, CardNotSupported, CardRemoved, ReaderUnavailable
from drivers.card.interface import CardData
from drivers.card.profiles import read_card
from drivers.card.virtual_card import VirtualCard, VpcdCard

REPO = Path(__file__).resolve().parents[2]


def read_through_pcscd(reader: str) -> CardData:
    with PcscCard(reader) as transport:
        return read_card(transport)


def read_in_memory(name: str) -> CardData:
    return read_card(VirtualCard.from_profile(name).transmit)


@pytest.mark.parametrize("name", ["beid-maria", "piv-demo", "uid-library"])
def test_each_profile_reads_through_pcscd(card_slot, name):
    inserted = card_slot.insert(name)

    with PcscCard(card_slot.reader) as transport:
        assert transport.atr == inserted.card.atr
        card = read_card(transport)

    assert card == read_in_memory(name)
    assert dict(card.extra) == dict(read_in_memory(name).extra)


def test_beid_utf8_names_and_a_two_block_identity_file(card_slot):
    inserted = card_slot.insert("beid-maria")

    card = read_through_pcscd(card_slot.reader)

    assert card.display_name == "María José Van den Brûle"
    assert card.extra["street"] == "Avenue de l'Église Saint-Julien 117 bte 4"
    reads = [h.hex() for h in inserted.card.headers if h[1] == 0xB0]
    assert reads == ["00b00000", "00b000ff", "00b00000"]


@pytest.mark.parametrize(
    ("name", "misbehaviour"),
    [
        ("beid-maria", {"chain": 16}),
        ("beid-maria", {"wrong_le": True}),
        ("piv-demo", {"chain": 7, "wrong_le": True}),
    ],
    ids=["beid-61xx", "beid-6Cxx", "piv-61xx-6Cxx"],
)
def test_cards_that_chain_or_want_another_le_still_read(card_slot, name, misbehaviour):
    inserted = card_slot.insert(name, **misbehaviour)

    assert read_through_pcscd(card_slot.reader) == read_in_memory(name)
    instructions = {h[1] for h in inserted.card.headers}
    if misbehaviour.get("chain"):
        assert 0xC0 in instructions  # GET RESPONSE went through pcscd


def test_unsupported_card(card_slot):
    card_slot.insert("bank-card")

    with pytest.raises(CardNotSupported):
        read_through_pcscd(card_slot.reader)


@pytest.mark.parametrize("name", ["beid-maria", "piv-demo"])
def test_corrupted_tlv_is_card_data_error(card_slot, name):
    card_slot.insert(name, truncate=3)

    with pytest.raises(CardDataError, match="truncated"):
        read_through_pcscd(card_slot.reader)


def test_card_pulled_mid_read_is_card_removed(card_slot):
    inserted = card_slot.insert("beid-maria", vanish_after=3)

    with pytest.raises(CardRemoved):
        read_through_pcscd(card_slot.reader)

    # The card's thread drops the line, then ends: under load the reader can see the
    # removal a moment before that thread has finished.
    deadline = time.monotonic() + 5
    while inserted.inserted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not inserted.inserted
    assert [h[1] for h in inserted.card.headers] == [0xA4, 0xA4, 0xB0]  # 4th never answered


@pytest.mark.parametrize("pcscd_noticed", [False, True], ids=["at-once", "once-noticed"])
def test_reading_after_the_card_left_is_card_removed(card_slot, pcscd_noticed):
    # At once, pcscd still holds the card as powered: connecting succeeds and the first
    # APDU fails. Once its poll noticed, connecting fails. Same error for the caller.
    card_slot.insert("uid-library")
    card_slot.remove()
    if pcscd_noticed:
        card_slot.settle()

    with pytest.raises(CardRemoved):
        read_through_pcscd(card_slot.reader)


def test_unknown_reader_is_reader_unavailable(pcscd):
    with pytest.raises(ReaderUnavailable):
        PcscCard("No Such Reader 00 00").connect()


def test_after_a_pcscd_restart_old_connections_fail_and_new_ones_work(pcscd, card_slot):
    card_slot.insert("uid-library")
    transport = PcscCard(card_slot.reader)
    transport.connect()
    try:
        pcscd.restart()
        with pytest.raises(ReaderUnavailable):
            read_card(transport)
    finally:
        transport.close()

    # The old daemon took vpcd, and the card's connection, down with it.
    card_slot.insert("uid-library")
    assert read_through_pcscd(card_slot.reader).identifier == "04A1B2C3D4"


def test_vpcd_card_is_a_context_manager(pcscd, card_slot):
    reader = card_slot.reader
    with VpcdCard(VirtualCard.from_profile("piv-demo"), port=card_slot.port) as inserted:
        event = pcscd.wait_for_card(present=True, reader=reader)
        assert read_through_pcscd(reader).profile == "piv"
        assert inserted.inserted
    pcscd.wait_for_card(present=False, since_event=event, reader=reader)


def test_cli_keeps_the_card_inserted_until_ctrl_c(pcscd, card_slot):
    reader = card_slot.reader
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "drivers.card.virtual_card", "uid-library"),
            *("--port", str(card_slot.port), "--misbehave", "chain=4"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        event = pcscd.wait_for_card(present=True, reader=reader)
        assert read_through_pcscd(reader).identifier == "04A1B2C3D4"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)

    assert process.returncode == 0, err
    assert "card removed" in out
    pcscd.wait_for_card(present=False, since_event=event, reader=reader)

"""The APDU layer against our in-memory VirtualCard (no PC/SC involved)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card.apdu import ApduChannel, command, with_le
from drivers.card.errors import ApduError, CardDataError, CardError
from drivers.card.virtual_card import Misbehaviour, VirtualCard

FILE_PATH = "3F00 5000 5001"


def card_with_file(size: int, **misbehaviour) -> VirtualCard:
    """One transparent file of ``size`` bytes (0, 1, 2, ... mod 256) plus a locked one."""
    profile = {
        "atr": "3B 80 80 01 01",
        "applications": [{"aid": "A0 00 00 00 01 02 03"}],
        "files": {
            FILE_PATH: {"hex": bytes(i % 256 for i in range(size)).hex()},
            "3F00 5000 5002": {"text": "secret", "protected": True},
        },
    }
    return VirtualCard.from_profile(profile, Misbehaviour(**misbehaviour))


def read_file(card: VirtualCard) -> bytes:
    channel = ApduChannel(card.transmit)
    channel.select_path(bytes.fromhex(FILE_PATH))
    return channel.read_binary()


def read_binary_offsets(card: VirtualCard) -> list[int]:
    return [(h[2] << 8) | h[3] for h in card.headers if h[1] == 0xB0]


# --- building commands ------------------------------------------------------------------


def test_command_cases():
    assert command(0x00, 0xB0, 0x01, 0x02, le=0xFF) == bytes.fromhex("00B00102FF")
    assert command(0x00, 0xA4, 0x04, 0x0C, b"\xa0\x00") == bytes.fromhex("00A4040C02A000")
    assert command(0x00, 0xCB, 0x3F, 0xFF, b"\x5c", le=0) == bytes.fromhex("00CB3FFF015C00")
    with pytest.raises(ValueError, match="short APDUs"):
        command(0x00, 0xD6, 0, 0, bytes(256))


@pytest.mark.parametrize(
    ("apdu", "expected"),
    [
        ("00B00000", "00B000002D"),
        ("00B00000FF", "00B000002D"),
        ("00CB3FFF025C01", "00CB3FFF025C012D"),
        ("00CB3FFF025C0100", "00CB3FFF025C012D"),
    ],
)
def test_with_le_replaces_or_adds_le(apdu, expected):
    assert with_le(bytes.fromhex(apdu), 0x2D) == bytes.fromhex(expected)


# --- READ BINARY --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "offsets"),
    [
        (0, [0]),
        (100, [0]),
        (255, [0, 255]),  # a full last block: only 6B00 tells the file is over
        (600, [0, 255, 510]),
        (510, [0, 255, 510]),
    ],
)
def test_read_binary_reads_whole_file_block_by_block(size, offsets):
    card = card_with_file(size)

    assert read_file(card) == bytes(i % 256 for i in range(size))
    assert read_binary_offsets(card) == offsets


def test_read_binary_with_6cxx_on_the_last_block():
    card = card_with_file(300, wrong_le=True)

    assert read_file(card) == bytes(i % 256 for i in range(300))
    # The card refused Le=FF for the 45 bytes left, then got them with Le=2D.
    assert [h.hex() for h in card.headers if h[1] == 0xB0] == ["00b00000", "00b000ff", "00b000ff"]


def test_read_binary_through_61xx_chaining():
    card = card_with_file(600, chain=100)

    assert read_file(card) == bytes(i % 256 for i in range(600))
    assert sum(1 for h in card.headers if h[1] == 0xC0) == 7  # 255, 255, 90 bytes in 100s


def test_read_binary_stops_at_6282_end_of_file():
    answers = iter([(b"A" * 10, 0x62, 0x82)])

    assert ApduChannel(lambda apdu: next(answers)).read_binary() == b"A" * 10


def test_read_binary_of_a_locked_file_names_the_status():
    card = card_with_file(10)
    channel = ApduChannel(card.transmit)
    channel.select_path(bytes.fromhex("3F00 5000 5002"))

    with pytest.raises(ApduError) as error:
        channel.read_binary("secret file")

    assert error.value.sw == 0x6982
    assert str(error.value) == (
        "READ BINARY of secret file failed: 6982 security status not satisfied "
        "(PIN or authentication needed)"
    )


def test_read_binary_refuses_files_beyond_the_addressable_size():
    # A card that answers every block in full would otherwise be read forever.
    channel = ApduChannel(lambda apdu: (bytes(255), 0x90, 0x00))

    with pytest.raises(CardDataError, match="longer than READ BINARY can address"):
        channel.read_binary()


# --- 61xx / 6Cxx --------------------------------------------------------------------------


def test_get_response_is_repeated_until_9000():
    card = VirtualCard.from_profile("piv-demo", Misbehaviour(chain=16))
    channel = ApduChannel(card.transmit)

    fci = channel.select_aid(bytes.fromhex("A000000308"), want_fci=True)

    assert fci == bytes.fromhex("61114F0600001000010079074F05A000000308")
    assert [h.hex() for h in card.headers] == ["00a40400", "00c00000", "00c00000"]


def test_6cxx_resends_the_command_with_the_le_the_card_asked_for():
    card = VirtualCard.from_profile("uid-library", Misbehaviour(wrong_le=True))
    sent = []

    def transmit(apdu):
        sent.append(apdu.hex())
        return card.transmit(apdu)

    assert ApduChannel(transmit).send(command(0xFF, 0xCA, 0, 0, le=0), "GET UID") == bytes.fromhex(
        "04A1B2C3D4"
    )
    assert sent == ["ffca000000", "ffca000005"]


def test_a_second_6cxx_is_an_error_not_a_loop():
    channel = ApduChannel(lambda apdu: (b"", 0x6C, 0x10))

    with pytest.raises(ApduError, match="6C10 wrong Le, the card expects 16"):
        channel.send(command(0x00, 0xB0, 0, 0, le=0xFF), "READ BINARY")


def test_endless_61xx_is_an_error_not_a_loop():
    channel = ApduChannel(lambda apdu: (b"x", 0x61, 0x01))

    with pytest.raises(CardDataError, match="keeps answering 61xx"):
        channel.exchange(command(0x00, 0xB0, 0, 0, le=0xFF))


def test_an_invalid_status_word_from_the_reader_is_card_data_error():
    with pytest.raises(CardDataError, match="invalid status word"):
        ApduChannel(lambda apdu: (b"", 0x190, 0x00)).exchange(bytes(4))


# --- status words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("apdu", "sw", "text"),
    [
        ("00A4080C04 5000 5999", 0x6A82, "file or application not found"),
        ("00A4040C05 A000000999", 0x6A82, "file or application not found"),
        ("00A4070C02 5000", 0x6A86, "incorrect parameters P1-P2"),
        ("00A4080C03 500050", 0x6700, "wrong length"),
        ("00A4080C05 5000", 0x6700, "wrong length"),  # Lc says 5, 2 bytes follow
        ("00B2010400", 0x6D00, "instruction not supported"),
        ("80B0000010", 0x6E00, "class not supported"),
        ("FFCA000000", 0x6E00, "class not supported"),  # contact card: no UID
        ("00B0000010", 0x6986, "command not allowed (no current file)"),
        ("00C0000010", 0x6985, "conditions of use not satisfied"),
        ("00CB3FFF025C0100", 0x6D00, "instruction not supported"),
        ("00B0", 0x6700, "wrong length"),
    ],
)
def test_status_words_are_named(apdu, sw, text):
    channel = ApduChannel(card_with_file(10).transmit)

    with pytest.raises(ApduError) as error:
        channel.send(bytes.fromhex(apdu.replace(" ", "")), "TEST")

    assert error.value.sw == sw
    assert (error.value.sw1, error.value.sw2) == (sw >> 8, sw & 0xFF)
    assert str(error.value) == f"TEST failed: {sw:04X} {text}"


def test_read_past_the_end_is_6b00():
    channel = ApduChannel(card_with_file(10).transmit)
    channel.select_path(bytes.fromhex(FILE_PATH))

    assert channel.exchange(command(0x00, 0xB0, 0x00, 0x0A, le=1)).sw == 0x6B00


def test_response_repr_hides_the_data():
    response = ApduChannel(card_with_file(10).transmit).exchange(bytes.fromhex("FFCA000000"))

    assert repr(response) == "Response(<0 bytes>, sw=6E00)"


# --- robustness -------------------------------------------------------------------------------

STATUS_WORDS = st.one_of(
    st.sampled_from([0x9000, 0x6B00, 0x6282, 0x6A82, 0x6982, 0x6D00, 0x6E00]),
    st.integers(0x6100, 0x61FF),
    st.integers(0x6C00, 0x6CFF),
    st.integers(0, 0xFFFF),
)


@settings(database=None, max_examples=300)
@given(st.data())
def test_apdu_layer_raises_only_card_errors_whatever_the_card_answers(data):
    def transmit(apdu):
        sw = data.draw(STATUS_WORDS)
        return data.draw(st.binary(max_size=300)), sw >> 8, sw & 0xFF

    channel = ApduChannel(transmit)
    try:
        channel.select_path(bytes.fromhex(FILE_PATH))
        channel.read_binary()
    except CardError:
        pass


@settings(database=None, max_examples=500)
@given(st.binary(max_size=270))
def test_virtual_card_answers_any_command_with_a_status_word(apdu):
    response = VirtualCard.from_profile("piv-demo").respond(apdu)

    assert len(response) >= 2

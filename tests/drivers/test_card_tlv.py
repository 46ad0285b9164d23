import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card.errors import CardDataError
from drivers.card.tlv import decode_text, encode_belpic, encode_ber, parse_belpic, parse_ber

# --- BELPIC ---------------------------------------------------------------------------


def test_belpic_fields_by_tag():
    data = bytes.fromhex("01 03 414243 07 02 C3A9")

    assert parse_belpic(data) == {1: b"ABC", 7: "é".encode()}


def test_belpic_tag_zero_is_skipped():
    data = bytes.fromhex("00 02 0104 01 01 41")

    assert parse_belpic(data) == {1: b"A"}


@pytest.mark.parametrize(
    ("length", "encoded"),
    [(0x7F, "7F"), (0x80, "81 00"), (300, "82 2C"), (0x4000, "81 80 00")],
)
def test_belpic_multi_byte_lengths(length, encoded):
    data = bytes([17]) + bytes.fromhex(encoded) + b"x" * length

    assert encode_belpic([(17, b"x" * length)]) == data
    assert parse_belpic(data) == {17: b"x" * length}


@pytest.mark.parametrize("padding", [1, 2, 3, 40])
def test_belpic_trailing_zero_padding_is_not_a_field(padding):
    data = encode_belpic([(1, b"Kerkstraat 1"), (2, b"1000")]) + bytes(padding)

    assert parse_belpic(data) == {1: b"Kerkstraat 1", 2: b"1000"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("01 05 4142", "tag 1 is truncated"),
        ("01", "length is truncated"),
        ("01 81", "length is truncated"),
        ("01 80 80 80 80 01", "length is too long"),
        ("01 01 41 01 01 42", "tag 1 appears twice"),
        ("00 04 01", "tag 0 is truncated"),
    ],
)
def test_belpic_malformed_input_raises_card_data_error(data, message):
    with pytest.raises(CardDataError, match=message):
        parse_belpic(bytes.fromhex(data))


@settings(database=None)
@given(
    st.dictionaries(st.integers(min_value=1, max_value=255), st.binary(max_size=400), max_size=12)
)
def test_belpic_round_trip(fields):
    assert parse_belpic(encode_belpic(fields.items())) == fields


@settings(database=None, max_examples=500)
@given(st.binary(max_size=300))
def test_belpic_parser_raises_only_card_data_error(data):
    try:
        fields = parse_belpic(data)
    except CardDataError:
        return
    assert all(isinstance(tag, int) and isinstance(v, bytes) for tag, v in fields.items())


# --- BER-TLV --------------------------------------------------------------------------


def test_ber_multi_byte_tag_and_long_form_lengths():
    chuid = encode_ber(0x34, bytes(16)) + encode_ber(0x3E, bytes(300))
    data = encode_ber(0x53, chuid)

    assert data[:4] == bytes.fromhex("53 82 01 42")  # 2+16 + 4+300 bytes
    assert parse_ber(data) == {0x53: chuid}
    assert parse_ber(chuid) == {0x34: bytes(16), 0x3E: bytes(300)}
    assert parse_ber(bytes.fromhex("5C 03 5F C1 02")) == {0x5C: bytes.fromhex("5FC102")}
    assert parse_ber(bytes.fromhex("5F C1 02 81 01 AA")) == {0x5FC102: b"\xaa"}


@pytest.mark.parametrize(
    ("length", "header"), [(0x7F, "7F"), (0x80, "81 80"), (0xFF, "81 FF"), (0x100, "82 01 00")]
)
def test_ber_length_forms(length, header):
    assert encode_ber(0x53, bytes(length))[1:].startswith(bytes.fromhex(header))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("53 80 00 00", "indefinite length"),
        ("53 85 00 00 00 00 01", "length is too long"),
        ("53 82 01", "length is truncated"),
        ("53", "length is missing"),
        ("5F", "tag is truncated"),
        ("5F C1", "tag is truncated"),
        ("5F 81 82 83 84 01 00", "tag is too long"),
        ("53 03 0102", "tag 53 is truncated"),
        ("34 01 00 34 01 00", "tag 34 appears twice"),
    ],
)
def test_ber_malformed_input_raises_card_data_error(data, message):
    with pytest.raises(CardDataError, match=message):
        parse_ber(bytes.fromhex(data))


BER_TAGS = st.sampled_from([0x30, 0x34, 0x35, 0x3E, 0x53, 0x5C, 0xFE, 0x5FC102, 0x7F61, 0x5F2D])


@settings(database=None)
@given(st.dictionaries(BER_TAGS, st.binary(max_size=70_000), max_size=4))
def test_ber_round_trip(fields):
    data = b"".join(encode_ber(tag, value) for tag, value in fields.items())

    assert parse_ber(data) == fields


@settings(database=None, max_examples=500)
@given(st.binary(max_size=300))
def test_ber_parser_raises_only_card_data_error(data):
    try:
        fields = parse_ber(data)
    except CardDataError:
        return
    assert sum(len(value) for value in fields.values()) <= len(data)


# --- text -----------------------------------------------------------------------------


def test_text_is_utf8():
    assert decode_text("Van den Brûle".encode(), "last name") == "Van den Brûle"


def test_invalid_utf8_is_card_data_error_naming_the_field_only():
    with pytest.raises(CardDataError, match="^last name is not valid UTF-8$"):
        decode_text(b"Br\xfble", "last name")

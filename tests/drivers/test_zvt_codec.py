"""ZVT codec: the serial framing (PA00P016) and the APDU, BMP and TLV parsing (PA00P015)
the kiosk relies on to read a terminal's answer correctly, or not at all."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.payment.zvt import messages
from drivers.payment.zvt.apdu import (
    MAX_TLV_DEPTH,
    Apdu,
    ApduError,
    Tlv,
    decode_apdu,
    encode_tlv,
    from_bcd,
    parse,
    parse_bmps,
    parse_tlv,
    tlv_container,
    to_bcd,
    to_json,
)
from drivers.payment.zvt.codes import (
    COMMAND_NAMES,
    DECLINED_BY_BANK,
    RESULT_CODES,
    result_reason,
    result_text,
)
from drivers.payment.zvt.transport import (
    ACK,
    DLE,
    ETX,
    MAX_APDU_BYTES,
    NAK,
    STX,
    BadFrame,
    Control,
    Frame,
    FrameDecoder,
    crc16,
    encode_frame,
)

UNMASKED_PAN = "5413330089604242"


def decode_all(data: bytes, chunk: int | None = None) -> list:
    decoder = FrameDecoder()
    if chunk is None:
        return decoder.feed(data)
    events = []
    for start in range(0, len(data), chunk):
        events += decoder.feed(data[start : start + chunk])
    return events


def approved_status_information(pan_nibbles: str = "EEEEEEEEEEEE4242") -> Apdu:
    return messages.status_information(
        result_code=0x00,
        amount_cents=1234,
        currency=978,
        trace=17,
        receipt_number=42,
        terminal_id="52500017",
        pan_nibbles=pan_nibbles,
        card_type=6,
        card_name="Mastercard",
        time_hhmmss="143005",
        date_mmdd="1122",
    )


# CRC and DLE stuffing -------------------------------------------------------------


def test_crc_is_the_kermit_variant():
    assert crc16(b"123456789") == 0x2189
    assert crc16(b"") == 0


def test_frame_layout_and_crc_low_byte_first():
    apdu = messages.positive_ack().encode()

    frame = encode_frame(apdu)

    crc = crc16(apdu + bytes([ETX]))
    assert frame == bytes([DLE, STX]) + apdu + bytes([DLE, ETX, crc & 0xFF, crc >> 8])


def test_dle_bytes_are_doubled_and_come_back_single():
    # 16 data bytes: the length byte is a DLE too.
    apdu = Apdu(0x06, 0xD1, b"\x00\x10ABC\x10\x10DEFGHIJKL").encode()
    assert apdu.count(DLE) == 4

    frame = encode_frame(apdu)

    body = frame[2:-4]
    assert body == apdu.replace(b"\x10", b"\x10\x10")
    assert body.count(DLE) == 8
    assert decode_all(frame) == [Frame(apdu)]
    assert decode_all(frame, chunk=1) == [Frame(apdu)]


# FrameDecoder -----------------------------------------------------------------------


def test_noise_before_the_frame_is_skipped_and_counted():
    apdu = messages.status_enquiry(0).encode()
    decoder = FrameDecoder()

    events = decoder.feed(b"\x00\xff\x41" + b"\x10\x41" + encode_frame(apdu))

    assert events == [Frame(apdu)]
    assert decoder.noise_bytes == 5


def test_a_dle_at_the_end_of_the_noise_does_not_hide_the_frame():
    apdu = messages.status_enquiry(0).encode()

    assert decode_all(b"\x55\x10" + encode_frame(apdu)) == [Frame(apdu)]


def test_ack_and_nak_between_frames():
    first, second = messages.positive_ack().encode(), messages.completion().encode()
    stream = bytes([ACK]) + encode_frame(first) + bytes([NAK]) + encode_frame(second)

    assert decode_all(stream) == [Control(ACK), Frame(first), Control(NAK), Frame(second)]


def test_a_dle_stx_inside_a_frame_restarts_it():
    abandoned = encode_frame(messages.authorization(500, 978).encode())
    apdu = messages.intermediate_status(0x0A).encode()

    events = decode_all(abandoned[:7] + encode_frame(apdu))

    assert events == [BadFrame("framing"), Frame(apdu)]


def test_a_lone_dle_inside_a_frame_is_a_framing_error():
    assert decode_all(b"\x10\x02\x80\x00\x10\x41\x00") == [BadFrame("framing")]


def test_a_wrong_crc_is_reported():
    frame = bytearray(encode_frame(messages.positive_ack().encode()))
    frame[-1] ^= 0x01

    assert decode_all(bytes(frame)) == [BadFrame("crc")]


def test_a_frame_longer_than_any_apdu_is_dropped():
    decoder = FrameDecoder()

    events = decoder.feed(b"\x10\x02" + b"\x00" * (MAX_APDU_BYTES + 1))

    assert events == [BadFrame("too_long")]
    assert not decoder.in_frame


# APDU ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "length_bytes"),
    [(0, b"\x00"), (254, b"\xfe"), (255, b"\xff\xff\x00"), (300, b"\xff\x2c\x01")],
)
def test_apdu_length_short_and_extended(size, length_bytes):
    apdu = Apdu(0x06, 0xD3, bytes(range(256)) * 2)
    apdu = Apdu(0x06, 0xD3, apdu.data[:size])

    raw = apdu.encode()

    assert raw[2 : 2 + len(length_bytes)] == length_bytes
    assert decode_apdu(raw) == apdu


def test_extended_length_survives_framing_when_its_low_byte_is_a_dle():
    apdu = Apdu(0x06, 0xD3, bytes(range(256)) + b"\x10" * 16)  # 272 bytes: FF 10 01
    raw = apdu.encode()
    assert raw[2:5] == b"\xff\x10\x01"

    events = decode_all(encode_frame(raw), chunk=7)

    assert events == [Frame(raw)]
    assert decode_apdu(events[0].apdu) == apdu


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x06\x01", b"\x06\x01\xff\x01", b"\x06\x01\x02\x00", b"\x06\x01\xff\x01\x00"],
    ids=["empty", "no length", "cut extended length", "short data", "extended short data"],
)
def test_malformed_apdus_raise_apdu_error(raw):
    with pytest.raises(ApduError):
        decode_apdu(raw)


def test_apdu_data_over_65535_bytes_cannot_be_encoded():
    with pytest.raises(ApduError):
        Apdu(0x06, 0xD3, bytes(0x10000)).encode()


# BCD ----------------------------------------------------------------------------------


def test_bcd():
    assert to_bcd(1234, 6) == bytes.fromhex("000000001234")
    assert to_bcd(978, 2) == b"\x09\x78"
    assert from_bcd(bytes.fromhex("000000001234")) == 1234
    for number, size in [(10**12, 6), (-1, 2)]:
        with pytest.raises(ValueError):
            to_bcd(number, size)
    with pytest.raises(ApduError):
        from_bcd(b"\x1a")


@given(st.integers(0, 10**12 - 1))
@settings(database=None, max_examples=200, deadline=None)
def test_bcd_round_trip(number):
    assert from_bcd(to_bcd(number, 6)) == number


# BMP fields ---------------------------------------------------------------------------


def test_status_information_fields():
    parsed = parse(decode_apdu(approved_status_information().encode()))

    assert parsed.apdu.name == "Status Information"
    assert parsed.get("result_code") == {"code": "00", "meaning": "success"}
    assert parsed.get("amount") == 1234
    assert parsed.get("currency") == 978
    assert parsed.get("trace") == 17
    assert parsed.get("receipt_number") == 42
    assert parsed.get("terminal_id") == "52500017"
    assert parsed.get("masked_pan") == "************4242"
    assert parsed.get("pan_unmasked") is None
    assert parsed.get("card_type") == {"id": 6, "name": "Mastercard"}
    assert parsed.get("card_name") == "Mastercard"
    assert parsed.get("time") == "14:30:05"
    assert parsed.get("date") == "11-22"
    assert parsed.unparsed == b""


def test_a_declined_status_information_carries_its_code():
    parsed = parse(messages.status_information(result_code=0x05))

    assert parsed.get("result_code") == {"code": "05", "meaning": result_text(0x05)}


def test_an_unmasked_pan_is_cut_to_its_last_4_digits():
    parsed = parse(approved_status_information(pan_nibbles=UNMASKED_PAN))

    assert parsed.get("masked_pan") == "************4242"
    assert parsed.get("pan_unmasked") is True
    assert UNMASKED_PAN[:12] not in json.dumps(to_json(parsed))


def test_an_unmasked_odd_length_pan_drops_its_f_padding():
    parsed = parse(approved_status_information(pan_nibbles="378282246310005"))

    assert parsed.get("masked_pan") == "***********0005"
    assert parsed.get("pan_unmasked") is True


def test_a_pan_with_a_non_digit_nibble_is_rejected_without_echoing_it():
    raw = b"\x27\x00\x22\xf0\x08" + bytes.fromhex("5413330089604A42")

    with pytest.raises(ApduError) as error:
        parse(Apdu(0x04, 0x0F, raw))

    assert "541333" not in str(error.value)


def test_card_data_fields_are_withheld():
    track_2 = bytes.fromhex(UNMASKED_PAN + "d25121")
    data = b"\x23" + bytes([0xF1, 0xF1]) + track_2 + b"\x0e\x25\x12"

    fields, rest = parse_bmps(data)

    assert [(f.name, f.value) for f in fields] == [
        ("track_2", "<11 bytes withheld>"),
        ("expiry", "<2 bytes withheld>"),
    ]
    assert rest == b""


def test_parsing_stops_at_an_unknown_bmp():
    fields, rest = parse_bmps(b"\x04" + to_bcd(99, 6) + b"\xf7\x01\x02")

    assert [(f.name, f.value) for f in fields] == [("amount", 99)]
    assert rest == b"\xf7\x01\x02"


def test_a_bmp_that_runs_past_the_end_is_an_error():
    with pytest.raises(ApduError):
        parse_bmps(b"\x04\x00\x00\x12")


def test_registration_prefix():
    parsed = parse(messages.registration(123456, 978))

    assert parsed.get("password") == "<withheld>"
    assert parsed.get("config_byte") == "BA"
    assert parsed.get("currency") == 978
    assert parsed.get("service_byte") == 1


# TLV ----------------------------------------------------------------------------------


def test_print_text_block_lines_come_back_through_nested_tlv():
    lines = ["SALE", "Terminal-ID 52500017", "AMOUNT 12.34", ""]
    apdu = messages.print_text_block(lines, receipt_type=messages.MERCHANT_RECEIPT)

    parsed = parse(decode_apdu(apdu.encode()))

    assert parsed.text_lines() == lines
    assert parsed.tlv(0x1F07) == [Tlv(0x1F07, bytes([messages.MERCHANT_RECEIPT]))]
    (container,) = parsed.get("tlv")
    assert container.tag == 0x25
    assert [child.tag for child in container.value] == [0x07] * 4 + [0x1F07]


def test_print_line_text():
    parsed = parse(messages.print_line("Total 12.34 EUR", attribute=0x80))

    assert parsed.get("attribute") == "80"
    assert parsed.text_lines() == ["Total 12.34 EUR"]


def test_tlv_round_trip_with_long_lengths_and_multibyte_tags():
    items = [
        (0x25, [(0x07, b"x" * 200), (0x1F07, b"\x02")]),
        (0x1F10, b"\x01"),
        (0x42, b"y" * 300),
    ]

    parsed = parse_tlv(encode_tlv(items))

    assert parsed == (
        Tlv(0x25, (Tlv(0x07, b"x" * 200), Tlv(0x1F07, b"\x02"))),
        Tlv(0x1F10, b"\x01"),
        Tlv(0x42, b"y" * 300),
    )
    fields, rest = parse_bmps(tlv_container(items))
    assert fields[0].value == parsed
    assert rest == b""


def test_a_tlv_item_running_past_its_container_is_an_error():
    with pytest.raises(ApduError):
        parse_tlv(b"\x07\x05abc")


def test_deeply_nested_tlv_is_an_apdu_error_not_a_recursion_error():
    # A hostile terminal can nest TLV a few thousand levels deep in 12 KB.
    body = b""
    for _ in range(3000):
        body = b"\x25\x82" + len(body).to_bytes(2, "big") + body
    data = b"\x06\x82" + len(body).to_bytes(2, "big") + body

    with pytest.raises(ApduError):
        parse(Apdu(0x04, 0x0F, data))


def test_tlv_nested_up_to_the_limit_is_parsed():
    items: list = [(0x07, b"deep")]
    for _ in range(MAX_TLV_DEPTH - 1):
        items = [(0x25, items)]

    parsed = parse(Apdu(0x06, 0xD3, tlv_container(items)))

    assert parsed.text_lines() == ["deep"]


# Result codes -------------------------------------------------------------------------


def test_every_result_code_has_a_text_and_every_failure_a_reason():
    assert RESULT_CODES[0x00] == ("", "success")
    for code, (reason, text) in RESULT_CODES.items():
        assert text.strip(), f"{code:02X} has no text"
        assert result_text(code) == text
        assert result_reason(code) == reason
        if code != 0x00:
            assert reason, f"{code:02X} has no reason"


def test_issuer_codes_are_declined_by_the_bank():
    for code in (0x01, 0x05, 0x63):
        assert result_reason(code) == DECLINED_BY_BANK
        assert result_text(code) != "unknown result code"
    assert result_text(0x6D) == "unknown result code"


# Properties ---------------------------------------------------------------------------

# Bytes that matter to the framing turn up often, so flips and restarts get exercised.
_FRAMING_BYTES = st.sampled_from([DLE, STX, ETX, ACK, NAK, 0x00, 0xFF])
_DATA = st.lists(st.one_of(_FRAMING_BYTES, st.integers(0, 255)), max_size=300).map(bytes)
_APDUS = st.builds(
    lambda cls, ins, data: Apdu(cls, ins, data).encode(),
    st.integers(0, 255),
    st.integers(0, 255),
    _DATA,
)


def _feed_in_chunks(decoder: FrameDecoder, data: bytes, sizes: list[int]) -> list:
    events, position, index = [], 0, 0
    while position < len(data):
        size = sizes[index % len(sizes)]
        events += decoder.feed(data[position : position + size])
        position += size
        index += 1
    return events


@given(_APDUS, st.lists(st.integers(1, 40), min_size=1, max_size=10))
@settings(database=None, max_examples=250, deadline=None)
def test_any_apdu_survives_framing_in_any_chunking(apdu, sizes):
    events = _feed_in_chunks(FrameDecoder(), encode_frame(apdu), sizes)

    assert events == [Frame(apdu)]


@given(_APDUS, st.data())
@settings(database=None, max_examples=300, deadline=None)
def test_a_single_bit_flip_never_yields_a_frame(apdu, data):
    frame = bytearray(encode_frame(apdu))
    bit = data.draw(st.integers(0, len(frame) * 8 - 1), label="bit")
    frame[bit // 8] ^= 1 << (bit % 8)
    sizes = data.draw(st.lists(st.integers(1, 40), min_size=1, max_size=10), label="chunks")

    events = _feed_in_chunks(FrameDecoder(), bytes(frame), sizes)

    # A flip can move the framing (a byte becomes or stops being a DLE, STX or ETX) and
    # start a frame mid-way; the CRC must still refuse it. A Frame equal to the sent
    # APDU is no better: it would mean a corrupted byte (say in the CRC) went unchecked.
    # Only a CRC collision on a shifted frame could pass: 1 in 65536 for random data,
    # so this cannot fail by chance in any realistic number of runs.
    assert [event for event in events if isinstance(event, Frame)] == []


@given(_APDUS, st.data())
@settings(database=None, max_examples=250, deadline=None)
def test_after_a_corrupted_frame_the_retries_get_through(apdu, data):
    # PA00P016: the sender tries 3 times. Whatever state the broken first try leaves
    # the decoder in, the third try at the latest is read intact.
    frame = encode_frame(apdu)
    broken = bytearray(frame)
    bit = data.draw(st.integers(0, len(frame) * 8 - 1), label="bit")
    broken[bit // 8] ^= 1 << (bit % 8)

    events = FrameDecoder().feed(bytes(broken) + frame + frame)

    frames = [event for event in events if isinstance(event, Frame)]
    assert frames and all(found == Frame(apdu) for found in frames)


@given(st.binary(max_size=600), st.lists(st.integers(1, 64), min_size=1, max_size=10))
@settings(database=None, max_examples=300, deadline=None)
def test_random_bytes_never_break_the_decoder(noise, sizes):
    decoder = FrameDecoder()

    events = _feed_in_chunks(decoder, noise, sizes)

    assert all(isinstance(event, Frame | Control | BadFrame) for event in events)
    for event in events:
        if isinstance(event, Frame):
            _decode_or_apdu_error(event.apdu)


def _decode_or_apdu_error(raw: bytes) -> None:
    try:
        parsed = parse(decode_apdu(raw))
    except ApduError:
        return
    json.dumps(to_json(parsed))
    parsed.text_lines()


@given(st.binary(max_size=400))
@settings(database=None, max_examples=300, deadline=None)
def test_random_bytes_raise_only_apdu_error(raw):
    _decode_or_apdu_error(raw)


# Every command the codec knows, so each one's fixed prefix gets random data too.
_COMMANDS = sorted(COMMAND_NAMES) + [(0x84, 0x9C)]
# Tags and lengths that make random data look like BMPs and TLVs more often.
_BMP_BYTES = st.sampled_from(
    list(bytes.fromhex("06 04 22 27 29 87 8B 3C 25 07 1F 81 82 F0 F1 F2 EE"))
)
_APDU_DATA = st.lists(st.one_of(_BMP_BYTES, st.integers(0, 255)), max_size=120).map(bytes)


@given(st.sampled_from(_COMMANDS), _APDU_DATA)
@settings(database=None, max_examples=300, deadline=None)
def test_random_data_in_known_commands_raises_only_apdu_error(command, data):
    _decode_or_apdu_error(Apdu(*command, data).encode())

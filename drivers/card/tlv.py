"""TLV parsing and encoding for the two layouts the kiosk reads.

* BELPIC (Belgian eID files): a 1-byte tag, then a length in 7-bit groups (top bit set
  means "another group follows"), then the value. Tag 0 is skipped.
* BER-TLV (PIV data objects): multi-byte tags (5FC102), definite lengths in short or
  long form (81 xx, 82 xx xx).

Card data is untrusted input: every malformed byte string raises ``CardDataError``, so
callers never see IndexError, ValueError or UnicodeDecodeError from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from drivers.card.errors import CardDataError

# No file the kiosk reads comes near these; anything longer is garbage, and refusing it
# early keeps a hostile length from building huge integers.
_MAX_BELPIC_LENGTH_GROUPS = 4
_MAX_BER_TAG_BYTES = 4
_MAX_BER_LENGTH_BYTES = 4


def parse_belpic(data: bytes) -> dict[int, bytes]:
    """Tag -> value of a BELPIC file. A repeated tag means a corrupt file."""
    fields: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        # Address files are zero-padded to a fixed size: the rest is not a TLV.
        if not any(data[pos:]):
            break
        tag = data[pos]
        length, pos = _belpic_length(data, pos + 1)
        if pos + length > len(data):
            raise CardDataError(f"BELPIC tag {tag} is truncated")
        if tag != 0:
            if tag in fields:
                raise CardDataError(f"BELPIC tag {tag} appears twice")
            fields[tag] = bytes(data[pos : pos + length])
        pos += length
    return fields


def _belpic_length(data: bytes, pos: int) -> tuple[int, int]:
    length = 0
    for _ in range(_MAX_BELPIC_LENGTH_GROUPS):
        if pos >= len(data):
            raise CardDataError("BELPIC length is truncated")
        byte = data[pos]
        pos += 1
        length = (length << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return length, pos
    raise CardDataError("BELPIC length is too long")


def encode_belpic(fields: Iterable[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for tag, value in fields:
        if not 0 <= tag <= 0xFF:
            raise ValueError(f"BELPIC tags are one byte, not {tag}")
        out.append(tag)
        out += _belpic_length_bytes(len(value))
        out += value
    return bytes(out)


def _belpic_length_bytes(length: int) -> bytes:
    groups = [length & 0x7F]
    length >>= 7
    while length:
        groups.append(0x80 | (length & 0x7F))
        length >>= 7
    return bytes(reversed(groups))


def parse_ber(data: bytes) -> dict[int, bytes]:
    """Tag -> value of one level of BER-TLV (nested objects are parsed by calling again)."""
    fields: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        tag, pos = _ber_tag(data, pos)
        length, pos = _ber_length(data, pos)
        if pos + length > len(data):
            raise CardDataError(f"BER tag {tag:X} is truncated")
        if tag in fields:
            raise CardDataError(f"BER tag {tag:X} appears twice")
        fields[tag] = bytes(data[pos : pos + length])
        pos += length
    return fields


def _ber_tag(data: bytes, pos: int) -> tuple[int, int]:
    tag = data[pos]
    pos += 1
    if tag & 0x1F != 0x1F:
        return tag, pos
    # Multi-byte tag: subsequent bytes carry on while their top bit is set.
    for _ in range(_MAX_BER_TAG_BYTES - 1):
        if pos >= len(data):
            raise CardDataError("BER tag is truncated")
        byte = data[pos]
        pos += 1
        tag = (tag << 8) | byte
        if not byte & 0x80:
            return tag, pos
    raise CardDataError("BER tag is too long")


def _ber_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise CardDataError("BER length is missing")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0:
        raise CardDataError("BER indefinite length is not allowed here")
    if count > _MAX_BER_LENGTH_BYTES:
        raise CardDataError("BER length is too long")
    if pos + count > len(data):
        raise CardDataError("BER length is truncated")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def encode_ber(tag: int, value: bytes) -> bytes:
    if tag < 0:
        raise ValueError("BER tags are not negative")
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    length = len(value)
    if length < 0x80:
        length_bytes = bytes([length])
    else:
        size = (length.bit_length() + 7) // 8
        length_bytes = bytes([0x80 | size]) + length.to_bytes(size, "big")
    return tag_bytes + length_bytes + value


def decode_text(value: bytes, what: str) -> str:
    """Card text is UTF-8; anything else is a corrupt field."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise CardDataError(f"{what} is not valid UTF-8") from None

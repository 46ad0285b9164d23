"""ZVT APDUs (PA00P015): class, instruction, length, data; and the fields in the data.

Length: one byte, or FF followed by a 2-byte little-endian length above 254. The data
is made of BMP fields (a one-byte tag with a fixed or LL/LLL-prefixed length) and TLV
containers (BMP 06, BER-TLV). Some commands start with fixed bytes before any BMP
(a registration's password and config byte, an intermediate status's code); those
are described by ``_PREFIXES``.

Parsing never trusts the terminal: any malformed input raises :class:`ApduError`,
never another exception. Card data is never turned into text: tracks are reported
by length only, an unmasked PAN is replaced by its last 4 digits (``pan_unmasked``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drivers.payment.zvt.codes import CARD_TYPES, COMMAND_NAMES, intermediate_text, result_text
from drivers.privacy import is_masked_pan

PASSWORD_BYTES = 3


class ApduError(ValueError):
    """Bytes that are not a well-formed ZVT APDU; the message never echoes card data."""


@dataclass(frozen=True)
class Apdu:
    cls: int
    ins: int
    data: bytes = b""

    @property
    def command(self) -> tuple[int, int]:
        return (self.cls, self.ins)

    @property
    def name(self) -> str:
        if self.cls == 0x84:
            return "Negative acknowledgement"
        return COMMAND_NAMES.get(self.command, "Unknown command")

    def encode(self) -> bytes:
        size = len(self.data)
        if size > 0xFFFF:
            raise ApduError("APDU data longer than 65535 bytes")
        length = bytes([size]) if size < 0xFF else b"\xff" + size.to_bytes(2, "little")
        return bytes([self.cls, self.ins]) + length + self.data

    def __str__(self) -> str:
        return f"{self.cls:02X} {self.ins:02X} ({self.name}, {len(self.data)} data bytes)"


def decode_apdu(raw: bytes) -> Apdu:
    if len(raw) < 3:
        raise ApduError(f"an APDU has at least 3 bytes, got {len(raw)}")
    if raw[2] == 0xFF:
        if len(raw) < 5:
            raise ApduError("extended length needs 2 more bytes")
        size, start = int.from_bytes(raw[3:5], "little"), 5
    else:
        size, start = raw[2], 3
    if len(raw) - start != size:
        raise ApduError(f"length byte says {size} data bytes, got {len(raw) - start}")
    return Apdu(raw[0], raw[1], bytes(raw[start:]))


# BCD helpers --------------------------------------------------------------------


def to_bcd(number: int, size: int) -> bytes:
    digits = f"{number:0{size * 2}d}"
    if number < 0 or len(digits) > size * 2:
        raise ValueError(f"{number} does not fit in {size} BCD bytes")
    return bytes.fromhex(digits)


def from_bcd(raw: bytes) -> int:
    text = raw.hex()
    if not text.isdigit():
        raise ApduError("a BCD field holds a nibble above 9")
    return int(text or "0")


def _ll_length(raw: bytes) -> int:
    # LL/LLL lengths are written as F-prefixed digits: F1 F2 means 12.
    if any(byte >> 4 != 0xF or byte & 0x0F > 9 for byte in raw):
        raise ApduError("an LL/LLL length must be F0 to F9 bytes")
    return int("".join(str(byte & 0x0F) for byte in raw))


def ll_prefix(size: int, digits: int) -> bytes:
    text = f"{size:0{digits}d}"
    if len(text) > digits:
        raise ValueError(f"{size} does not fit an {digits}-digit length")
    return bytes(0xF0 | int(ch) for ch in text)


# BMP fields ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Bmp:
    name: str
    size: int | str  # a byte count, "LL", "LLL" or "TLV"
    kind: str  # bcd, number, binary, ascii, pan, secret, result, card_type, tlv, time...


BMPS: dict[int, _Bmp] = {
    0x01: _Bmp("timeout", 1, "number"),
    0x02: _Bmp("max_status_infos", 1, "number"),
    0x03: _Bmp("service_byte", 1, "number"),
    0x04: _Bmp("amount", 6, "bcd"),
    0x05: _Bmp("pump_number", 1, "number"),
    0x06: _Bmp("tlv", "TLV", "tlv"),
    0x0B: _Bmp("trace", 3, "bcd"),
    0x0C: _Bmp("time", 3, "time"),
    0x0D: _Bmp("date", 2, "date"),
    0x0E: _Bmp("expiry", 2, "secret"),
    0x17: _Bmp("card_sequence_number", 2, "bcd"),
    0x19: _Bmp("status_byte", 1, "number"),
    0x22: _Bmp("masked_pan", "LL", "pan"),
    0x23: _Bmp("track_2", "LL", "secret"),
    0x24: _Bmp("track_3", "LLL", "secret"),
    0x27: _Bmp("result_code", 1, "result"),
    0x29: _Bmp("terminal_id", 4, "digits"),
    0x2A: _Bmp("vu_number", 15, "ascii"),
    0x2D: _Bmp("track_1", "LL", "secret"),
    0x2E: _Bmp("chip_data", "LLL", "secret"),
    0x37: _Bmp("original_trace", 3, "bcd"),
    0x3A: _Bmp("cvv", 2, "secret"),
    0x3B: _Bmp("aid", 8, "ascii"),
    0x3C: _Bmp("additional_text", "LLL", "ascii"),
    0x3D: _Bmp("password", 3, "secret"),
    0x49: _Bmp("currency", 2, "bcd"),
    0x60: _Bmp("individual_totals", "LLL", "binary"),
    0x87: _Bmp("receipt_number", 2, "bcd"),
    0x88: _Bmp("turnover_number", 3, "bcd"),
    0x8A: _Bmp("card_type", 1, "card_type"),
    0x8B: _Bmp("card_name", "LL", "ascii"),
    0x8C: _Bmp("card_type_id", 1, "number"),
    0x9A: _Bmp("geldkarte_record", "LLL", "secret"),
    0xA0: _Bmp("result_code_as", 1, "number"),
    0xA7: _Bmp("chip_data_ef_id", "LL", "secret"),
    0xAA: _Bmp("date_with_year", 3, "digits"),
    0xAF: _Bmp("ef_info", "LLL", "secret"),
    0xBA: _Bmp("aid_parameter", 5, "binary"),
}
TLV_NAMES = {
    0x07: "text_line",
    0x08: "receipt_number",
    0x14: "iso_character_set",
    0x15: "language_code",
    0x1F07: "receipt_type",
    0x1F10: "cardholder_authentication",
    0x1F12: "card_technology",
    0x1F16: "extended_error_code",
    0x1F17: "extended_error_text",
    0x1F40: "device_name",
    0x1F41: "software_version",
    0x1F42: "serial_number",
    0x1F43: "device_state",
    0x1F44: "terminal_identifier",
    0x25: "print_texts",
    0x26: "list_of_permitted_commands",
    0x40: "emv_config",
    0x41: "zvt_card_type_id",
    0x42: "application_name",
    0x43: "application_id",
}
_TEXT_TLV_TAGS = frozenset({0x07, 0x1F17, 0x1F40, 0x1F41, 0x42})


@dataclass(frozen=True)
class Field:
    tag: int
    name: str
    value: Any


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes | tuple[Tlv, ...]

    @property
    def name(self) -> str:
        return TLV_NAMES.get(self.tag, f"tag_{self.tag:X}")

    def find_all(self, tag: int) -> list[Tlv]:
        found = [self] if self.tag == tag else []
        if isinstance(self.value, tuple):
            for child in self.value:
                found.extend(child.find_all(tag))
        return found

    def to_json(self) -> dict[str, Any]:
        if isinstance(self.value, tuple):
            value: Any = [child.to_json() for child in self.value]
        elif self.tag in _TEXT_TLV_TAGS:
            value = self.value.decode("latin-1")
        else:
            value = self.value.hex()
        return {"tag": f"{self.tag:X}", "name": self.name, "value": value}


# ZVT nests TLV a few levels deep (06 > 25 > 07); without a limit a hostile APDU of
# a few KB nests past Python's recursion limit and raises RecursionError.
MAX_TLV_DEPTH = 16


def parse_tlv(raw: bytes, depth: int = 1) -> tuple[Tlv, ...]:
    if depth > MAX_TLV_DEPTH:
        raise ApduError(f"TLV nested deeper than {MAX_TLV_DEPTH} levels")
    items = []
    position = 0
    while position < len(raw):
        tag, position = _tlv_tag(raw, position)
        size, position = _tlv_length(raw, position)
        if position + size > len(raw):
            raise ApduError("a TLV item runs past its container")
        body = raw[position : position + size]
        position += size
        first = tag >> 8 * ((tag.bit_length() - 1) // 8) if tag else 0
        items.append(Tlv(tag, parse_tlv(body, depth + 1) if first & 0x20 else bytes(body)))
    return tuple(items)


def _tlv_tag(raw: bytes, position: int) -> tuple[int, int]:
    tag = raw[position]
    position += 1
    if tag & 0x1F == 0x1F:
        while True:
            if position >= len(raw):
                raise ApduError("a TLV tag is cut short")
            byte = raw[position]
            tag = tag << 8 | byte
            position += 1
            if not byte & 0x80:
                break
            if tag > 0xFFFFFF:
                raise ApduError("a TLV tag is longer than 3 bytes")
    return tag, position


def _tlv_length(raw: bytes, position: int) -> tuple[int, int]:
    if position >= len(raw):
        raise ApduError("a TLV length is missing")
    first = raw[position]
    if first < 0x80:
        return first, position + 1
    count = first & 0x7F
    if count not in (1, 2) or position + 1 + count > len(raw):
        raise ApduError("a TLV length is malformed")
    return int.from_bytes(raw[position + 1 : position + 1 + count], "big"), position + 1 + count


def _ber_length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    if size <= 0xFF:
        return bytes([0x81, size])
    return b"\x82" + size.to_bytes(2, "big")


def encode_tlv(items: list[tuple[int, bytes | list]]) -> bytes:
    out = bytearray()
    for tag, value in items:
        body = encode_tlv(value) if isinstance(value, list) else value
        out += tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
        out += _ber_length(len(body)) + body
    return bytes(out)


def tlv_container(items: list[tuple[int, bytes | list]]) -> bytes:
    """BMP 06 holding ``items``."""
    body = encode_tlv(items)
    return b"\x06" + _ber_length(len(body)) + body


def decode_pan(raw: bytes) -> tuple[str, bool]:
    """ZVT's PAN digits (E = masked digit, F = padding) as '*'-masked text of the
    same length, and whether the terminal sent it with no masking at all.

    Whatever the terminal masked, only the last 4 digits are ever kept: a terminal
    showing the first 6 and last 4 (allowed by PCI) still gets its first 6 hidden.
    """
    text = raw.hex().upper().rstrip("F")
    if any(ch not in "0123456789E" for ch in text):
        raise ApduError("a PAN holds a nibble other than 0-9, E or F padding")
    masked = text.replace("E", "*")
    if is_masked_pan(masked):
        return masked, False
    digits_seen, total = 0, sum(ch.isdigit() for ch in masked)
    kept = []
    for ch in masked:
        if ch.isdigit():
            digits_seen += 1
            ch = ch if digits_seen > total - 4 else "*"
        kept.append(ch)
    return "".join(kept), "E" not in text


def _fixed_value(bmp: _Bmp, raw: bytes) -> Any:
    kind = bmp.kind
    if kind == "bcd":
        return from_bcd(raw)
    if kind == "number":
        return raw[0]
    if kind == "digits":
        from_bcd(raw)
        return raw.hex()
    if kind == "time":
        text = f"{from_bcd(raw):06d}"
        return f"{text[:2]}:{text[2:4]}:{text[4:]}"
    if kind == "date":
        text = f"{from_bcd(raw):04d}"
        return f"{text[:2]}-{text[2:]}"
    if kind == "result":
        return {"code": f"{raw[0]:02X}", "meaning": result_text(raw[0])}
    if kind == "card_type":
        return {"id": raw[0], "name": CARD_TYPES.get(raw[0], "other")}
    if kind == "ascii":
        return raw.decode("latin-1").rstrip("\x00 ")
    if kind == "secret":
        return f"<{len(raw)} bytes withheld>"
    return raw.hex()


def parse_bmps(data: bytes) -> tuple[list[Field], bytes]:
    """The BMP fields at the start of ``data``, and any bytes left after an unknown
    BMP (whose length cannot be known, so parsing must stop there)."""
    fields: list[Field] = []
    position = 0
    while position < len(data):
        tag = data[position]
        bmp = BMPS.get(tag)
        if bmp is None:
            return fields, data[position:]
        position += 1
        if bmp.size == "TLV":
            size, position = _tlv_length(data, position)
        elif isinstance(bmp.size, str):
            digits = len(bmp.size)
            if position + digits > len(data):
                raise ApduError(f"BMP {tag:02X} length is cut short")
            size = _ll_length(data[position : position + digits])
            position += digits
        else:
            size = bmp.size
        if position + size > len(data):
            raise ApduError(f"BMP {tag:02X} ({bmp.name}) runs past the end of the APDU")
        raw = data[position : position + size]
        position += size
        if bmp.kind == "tlv":
            fields.append(Field(tag, bmp.name, parse_tlv(raw)))
        elif bmp.kind == "pan":
            pan, unmasked = decode_pan(raw)
            fields.append(Field(tag, bmp.name, pan))
            if unmasked:
                fields.append(Field(tag, "pan_unmasked", True))
        else:
            fields.append(Field(tag, bmp.name, _fixed_value(bmp, raw)))
    return fields, b""


# Fixed bytes some commands carry before their BMPs.
_PREFIXES: dict[tuple[int, int], tuple[tuple[str, int, str], ...]] = {
    (0x06, 0x00): (("password", 3, "secret"), ("config_byte", 1, "hex"), ("currency", 2, "bcd")),
    (0x05, 0x01): (("password", 3, "secret"),),
    (0x06, 0x20): (("password", 3, "secret"),),
    (0x06, 0x30): (("password", 3, "secret"),),
    (0x06, 0x50): (("password", 3, "secret"),),
    (0x04, 0xFF): (("intermediate_status", 1, "status"),),
    (0x06, 0x1E): (("result_code", 1, "result"),),
    (0x06, 0xD1): (("attribute", 1, "hex"),),
}


def _prefix_value(kind: str, raw: bytes) -> Any:
    if kind == "secret":
        return "<withheld>"
    if kind == "hex":
        return f"{raw[0]:02X}"
    if kind == "bcd":
        return from_bcd(raw)
    if kind == "status":
        return {"code": f"{raw[0]:02X}", "meaning": intermediate_text(raw[0])}
    return {"code": f"{raw[0]:02X}", "meaning": result_text(raw[0])}


@dataclass(frozen=True)
class Parsed:
    apdu: Apdu
    fields: list[Field] = field(default_factory=list)
    unparsed: bytes = b""
    text: str = ""  # 06 D1's print line

    def get(self, name: str, default: Any = None) -> Any:
        for item in self.fields:
            if item.name == name:
                return item.value
        return default

    def tlv(self, tag: int) -> list[Tlv]:
        found = []
        for item in self.fields:
            if item.name == "tlv":
                for tlv in item.value:
                    found.extend(tlv.find_all(tag))
        return found

    def text_lines(self) -> list[str]:
        if self.apdu.command == (0x06, 0xD1):
            return [self.text]
        return [line.value.decode("latin-1") for line in self.tlv(0x07)]


def parse(apdu: Apdu) -> Parsed:
    """Every field of ``apdu``; raises ApduError for malformed content."""
    data = apdu.data
    fields: list[Field] = []
    if apdu.cls in (0x80, 0x84):
        return Parsed(apdu, fields, b"")
    position = 0
    for name, size, kind in _PREFIXES.get(apdu.command, ()):
        if position + size > len(data):
            if name == "currency":
                break  # optional in a registration
            raise ApduError(f"{apdu.name}: {name} is missing")
        if name == "currency" and data[position] in BMPS and apdu.command == (0x06, 0x00):
            # No currency: what follows is already a BMP (03 service byte or 06 TLV).
            break
        fields.append(Field(-1, name, _prefix_value(kind, data[position : position + size])))
        position += size
    if apdu.command == (0x06, 0xD1):
        return Parsed(apdu, fields, b"", data[position:].decode("latin-1"))
    more, unparsed = parse_bmps(data[position:])
    return Parsed(apdu, fields + more, unparsed)


def to_json(parsed: Parsed) -> dict[str, Any]:
    """A JSON-ready description for technicians (``python -m drivers.payment.zvt``)."""
    apdu = parsed.apdu
    out: dict[str, Any] = {
        "class": f"{apdu.cls:02X}",
        "instruction": f"{apdu.ins:02X}",
        "name": apdu.name,
        "length": len(apdu.data),
        "fields": {},
    }
    if apdu.cls == 0x84:
        out["result_code"] = {"code": f"{apdu.ins:02X}", "meaning": result_text(apdu.ins)}
    for item in parsed.fields:
        value = item.value
        if item.name == "tlv":
            value = [tlv.to_json() for tlv in value]
        out["fields"][item.name] = value
    if parsed.text:
        out["text"] = parsed.text
    if parsed.unparsed:
        out["unparsed"] = {"bytes": len(parsed.unparsed), "first_tag": f"{parsed.unparsed[0]:02X}"}
    return out

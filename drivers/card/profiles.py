"""Which card is this, and what the kiosk may take from it.

A card is identified by the application that answers a SELECT, not by its ATR (ATRs
vary by chip batch and say nothing reliable about the applet). Tried in order:
Belgian eID (BELPIC), US PIV, then the contactless UID pseudo-APDU.

Data minimisation: only the fields a service needs leave these functions. For the
Belgian eID the national number is the identifier, because the portal links accounts by
it and it survives card renewals; it goes into ``CardData.identifier`` only, which the
kiosk hashes before anything leaves the device and whose repr is masked. Photo, date and
place of birth, sex and nationality are parsed past but never returned.
"""

from __future__ import annotations

import datetime
import re
import uuid

from drivers.card.apdu import ApduChannel, Transmit, command
from drivers.card.errors import ApduError, CardDataError, CardNotSupported
from drivers.card.interface import CardData
from drivers.card.tlv import decode_text, parse_belpic, parse_ber

BELPIC_AID = bytes.fromhex("A000000177504B43532D3135")
BELPIC_IDENTITY_FILE = bytes.fromhex("3F00DF014031")
BELPIC_ADDRESS_FILE = bytes.fromhex("3F00DF014033")

PIV_AID = bytes.fromhex("A000000308")
PIV_CHUID_TAG = bytes.fromhex("5FC102")

# BELPIC identity file tags (address file: 1 street, 2 ZIP code, 3 municipality).
_CARD_NUMBER, _VALID_UNTIL, _NATIONAL_NUMBER, _LAST_NAME, _FIRST_NAMES = 1, 4, 6, 7, 8
# CHUID tags.
_FASC_N, _GUID, _EXPIRY = 0x30, 0x34, 0x35

_MAX_UID_LENGTH = 16
_BELPIC_DATE = re.compile(r"(\d{2})[.\-/ ](\d{2})[.\-/ ](\d{4})", re.ASCII)


def read_card(channel: ApduChannel | Transmit) -> CardData:
    """Read whichever supported card is in the reader.

    Raises ``CardNotSupported`` if nothing answers, ``CardDataError`` for a corrupt card,
    ``ApduError`` for a command that fails after the application was found, and
    ``CardRemoved`` / ``ReaderUnavailable`` from the transport.
    """
    if not isinstance(channel, ApduChannel):
        channel = ApduChannel(channel)
    for reader in (read_beid, read_piv, read_uid):
        card = reader(channel)
        if card is not None:
            return card
    raise CardNotSupported("no BELPIC or PIV application and no contactless UID")


def read_beid(channel: ApduChannel) -> CardData | None:
    """The Belgian eID, or None if the BELPIC application is not on the card."""
    try:
        channel.select_aid(BELPIC_AID)
    except ApduError:
        return None
    channel.select_path(BELPIC_IDENTITY_FILE)
    identity = parse_belpic(channel.read_binary("identity file"))
    channel.select_path(BELPIC_ADDRESS_FILE)
    address = parse_belpic(channel.read_binary("address file"))

    national_number = _digits(identity, _NATIONAL_NUMBER, "national number")
    card_number = _digits(identity, _CARD_NUMBER, "card number")
    first_names = _field(identity, _FIRST_NAMES, "first names")
    last_name = _field(identity, _LAST_NAME, "last name")
    return CardData(
        profile="beid",
        identifier=national_number,
        display_name=f"{first_names} {last_name}",
        expires=_belpic_date(_field(identity, _VALID_UNTIL, "validity end")),
        extra={
            "first_names": first_names,
            "last_name": last_name,
            "card_number": card_number,
            "street": _field(address, 1, "street"),
            "zip": _field(address, 2, "ZIP code"),
            "municipality": _field(address, 3, "municipality"),
        },
    )


def read_piv(channel: ApduChannel) -> CardData | None:
    """A PIV card from its CHUID (readable without PIN), or None if PIV is absent."""
    try:
        channel.select_aid(PIV_AID, want_fci=True)
    except ApduError:
        return None
    get_chuid = command(0x00, 0xCB, 0x3F, 0xFF, b"\x5c\x03" + PIV_CHUID_TAG, le=0)
    container = parse_ber(channel.send(get_chuid, "GET DATA of the CHUID"))
    if set(container) != {0x53}:
        raise CardDataError("the CHUID response is not a single 53 data object")
    chuid = parse_ber(container[0x53])

    guid = chuid.get(_GUID, b"")
    fasc_n = chuid.get(_FASC_N, b"")
    if guid and len(guid) != 16:
        raise CardDataError("the CHUID GUID is not 16 bytes")
    # An all-zero GUID means "no GUID issued": the FASC-N identifies the card instead.
    if any(guid):
        identifier = str(uuid.UUID(bytes=guid))
    elif fasc_n:
        identifier = fasc_n.hex().upper()
    else:
        raise CardDataError("the CHUID has neither a GUID nor a FASC-N")
    if _EXPIRY not in chuid:
        raise CardDataError("the CHUID has no expiration date")
    return CardData(
        profile="piv",
        identifier=identifier,
        display_name="PIV card",
        expires=_piv_date(chuid[_EXPIRY]),
        extra={"fasc_n": fasc_n.hex().upper()} if fasc_n else {},
    )


def read_uid(channel: ApduChannel) -> CardData | None:
    """A contactless card's UID (PC/SC part 3 GET DATA), or None if the reader has none."""
    try:
        uid = channel.send(command(0xFF, 0xCA, 0x00, 0x00, le=0), "GET UID")
    except ApduError:
        return None
    if not 0 < len(uid) <= _MAX_UID_LENGTH:
        raise CardDataError(f"a card UID of {len(uid)} bytes is not plausible")
    return CardData(profile="uid", identifier=uid.hex().upper(), display_name="Contactless card")


def _field(fields: dict[int, bytes], tag: int, what: str) -> str:
    if tag not in fields:
        raise CardDataError(f"the card lacks the {what} (tag {tag})")
    text = decode_text(fields[tag], what).strip()
    if not text:
        raise CardDataError(f"the {what} is empty")
    return text


def _digits(fields: dict[int, bytes], tag: int, what: str) -> str:
    # A garbled identifier would hash to nobody, or worse to someone else.
    text = _field(fields, tag, what)
    if not (text.isascii() and text.isdigit()):
        raise CardDataError(f"the {what} is not all digits")
    return text


def _belpic_date(text: str) -> datetime.date:
    match = _BELPIC_DATE.fullmatch(text)
    if not match:
        raise CardDataError("the validity end is not a DD.MM.YYYY date")
    day, month, year = (int(group) for group in match.groups())
    return _date(year, month, day, "validity end")


def _piv_date(value: bytes) -> datetime.date:
    if len(value) != 8 or not all(0x30 <= byte <= 0x39 for byte in value):
        raise CardDataError("the CHUID expiration date is not YYYYMMDD")
    text = value.decode("ascii")
    return _date(int(text[:4]), int(text[4:6]), int(text[6:]), "CHUID expiration date")


def _date(year: int, month: int, day: int, what: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CardDataError(f"the {what} is not a real date") from None

"""Profile detection and field extraction, against the in-memory VirtualCard."""

import contextlib
import datetime
import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card.apdu import ApduChannel
from drivers.card.errors import ApduError, CardDataError, CardError, CardNotSupported
from drivers.card.interface import CardData
from drivers.card.profiles import BELPIC_IDENTITY_FILE, read_card
from drivers.card.virtual_card import Misbehaviour, VirtualCard, profile_path

MARIA = CardData(
    profile="beid",
    identifier="92051212329",
    display_name="María José Van den Brûle",
    expires=datetime.date(2033, 3, 14),
    extra={
        "first_names": "María José",
        "last_name": "Van den Brûle",
        "card_number": "591765432109",
        "street": "Avenue de l'Église Saint-Julien 117 bte 4",
        "zip": "1200",
        "municipality": "Woluwe-Saint-Lambert",
    },
)
PIV = CardData(
    profile="piv",
    identifier="3f2a8c1e-5b7d-4e9a-a6c2-1d8f0b4e7a93",
    display_name="PIV card",
    expires=datetime.date(2030, 12, 31),
    extra={"fasc_n": "D4E739DA739CED39CE739D836858210842108421C84210C3EB"},
)
LIBRARY = CardData(profile="uid", identifier="04A1B2C3D4", display_name="Contactless card")
EXPECTED = {"beid-maria": MARIA, "piv-demo": PIV, "uid-library": LIBRARY}

MISBEHAVIOURS = [
    Misbehaviour(),
    Misbehaviour(chain=16),
    Misbehaviour(wrong_le=True),
    Misbehaviour(chain=7, wrong_le=True),
]


def load(name: str) -> dict:
    return json.loads(profile_path(name).read_text(encoding="utf-8"))


def read(profile, **misbehaviour) -> CardData:
    return read_card(VirtualCard.from_profile(profile, Misbehaviour(**misbehaviour)).transmit)


def beid_with(tag: int, value) -> dict:
    """beid-maria with one identity-file field replaced."""
    profile = load("beid-maria")
    fields = profile["files"]["3F00 DF01 4031"]["belpic"]
    fields[[t for t, _ in fields].index(tag)][1] = value
    return profile


def piv_with(chuid: list) -> dict:
    profile = load("piv-demo")
    profile["applications"][0]["data_objects"]["5FC102"]["ber"] = chuid
    return profile


@pytest.mark.parametrize("misbehaviour", MISBEHAVIOURS, ids=repr)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_profile_reads_the_same_however_the_card_chains(name, misbehaviour):
    card = read_card(VirtualCard.from_profile(name, misbehaviour).transmit)

    assert card == EXPECTED[name]
    assert dict(card.extra) == dict(EXPECTED[name].extra)


def test_beid_identity_file_takes_more_than_one_block():
    card = VirtualCard.from_profile("beid-maria")
    read_card(card.transmit)

    reads = [h.hex() for h in card.headers if h[1] == 0xB0]
    assert reads == ["00b00000", "00b000ff", "00b00000"]  # identity x2, address x1


def test_bundled_profiles_sign_in_to_the_portal_demo_accounts():
    # The demo kiosk signs residents in with these cards: the identifiers must hash to
    # the identities portal/demo_data.py links to accounts.
    from kiosk.identity import identity_hash
    from portal.demo_data import DEMO_CARDS, DEMO_SALT

    linked = {identity_hash(DEMO_SALT, c.profile, c.identifier) for c in DEMO_CARDS}
    for name in EXPECTED:
        card = read(name)
        assert identity_hash(DEMO_SALT, card.profile, card.identifier) in linked, name


def test_unknown_card_is_not_supported():
    with pytest.raises(CardNotSupported):
        read("bank-card")


def test_expired_beid_is_flagged():
    card = read(beid_with(4, "31.12.2020"))

    assert card.expires == datetime.date(2020, 12, 31)
    assert card.expired


def test_expired_piv_is_flagged():
    chuid = load("piv-demo")["applications"][0]["data_objects"]["5FC102"]["ber"]
    chuid[2] = ["35", "20240229"]

    assert read(piv_with(chuid)).expired


def test_piv_without_guid_is_identified_by_its_fasc_n():
    chuid = load("piv-demo")["applications"][0]["data_objects"]["5FC102"]["ber"]
    chuid[1] = ["34", {"hex": "00" * 16}]

    assert read(piv_with(chuid)).identifier == PIV.extra["fasc_n"]


@pytest.mark.parametrize(
    ("chuid", "message"),
    [
        ([["34", {"hex": "3F2A8C1E5B7D4E9AA6C21D8F0B4E7A93"}]], "no expiration date"),
        ([["34", {"hex": "3F2A"}], ["35", "20301231"]], "GUID is not 16 bytes"),
        ([["35", "20301231"]], "neither a GUID nor a FASC-N"),
        ([["30", {"hex": "D4"}], ["35", "2030-12-31"]], "not YYYYMMDD"),
        ([["30", {"hex": "D4"}], ["35", "20301331"]], "not a real date"),
    ],
)
def test_incomplete_chuid_is_card_data_error(chuid, message):
    with pytest.raises(CardDataError, match=message):
        read(piv_with(chuid))


@pytest.mark.parametrize(
    ("tag", "value", "message"),
    [
        (6, "59212345678X", "national number is not all digits"),
        (6, "", "national number is empty"),
        (1, "٥٩١٧٦٥٤٣٢١٠٩", "card number is not all digits"),  # Arabic-Indic digits
        (4, "2033-03-14", "not a DD.MM.YYYY date"),
        (4, "31.02.2033", "not a real date"),
        (7, {"hex": "4272FB6C65"}, "last name is not valid UTF-8"),
    ],
)
def test_bad_beid_fields_are_card_data_errors_that_do_not_quote_the_card(tag, value, message):
    with pytest.raises(CardDataError, match=message) as error:
        read(beid_with(tag, value))

    if isinstance(value, str) and value:
        assert value not in str(error.value)


def test_beid_missing_field_is_card_data_error():
    profile = load("beid-maria")
    fields = profile["files"]["3F00 DF01 4031"]["belpic"]
    profile["files"]["3F00 DF01 4031"]["belpic"] = [f for f in fields if f[0] != 6]

    with pytest.raises(CardDataError, match=r"lacks the national number \(tag 6\)"):
        read(profile)


def test_beid_without_address_file_names_the_failing_command():
    profile = load("beid-maria")
    del profile["files"]["3F00 DF01 4033"]

    with pytest.raises(ApduError, match="SELECT by path failed: 6A82"):
        read(profile)


@pytest.mark.parametrize("name", ["beid-maria", "piv-demo"])
def test_truncated_file_is_card_data_error(name):
    with pytest.raises(CardDataError, match="truncated"):
        read(name, truncate=3)


def test_national_number_and_card_number_never_reach_logs_or_reprs(caplog):
    caplog.set_level(logging.DEBUG)
    card = read("beid-maria")

    text = caplog.text + repr(card) + str(card) + repr(card.extra)
    for secret in ("92051212329", "591765432109", "Saint-Julien"):
        assert secret not in text
    assert "APDU" in caplog.text  # the APDU layer did log, headers only


def test_only_the_needed_beid_fields_are_kept():
    card = read("beid-maria")

    kept = " ".join([card.identifier, card.display_name, *card.extra.values()])
    for dropped in ("Santiago", "12 MEI 1992", "Belg", "Sint-Pieters-Woluwe"):
        assert dropped not in kept


@settings(database=None, max_examples=300)
@given(st.data())
def test_read_card_raises_only_card_errors_whatever_the_card_answers(data):
    """A card answering at random: read_card returns CardData or raises a CardError."""

    def transmit(apdu):
        sw = data.draw(st.sampled_from([0x9000, 0x9000, 0x6A82, 0x6B00, 0x61_08, 0x6C_04]))
        return data.draw(st.binary(max_size=40)), sw >> 8, sw & 0xFF

    try:
        card = read_card(transmit)
    except CardError:
        return
    assert card.profile in ("beid", "piv", "uid")


@settings(database=None, max_examples=200)
@given(st.integers(0, 271), st.binary(min_size=1, max_size=3))
def test_corrupted_beid_file_raises_only_card_errors(position, garbage):
    profile = load("beid-maria")
    channel = ApduChannel(VirtualCard.from_profile(profile).transmit)
    channel.select_path(BELPIC_IDENTITY_FILE)
    identity = channel.read_binary()
    corrupted = identity[:position] + garbage + identity[position + len(garbage) :]
    profile["files"]["3F00 DF01 4031"] = {"hex": corrupted.hex()}

    with contextlib.suppress(CardError):
        read(profile)

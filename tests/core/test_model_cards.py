"""Card events in the Kivy-free model: sign-in, notices, removal ends the visit."""

import datetime

import pytest

from drivers.card.interface import CardData, CardRead, CardRemoved, ReadFailed
from kiosk.config import load_config
from kiosk.identity import identity_hash
from kiosk.model import ATTRACT, HOME, KioskModel
from kiosk.portal_client import PortalUnavailable

READER = "Test Reader 0"


class Residents:
    """Answers the resident look-up like the portal would (the real one is used by
    tests/core/test_portal_client.py and the UI tests)."""

    def __init__(self, known=None, error=None):
        self.known, self.error, self.asked = known or {}, error, []

    def catalogue(self):
        raise PortalUnavailable("not needed here")

    def resident(self, profile, id_hash):
        self.asked.append((profile, id_hash))
        if self.error:
            raise self.error
        return self.known.get(id_hash)


def make_model(clock, portal):
    return KioskModel(load_config(None, demo=True), portal=portal, clock=clock)


CARD = CardData("beid", "92051212329", "JAN PEETERS", datetime.date(2031, 1, 1))
HASH = identity_hash("demo-salt", "beid", "92051212329")


def test_a_read_card_signs_in_with_a_hash_and_the_portals_name(clock):
    portal = Residents({HASH: {"account": "100300", "display_name": "Jan Peeters"}})
    model = make_model(clock, portal)

    model.card_event(CardRead(READER, CARD))

    assert model.screen == HOME and model.session.active
    assert portal.asked == [("beid", HASH)]  # never the raw identifier
    assert model.session.identity.id_hash == HASH
    assert model.welcome_text() == "Welcome, Jan Peeters."
    assert "Welcome, Jan Peeters." in model.describe()
    model.card_event(CardRemoved(READER))
    assert model.screen == ATTRACT and model.session.identity is None


@pytest.mark.parametrize(
    ("portal", "notice"),
    [
        (Residents(), "No city account is linked to this card."),
        (Residents(error=PortalUnavailable("down")), "We cannot look up your account"),
    ],
)
def test_unknown_or_unreachable_accounts_still_sign_in(clock, portal, notice):
    model = make_model(clock, portal)
    model.card_event(CardRead(READER, CARD))

    assert model.welcome_text() == "Welcome. Your card has been read."
    assert model.card_notice_text().startswith(notice)


def test_an_expired_card_is_flagged(clock):
    model = make_model(clock, Residents({HASH: {"account": "1", "display_name": "Jan"}}))
    model.card_event(
        CardRead(READER, CardData("beid", "92051212329", "J", datetime.date(2020, 1, 1)))
    )

    assert model.session.identity.expired
    assert (
        model.card_notice_text() == "This card has expired. Some services may ask for a valid card."
    )


def test_an_unsupported_card_explains_itself_and_its_removal_ends_nothing(clock):
    model = make_model(clock, Residents())
    model.start_session()
    model.set_search("water")
    model.card_event(ReadFailed(READER, "unsupported_card"))

    assert model.card_notice_text().startswith("This card is not supported here.")
    model.card_event(CardRemoved(READER))
    assert model.session.active and model.search_query == "water"


def test_a_late_answer_for_a_removed_card_is_ignored(clock):
    answers = []
    model = KioskModel(
        load_config(None, demo=True),
        portal=Residents({HASH: {"account": "1", "display_name": "Jan"}}),
        clock=clock,
        background=lambda work, done: answers.append((work, done)),
    )
    model.card_event(CardRead(READER, CARD))
    model.card_event(CardRemoved(READER))
    work, done = answers[-1]
    done(work(), None)  # the portal answers after the resident left

    assert model.session.identity is None and model.welcome_text() == ""

"""The tour's part for "Track a request" (see screens/tour_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

from kiosk.flows.track import TRACK_MINE
from screens.tour_support import until

DEMO_REQUEST = "LF-000001"  # portal/tracking_demo.py gives it a history with notes


def tour_track(model) -> Iterator[str]:
    language = model.language
    flow = model.flows["track"]
    model.open_service("track_request")
    flow.type_reference(DEMO_REQUEST)
    yield f"{language}-20a-track"
    flow.check()
    yield from until(lambda: flow.state != "checking")
    yield f"{language}-20b-track-result"
    flow.back()
    # What a scanner types from a QR code that is not on one of our receipts.
    flow.type_reference("https://example.com/track/K-7QPM-3XW2")
    flow.check()
    yield f"{language}-20c-track-foreign"
    model.cancel_service()
    yield from _my_requests(model, flow)


def _my_requests(model, flow) -> Iterator[str]:
    """Maria Lopez's card: her reports, and what she paid in this tour."""
    language = model.language
    cards = [label for label, _insert in model.demo_cards]
    maria = next((i for i, label in enumerate(cards) if label.startswith("Maria Lopez")), None)
    if maria is None:
        return
    model.demo_insert_card(maria)
    yield from until(lambda: model.session.identity is not None)
    yield from until(lambda: bool(model.session.identity and model.session.identity.display_name))
    model.open_service("track_request")
    flow.show_mine()
    yield from until(lambda: flow.mine_state != "checking")
    yield f"{language}-20d-track-mine"
    if model.screen == TRACK_MINE and flow.mine:
        flow.choose(0)
        yield f"{language}-20e-track-mine-result"
    # Taking the card out ends the visit; the tour goes on in the same language.
    model.demo_remove_card()
    yield from until(lambda: model.session.identity is None)
    model.choose_language_and_start(language)

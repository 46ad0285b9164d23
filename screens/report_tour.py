"""The tour's part for "Report a problem" (see screens/tour_support.py): every step,
with errors beside their fields, the keypad and the keyboard, and the confirmation."""

from __future__ import annotations

from collections.abc import Iterator

from kivy.app import App

from kiosk.flows.report import (
    REPORT_DESCRIPTION,
    REPORT_DETAILS,
    REPORT_LOCATION,
    REPORT_REVIEW,
)
from kiosk.forms import OTHER_DAY, WhenAnswer
from screens.tour_support import until


def tour_report(model) -> Iterator[str]:
    language = model.language
    flow = model.flows["report"]
    model.open_service("report_problem")
    yield from until(lambda: flow.services_state != "loading")
    yield f"{language}-10a-report-services"
    if not flow.groups():
        model.cancel_service()
        return
    flow.choose_group("streetlight")
    yield f"{language}-10b-report-services-group"
    flow.choose_service("streetlight")
    yield from until(lambda: flow.definition_state != "loading")
    flow.next()  # nothing answered yet: each required question says so
    yield f"{language}-10c-report-details"
    if model.screen != REPORT_DETAILS or flow.form() is None:
        model.cancel_service()
        return
    flow.answer("problem", "out")
    flow.answer("noticed_at", WhenAnswer(OTHER_DAY, "2026112", ""))
    _type_in(REPORT_DETAILS, "field:noticed_at:date")
    yield f"{language}-10d-report-details-keypad"
    flow.answer("noticed_at", WhenAnswer(OTHER_DAY, "20261120", "2130"))
    _hide_keyboard(REPORT_DETAILS)
    flow.next()
    flow.type_address("elm")
    App.get_running_app().screen(REPORT_LOCATION).ids.address.focus = True  # a tap on it
    yield f"{language}-10e-report-location"
    flow.search_addresses()
    yield from until(lambda: flow.address_state != "searching")
    yield f"{language}-10f-report-location-found"
    flow.choose_near_kiosk()
    if model.screen != REPORT_DESCRIPTION:
        model.cancel_service()
        return
    flow.note("description", "The light by the bus stop is out")
    _type_in(REPORT_DESCRIPTION, "field:description")
    yield f"{language}-10g-report-description"
    _hide_keyboard(REPORT_DESCRIPTION)
    flow.note("contact", "not an address")
    flow.next()
    yield f"{language}-10h-report-description-errors"
    flow.note("contact", "resident@example.org")
    flow.next()
    yield f"{language}-10i-report-review"
    if model.screen == REPORT_REVIEW:
        flow.send()
        yield from until(lambda: model.receipt_state != "printing")
        yield f"{language}-10j-report-confirmation"
    model.go_home()


def _type_in(screen: str, action: str) -> None:
    """What a tap on the field does: the keyboard it needs comes up."""
    form = App.get_running_app().screen(screen).ids.form
    field = next(w for w in form.walk(restrict=True) if getattr(w, "action", "") == action)
    field.focus = True


def _hide_keyboard(screen: str) -> None:
    App.get_running_app().screen(screen).ids.form.hide_keyboard()

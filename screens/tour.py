"""``main.py --tour DIR``: visit every screen in every language, one PNG each.

The tour drives the real app through model intents, exactly as taps would, and
waits a few frames before each screenshot so the picture shows the new state.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window

from drivers.printer.interface import PrinterStatus
from screens.account_tour import tour_account
from screens.help_tour import tour_help
from screens.layout_check import inspect_layout
from screens.news_tour import tour_news, tour_survey_after_service
from screens.pay_tour import tour_pay_bill
from screens.permits_tour import tour_permits
from screens.records_tour import tour_records
from screens.report_tour import tour_report
from screens.tour_support import until as _until
from screens.track_tour import tour_track

log = logging.getLogger(__name__)
FRAMES_BEFORE_SHOT = 3
# Each resident service's part of the tour (see screens/tour_support.py), in order.
FLOW_TOURS: list = []
FLOW_TOURS.append(tour_survey_after_service)  # first: the paid bill's offer
FLOW_TOURS.append(tour_report)
FLOW_TOURS.append(tour_permits)
FLOW_TOURS.append(tour_track)
FLOW_TOURS.append(tour_account)
FLOW_TOURS.append(tour_news)
FLOW_TOURS.append(tour_records)
FLOW_TOURS.append(tour_help)


def tour_steps(app) -> Iterator[str]:
    """Yields a picture name whenever the screen is ready to be photographed."""
    model = app.model
    home = app.screen("home")
    for language in model.languages:
        model.end_session("tour")
        model.translator.set_language(language)
        model.session.preferences.language = language
        model._changed("language")
        yield f"{language}-01-attract"
        model.choose_language_and_start(language)
        yield f"{language}-02-home"
        home.keyboard_shown = True
        model.set_search("bill" if language == "en" else "factura")
        yield f"{language}-03-home-search"
        model.set_search("")
        home.keyboard_shown = False
        # Every service has its screens; a paid one refused up front (the queue is full,
        # nothing is charged) is what shows the "not available" screen.
        outbox, usual = model.outbox, model.outbox.max_unsent
        outbox.max_unsent = 0
        model.open_service("pay_bill")
        outbox.max_unsent = usual
        yield f"{language}-04-coming-soon"
        yield from tour_pay_bill(model)
        for flow_tour in FLOW_TOURS:
            model.go_home()
            yield from flow_tour(model)
        model.open_help()
        yield f"{language}-05-help"
        model.go_home()
        model.open_service("survey")
        model.answer_survey("ease", "easy")
        yield f"{language}-05a-survey"
        model.submit_survey()
        yield from _until(lambda: model.receipt_state != "printing")
        yield f"{language}-05b-confirmation"
        if model.demo_set_printer_status is not None:
            model.demo_set_printer_status(PrinterStatus.PAPER_OUT)
            yield from _until(lambda: model.printer_status == PrinterStatus.PAPER_OUT)
            model.go_home()
            model.open_service("pay_bill")
            yield f"{language}-05c-receipt-choice"
            model.choose_receipt_by_contact()
            model.submit_receipt_contact("not an address")
            yield f"{language}-05d-receipt-contact"
            model.demo_set_printer_status(PrinterStatus.OK)
            yield from _until(lambda: model.printer_status == PrinterStatus.OK)
            model.session.remember("receipt.delivery", "paper")
        model.go_home()
        model.session._last_activity -= model.session.seconds_left() - 25
        model.tick()
        yield f"{language}-06-timeout-warning"
        model.more_time()
        model.toggle_large_text()
        model.toggle_high_contrast()
        yield f"{language}-07-home-large-high-contrast"
    model.end_session("tour")


def run_tour(app, out_dir: Path, on_done) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = tour_steps(app)
    written: list[Path] = []
    layouts: dict[str, dict] = {}

    def next_step(_dt=None) -> None:
        try:
            name = next(steps)
        except StopIteration:
            # What each picture's layout check found: read by tests/ui/test_tour.py.
            (out_dir / "layout.json").write_text(json.dumps(layouts, indent=1), "utf-8")
            on_done(written)
            return
        if not name:
            Clock.schedule_once(next_step, 0.01)
            return
        wait_then_shoot(name, FRAMES_BEFORE_SHOT)

    def wait_then_shoot(name: str, frames: int) -> None:
        if frames:
            Clock.schedule_once(lambda _dt: wait_then_shoot(name, frames - 1), 0)
            return
        target = out_dir / f"{name}.png"
        # Kivy appends a counter to the name; rename to the stable one.
        produced = Window.screenshot(name=str(out_dir / f".{name}.png"))
        os.replace(produced, target)
        written.append(target)
        layouts[name] = inspect_layout().as_dict()
        log.info("tour: wrote %s", target)
        next_step()

    next_step()

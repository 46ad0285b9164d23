"""The offline journey of issue 7: with the city's portal down, a resident pays a bill
and reports a problem; both receipts say "queued"; the portal comes back and each
arrives exactly once. All by taps on the real app, the real ZVT driver and simulator,
the real sync worker and the reference portal on loopback."""

from __future__ import annotations

import uuid

import pytest
from portal_outage import portal_down
from test_payments_ui import (
    PAYMENT_WAIT_S,
    add_bill,
    add_to_basket,
    allocations,
    find_by_scan,
    open_pay_bill,
    terminal_charges,
    wait_for_screen,
)
from test_report_ui import choose, open_report, requests_described, type_on_keys

from kiosk.i18n import Translator
from kiosk.receipts import build_print_job

pytestmark = pytest.mark.long_running  # see tests/conftest.py

QUEUED = "Queued: it will be sent when the connection returns."
ARRIVED = "It has reached the city."


def printed_text(kiosk, reference: str) -> str:
    """The receipt of ``reference`` as the printer would print it, lines joined (long
    lines are wrapped at the paper's width)."""
    jobs = kiosk.model.print_jobs
    (job,) = jobs.for_reference(reference)
    document = build_print_job(jobs.document(job.id), lambda language: Translator(language).gettext)
    return " ".join(line.text for line in document.lines)


def outbox_state(kiosk, item) -> str:
    found = kiosk.model.outbox.find(item.idempotency_key)
    assert found is not None, item
    return found.state


def test_pay_and_report_offline_then_both_arrive_exactly_once(kiosk):
    marker = f"journey {uuid.uuid4().hex[:8]}"
    bill = add_bill(kiosk, 4_200)
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    # Seen while online, as on any morning: the report's services and the bill.
    open_report(kiosk)
    choose(kiosk, "pothole", "pothole")
    kiosk.tap_action("cancel")
    open_pay_bill(kiosk)
    find_by_scan(kiosk, bill)
    add_to_basket(kiosk, bill["id"])

    with portal_down(kiosk):
        kiosk.tap_action("checkout")
        wait_for_screen(kiosk, "pay_confirm", "the offline payment to be allowed")
        kiosk.tap_action("pay_with_card")
        wait_for_screen(kiosk, "confirmation", "the payment on the terminal")
        kiosk.wait_until(lambda: QUEUED in kiosk.texts(), "the queued payment", PAYMENT_WAIT_S)
        payment = kiosk.model.last_submission
        paid = payment.reference
        assert QUEUED in printed_text(kiosk, paid)
        assert terminal_charges(kiosk, 4_200) == 1

        kiosk.tap_action("back")
        open_report(kiosk)
        choose(kiosk, "pothole", "pothole")
        kiosk.tap_action("choice:size:large")
        kiosk.tap_action("next")
        kiosk.tap_action("near_kiosk")
        kiosk.tap_action("field:description")
        type_on_keys(kiosk, marker)
        kiosk.tap_action("next")
        kiosk.tap_action("send_report")
        kiosk.wait_until(lambda: QUEUED in kiosk.texts(), "the queued report", PAYMENT_WAIT_S)
        report = kiosk.model.last_submission
        reported = report.reference
        assert QUEUED in printed_text(kiosk, reported)
        assert outbox_state(kiosk, payment) == outbox_state(kiosk, report) == "pending"

    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "the report's delivery", PAYMENT_WAIT_S)
    kiosk.wait_until(lambda: outbox_state(kiosk, payment) == "sent", "the payment's delivery", 30)
    # Once more for good measure: a second wake must not send anything twice.
    kiosk.runtime.sync.wake()
    kiosk.pump(10)
    assert [(ref, total) for ref, total, _line in allocations(kiosk, bill["id"])] == [(paid, 4_200)]
    assert len(requests_described(kiosk, marker)) == 1
    assert terminal_charges(kiosk, 4_200) == 1

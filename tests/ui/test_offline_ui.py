"""Offline, as a resident sees it: the connection strip, and a submission that waits."""

from __future__ import annotations

from offline.alerts import DATABASE_QUARANTINED
from portal.server import start_portal

QUEUED = "Queued: it will be sent when the connection returns."
ARRIVED = "It has reached the city."


def connection_strip(kiosk) -> str:
    return kiosk.app.root_widget.ids.connection.text


def answer_survey(kiosk) -> None:
    kiosk.tap_action("start")
    kiosk.tap_action("service:survey")
    assert kiosk.screen == "survey"
    kiosk.tap_action("answer:ease:easy")
    kiosk.tap_action("answer:found_service:yes")


def test_a_survey_sent_while_online_reaches_the_portal(kiosk):
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    assert "Online" in connection_strip(kiosk)
    answer_survey(kiosk)
    kiosk.tap_action("send_survey")

    assert kiosk.screen == "confirmation"
    reference = kiosk.model.last_submission.reference
    assert f"Your reference: {reference}" in kiosk.texts()
    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "delivery to be confirmed")
    store = kiosk.runtime.demo_portal.store
    rows = store.query("SELECT answers FROM survey_responses")
    assert any('"ease": "easy"' in row["answers"] for row in rows)


def test_offline_submission_is_queued_then_delivered_when_the_portal_returns(kiosk):
    runtime = kiosk.runtime
    portal = runtime.demo_portal
    port = int(portal.url.rsplit(":", 1)[1])
    kiosk.wait_until(lambda: kiosk.app.online, "the kiosk to see the portal")
    portal.stop()  # the library's network goes down
    try:
        answer_survey(kiosk)
        kiosk.tap_action("send_survey")

        kiosk.wait_until(lambda: QUEUED in kiosk.texts(), "the queued confirmation", 20)
        reference = kiosk.model.last_submission.reference
        assert f"Your reference: {reference}" in kiosk.texts()
        assert connection_strip(kiosk).startswith("Offline:")
        # Language switch keeps the confirmation, in the resident's words.
        kiosk.tap_action("language:es")
        assert "En cola: se enviará cuando vuelva la conexión." in kiosk.texts()
        kiosk.tap_action("language:en")
    finally:
        back = start_portal(
            portal.db_path, port=port, seed_demo=False, token=portal.token, device_id="demo-kiosk"
        )
        runtime.demo_portal = back
        runtime.closers.insert(0, back.stop)
    runtime.sync.wake()
    kiosk.wait_until(lambda: ARRIVED in kiosk.texts(), "delivery after reconnecting", 30)
    assert connection_strip(kiosk) == "Online"
    rows = back.store.query("SELECT kiosk_reference, answers FROM survey_responses")
    assert any('"found_service": "yes"' in row["answers"] for row in rows)


def test_payments_are_refused_up_front_when_the_database_was_quarantined(kiosk):
    alerts = kiosk.runtime.model.alerts
    alerts.raise_alert(DATABASE_QUARANTINED, "test: moved to kiosk.db.corrupt-x")
    try:
        kiosk.tap_action("start")
        kiosk.tap_action("service:pay_bill")
        assert kiosk.screen == "coming_soon"
        texts = " ".join(kiosk.texts())
        assert "Not available right now" in texts
        assert "Payments are switched off at this kiosk" in texts
        kiosk.tap_action("back")
        kiosk.tap_action("service:survey")  # information services keep working
        assert kiosk.screen == "survey"
    finally:
        alerts.acknowledge(DATABASE_QUARANTINED)


def test_payments_are_refused_when_the_queue_is_full(kiosk):
    outbox = kiosk.runtime.model.outbox
    limit = outbox.max_unsent
    outbox.max_unsent = 0
    try:
        kiosk.tap_action("start")
        kiosk.tap_action("service:pay_bill")
        assert "No money has been taken." in " ".join(kiosk.texts())
    finally:
        outbox.max_unsent = limit
    kiosk.tap_action("back")
    kiosk.tap_action("service:pay_bill")
    assert kiosk.screen == "pay_bill"

"""Submissions: the survey, queueing what residents send, and what they are told.

A mixin of :class:`kiosk.model.KioskModel` (see kiosk/card_sign_in.py for why).

After a completed service the confirmation offers the short survey, once a visit:
optional, skippable, and queued offline like everything else. Its answers name the
service they follow, never the submission's reference, so they stay anonymous; they
need no receipt and no confirmation of their own, so the resident goes back to the
service's confirmation, with its reference still on screen.
"""

from __future__ import annotations

import logging

from kiosk.i18n import N_
from kiosk.open311_client import SERVICE_REQUEST_KIND
from kiosk.survey import SURVEY_KIND, SurveyForm

log = logging.getLogger(__name__)

CONFIRMATION = "confirmation"
SURVEY_SCREEN = "survey"


class Submissions:
    def payment_refusal(self) -> str | None:
        """Why no payment may start now (an untranslated message), or None."""
        if self.alerts is not None and self.alerts.payments_blocked():
            return PAYMENTS_OFF_TEXT
        if self.outbox is not None and self.outbox.capacity_problem():
            return STORAGE_FULL_TEXT
        return None

    def _remembered_survey(self) -> SurveyForm:
        return SurveyForm(dict(self.session.recall("survey.answers", {})))

    def answer_survey(self, question_id: str, choice: str) -> None:
        self.survey.answer(question_id, choice)
        self.session.remember("survey.answers", dict(self.survey.answers))
        self.session.record_activity()
        self._changed("survey")

    # -- the survey offered after a service --

    def _offer_survey(self) -> None:
        service = self.selected_service.id if self.selected_service else None
        self.session.remember("survey.thanked", False)
        offer = service if service and service != "survey" else None
        if self.session.recall("survey.asked"):
            offer = None  # once a visit: answered or skipped already
        self.session.remember("survey.offer", offer)

    def survey_offer(self) -> str | None:
        """The service the confirmation on screen offers a survey about, or None."""
        return self.session.recall("survey.offer")

    def survey_follows(self) -> str | None:
        """The service the survey being answered is about; None for the catalogue's."""
        return self.session.recall("survey.follows")

    def survey_offer_text(self) -> str:
        if self.session.recall("survey.thanked"):
            return self._("Thank you for your answers.")
        if self.survey_offer():
            return self._("Would you tell us how it went? Two short questions, if you like.")
        return ""

    def start_offered_survey(self) -> None:
        service = self.survey_offer()
        if service is None:
            return
        self.survey = SurveyForm()
        self.session.remember("survey.answers", {})
        self.session.remember("survey.follows", service)
        self._go(SURVEY_SCREEN)

    def skip_survey(self) -> None:
        """Leave the survey unanswered: back to the service's confirmation, not asked
        again this visit; for the catalogue's survey, back to the services."""
        if self.survey_follows() is None:
            self.go_home()
            return
        self._end_offered_survey(thanked=False)

    def _end_offered_survey(self, *, thanked: bool) -> None:
        self.survey = SurveyForm()
        self.session.remember("survey.answers", {})
        self.session.remember("survey.follows", None)
        self.session.remember("survey.offer", None)
        self.session.remember("survey.asked", True)
        self.session.remember("survey.thanked", thanked)
        self._go(CONFIRMATION)

    def submit_survey(self) -> None:
        service = self.survey_follows()
        if service is not None:
            if not self.survey.can_submit or self.outbox is None:
                return
            payload = self.survey.payload(self.language, service_id=service)
            item = self.queue_without_receipt(SURVEY_KIND, payload)
            log.info("queued survey answers after %s as %s", service, item.reference)
            self._end_offered_survey(thanked=True)
            return
        if self.survey.can_submit:
            self.submit(
                SURVEY_KIND,
                self.survey.payload(self.language),
                receipt={"service": self._("Survey answers")},
            )
            self.survey = SurveyForm()
            self.session.remember("survey.answers", {})

    def submit(
        self,
        kind: str,
        payload: dict,
        *,
        order_key: str | None = None,
        receipt: dict,
        reference: str | None = None,
        delivery: str | None = None,
    ):
        """Queue a resident's submission durably, then show its confirmation.

        It is on disk, with its receipt job, before the confirmation appears; delivery
        happens in the background, now if the portal answers, or when the connection
        returns. ``receipt``: what the receipt says about it (``service`` title, and
        optional ``details``, ``bills``, ``terminal_lines``). ``reference``: one made
        beforehand (offline.outbox.new_reference), for a payload that carries it.
        ``delivery``: how the receipt goes, when the service and not the resident decides.
        """
        if self.outbox is None:
            raise RuntimeError("this kiosk has no outbox")
        with self.outbox.transaction():
            item = self.outbox.enqueue(kind, payload, order_key=order_key, reference=reference)
            self._queue_receipt(item, receipt, delivery)
        log.info("queued %s as %s", kind, item.reference)
        self._confirm(item)
        return item

    def queue_without_receipt(
        self,
        kind: str,
        payload: dict,
        *,
        order_key: str | None = None,
        reference: str | None = None,
    ):
        """Queue an item durably and send it, with no receipt and no confirmation of its
        own (a call for help, survey answers, an application whose fee is paid next)."""
        if self.outbox is None:
            raise RuntimeError("this kiosk has no outbox")
        with self.outbox.transaction():
            item = self.outbox.enqueue(kind, payload, order_key=order_key, reference=reference)
        self._send_now()
        return item

    def _send_now(self) -> None:
        if self.sync is not None:
            self.sync.wake()

    def _confirm(self, item) -> None:
        """Show the confirmation of ``item`` (committed, with its receipt) and send it."""
        self.last_submission = item
        self.submission_state = "pending"
        self._send_now()
        self._offer_survey()
        self._go(CONFIRMATION)
        self._receipt_queued()

    def sync_status_changed(self, status) -> None:
        """From the sync worker (on the UI thread): connection and queue changed."""
        self.online = status.online
        self.queued_count = status.pending
        self._changed("online")
        if self.last_submission is not None and self.outbox is not None:
            found = self.outbox.find(self.last_submission.idempotency_key)
            state = found.state if found else self.submission_state
            if state != self.submission_state:
                self.submission_state = state
                self._changed("submission")

    def connection_text(self) -> str:
        _ = self._
        if self.online is None:
            return _("Connecting to the city's service…")
        if self.online:
            return _("Online")
        return _("Offline: what you send is saved and sent when the connection returns.")

    def confirmation_lines(self) -> tuple[str, str, str]:
        """Heading, what happened to the submission, and its reference."""
        _ = self._
        item = self.last_submission
        if item is None:
            return ("", "", "")
        if self.submission_state == "sent":
            status = _("It has reached the city.")
        elif self.submission_state in ("needs_attention", "conflict"):
            status = _("The city could not accept it yet. Staff will follow it up.")
        elif self.online:
            status = _("Sending it to the city now…")
        else:
            status = _("Queued: it will be sent when the connection returns.")
        reference = _("Your reference: {reference}").format(reference=item.reference)
        found = self.outbox.find(item.idempotency_key) if self.submission_state == "sent" else None
        if found is not None and found.kind == SERVICE_REQUEST_KIND and found.portal_reference:
            # A report the city has: its own number for it too (a request id or token).
            number = found.portal_reference
            reference += "\n" + _("City request number: {number}").format(number=number)
        # A flow's own number for what a payment paid for (a permit application's).
        number = self.session.recall(f"confirmation.number.{item.idempotency_key}")
        if number:
            reference += "\n" + _("Application number: {number}").format(number=number)
        # A payment says how much was paid, and what became of the money if refused.
        heading, status = self.paid_confirmation(_("Thank you. We have saved it."), status)
        return (heading, status, reference)


PAYMENTS_OFF_TEXT = N_(
    "Payments are switched off at this kiosk until staff have checked it. "
    "You can still use the other services."
)
STORAGE_FULL_TEXT = N_(
    "This kiosk cannot take payments right now because its storage is full. "
    "No money has been taken. You can still use the other services."
)
NO_PAYMENTS_TEXT = N_(
    "This kiosk cannot take card payments. You can pay on the city's website, or at the front desk."
)

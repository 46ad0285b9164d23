"""Submissions: the survey, queueing what residents send, and what they are told.

A mixin of :class:`kiosk.model.KioskModel` (see kiosk/card_sign_in.py for why).
"""

from __future__ import annotations

import logging

from kiosk.i18n import N_
from kiosk.survey import SURVEY_KIND, SurveyForm

log = logging.getLogger(__name__)

CONFIRMATION = "confirmation"


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

    def submit_survey(self) -> None:
        if self.survey.can_submit:
            self.submit(
                SURVEY_KIND,
                self.survey.payload(self.language),
                receipt={"service": self._("Survey answers")},
            )
            self.survey = SurveyForm()
            self.session.remember("survey.answers", {})

    def submit(self, kind: str, payload: dict, *, order_key: str | None = None, receipt: dict):
        """Queue a resident's submission durably, then show its confirmation.

        It is on disk, with its receipt job, before the confirmation appears; delivery
        happens in the background, now if the portal answers, or when the connection
        returns. ``receipt``: what the receipt says about it (``service`` title, and
        optional ``details``, ``bills``, ``terminal_lines``).
        """
        if self.outbox is None:
            raise RuntimeError("this kiosk has no outbox")
        with self.outbox.transaction():
            item = self.outbox.enqueue(kind, payload, order_key=order_key)
            self._queue_receipt(item, receipt)
        log.info("queued %s as %s", kind, item.reference)
        self._confirm(item)
        return item

    def _confirm(self, item) -> None:
        """Show the confirmation of ``item`` (committed, with its receipt) and send it."""
        self.last_submission = item
        self.submission_state = "pending"
        if self.sync is not None:
            self.sync.wake()
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
        return (_("Thank you. We have saved it."), status, reference)


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

"""Permits and licences: apply for one, or renew one the resident holds.

Steps: the city's forms (title, summary, fee) and, for a resident signed in by card,
"Renew" for each permit they hold; the form (kiosk/permit_forms.py, rendered by
screens/dynamic_form.py), whose required documents are a checklist to confirm; the
review (answers, documents to bring, fee); then send, or pay.

A renewal is filled in from the resident's permit and asks nothing twice: what the
city knows is shown on the review (each with Change), and only what is missing or no
longer valid is asked.

The application's number is its outbox reference, made beforehand, so the resident
reads it before the kiosk was ever online. A free application is queued through
``model.submit``. With a fee the application is queued first, on its own (the portal
keeps it ``awaiting_fee``), so it can never be lost once the card is charged; the fee
is then paid through the model's payment flow, as a ``permit_fee`` line named by the
number, delivered after the application (same order key). A payment that fails leaves
the application saved and unpaid: the review says so and offers to pay again, for the
same application, never a second one.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from kiosk.flows.base import Flow
from kiosk.flows.permit_loading import PermitLoading
from kiosk.flows.permit_texts import (
    OFFLINE_FEE_REFUSED,
    OFFLINE_NOTE,
    PERMIT_FORM,
    PERMIT_REVIEW,
    PERMITS,
    SAVED_NOTE,
    PermitTexts,
)
from kiosk.forms import FieldError, FormDefinition
from kiosk.i18n import N_
from kiosk.payment_flow import PAY_OUTCOME, OrderLine
from kiosk.permit_forms import PermitForm
from kiosk.submissions import NO_PAYMENTS_TEXT
from offline.outbox import new_reference

log = logging.getLogger(__name__)

PERMIT_APPLICATION_KIND = "permit_application"
PERMIT_FEE_KIND = "permit_fee"
SERVICE = N_("Permit application")
NO_OUTBOX = N_("This kiosk cannot send applications right now. Please ask staff.")


@dataclass(frozen=True)
class Renewal:
    permit_number: str
    form_id: str
    expires: str
    values: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class SavedApplication:
    """Queued, its fee not paid yet."""

    reference: str
    form: PermitForm  # its currency is the fee's
    answers: dict = field(repr=False)
    fee_cents: int
    offline: bool


class PermitsFlow(PermitLoading, PermitTexts, Flow):
    name = "permits"
    service_ids = ("permits",)
    screens = (PERMITS, PERMIT_FORM, PERMIT_REVIEW)

    def __init__(self, model):
        super().__init__(model)
        model.subscribe(self._on_topic)

    def reset(self) -> None:
        # Answers from the portal that arrive after this are for a visit that is over.
        self._visit = getattr(self, "_visit", 0) + 1
        self.forms: tuple[PermitForm, ...] = ()  # from the list: no fields yet
        self.forms_state = ""  # "" | loading | ready | error
        self.forms_cached_at: datetime.datetime | None = None  # shown from the cache
        self.permits: tuple[dict, ...] = ()  # the card holder's, from the portal
        self.renewals_state = ""  # "" | loading | ready | error
        self._renewals_for: str | None = None
        self.form_id: str | None = None
        self.renewal: Renewal | None = None
        self.form: PermitForm | None = None  # the chosen form, whole
        self.form_state = ""  # "" | loading | ready | error
        self.form_cached_at: datetime.datetime | None = None
        self.answers: dict[str, object] = {}
        self.locked: frozenset[str] = frozenset()  # filled in from the permit: not asked
        self.errors: dict[str, FieldError] = {}
        self.saved: SavedApplication | None = None
        self.payment_failed = False
        self.problem = ""  # untranslated: why it cannot be sent now
        order = getattr(self.model, "payment_order", None)
        if order is not None and order.flow is self:
            self.model.payment_order = None  # nobody pays for what was forgotten

    def open(self, service_id: str) -> None:
        if self.saved is not None:
            self.go(PERMIT_REVIEW)  # back to the application that waits for its fee
            return
        self.go(PERMITS)
        self._load_forms()
        self._load_renewals()

    def _on_topic(self, topic: str) -> None:
        model = self.model
        if topic == "identity" and model.screen == PERMITS:
            self._load_renewals()  # a card inserted here offers its renewals at once
            self.changed()

    def _not_paid(self) -> None:
        """Back to the application, saved and unpaid, with what happened to the payment
        and a way to pay again."""
        if self.saved is None:  # forgotten meanwhile: the payment's own screen explains
            self.go(PAY_OUTCOME)
            return
        self.payment_failed = True
        self.go(PERMIT_REVIEW)

    # Step 1: what to apply for -------------------------------------------------------

    def renewals(self) -> list[tuple[Renewal, PermitForm]]:
        listed = {form.form_id: form for form in self.forms if form.renewable}
        return [
            (Renewal(p["permit_number"], p["form_id"], p.get("expires") or "", p["values"]),
             listed[p["form_id"]])
            for p in self.permits
            if p["form_id"] in listed
        ]  # fmt: skip

    def choose_form(self, form_id: str) -> None:
        if self._listed(form_id) is None:
            raise KeyError(form_id)
        self._start(form_id, None)

    def choose_renewal(self, permit_number: str) -> None:
        found = next((r for r, _f in self.renewals() if r.permit_number == permit_number), None)
        if found is None:
            raise KeyError(permit_number)
        self._start(found.form_id, found)

    def _start(self, form_id: str, renewal: Renewal | None) -> None:
        if self.saved is not None:
            return  # an application waits for its fee: pay it or cancel first
        if (form_id, renewal) != (self.form_id, self.renewal):
            self.form_id, self.renewal = form_id, renewal
            self.form, self.form_state, self.form_cached_at = None, "", None
            self.answers, self.locked, self.errors = {}, frozenset(), {}
        self.problem = ""
        self.go(PERMIT_FORM)
        if self.form is None:
            self._load_form()

    def _listed(self, form_id: str | None) -> PermitForm | None:
        return next((form for form in self.forms if form.form_id == form_id), None)

    def _form_arrived(self, form_id: str, form: PermitForm, cached_at) -> None:
        if form_id != self.form_id:
            return
        self.form, self.form_cached_at, self.form_state = form, cached_at, "ready"
        if self.renewal is not None and not self.answers:
            self.answers = form.answers_from(self.renewal.values)
            answered = form.questions().answered(self.answers, self._now())
            self.locked = frozenset(field.code for field in answered)
        self.changed()
        if self.model.screen == PERMIT_FORM:
            self.say(self.describe(PERMIT_FORM))

    # Step 2: the form ----------------------------------------------------------------

    def screen_form(self) -> FormDefinition | None:
        """What the form screen asks, in the session's language."""
        if self.form is None:
            return None
        return self.form.to_answer(self.model.language, self._, skip=self.locked)

    def answer(self, code: str, value: object) -> None:
        form = self.screen_form()
        if form is None or self.saved is not None:
            return
        if form.answer_into(self.answers, self.errors, code, value):
            self.session.record_activity()
            self.changed()

    def next(self) -> None:
        form = self.screen_form()
        if self.model.screen != PERMIT_FORM or form is None:
            return
        self.errors = form.validate(self.answers, self._now())
        if self.errors:
            self.changed()
            self.say(self.errors_text())
            return
        self.go(PERMIT_REVIEW)

    def back(self) -> None:
        screen = self.model.screen
        if screen == PERMIT_FORM:
            self.errors = {}
            self.go(PERMITS)  # what was answered stays, if the same form is chosen again
        elif screen == PERMIT_REVIEW and self.saved is None:
            self.problem = ""
            self.go(PERMIT_FORM)

    def change(self, code: str) -> None:
        """From the review: answer this again (a value filled in from the permit too)."""
        if self.saved is None and self.form is not None:
            self.locked -= {code}
            self.errors, self.problem = {}, ""
            self.go(PERMIT_FORM)

    # Step 3: the review --------------------------------------------------------------

    def fee(self) -> int:
        return self.form.fee(self.renewal is not None) if self.form else 0

    def review_lines(self, now: datetime.datetime) -> list[tuple[str, str, str, bool]]:
        """(code, label, answer, filled in from the permit) of every answered field."""
        if self.form is None:
            return []
        language, answers = self.model.language, self.saved.answers if self.saved else self.answers
        return [
            (field.code, field.label_in(language),
             field.shown(answers[field.code], language, self._, now), field.code in self.locked)
            for field in self.form.questions().answered(answers, now)
        ]  # fmt: skip

    def submit(self) -> None:
        """Send application, or go to the payment of its fee."""
        if self.saved is not None:
            self._pay()
            return
        form, now = self.form, self._now()
        if form is None or self.model.screen != PERMIT_REVIEW:
            return
        everything = form.to_answer(self.model.language, self._)
        errors = everything.validate(self.answers, now)
        if errors:  # the form checked its part; a value kept from the permit may not do
            self.errors, self.locked = errors, self.locked - set(errors)
            self.go(PERMIT_FORM)
            return
        fee, outbox = self.fee(), self.model.outbox
        self.problem = NO_OUTBOX if outbox is None else (self._payment_refusal(fee) if fee else "")
        if self.problem:
            self.changed()
            self.say(self.review_banner_text())
            return
        reference = new_reference()
        payload = self._payload(form, reference, fee, now)
        order_key = f"{PERMIT_FEE_KIND}:{reference}"  # the fee's payment is delivered after it
        if not fee:
            receipt = {"service": self._(SERVICE), "details": self._receipt_details(reference)}
            self.model.submit(PERMIT_APPLICATION_KIND, payload, order_key=order_key,
                              receipt=receipt, reference=reference)  # fmt: skip
            self.reset()
            return
        self.model.queue_without_receipt(PERMIT_APPLICATION_KIND, payload, order_key=order_key,
                                         reference=reference)  # fmt: skip
        log.info("queued a permit application as %s; its fee is next", reference)
        self.saved = SavedApplication(reference, form, dict(self.answers), fee,
                                      self.form_cached_at is not None)  # fmt: skip
        self._pay()

    def _payment_refusal(self, fee: int) -> str:
        model = self.model
        if model.payment_desk is None:
            return NO_PAYMENTS_TEXT
        refusal = model.payment_refusal()
        if refusal:
            return refusal
        if self.form_cached_at is None:
            return ""
        # The fee comes from a copy kept offline: the city's limits on offline payments.
        limits = model.offline_limits()
        age = datetime.datetime.now(datetime.UTC) - self.form_cached_at
        if not limits.allowed or limits.too_old(age) or fee > limits.left_cents:
            return OFFLINE_FEE_REFUSED
        return ""

    def _payload(self, form: PermitForm, reference: str, fee: int, now) -> dict:
        identity = self.session.identity
        payload = {
            "form_id": form.form_id,
            "form_version": form.version,
            "reference": reference,
            "values": form.portal_values(self.answers, now),
            "documents": form.confirmed_documents(self.answers),
            "renewal_of": self.renewal.permit_number if self.renewal else None,
            "fee_cents": fee,
            "locale": self.model.language,
        }
        if identity is not None:
            # The holder renews; a new application is linked to the card's account too.
            payload |= {"profile": identity.profile, "id_hash": identity.id_hash}
        return payload

    def _receipt_details(self, reference: str) -> list[tuple[str, str]]:
        _, now = self._, self._now()
        language = self.model.language
        details = [(_("Application number"), reference)]
        details.append((_("Application"), self.form.title_in(language)))
        if self.renewal is not None:
            details.append((_("Renewal of"), self.renewal.permit_number))
        details += [(label, value) for _c, label, value, _p in self.review_lines(now)]
        details += [(_("Please bring"), document) for document in self.documents_to_bring()]
        return details

    # Step 4: the fee -----------------------------------------------------------------

    def _pay(self) -> None:
        saved = self.saved
        self.payment_failed, self.problem = False, ""
        line = OrderLine(PERMIT_FEE_KIND, saved.reference, saved.reference,
                         dict(saved.form.title), saved.fee_cents)  # fmt: skip
        self.model.start_order_payment(
            [line],
            self._paid,
            currency=saved.form.currency,
            service=SERVICE,
            on_back=lambda: self.go(PERMIT_REVIEW),
            on_not_paid=self._not_paid,
            flow=self,
            note=OFFLINE_NOTE if saved.offline else SAVED_NOTE,
            note_values={"number": saved.reference},
            offline=saved.offline,
        )

    def _paid(self, paid) -> list[tuple[str, str]]:
        """Charged (inside the receipt's transaction): the receipt's lines, and done."""
        saved = self.saved
        # The confirmation shows the payment's reference; the application's number too.
        self.session.remember(f"confirmation.number.{paid.item.idempotency_key}", saved.reference)
        self.answers = saved.answers
        details = self._receipt_details(saved.reference)
        self.reset()
        return details

    @staticmethod
    def _now() -> datetime.datetime:
        return datetime.datetime.now().astimezone()

"""What the permits flow shows and says: the list, the form's status, the review, speech.

A mixin of :class:`kiosk.flows.permits.PermitsFlow`, kept apart so each file stays about
one thing; every text is translated when asked for, so a language switch re-reads it.
"""

from __future__ import annotations

from kiosk.flows.public_content import long_date
from kiosk.i18n import N_, pick

PERMITS, PERMIT_FORM, PERMIT_REVIEW = "permits", "permit_form", "permit_review"


class PermitTexts:
    # -- the list --

    def fee_text(self, cents: int, currency: str | None = None) -> str:
        if not cents:
            return self._("No fee")
        return self._("Fee: {amount}").format(amount=self.model.money(cents, currency))

    def form_choices(self) -> list[tuple[str, str, str]]:
        """(form id, title, summary and fee) of every form, in the city's order."""
        language = self.model.language
        return [
            (
                form.form_id,
                form.title_in(language),
                " ".join(
                    part
                    for part in (
                        pick(dict(form.summary), language),
                        self.fee_text(form.fee_cents, form.currency),
                    )
                    if part
                ),
            )
            for form in self.forms
        ]

    def renewal_choices(self) -> list[tuple[str, str, str]]:
        """(permit number, "Renew: title", number, expiry and fee) of each permit the
        resident may renew here."""
        _, language = self._, self.model.language
        choices = []
        for renewal, form in self.renewals():
            expires = long_date(renewal.expires, language)
            detail = [renewal.permit_number]
            if expires:
                detail.append(_("Valid until {date}").format(date=expires))
            detail.append(self.fee_text(form.renewal_fee_cents, form.currency))
            title = _("Renew: {title}").format(title=form.title_in(language))
            choices.append((renewal.permit_number, title, " · ".join(detail)))
        return choices

    def list_status_text(self) -> str:
        _ = self._
        if self.forms_state == "loading":
            return _("Loading the forms…")
        if self.forms_state == "error":
            return _(FORMS_UNAVAILABLE)
        parts = [_("Choose what to apply for.")]
        if self.forms_cached_at is not None:
            parts.insert(0, _(FORMS_FROM_CACHE))
        identity = self.session.identity
        if identity is None:
            parts.append(_("To renew a permit you have, insert your ID card."))
        elif self.renewals_state == "loading":
            parts.append(_("Looking for your permits…"))
        elif self.renewals_state == "error":
            parts.append(_("We cannot look up your permits right now. You can still apply."))
        elif self.renewals():
            parts.append(_("You can renew a permit you have."))
        return " ".join(parts)

    # -- the form --

    def heading_text(self) -> str:
        form = self.form or self._listed(self.form_id)
        title = form.title_in(self.model.language) if form else ""
        if self.renewal is not None and title:
            return self._("Renew: {title}").format(title=title)
        return title

    def form_status_text(self) -> str:
        _ = self._
        if self.form is None:
            if self.form_state == "error":
                return _(FORM_UNAVAILABLE)
            return _("Loading the form…")
        parts = []
        if self.renewal is not None:
            parts.append(
                _("Renewing {number}. We filled in what the city knows about it.").format(
                    number=self.renewal.permit_number
                )
            )
            if not self.screen_form().questions:
                parts.append(_("There is nothing more to answer. Touch Next to check it."))
        parts.append(_("Questions marked * are required."))
        return " ".join(parts)

    def errors_text(self) -> str:
        form = self.screen_form()
        if form is None or not self.errors:
            return ""
        language, _ = self.model.language, self._
        parts = [_("Please check the answers marked.")]
        for field in form.questions:
            if field.code in self.errors:
                parts.append(f"{field.label_in(language)}: {self.errors[field.code].text(_)}")
        return " ".join(parts)

    # -- the review --

    def documents_to_bring(self) -> list[str]:
        if self.form is None:
            return []
        language = self.model.language
        return [document.label_in(language) for document in self.form.documents]

    def review_fee_text(self) -> str:
        if self.form is None:
            return ""
        return self.fee_text(self.fee(), self.form.currency)

    def review_heading_text(self) -> str:
        if self.saved is not None:
            return self._("Your application is saved")
        return self._("Check your application")

    def review_banner_text(self) -> str:
        """Why it cannot be sent, or what became of an unpaid application."""
        _ = self._
        if self.problem:
            return " ".join([_(self.problem), _(NOT_SENT)])
        saved = self.saved
        if saved is None:
            return ""
        parts = []
        if self.payment_failed:
            model = self.model
            parts += [model.payment_outcome_title() + ".", model.payment_outcome_text()]
        amount = self.model.money(saved.fee_cents, saved.form.currency)
        parts.append(_(SAVED_UNPAID).format(number=saved.reference, amount=amount))
        return " ".join(parts)

    def submit_text(self) -> str:
        _ = self._
        if self.saved is not None:
            return _("Pay the fee")
        return _("Go to payment") if self.form and self.fee() else _("Send application")

    # -- speech --

    def describe(self, screen: str) -> str:
        _ = self._
        if screen == PERMITS:
            parts = [_("Permits and licences") + ".", self.list_status_text()]
            for _number, title, detail in self.renewal_choices():
                parts.append(f"{title}: {detail}.")
            for _form_id, title, detail in self.form_choices():
                parts.append(f"{title}: {detail}")
            return " ".join(part for part in parts if part)
        if screen == PERMIT_FORM:
            parts = [self.heading_text() + ".", self.form_status_text()]
            form, language = self.screen_form(), self.model.language
            for field in form.questions if form else ():
                parts.append(field.label_in(language) + ".")
                if field.code in self.errors:
                    parts.append(self.errors[field.code].text(_))
            return " ".join(part for part in parts if part)
        if screen == PERMIT_REVIEW:
            parts = [self.review_heading_text() + ".", self.review_banner_text()]
            for _code, label, value, _prefilled in self.review_lines(self._now()):
                parts.append(f"{label}: {value}.")
            documents = self.documents_to_bring()
            if documents:
                parts.append(_("Documents to bring:") + " " + ", ".join(documents) + ".")
            parts += [self.review_fee_text() + ".", _("Touch {button}.").format(
                button=self.submit_text())]  # fmt: skip
            return " ".join(part for part in parts if part)
        return ""


FORMS_UNAVAILABLE = N_(
    "The permit and licence forms cannot be loaded right now: the city's service is not "
    "answering. Please try again in a moment, or ask staff."
)
FORMS_FROM_CACHE = N_(
    "The city's service cannot be reached right now: these forms were saved at this kiosk "
    "earlier. What you send is kept and sent when the connection returns."
)
FORM_UNAVAILABLE = N_(
    "This form cannot be loaded right now: the city's service is not answering. Please "
    "try again in a moment, or choose another form."
)
NOT_SENT = N_("Your application has not been sent.")
SAVED_UNPAID = N_(
    "Your application {number} is saved, but its fee of {amount} is not paid yet. The city "
    "starts on it only once the fee is paid. You can try to pay again now."
)
SAVED_NOTE = N_("Your application {number} is saved. The city starts on it once the fee is paid.")
OFFLINE_NOTE = N_(
    "The city's service cannot be reached right now. Your application {number} and its "
    "payment are kept at this kiosk and sent as soon as the connection returns."
)
OFFLINE_FEE_REFUSED = N_(
    "The city's service cannot be reached, and this kiosk cannot be sure of the fee "
    "without it. Nothing was charged. Please try again later."
)

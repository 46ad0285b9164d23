"""What the bill flow tells residents (untranslated messages, kiosk.i18n) and how it
reads an amount typed on the keypad."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from kiosk.i18n import N_

PAY_AMOUNT = "pay_amount"


@dataclass(frozen=True)
class Notice:
    """An untranslated message and the values put into it when it is shown."""

    message: str
    values: dict = field(default_factory=dict)


class BillFlowTexts:
    """What kiosk.flows.pay_bill.PayBillFlow shows and says, in the session's language."""

    def status_text(self) -> str:
        if self.checking:
            return self._("Checking your balance with the city…")
        if self.problem is not None:
            return self._notice_text(self.problem)
        search = self.search
        if search.state == "searching":
            return self._("Looking for your bills…")
        if search.state == "none":
            if search.query:
                return self._("We found no bill to pay with this number. Please check the number.")
            return self._("There is no bill to pay for your card.")
        if search.state == "error":
            return self._(search.error)
        if search.state == "found":
            found = self.ngettext(
                "We found {n} bill.", "We found {n} bills.", len(search.bills)
            ).format(n=len(search.bills))
            if search.cached_at is None:
                return found + " " + self._("Choose what to pay.")
            return " ".join([found, self._(CACHED_BILLS).format(when=self._ago(search.cached_at))])
        return self._("Type the bill or account number printed on your bill, or scan it.")

    def bill_text(self, bill: dict) -> tuple[str, str, str]:
        """Amount due, number and description, and what of it is paid now."""
        due = self._money(bill["amount_due_cents"])
        paying = self.basket.get(bill["id"])
        if paying is None:
            state = self._("You can pay part of it.") if bill.get("allows_partial") else ""
        elif paying == bill["amount_due_cents"]:
            state = self._("In your basket: all of it.")
        else:
            state = self._("In your basket: {amount}.").format(amount=self._money(paying))
        return due, f"{bill['number']}  {self.description(bill)}", state

    def basket_text(self) -> str:
        if not self.basket:
            return self._("Choose the bills to pay.")
        n = len(self.basket)
        return self.ngettext("{n} bill to pay: {total}", "{n} bills to pay: {total}", n).format(
            n=n, total=self._money(self.basket_total())
        )

    def amount_error_text(self) -> str:
        return self._notice_text(self.amount_error) if self.amount_error else ""

    def _notice_text(self, notice: Notice) -> str:
        # Amounts are kept in cents and shown in the language of the moment.
        values = {
            name.removesuffix("_cents"): self._money(value) if name.endswith("_cents") else value
            for name, value in notice.values.items()
        }
        return self._(notice.message).format(**values)

    def description(self, bill: dict) -> str:
        description = bill.get("description") or {}
        if isinstance(description, dict):
            return description.get(self.model.language) or description.get("en") or ""
        return str(description)

    def describe(self, screen: str) -> str:
        _ = self._
        if screen == PAY_AMOUNT and self.amount_bill is not None:
            bill = self.amount_bill
            return " ".join(
                part
                for part in (
                    _("How much do you want to pay?"),
                    f"{bill['number']}, {self.description(bill)}.",
                    _("Balance: {amount}.").format(amount=self._money(bill["amount_due_cents"])),
                    self.amount_error_text(),
                )
                if part
            )
        parts = [_("Pay a bill."), self.status_text()]
        if not self.entering_number:
            for bill in self.shown_bills():
                due, what, state = self.bill_text(bill)
                parts.append(f"{what}: {due}. {state}".strip())
            parts.append(self.basket_text())
        return " ".join(parts)

    def _ago(self, when: datetime.datetime) -> str:
        from babel.dates import format_timedelta

        age = datetime.datetime.now(datetime.UTC) - when
        return format_timedelta(-age, add_direction=True, locale=self.model.language)


def parse_amount(text: str, balance: int) -> tuple[int, Notice | None]:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return 0, Notice(AMOUNT_UNREADABLE)
    if not value.is_finite() or value.as_tuple().exponent < -2:
        return 0, Notice(AMOUNT_UNREADABLE)
    cents = int(value * 100)
    if cents <= 0:
        return 0, Notice(AMOUNT_TOO_SMALL)
    if cents > balance:
        return 0, Notice(AMOUNT_TOO_BIG, {"balance_cents": balance})
    return cents, None


BILL_SEARCH_FAILED = N_("We could not look up bills right now. Please try again in a moment.")
CACHED_BILLS = N_("The city's service cannot be reached: these balances were looked up {when}.")
BALANCE_CHECK_FAILED = N_(
    "We could not check your balance with the city. Nothing was charged. Please try again."
)
BALANCE_CHANGED = N_(
    "The balance of bill {numbers} has changed since you looked it up, so we updated your "
    "basket. Nothing was charged. Please check it and pay again."
)
OFFLINE_NO_PAYMENTS = N_(
    "The city's service cannot be reached, and this kiosk takes payments only when it can "
    "check your balance. Nothing was charged. Please try again later."
)
OFFLINE_TOO_OLD = N_(
    "The city's service cannot be reached, and bill {numbers} was not looked up in the last "
    "{hours} hours, so we cannot be sure of its balance. Nothing was charged. Please try "
    "again later."
)
OFFLINE_OVER_CAP = N_(
    "The city's service cannot be reached. Until it can, this kiosk takes at most {cap} per "
    "visit ({left} more for you now). Nothing was charged. Please take a bill out of your "
    "basket, pay less, or try again later."
)
OFFLINE_NOTE = N_(
    "The city's service cannot be reached right now. Your payment will be sent to the city "
    "as soon as the connection returns."
)
AMOUNT_UNREADABLE = N_("Please type an amount such as 12.50.")
AMOUNT_TOO_SMALL = N_("The amount must be more than 0.")
AMOUNT_TOO_BIG = N_("You can pay at most {balance} on this bill.")

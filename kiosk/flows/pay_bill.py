"""Pay a bill: find bills (the card's, or by a number typed or scanned), gather them in a
basket, pay part of those that allow it, then pay the basket in one card sale.

Balances come from the portal, and are read again right before paying. Every lookup is
kept in offline/cache.py with its time: when the portal cannot be reached, the city's
limits ([payments] offline_max_bill_age_h and offline_max_amount) decide whether the
kiosk may take the money anyway, and otherwise the resident is told why not, and that
nothing was charged. The paying itself is the model's (kiosk/payment_flow.py).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, replace
from decimal import Decimal

from babel.numbers import format_decimal

from kiosk.flows.base import Flow
from kiosk.flows.pay_bill_texts import (
    BALANCE_CHANGED,
    BALANCE_CHECK_FAILED,
    BILL_SEARCH_FAILED,
    OFFLINE_NO_PAYMENTS,
    OFFLINE_NOTE,
    OFFLINE_OVER_CAP,
    OFFLINE_TOO_OLD,
    PAY_AMOUNT,
    BillFlowTexts,
    Notice,
    parse_amount,
)
from kiosk.i18n import N_
from kiosk.payment_flow import PAY_BILL, OrderLine
from kiosk.portal_client import PortalError, PortalUnavailable

log = logging.getLogger(__name__)

MAX_NUMBER_LENGTH = 24
MAX_AMOUNT_LENGTH = 10


@dataclass(frozen=True)
class BillSearch:
    query: str = ""  # the number searched; "" for the card's bills
    state: str = ""  # "", searching, found, none, error
    bills: tuple = ()
    error: str = ""  # untranslated
    # Set when the portal could not be reached and these are the cached bills.
    cached_at: datetime.datetime | None = None


class PayBillFlow(BillFlowTexts, Flow):
    name = "pay_bill"
    service_ids = ("pay_bill",)
    screens = (PAY_BILL, PAY_AMOUNT)
    takes_payment = True

    def reset(self) -> None:
        self.number = ""
        self.search = BillSearch()
        self.entering_number = True  # the keypad is shown, else the bills
        self.basket: dict[str, int] = {}  # bill id -> cents to pay, in the order added
        self.basket_bills: dict[str, dict] = {}  # bill id -> the bill as last read
        self.amount_bill: dict | None = None  # the bill whose amount is being typed
        self.amount_text = ""
        self.amount_error: Notice | None = None
        self.checking = False  # re-reading the balances before paying
        self.problem: Notice | None = None  # why the basket cannot be paid now
        self._card_searched: str | None = None

    def open(self, service_id: str) -> None:
        self.problem = None
        self.go(PAY_BILL)
        identity = self.session.identity
        if identity is not None and self._card_searched != identity.id_hash:
            self.find_my_bills()

    # -- finding bills --

    def type_number(self, text: str) -> None:
        """Typed on the keypad or scanned (a scanner types like a keyboard)."""
        self.session.record_activity()
        shown_bills = not self.entering_number
        if shown_bills:
            # Scanned while the bills are shown: another bill's number, not more digits.
            text = text.removeprefix(self.number)
            self.entering_number = True
        cleaned = "".join(ch for ch in text.upper() if ch.isalnum() or ch == "-")
        if cleaned[:MAX_NUMBER_LENGTH] != self.number or shown_bills:
            self.number = cleaned[:MAX_NUMBER_LENGTH]
            self.changed()

    def show_keypad(self, shown: bool = True) -> None:
        """The keypad for another bill's number (empty), or back to the bills shown."""
        if shown and not self.entering_number:
            self.number = ""
        self.entering_number = shown
        self.changed()

    def find_bills(self) -> None:
        number = self.number
        if not number or self.portal is None or self.search.state == "searching":
            return
        self._search(number, f"bills:number:{number}", lambda: self.portal.bills_by_number(number))

    def find_my_bills(self) -> None:
        """The bills of the resident whose card was read."""
        identity = self.session.identity
        if identity is None or self.portal is None:
            return
        self._card_searched = identity.id_hash
        self._search(
            "",
            f"bills:card:{identity.profile}:{identity.id_hash}",
            lambda: self.portal.bills_by_identity(identity.profile, identity.id_hash),
        )

    def _search(self, query: str, cache_key: str, fetch) -> None:
        self.search = BillSearch(query, "searching")
        self.problem = None
        self.changed()
        self.model._background(
            fetch, lambda bills, error: self._found(query, cache_key, bills, error)
        )

    def _found(self, query: str, cache_key: str, bills, error: Exception | None) -> None:
        if self.search != BillSearch(query, "searching"):
            return  # the resident started over, or left, meanwhile
        cached_at = None
        if error is None:
            self._keep(cache_key, bills)
        else:
            cached = self._cached(cache_key) if isinstance(error, PortalUnavailable) else None
            if cached is None:
                if not isinstance(error, PortalError):
                    log.error("bill search failed unexpectedly", exc_info=error)
                self.search = BillSearch(query, "error", error=BILL_SEARCH_FAILED)
                self.changed()
                self.say(self.status_text())
                return
            bills, cached_at = cached.value, cached.fetched_at
        payable = tuple(bill for bill in bills if _is_payable(bill))
        self.search = BillSearch(query, "found" if payable else "none", payable, "", cached_at)
        if payable:
            self.entering_number = False
        self.changed()
        self.say(self.status_text())

    # -- the basket --

    def shown_bills(self) -> list[dict]:
        """The bills found, then those already in the basket from an earlier search."""
        found = list(self.search.bills) if self.search.state == "found" else []
        ids = {bill["id"] for bill in found}
        return found + [bill for key, bill in self.basket_bills.items() if key not in ids]

    def toggle_bill(self, bill_id: str) -> None:
        """Put a bill in the basket (its whole balance), or take it out."""
        self.session.record_activity()
        self.problem = None
        if bill_id in self.basket:
            del self.basket[bill_id], self.basket_bills[bill_id]
        else:
            bill = self._shown(bill_id)
            self.basket[bill_id] = bill["amount_due_cents"]
            self.basket_bills[bill_id] = bill
        self.changed()

    def basket_total(self) -> int:
        return sum(self.basket.values())

    def can_checkout(self) -> bool:
        return bool(self.basket) and not self.checking

    def back_to_bills(self) -> None:
        """Back from confirming: the bills found and the basket, without a new search."""
        self.entering_number = not self.shown_bills()
        self.go(PAY_BILL)

    # -- a part payment --

    def edit_amount(self, bill_id: str) -> None:
        bill = self._shown(bill_id)
        if not bill.get("allows_partial"):
            return
        self.amount_bill = bill
        cents = self.basket.get(bill_id, bill["amount_due_cents"])
        self.amount_text = format_decimal(
            Decimal(cents) / 100, format="0.00", locale=self.model.language
        )
        self.amount_error = None
        self.go(PAY_AMOUNT)

    def type_amount(self, text: str) -> None:
        self.session.record_activity()
        cleaned = "".join(ch for ch in text if ch.isdigit() or ch in ".,")[:MAX_AMOUNT_LENGTH]
        if cleaned != self.amount_text:
            self.amount_text = cleaned
            self.amount_error = None
            self.changed()

    def confirm_amount(self) -> None:
        bill = self.amount_bill
        if bill is None:
            return
        cents, error = parse_amount(self.amount_text, bill["amount_due_cents"])
        if error is not None:
            self.amount_error = error
            self.changed()
            self.say(self.amount_error_text())
            return
        self.basket[bill["id"]] = cents
        self.basket_bills[bill["id"]] = bill
        self.amount_bill, self.problem = None, None
        self.go(PAY_BILL)

    def cancel_amount(self) -> None:
        self.amount_bill, self.amount_error = None, None
        self.go(PAY_BILL)

    # -- paying --

    def checkout(self) -> None:
        """Read every balance again, then pay; offline, the city's limits decide."""
        if not self.can_checkout() or self.portal is None:
            return
        self.checking, self.problem = True, None
        self.changed()
        self.say(self.status_text())
        bills = [dict(self.basket_bills[bill_id]) for bill_id in self.basket]
        self.model._background(lambda: self._read_balances(bills), self._balances_read)

    def _read_balances(self, bills: list[dict]) -> dict[str, dict | None]:
        """On a worker thread: each bill as the portal has it now (None: gone)."""
        fresh: dict[str, dict | None] = {}
        for bill in bills:
            found = self.portal.bills_by_number(bill["number"])
            fresh[bill["id"]] = next((b for b in found if b["id"] == bill["id"]), None)
        return fresh

    def _balances_read(self, fresh, error: Exception | None) -> None:
        if not self.checking:
            return  # cancelled meanwhile
        self.checking = False
        if isinstance(error, PortalUnavailable):
            self._pay_offline()
            return
        if error is not None:
            if not isinstance(error, PortalError):
                log.error("balance check failed unexpectedly", exc_info=error)
            self._refuse(Notice(BALANCE_CHECK_FAILED))
            return
        self._keep(None, [bill for bill in fresh.values() if bill is not None])
        changed = self._apply_balances(fresh)
        if changed:
            self._refuse(Notice(BALANCE_CHANGED, {"numbers": ", ".join(changed)}))
            return
        self._pay(offline=False)

    def _apply_balances(self, fresh: dict[str, dict | None]) -> list[str]:
        """Bring the basket and the bills shown up to date; the numbers that changed."""
        changed = []
        for bill_id, amount in list(self.basket.items()):
            bill = fresh.get(bill_id)
            number = self.basket_bills[bill_id]["number"]
            if bill is None or not _is_payable(bill):
                del self.basket[bill_id], self.basket_bills[bill_id]
                changed.append(number)
                continue
            self.basket_bills[bill_id] = bill
            balance = bill["amount_due_cents"]
            if amount > balance or (not bill.get("allows_partial") and amount != balance):
                self.basket[bill_id] = balance
                changed.append(number)
        if self.search.state == "found":
            shown = [fresh.get(bill["id"], bill) for bill in self.search.bills]
            bills = tuple(bill for bill in shown if bill is not None and _is_payable(bill))
            self.search = replace(self.search, state="found" if bills else "none", bills=bills)
        return changed

    def _pay_offline(self) -> None:
        limits = self.model.offline_limits()
        if not limits.allowed or self.model.cache is None:
            self._refuse(Notice(OFFLINE_NO_PAYMENTS))
            return
        too_old = [
            bill["number"]
            for bill_id, bill in self.basket_bills.items()
            if (cached := self._cached(f"bill:{bill_id}")) is None or limits.too_old(cached.age())
        ]
        if too_old:
            values = {"numbers": ", ".join(too_old), "hours": limits.max_age_h}
            self._refuse(Notice(OFFLINE_TOO_OLD, values))
            return
        if self.basket_total() > limits.left_cents:
            values = {"cap_cents": limits.cap_cents, "left_cents": limits.left_cents}
            self._refuse(Notice(OFFLINE_OVER_CAP, values))
            return
        self._pay(offline=True)

    def _refuse(self, notice: Notice) -> None:
        self.problem = notice
        self.changed()
        self.say(self.status_text())

    def _pay(self, *, offline: bool) -> None:
        lines = [
            OrderLine(
                "bill", bill_id, bill["number"], bill.get("description") or "", self.basket[bill_id]
            )
            for bill_id, bill in self.basket_bills.items()
        ]
        self.model.start_order_payment(
            lines,
            self._paid,
            service=N_("Bill payment"),
            on_back=self.back_to_bills,
            flow=self,
            note=OFFLINE_NOTE if offline else "",
            offline=offline,
        )

    def _paid(self, paid) -> None:
        """Charged (inside the receipt's transaction): the basket is done with."""
        self.reset()

    # -- helpers --

    def _shown(self, bill_id: str) -> dict:
        bill = next((b for b in self.shown_bills() if b["id"] == bill_id), None)
        if bill is None:
            raise KeyError(bill_id)
        return bill

    def _money(self, cents: int) -> str:
        return self.model.money(cents)

    def _cached(self, key: str):
        cache = self.model.cache
        return cache.get(key) if cache is not None else None

    def _keep(self, search_key: str | None, bills: list[dict]) -> None:
        """Cache a lookup with its time, and each bill on its own for paying offline."""
        cache = self.model.cache
        if cache is None:
            return
        if search_key is not None:
            cache.keep(search_key, bills)
        for bill in bills:
            cache.keep(f"bill:{bill['id']}", bill)


def _is_payable(bill: dict) -> bool:
    return bill.get("status") != "paid" and bill.get("amount_due_cents", 0) > 0

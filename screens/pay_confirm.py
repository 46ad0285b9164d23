from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("pay_confirm.kv")))


class PayConfirmScreen(KioskScreen):
    """What is about to be paid, and how much, before the card terminal wakes up."""

    description = StringProperty("")
    number = StringProperty("")
    amount = StringProperty("")

    def refresh(self) -> None:
        model = self.model
        bill = model.selected_bill
        if bill is None:
            self.description = self.number = self.amount = ""
            return
        self.description = model.bill_description(bill)
        self.number = model._("Bill number: {number}").format(number=bill.get("number", ""))
        self.amount = model.money(bill["amount_due_cents"], bill.get("currency"))

    def back(self) -> None:
        # The model has no "back to the bills found" intent: open the service again
        # (it keeps the number typed) and look the number up again.
        self.model.open_service("pay_bill")
        if self.model.screen == "pay_bill":
            self.model.find_bills()

from __future__ import annotations

from pathlib import Path

from babel.numbers import get_decimal_symbol
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen
from screens.keypad import NumericKeypad, apply_key  # noqa: F401 - NumericKeypad: the .kv

Builder.load_file(str(Path(__file__).with_name("pay_amount.kv")))


class PayAmountScreen(KioskScreen):
    """How much of a bill to pay now, for bills that may be paid in part: typed on the
    keypad, checked when the resident taps OK, and any problem said beside the field."""

    bill = StringProperty("")
    balance = StringProperty("")
    error = StringProperty("")

    @property
    def flow(self):
        return self.model.flows["pay_bill"]

    def refresh(self) -> None:
        flow = self.flow
        bill = flow.amount_bill
        if bill is None:
            self.bill = self.balance = self.error = ""
            return
        self.bill = f"{bill['number']}  {flow.description(bill)}"
        self.balance = self.model._("Balance: {amount}").format(
            amount=self.model.money(bill["amount_due_cents"])
        )
        self.error = flow.amount_error_text()
        field = self.ids.amount
        if field.text != flow.amount_text:
            field.text = flow.amount_text
            field.cursor = field.get_cursor_from_index(len(field.text))

    def on_amount_text(self, text: str) -> None:
        flow = self.flow
        if text != flow.amount_text:
            flow.type_amount(text)
        if self.ids.amount.text != flow.amount_text:  # a letter typed on a keyboard
            Clock.schedule_once(lambda _dt: self.refresh())

    def on_key(self, key: str) -> None:
        field = self.ids.amount
        field.text = apply_key(field.text, key, get_decimal_symbol(self.model.language))

    def on_enter(self, *_args) -> None:
        Clock.schedule_once(self._focus)

    def _focus(self, _dt) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.ids.amount.focus = True

    def on_leave(self, *_args) -> None:
        self.ids.amount.focus = False

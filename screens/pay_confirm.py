from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("pay_confirm.kv")))


class PayConfirmScreen(KioskScreen):
    """What is about to be paid, line by line, and the total, before the card terminal
    wakes up. Any service's payment comes here (model.start_order_payment)."""

    service = StringProperty("")
    lines = StringProperty("")
    total = StringProperty("")
    note = StringProperty("")

    def refresh(self) -> None:
        model = self.model
        order = model.payment_order
        if order is None:
            self.service = self.lines = self.total = self.note = ""
            return
        self.service = model._(order.service)
        self.lines = "\n".join(
            f"{line.number}  {model.line_description(line)}:  "
            f"{model.money(line.amount_cents, order.currency)}"
            for line in order.lines
        )
        self.total = model.order_total_text()
        self.note = model.order_note_text()

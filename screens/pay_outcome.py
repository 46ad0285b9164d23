from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("pay_outcome.kv")))


class PayOutcomeScreen(KioskScreen):
    """A payment that did not go through: what became of the money, in plain words."""

    title = StringProperty("")
    message = StringProperty("")
    can_retry = BooleanProperty(False)

    def refresh(self) -> None:
        model = self.model
        self.title = model.payment_outcome_title()
        self.message = model.payment_outcome_text()
        self.can_retry = model.can_retry_payment()

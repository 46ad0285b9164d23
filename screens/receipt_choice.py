from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("receipt_choice.kv")))


class ReceiptChoiceScreen(KioskScreen):
    """Before a paid flow, when the printer cannot print: say so now, not after paying."""

    problem = StringProperty("")

    def refresh(self) -> None:
        self.problem = self.model.printer_problem_text()

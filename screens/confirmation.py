from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("confirmation.kv")))


class ConfirmationScreen(KioskScreen):
    """After a submission: it is saved, where it is now, and its reference."""

    heading = StringProperty("")
    status = StringProperty("")
    reference = StringProperty("")
    receipt_status = StringProperty("")
    can_print_again = BooleanProperty(False)
    can_send_instead = BooleanProperty(False)
    # Demo kiosks: the picture of the paper the simulated printer printed.
    receipt_preview = StringProperty("")
    # After a service: the short survey on offer (or thanks for answering it).
    survey_text = StringProperty("")
    survey_offered = BooleanProperty(False)

    def refresh(self) -> None:
        model = self.model
        self.heading, self.status, self.reference = model.confirmation_lines()
        self.receipt_status = model.receipt_status_text()
        self.can_print_again = model.can_print_again()
        self.can_send_instead = model.can_send_receipt_instead()
        self.receipt_preview = str(model.receipt_preview) if model.receipt_preview else ""
        self.survey_text = model.survey_offer_text()
        self.survey_offered = model.survey_offer() is not None

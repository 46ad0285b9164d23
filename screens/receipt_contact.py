from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen
from screens.keyboard import OnScreenKeyboard, apply_key  # noqa: F401 - used in the .kv

Builder.load_file(str(Path(__file__).with_name("receipt_contact.kv")))


class ReceiptContactScreen(KioskScreen):
    """Where to send the receipt: an email address or a mobile number."""

    error = StringProperty("")

    def refresh(self) -> None:
        error = self.model.receipt_contact_error
        self.error = self.model._(error) if error else ""

    def on_leave(self, *_args) -> None:
        # Nobody after this resident sees their address, not even with Ctrl+Z on a
        # keyboard: the undo history would bring it back.
        field = self.ids.contact
        field.focus = False
        field.cancel_selection()
        field.text = ""
        field.reset_undo()

    def on_key(self, key: str) -> None:
        field = self.ids.contact
        field.text = apply_key(field.text, key)

    def send(self) -> None:
        self.model.submit_receipt_contact(self.ids.contact.text)

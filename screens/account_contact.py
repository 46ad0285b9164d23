from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import KioskScreen
from screens.keyboard import OnScreenKeyboard, apply_key  # noqa: F401 - used in the .kv

Builder.load_file(str(Path(__file__).with_name("account_contact.kv")))


class AccountContactScreen(KioskScreen):
    """An optional phone number and email address, each with its error beside it. The
    on-screen keyboard types into the field touched last."""

    phone_error = StringProperty("")
    email_error = StringProperty("")
    typing_into = StringProperty("phone")

    @property
    def flow(self):
        return self.model.flows["account"]

    def refresh(self) -> None:
        flow = self.flow
        for name in ("phone", "email"):
            field = self.ids[name]
            if field.text != getattr(flow, name):
                field.text = getattr(flow, name)
        self.phone_error = flow.error_text("phone")
        self.email_error = flow.error_text("email")

    def on_field_text(self, name: str, text: str) -> None:
        if text != getattr(self.flow, name):
            getattr(self.flow, f"type_{name}")(text)

    def on_field_focus(self, name: str, focused: bool) -> None:
        if focused:
            self.typing_into = name

    def on_key(self, key: str) -> None:
        field = self.ids[self.typing_into]
        field.text = apply_key(field.text, key)

    def create(self) -> None:
        self.flow.create()

    def on_leave(self, *_args) -> None:
        # Nobody after this resident sees what they typed, not even with Ctrl+Z.
        for name in ("phone", "email"):
            field = self.ids[name]
            field.focus = False
            field.cancel_selection()
            field.reset_undo()

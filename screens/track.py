from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import ScannerFieldScreen
from screens.keyboard import OnScreenKeyboard, apply_key  # noqa: F401 - used in the .kv

Builder.load_file(str(Path(__file__).with_name("track.kv")))


class TrackScreen(ScannerFieldScreen):
    """The number on a receipt: typed on the keyboard, or scanned from its QR code (the
    scanner types the whole tracking address into the focused field, then Enter)."""

    message = StringProperty("")
    checking = BooleanProperty(False)
    can_check = BooleanProperty(False)
    identified = BooleanProperty(False)

    @property
    def flow(self):
        return self.model.flows["track"]

    def refresh(self) -> None:
        flow = self.flow
        field = self.ids.number
        if field.text != flow.typed:
            field.text = flow.typed
            field.cursor = field.get_cursor_from_index(len(field.text))
        self.message = flow.message()
        self.checking = flow.state == "checking"
        self.can_check = bool(flow.typed) and not self.checking
        self.identified = self.model.session.identity is not None

    def on_number_text(self, text: str) -> None:
        if text != self.flow.typed:
            self.flow.type_reference(text)

    def on_key(self, key: str) -> None:
        field = self.ids.number
        field.text = apply_key(field.text, key)

    def check(self) -> None:
        self.flow.check()

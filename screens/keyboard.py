"""On-screen keyboard with large keys, for kiosks without a physical keyboard.

It only emits key presses (``on_key``); the screen that owns it decides what a
key does. A barcode scanner or USB keyboard still types into the text field.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_
from screens.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_name("keyboard.kv")))

LETTER_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKLÑ", "ZXCVBNM-'")
SPACE, BACKSPACE, CLEAR = "space", "backspace", "clear"


class OnScreenKeyboard(BoxLayout):
    __events__ = ("on_key",)
    # Symbols a field needs beyond letters and digits, such as "@." for an email address.
    extra_keys = StringProperty("")

    def on_kv_post(self, _base_widget) -> None:
        rows = LETTER_ROWS + ((self.extra_keys,) if self.extra_keys else ())
        for letters in rows:
            row = BoxLayout(spacing=6)
            for letter in letters:
                row.add_widget(self._key(letter, letter))
            self.ids.rows.add_widget(row)
        app = App.get_running_app()
        bottom = BoxLayout(spacing=6)
        for key, label, weight in (
            (CLEAR, N_("Clear"), 1),
            (SPACE, N_("Space"), 3),
            (BACKSPACE, N_("Delete"), 1),
        ):
            button = self._key(key, app.tr(label))
            button.size_hint_x = weight
            button.label_msgid = label
            bottom.add_widget(button)
        self.ids.rows.add_widget(bottom)
        app.bind(lang=self._translate)

    def _key(self, key: str, label: str) -> KioskButton:
        button = KioskButton(text=label, action=f"key:{key}", font_size=26)
        # Rows share the keyboard's height; 48 px keeps every key above the 44 px
        # touch-target minimum on a 7-inch panel.
        button.size_hint_min_y = 48
        button.bind(on_release=lambda _b: self.dispatch("on_key", key))
        return button

    def _translate(self, app, _language) -> None:
        for row in self.ids.rows.children:
            for button in row.children:
                if hasattr(button, "label_msgid"):
                    button.text = app.tr(button.label_msgid)

    def on_key(self, key: str) -> None:
        pass


def apply_key(text: str, key: str) -> str:
    if key == BACKSPACE:
        return text[:-1]
    if key == CLEAR:
        return ""
    if key == SPACE:
        return text + " "
    return text + key.lower()

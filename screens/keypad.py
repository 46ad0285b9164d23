"""A numeric keypad with big keys: bill numbers and amounts, on a panel of any size.

Like the on-screen keyboard it only emits key presses (``on_key``: a digit, "decimal",
"backspace" or "clear"); the screen decides what they do. Three columns of four rows fit
beside a form even on a 7-inch 800x480 panel.
"""

from __future__ import annotations

from pathlib import Path

from babel.numbers import get_decimal_symbol
from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_
from screens.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_name("keypad.kv")))

DECIMAL, BACKSPACE, CLEAR = "decimal", "backspace", "clear"


class NumericKeypad(BoxLayout):
    __events__ = ("on_key",)
    # Amounts: a decimal-separator key (the language's own), and Clear on a row of its own.
    decimal = BooleanProperty(False)

    def on_kv_post(self, _base_widget) -> None:
        app = App.get_running_app()
        self._labelled: list[tuple[KioskButton, str]] = []
        last = [DECIMAL, "0", BACKSPACE] if self.decimal else [CLEAR, "0", BACKSPACE]
        rows = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], last]
        if self.decimal:
            rows.append([CLEAR])
        for keys in rows:
            row = BoxLayout(spacing=self.spacing)
            for key in keys:
                row.add_widget(self._key(key))
            self.add_widget(row)
        app.bind(lang=lambda *_args: self._translate())
        self._translate()

    def _key(self, key: str) -> KioskButton:
        kind = Factory.KeypadWordKey if key in (CLEAR, BACKSPACE) else Factory.KeypadKey
        button = kind(action=f"key:{key}", text=key)
        button.bind(on_release=lambda _button: self.dispatch("on_key", key))
        if key in LABELS:
            self._labelled.append((button, key))
        return button

    def _translate(self) -> None:
        app = App.get_running_app()
        for button, key in self._labelled:
            if key == DECIMAL:
                button.text = get_decimal_symbol(app.lang)
            else:
                button.text = app.tr(LABELS[key])

    def on_key(self, key: str) -> None:
        pass


LABELS = {CLEAR: N_("Clear"), BACKSPACE: N_("Delete"), DECIMAL: ""}


def apply_key(text: str, key: str, decimal_symbol: str = ".") -> str:
    if key == BACKSPACE:
        return text[:-1]
    if key == CLEAR:
        return ""
    if key == DECIMAL:
        return text + decimal_symbol
    return text + key

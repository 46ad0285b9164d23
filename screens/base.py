"""Base class of every kiosk screen."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty
from kivy.uix.screenmanager import Screen

from screens.keyboard import apply_key


class KioskScreen(Screen):
    @property
    def model(self):
        return App.get_running_app().model

    def refresh(self) -> None:
        """Re-read what this screen shows from the model (language, data)."""


class ScannerFieldScreen(KioskScreen):
    """A screen whose text field a handheld barcode scanner types into: the field
    holds the focus while the screen is shown, so a scan lands there without a tap,
    even after a tap on a key or a button took the focus away."""

    scanner_field = "number"  # the field's id in the screen's KV

    def on_enter(self, *_args) -> None:
        self._keep_focus(0)

    def on_touch_up(self, touch):
        handled = super().on_touch_up(touch)
        Clock.schedule_once(self._keep_focus)
        return handled

    def _keep_focus(self, _dt) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.ids[self.scanner_field].focus = True

    def on_leave(self, *_args) -> None:
        field = self.ids[self.scanner_field]
        field.focus = False
        field.cancel_selection()
        field.reset_undo()


class KeyboardFieldScreen(KioskScreen):
    """A screen with one text field and an on-screen keyboard the resident opens
    when wanted: hidden on arrival, so the results have the room, and hidden again
    on leaving, so the next visit does not find it open."""

    keyboard_field = "search"  # the field's id in the screen's KV
    keyboard_shown = BooleanProperty(False)

    def on_key(self, key: str) -> None:
        field = self.ids[self.keyboard_field]
        field.text = apply_key(field.text, key)

    def toggle_keyboard(self) -> None:
        self.keyboard_shown = not self.keyboard_shown

    def on_pre_enter(self, *_args) -> None:
        self.keyboard_shown = False

    def on_leave(self, *_args) -> None:
        self.keyboard_shown = False
        self.ids[self.keyboard_field].focus = False

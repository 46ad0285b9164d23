"""Buttons shared by every screen; their look lives in widgets.kv."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.button import Button

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))


class KioskButton(Button):
    primary = BooleanProperty(False)
    # What the button does, in words, for speech and for tests that look for it.
    action = StringProperty("")


class ToggleBarButton(Button):
    active = BooleanProperty(False)
    action = StringProperty("")

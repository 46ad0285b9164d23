"""Widgets shared by the screens; their look lives in widgets.kv."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.textinput import TextInput

Builder.load_file(str(Path(__file__).with_name("widgets.kv")))


class KioskButton(Button):
    primary = BooleanProperty(False)
    # What the button does, in words, for speech and for tests that look for it.
    action = StringProperty("")


class ToggleBarButton(Button):
    active = BooleanProperty(False)
    action = StringProperty("")


class ListChoiceButton(KioskButton):
    """One choice in a scrolled list (a service, a form, an address, a search result)."""


class KioskTextInput(TextInput):
    # A field can say more with its outline than focus, an error for one.
    outline_color = ColorProperty()
    outline_width = NumericProperty(2)


class ReviewLine(BoxLayout):
    """One "label: value" line of a review screen, with room for its Change button."""

    text = StringProperty("")
    # Off where no line has a Change button, so the words take the whole width.
    change_column = BooleanProperty(True)

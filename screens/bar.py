"""The bar on every screen: languages, help, speech, text size, contrast, finish.

It sits at the bottom, in the same place on every screen (WCAG 3.2.6), within
reach of a seated resident (ADA reach range).
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import LANGUAGE_NAMES
from screens.widgets import ToggleBarButton

Builder.load_file(str(Path(__file__).with_name("bar.kv")))


class AccessibilityBar(BoxLayout):
    def on_kv_post(self, _base_widget) -> None:
        app = App.get_running_app()
        languages = self.ids.languages
        for code in app.model.languages:
            button = ToggleBarButton(text=LANGUAGE_NAMES[code], action=f"language:{code}")
            button.bind(on_release=lambda _button, code=code: app.model.choose_language(code))
            languages.add_widget(button)
        app.bind(lang=self._mark_language)
        self._mark_language(app, app.lang)

    def _mark_language(self, _app, language: str) -> None:
        for button in self.ids.languages.children:
            button.active = button.action == f"language:{language}"

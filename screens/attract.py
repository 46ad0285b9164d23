from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from kiosk.i18n import LANGUAGE_NAMES
from screens.base import KioskScreen
from screens.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_name("attract.kv")))


class AttractScreen(KioskScreen):
    def on_kv_post(self, _base_widget) -> None:
        row = self.ids.languages
        for code in self.model.languages:
            button = KioskButton(text=LANGUAGE_NAMES[code], action=f"start:{code}")
            button.bind(on_release=lambda _b, code=code: self.model.choose_language_and_start(code))
            row.add_widget(button)
        demo_row = self.ids.demo_cards
        for index, (label, _insert) in enumerate(self.model.demo_cards):
            button = KioskButton(text=label, action=f"demo_card:{index}")
            button.bind(on_release=lambda _b, i=index: self.model.demo_insert_card(i))
            demo_row.add_widget(button)
        self.refresh()

    def refresh(self) -> None:
        font_scale = App.get_running_app().font_scale
        for button in self.ids.demo_cards.children:
            button.font_size = 18 * font_scale
            index = int(button.action.split(":")[1])
            if self.model.demo_cards[index][0] == "unsupported":
                button.text = self.model._("Unsupported card")

    def on_touch_up(self, touch):
        # Anywhere on the screen starts, not only the big button: the attract
        # screen is for people who have not yet worked out what to touch.
        if super().on_touch_up(touch):
            return True
        if self.collide_point(*touch.pos) and self.manager and self.manager.current == self.name:
            self.model.start_session()
            return True
        return False

"""All news and notices, opened from the strip on the home screen. UI only: the state
is kiosk.flows.news.NewsFlow's."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.label import Label
from kivy.utils import escape_markup

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("news.kv")))


class NewsText(Label):
    pass


class NewsScreen(KioskScreen):
    status = StringProperty("")

    def refresh(self) -> None:
        flow = self.model.flows["news"]
        self.status = flow.status_text()
        listing = self.ids.news_items
        listing.clear_widgets()
        # The app's scale: the theme's text size times the display's.
        detail = round(19 * App.get_running_app().font_scale)
        for entry in flow.entries():
            kind, day = escape_markup(entry.kind), escape_markup(entry.date)
            title, body = escape_markup(entry.title), escape_markup(entry.body)
            listing.add_widget(
                NewsText(text=f"[size={detail}]{kind} · {day}[/size]\n[b]{title}[/b]\n{body}")
            )
        self.ids.news_scroll.scroll_y = 1

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.utils import escape_markup

from screens.base import KeyboardFieldScreen
from screens.keyboard import OnScreenKeyboard  # noqa: F401 - used in home.kv
from screens.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_name("home.kv")))


class ServiceButton(KioskButton):
    service_id = StringProperty("")


class HomeScreen(KeyboardFieldScreen):
    empty_text = StringProperty("")
    welcome = StringProperty("")
    card_notice = StringProperty("")
    demo_card_in = BooleanProperty(False)
    # The newest city news or notice, one line; the whole list is a tap away.
    news = StringProperty("")

    def refresh_identity(self) -> None:
        self.welcome = self.model.welcome_text()
        self.card_notice = self.model.card_notice_text()
        self.demo_card_in = bool(self.model.demo_cards) and bool(self.welcome or self.card_notice)

    def refresh(self) -> None:
        self.refresh_identity()
        self._show_news()
        search = self.ids.search
        if search.text != self.model.search_query:
            search.text = self.model.search_query
        self._fill_services()

    def _fill_services(self) -> None:
        listing = self.ids.services
        listing.clear_widgets()
        groups = self.model.visible_groups()
        self.empty_text = "" if groups else self.model.empty_catalogue_text()
        summary_size = round(18 * self.model.theme.font_scale)
        for category, services in groups:
            listing.add_widget(CategoryHeading(text=category))
            grid = GridLayout(cols=2, spacing=12, size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            for service in services:
                title = escape_markup(self.model.service_title(service))
                summary = escape_markup(self.model.service_summary(service))
                button = ServiceButton(
                    text=f"[b]{title}[/b]\n[size={summary_size}]{summary}[/size]",
                    markup=True,
                    service_id=service.id,
                    action=f"service:{service.id}",
                )
                button.bind(on_release=lambda b: self.model.open_service(b.service_id))
                grid.add_widget(button)
            listing.add_widget(grid)

    def _show_news(self) -> None:
        news = self.model.flows.get("news")
        headline = news.headline() if news is not None else ""
        self.news = (
            self.model._("{headline} · All news").format(headline=headline) if headline else ""
        )

    def on_search_text(self, text: str) -> None:
        self.model.set_search(text)


class CategoryHeading(Label):
    pass

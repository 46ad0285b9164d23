from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.utils import escape_markup

from screens.base import KioskScreen
from screens.widgets import ListChoiceButton

Builder.load_file(str(Path(__file__).with_name("track_mine.kv")))


class TrackedButton(ListChoiceButton):
    pass


class TrackMineScreen(KioskScreen):
    """The identified resident's requests, payments and account, newest first."""

    message = StringProperty("")

    def refresh(self) -> None:
        model = self.model
        flow = model.flows["track"]
        self.message = flow.mine_text()
        listing = self.ids.tracked
        listing.clear_widgets()
        detail_size = round(20 * model.theme.font_scale)
        for index, item in enumerate(flow.mine):
            title = escape_markup(f"{item.get('title', '')} ({flow.number(item)})")
            status = escape_markup(flow.status_text(item.get("status", "")))
            day = escape_markup(flow.date_text(item.get("created_at", "")))
            button = TrackedButton(
                text=f"[b]{title}[/b]\n[size={detail_size}]{day}: {status}[/size]",
                markup=True,
                action=f"tracked:{index}",
            )
            button.bind(on_release=lambda _b, i=index: flow.choose(i))
            listing.add_widget(button)
        self.ids.scroll.scroll_y = 1

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.label import Label
from kivy.utils import escape_markup

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("track_result.kv")))


class HistoryStep(Label):
    """One step of the history: its date and status; the city's note below it."""

    note = BooleanProperty(False)


class TrackResultScreen(KioskScreen):
    """Where a request, payment or account is now, what the city last said about it,
    and every step so far, newest first."""

    title = StringProperty("")
    number = StringProperty("")
    status = StringProperty("")
    amount = StringProperty("")
    note = StringProperty("")

    def refresh(self) -> None:
        model = self.model
        flow = model.flows["track"]
        item = flow.item
        history = self.ids.history
        history.clear_widgets()
        if item is None:
            self.title = self.number = self.status = self.amount = self.note = ""
            return
        self.title = item.get("title", "")
        self.number = model._("Number: {number}").format(number=flow.number(item))
        self.status = flow.status_text(item.get("status", ""))
        self.amount = flow.amount_text(item)
        self.note = flow.latest_note_text(item)
        for day, status, note in flow.history_lines(item):
            history.add_widget(
                HistoryStep(text=f"[b]{escape_markup(day)}[/b]  {escape_markup(status)}")
            )
            if note:
                history.add_widget(HistoryStep(text=escape_markup(note), note=True))
        self.ids.scroll.scroll_y = 1

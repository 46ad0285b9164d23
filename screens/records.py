"""Public records and council meetings: the search (``records``) and one document
read page by page (``record``). UI only: the state is kiosk.flows.records.RecordsFlow's."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.utils import escape_markup

from kiosk.flows.records import PERIODS, RECORD_TYPES, TYPE_LABELS
from screens.base import KeyboardFieldScreen, KioskScreen
from screens.keyboard import OnScreenKeyboard  # noqa: F401 - used in the .kv
from screens.widgets import ListChoiceButton, ToggleBarButton

Builder.load_file(str(Path(__file__).with_name("records.kv")))


class ResultButton(ListChoiceButton):
    record_id = StringProperty("")


class FilterChip(ToggleBarButton):
    pass


class RecordsScreen(KeyboardFieldScreen):
    keyboard_field = "words"
    title = StringProperty("")
    status = StringProperty("")
    searching = BooleanProperty(False)
    # What the chips and the list were built for: typing a word changes neither, and
    # rebuilding them would throw the list back to its top at every key.
    _built: tuple = ()

    @property
    def flow(self):
        return self.model.flows["records"]

    def refresh(self) -> None:
        flow = self.flow
        field = self.ids.words
        if field.text != flow.words:
            field.text = flow.words
        self.title = flow.title()
        self.status = flow.search_text()
        self.searching = flow.search_state == "searching"
        app = App.get_running_app()
        results = tuple(r["id"] for r in flow.results) if flow.search_state == "found" else ()
        built = (app.lang, app.font_scale, tuple(flow.types), flow.period, results)
        if built != self._built:
            self._built = built
            self._fill_filters()
            self._fill_results()

    def _fill_filters(self) -> None:
        _ = self.model._
        chips = self.ids.filters
        chips.clear_widgets()
        for record_type in RECORD_TYPES:
            chosen = record_type in self.flow.types
            chip = FilterChip(
                # Words, not only colour, say which types are chosen.
                text=("• " if chosen else "") + _(TYPE_LABELS[record_type]),
                active=chosen,
                action=f"record_type:{record_type}",
            )
            chip.bind(on_release=lambda _c, t=record_type: self.flow.toggle_type(t))
            chips.add_widget(chip)
        label = next(label for key, label, _days in PERIODS if key == self.flow.period)
        period = FilterChip(
            text=_("Date: {period}").format(period=_(label)),
            active=self.flow.period != "any",
            action="record_period",
        )
        period.bind(on_release=lambda _c: self.next_period())
        chips.add_widget(period)

    def next_period(self) -> None:
        keys = [key for key, _label, _days in PERIODS]
        self.flow.choose_period(keys[(keys.index(self.flow.period) + 1) % len(keys)])

    def _fill_results(self) -> None:
        listing = self.ids.results
        listing.clear_widgets()
        # The app's scale: the theme's text size times the display's.
        detail = round(19 * App.get_running_app().font_scale)
        for record in self.flow.results if self.flow.search_state == "found" else ():
            title, kind_and_date, summary = (
                escape_markup(part) for part in self.flow.result_lines(record)
            )
            button = ResultButton(
                text=f"[b]{title}[/b]\n[size={detail}]{kind_and_date}\n{summary}[/size]",
                markup=True,
                record_id=record["id"],
                action=f"record:{record['id']}",
            )
            button.bind(on_release=lambda b: self.flow.open_record(b.record_id))
            listing.add_widget(button)
        self.ids.result_scroll.scroll_y = 1

    def on_words(self, text: str) -> None:
        self.flow.type_words(text)

    def search(self) -> None:
        self.keyboard_shown = False
        self.flow.search()


class RecordScreen(KioskScreen):
    record_title = StringProperty("")
    kind_and_date = StringProperty("")
    notice = StringProperty("")
    summary = StringProperty("")
    page_label = StringProperty("")
    page_text = StringProperty("")
    print_status = StringProperty("")
    ready = BooleanProperty(False)
    has_previous = BooleanProperty(False)
    has_next = BooleanProperty(False)

    @property
    def flow(self):
        return self.model.flows["records"]

    def refresh(self) -> None:
        flow = self.flow
        record = flow.record
        page_changed = self.page_label != (flow.page_label() if record else "")
        self.ready = flow.record_state == "ready"
        self.notice = flow.record_text()
        if record:
            self.record_title = flow.result_lines(record)[0]
            self.kind_and_date = flow.kind_and_date(record)
            self.summary = flow.summary() if flow.page == 0 else ""
            self.page_label = flow.page_label()
            self.page_text = flow.page_text()
        else:
            self.record_title = self.kind_and_date = self.summary = ""
            self.page_label = self.page_text = ""
        self.has_previous = self.ready and flow.page > 0
        self.has_next = self.ready and flow.page + 1 < flow.page_count
        self.print_status = flow.print_text()
        if page_changed:
            self.ids.page_scroll.scroll_y = 1  # a new page starts at its top

"""Help: how to use the kiosk, questions and answers and words explained (searchable),
and "Call for help". UI only: the state is kiosk.flows.help.HelpFlow's."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.label import Label
from kivy.utils import escape_markup

from screens.base import KeyboardFieldScreen
from screens.keyboard import OnScreenKeyboard  # noqa: F401 - used in help.kv

Builder.load_file(str(Path(__file__).with_name("help.kv")))


class HelpHeading(Label):
    pass


class HelpText(Label):
    pass


class HelpScreen(KeyboardFieldScreen):
    call_text = StringProperty("")

    @property
    def flow(self):
        return self.model.flows["help"]

    def refresh(self) -> None:
        flow = self.flow
        field = self.ids.search
        if field.text != flow.query:
            field.text = flow.query
        self.call_text = flow.call_text()
        self._fill_answers()

    def _fill_answers(self) -> None:
        _ = self.model._
        flow = self.flow
        answers = self.ids.answers
        answers.clear_widgets()
        if not flow.query.strip():
            answers.add_widget(HelpHeading(text=_("How to use this kiosk")))
            for line in flow.how_to_use():
                answers.add_widget(HelpText(text=escape_markup(line)))
            contact = self.model.help_contact()
            if contact:
                answers.add_widget(HelpText(text=f"[b]{escape_markup(contact)}[/b]"))
        notice = flow.content_text()
        if notice:
            answers.add_widget(HelpText(text=f"[b]{escape_markup(notice)}[/b]"))
        questions, words = flow.questions(), flow.glossary()
        if questions:
            answers.add_widget(HelpHeading(text=_("Questions and answers")))
        for question, answer in questions:
            answers.add_widget(
                HelpText(text=f"[b]{escape_markup(question)}[/b]\n{escape_markup(answer)}")
            )
        if words:
            answers.add_widget(HelpHeading(text=_("Words you may see")))
        for term, meaning in words:
            answers.add_widget(
                HelpText(text=f"[b]{escape_markup(term)}[/b]: {escape_markup(meaning)}")
            )
        self.ids.answer_scroll.scroll_y = 1

    def on_search_text(self, text: str) -> None:
        self.flow.search(text)

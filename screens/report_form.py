"""The two report steps that are forms: the service's own questions, and the
description with an optional contact. One layout (report_form.kv), two screens."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen
from screens.dynamic_form import DynamicForm, FormKeyboard  # noqa: F401 - used in the .kv

Builder.load_file(str(Path(__file__).with_name("report_form.kv")))


class ReportFormScreen(KioskScreen):
    heading = StringProperty("")
    status = StringProperty("")
    keyboard_kind = StringProperty("")  # "", letters or digits: see FormKeyboard
    can_go_on = BooleanProperty(True)
    can_retry = BooleanProperty(False)

    @property
    def flow(self):
        return self.model.flows["report"]

    def on_kv_post(self, _base_widget) -> None:
        form, keyboard = self.ids.form, self.ids.keyboard
        form.keyboard = keyboard
        form.bind(on_answer=lambda _form, code, value: self.answer(code, value))
        keyboard.bind(kind=lambda _keyboard, kind: setattr(self, "keyboard_kind", kind))

    def refresh(self) -> None:
        model = self.model
        definition, answers = self.form_and_answers()
        self.ids.form.show(definition, answers, self.flow.errors, model.language, model._)

    def on_leave(self, *_args) -> None:
        self.ids.form.release()

    def hide_keyboard(self) -> None:
        self.ids.form.hide_keyboard()

    # To override ------------------------------------------------------------------

    def form_and_answers(self):
        raise NotImplementedError

    def answer(self, code: str, value) -> None:
        raise NotImplementedError


class ReportDetailsScreen(ReportFormScreen):
    """The questions the city asks about this kind of problem (Open311 attributes)."""

    def form_and_answers(self):
        flow = self.flow
        service = flow.chosen_service()
        self.heading = service.service_name if service else ""
        self.status = flow.details_status_text()
        self.can_go_on = bool(flow.definitions)
        self.can_retry = flow.definition_state == "error" and not flow.definitions
        return flow.form(), flow.answers

    def answer(self, code: str, value) -> None:
        self.flow.answer(code, value)


class ReportDescriptionScreen(ReportFormScreen):
    """In the resident's words, and where to send news of it, if anywhere."""

    def form_and_answers(self):
        self.heading = self.model._("Describe the problem")
        self.status = ""
        return self.flow.notes_form(), self.flow.notes

    def answer(self, code: str, value) -> None:
        self.flow.note(code, value)

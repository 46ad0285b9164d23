"""A service step that is a form (screens/dynamic_form.py): its keyboard beside it and
the step buttons under it. One layout (form_step.kv) for the report's and the permit's."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen
from screens.dynamic_form import DynamicForm, FormKeyboard  # noqa: F401 - used in the .kv

Builder.load_file(str(Path(__file__).with_name("form_step.kv")))


class FormStepScreen(KioskScreen):
    flow_name = ""  # the model's flow whose back(), next() and retry_loading() the buttons call
    heading = StringProperty("")
    status = StringProperty("")
    keyboard_kind = StringProperty("")  # "", letters or digits: see FormKeyboard
    can_go_on = BooleanProperty(True)
    can_retry = BooleanProperty(False)

    @property
    def flow(self):
        return self.model.flows[self.flow_name]

    def on_kv_post(self, _base_widget) -> None:
        form, keyboard = self.ids.form, self.ids.keyboard
        form.keyboard = keyboard
        form.bind(on_answer=lambda _form, code, value: self.answer(code, value))
        keyboard.bind(kind=lambda _keyboard, kind: setattr(self, "keyboard_kind", kind))

    def answer(self, code: str, value) -> None:
        self.flow.answer(code, value)

    def on_leave(self, *_args) -> None:
        self.ids.form.release()

    def hide_keyboard(self) -> None:
        self.ids.form.hide_keyboard()

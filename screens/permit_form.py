"""Permits and licences, step 2: the form the city serves, with its documents to bring
as a checklist, each error beside its field (screens/dynamic_form.py)."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder

from screens.form_step import FormStepScreen

Builder.load_file(str(Path(__file__).with_name("permit_form.kv")))


class PermitFormScreen(FormStepScreen):
    flow_name = "permits"
    _errors_shown: tuple = ()

    def refresh(self) -> None:
        flow, model = self.flow, self.model
        self.heading = flow.heading_text()
        self.status = flow.form_status_text()
        self.can_go_on = flow.form is not None
        self.can_retry = flow.form is None and flow.form_state == "error"
        self.ids.form.show(flow.screen_form(), flow.answers, flow.errors, model.language, model._)
        errors = tuple(flow.errors)
        if errors and not set(errors) <= set(self._errors_shown):
            # Checked just now (not an error fixed): the first answer to fix comes into view.
            Clock.schedule_once(lambda _dt: self._show_field(errors[0]))
        self._errors_shown = errors

    def _show_field(self, code: str) -> None:
        form = self.ids.form
        content = form.ids.fields
        block = next((b for b in content.children if getattr(b, "code", "") == code), None)
        if block is None or content.height <= form.height:
            return
        # Its question at the top of the view, then its answers and the error under it.
        top = block.top + 10 - form.height
        form.scroll_y = min(1.0, max(0.0, top / (content.height - form.height)))

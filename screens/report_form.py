"""The two report steps that are forms: the service's own questions, and the
description with an optional contact. Their layout is every form step's (form_step.kv)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from screens.form_step import FormStepScreen

Builder.load_file(str(Path(__file__).with_name("report_form.kv")))


class ReportFormScreen(FormStepScreen):
    flow_name = "report"

    def refresh(self) -> None:
        model = self.model
        definition, answers = self.form_and_answers()
        self.ids.form.show(definition, answers, self.flow.errors, model.language, model._)

    def form_and_answers(self):
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


class ReportDescriptionScreen(ReportFormScreen):
    """In the resident's words, and where to send news of it, if anywhere."""

    def form_and_answers(self):
        self.heading = self.model._("Describe the problem")
        self.status = ""
        return self.flow.notes_form(), self.flow.notes

    def answer(self, code: str, value) -> None:
        self.flow.note(code, value)

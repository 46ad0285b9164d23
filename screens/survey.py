from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.survey import QUESTIONS
from screens.base import KioskScreen
from screens.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_name("survey.kv")))


class SurveyChoice(KioskButton):
    chosen = BooleanProperty(False)


class SurveyScreen(KioskScreen):
    can_submit = BooleanProperty(False)
    # Offered after a service: which one it asks about ("" for the catalogue's survey).
    about = StringProperty("")

    def refresh(self) -> None:
        _ = self.model._
        follows = self.model.survey_follows()
        service = (
            self.model.catalogue.service(follows) if follows and self.model.catalogue else None
        )
        about = self.model.service_title(service) if service else follows or ""
        self.about = _("About: {service}").format(service=about) if about else ""
        questions = self.ids.questions
        questions.clear_widgets()
        for question in QUESTIONS:
            questions.add_widget(QuestionHeading(text=_(question.text)))
            row = BoxLayout(spacing=12, size_hint_y=None, height=questions.choice_height)
            for key, label in question.choices:
                chosen = self.model.survey.answers.get(question.id) == key
                button = SurveyChoice(
                    # Words, not only colour, say which answer is chosen.
                    text=("• " if chosen else "") + _(label),
                    chosen=chosen,
                    primary=chosen,
                    action=f"answer:{question.id}:{key}",
                )
                button.bind(
                    on_release=lambda _b, q=question.id, k=key: self.model.answer_survey(q, k)
                )
                row.add_widget(button)
            questions.add_widget(row)
        self.can_submit = self.model.survey.can_submit


class QuestionHeading(BoxLayout):
    text = StringProperty("")

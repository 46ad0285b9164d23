"""The kiosk's own short satisfaction survey: two taps, every answer optional.

Kept deliberately small (roadmap: portal-defined surveys replace the fixed
questions, the queueing and confirmation stay).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.i18n import N_

SURVEY_ID = "kiosk-satisfaction-v1"
SURVEY_KIND = "survey_response"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    choices: tuple[tuple[str, str], ...]  # (answer key, label msgid)


QUESTIONS = (
    Question(
        "ease",
        N_("How easy was this kiosk to use?"),
        (
            ("very_easy", N_("Very easy")),
            ("easy", N_("Easy")),
            ("hard", N_("Hard")),
            ("very_hard", N_("Very hard")),
        ),
    ),
    Question(
        "found_service",
        N_("Did you find the service you needed?"),
        (("yes", N_("Yes")), ("partly", N_("Partly")), ("no", N_("No"))),
    ),
)


@dataclass
class SurveyForm:
    answers: dict[str, str] = field(default_factory=dict)

    def answer(self, question_id: str, choice: str) -> None:
        question = next((q for q in QUESTIONS if q.id == question_id), None)
        if question is None or choice not in dict(question.choices):
            raise ValueError(f"no answer {choice!r} to question {question_id!r}")
        # Tapping the chosen answer again clears it: every question is optional.
        if self.answers.get(question_id) == choice:
            del self.answers[question_id]
        else:
            self.answers[question_id] = choice

    @property
    def can_submit(self) -> bool:
        return bool(self.answers)

    def payload(self, language: str, service_id: str | None = None) -> dict[str, object]:
        """``service_id``: the service the answers follow, when offered after one."""
        payload = {"survey_id": SURVEY_ID, "answers": dict(self.answers), "locale": language}
        if service_id is not None:
            payload["service_id"] = service_id
        return payload

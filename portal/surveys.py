"""Survey answers that kiosks queue offline and deliver through the sync batch."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from portal.timeutil import to_iso, utc_now

MAX_ANSWER_LENGTH = 1000

Text = Annotated[str, Field(max_length=MAX_ANSWER_LENGTH)]
# StrictInt: a JSON true must not turn into the answer 1.
Answer = Text | StrictInt | Annotated[list[Text], Field(max_length=50)]


class SurveyResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_id: Annotated[str, Field(min_length=1, max_length=64)]
    answers: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=64)], Answer],
        Field(min_length=1, max_length=50),
    ]
    locale: Annotated[str, Field(max_length=16)] | None = None
    kiosk_reference: Annotated[str, Field(max_length=64)] | None = None
    # The kiosk service the answers followed ("pay_bill"), when the survey was offered
    # on that service's confirmation; never the submission's reference, which would tie
    # the answers to a resident.
    service_id: (
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")] | None
    ) = None


def record_survey_response(
    conn: sqlite3.Connection, device_id: str, key: str, survey: SurveyResponse, created_at: str
) -> dict[str, Any]:
    received = {
        "survey_response_id": "sr_" + secrets.token_hex(8),
        "survey_id": survey.survey_id,
        "received_at": to_iso(utc_now()),
    }
    conn.execute(
        "INSERT INTO survey_responses (id, device_id, idempotency_key, survey_id, answers,"
        " locale, kiosk_reference, created_at, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            received["survey_response_id"],
            device_id,
            key,
            survey.survey_id,
            json.dumps(survey.answers, ensure_ascii=False),
            survey.locale,
            survey.kiosk_reference,
            created_at,
            received["received_at"],
        ),
    )
    if survey.service_id is not None:
        conn.execute(
            "INSERT INTO survey_response_services (survey_response_id, service_id) VALUES (?, ?)",
            (received["survey_response_id"], survey.service_id),
        )
    return received

"""What counts as answered, for the review, the receipt and a renewal's filled-in
values: a valid answer to a question the form asks."""

from __future__ import annotations

import datetime

from kiosk.forms import NUMBER, STRING, TEXT, FormDefinition, FormField

NOW = datetime.datetime(2026, 11, 20, 19, 0, tzinfo=datetime.UTC)


def test_answered_is_the_valid_answers_in_the_forms_order():
    form = FormDefinition(
        (
            FormField("name", STRING, {"en": "Name"}, required=True),
            FormField("guests", NUMBER, {"en": "Guests"}, maximum=50),
            FormField("notice", TEXT, {"en": "Read this first."}, asks=False),
            FormField("street", STRING, {"en": "Street"}),
        )
    )
    answers = {"street": "Elm Row", "name": "  ", "guests": "80", "notice": "x"}
    assert [question.code for question in form.answered(answers, NOW)] == ["street"]

    answers |= {"name": "Ada", "guests": "12"}
    answered = form.answered(answers, NOW)
    assert [question.code for question in answered] == ["name", "guests", "street"]

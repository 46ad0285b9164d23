"""The dynamic-form engine: Open311 attributes of every datatype, and the generic rules
a portal's own forms (permits) use; errors are message ids, translated when shown."""

from __future__ import annotations

import copy
import datetime

import pytest

from kiosk.forms import (
    CONFIRM,
    DATE,
    DATETIME,
    MULTI_CHOICE,
    NUMBER,
    OTHER_DAY,
    SINGLE_CHOICE,
    STRING,
    TEXT,
    TODAY,
    YESTERDAY,
    Choice,
    FieldError,
    FormDefinition,
    FormField,
    WhenAnswer,
)
from kiosk.open311_client import parse_service_definition
from portal.demo_open311 import GRAFFITI, ILLEGAL_DUMPING, POTHOLE, STREETLIGHT
from portal.open311_records import service_definition

# A Friday evening in Lindenfield's winter time.
NOW = datetime.datetime(2026, 11, 20, 19, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))


def georeport(service, language="en"):
    """The definition exactly as the reference portal serves it, parsed by our client."""
    return parse_service_definition(service_definition(service, language), service["service_code"])


def form_of(service) -> FormDefinition:
    return FormDefinition.from_open311({"en": georeport(service), "es": georeport(service, "es")})


def english(message: str) -> str:
    return message


def test_open311_attributes_become_fields_with_texts_in_each_language():
    form = form_of(POTHOLE)
    assert [f.code for f in form.fields] == ["size", "depth_in", "lane"]
    size = form.field("size")
    assert (size.datatype, size.required, size.asks) == (SINGLE_CHOICE, True, True)
    assert size.label_in("es") == "¿Qué tan grande es el hoyo?"
    assert size.label_in("en") == "How big is the hole?"
    assert size.label_in("zh") == "How big is the hole?"  # a language the city lacks
    assert size.choice_label("large", "es") == "Más grande que una llanta"
    depth = form.field("depth_in")
    assert (depth.datatype, depth.required) == (NUMBER, False)
    assert depth.hint_in("en") == "Inches, for example 3"
    # A datetime is chosen by touch: an ISO 8601 example would only mislead.
    assert form_of(STREETLIGHT).field("noticed_at").hint == {}


def test_fields_follow_the_order_the_city_gives_not_the_list_order():
    shuffled = copy.deepcopy(POTHOLE)
    shuffled["attributes"].reverse()
    shuffled["attributes"][0]["order"] = 7  # "lane" now comes last
    assert [f.code for f in form_of(shuffled).fields] == ["size", "depth_in", "lane"]


def test_an_informational_attribute_asks_nothing_even_if_marked_required():
    notice = copy.deepcopy(GRAFFITI)
    notice["attributes"].append(
        {
            "variable": False,
            "code": "notice",
            "order": 0,
            "datatype": "text",
            "required": True,
            "description": {"en": "We remove offensive words first.", "es": "Primero..."},
            "datatype_description": {"en": "", "es": ""},
        }
    )
    form = form_of(notice)
    info = form.fields[0]
    assert (info.code, info.asks, info.required) == ("notice", False, False)
    assert info not in form.questions
    answers = {"surface": ("wall",), "offensive": "no"}
    assert form.validate(answers, NOW) == {}
    assert form.wire_values(answers, NOW) == {"surface": ["wall"], "offensive": "no"}


def test_every_open311_datatype_is_checked_and_sent_as_georeport_values():
    dumping, light, pothole = form_of(ILLEGAL_DUMPING), form_of(STREETLIGHT), form_of(POTHOLE)
    assert dumping.validate({}, NOW) == {"items": FieldError("Please choose an answer.")}
    answers = {"items": ("tires", "bags"), "item_count": "4", "details": "  Behind the shed "}
    assert dumping.wire_values(answers, NOW) == {
        "items": ["tires", "bags"],
        "item_count": "4",
        "details": "Behind the shed",
    }
    assert dumping.validate({"items": ("tires", "boat")}, NOW) == {
        "items": FieldError("Please choose one of the answers shown.")
    }
    assert pothole.validate({"size": "huge"}, NOW)["size"].message == (
        "Please choose one of the answers shown."
    )
    assert pothole.validate({"size": "small", "depth_in": "deep"}, NOW)["depth_in"] == FieldError(
        "Please type a number, for example 3."
    )
    evening = {
        "problem": "out",
        "pole_number": "LF-2231",
        "noticed_at": WhenAnswer(YESTERDAY, "", "21:30"),
    }
    assert light.wire_values(evening, NOW) == {
        "problem": "out",
        "pole_number": "LF-2231",
        "noticed_at": "2026-11-19T21:30:00-05:00",
    }
    with pytest.raises(ValueError):
        light.wire_values({"problem": "nope"}, NOW)


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (WhenAnswer("", "", "21:30"), "Please choose the day."),
        (WhenAnswer(OTHER_DAY, "", "21:30"), "Please type a real date"),
        (WhenAnswer(OTHER_DAY, "2026-02-30", "21:30"), "Please type a real date"),
        (WhenAnswer(OTHER_DAY, "2026-11-1", "21:30"), "Please type a real date"),
        (WhenAnswer(TODAY, "", ""), "Please type the time"),
        (WhenAnswer(TODAY, "", "24:00"), "Please type the time"),
        (WhenAnswer(TODAY, "", "7:5"), "Please type the time"),
        ("2026-11-20T21:30", "Please choose the day."),
    ],
)
def test_a_datetime_needs_a_day_and_a_real_time(answer, problem):
    field = form_of(STREETLIGHT).field("noticed_at")
    assert field.check(answer, NOW).text(english).startswith(problem)


def test_a_datetime_is_typed_as_digits_on_a_keypad():
    field = form_of(STREETLIGHT).field("noticed_at")
    typed = field.normalised(WhenAnswer(OTHER_DAY, "20261103x9", "213"))
    assert typed == WhenAnswer(OTHER_DAY, "2026-11-03", "21:3")
    assert field.normalised(WhenAnswer(OTHER_DAY, "2026110", "")).date == "2026-11-0"
    done = field.normalised(WhenAnswer(OTHER_DAY, "20261103", "2130"))
    assert field.check(done, NOW) is None
    assert field.wire(done, NOW) == "2026-11-03T21:30:00-05:00"
    assert field.shown(done, "en", english, NOW) == "November 3, 2026, 9:30 PM"
    assert field.shown(done, "es", english, NOW) == "3 de noviembre de 2026, 21:30"
    assert field.shown(WhenAnswer(TODAY, "", "07:05"), "en", english, NOW) == "Today, 7:05 AM"
    assert field.check(WhenAnswer(), NOW) is None  # optional, and left empty


def test_a_number_keeps_only_what_a_number_can_hold():
    depth = form_of(POTHOLE).field("depth_in")
    assert depth.normalised("-3.2.1 in") == "-3.21"
    assert depth.normalised("12,5") == "125"
    assert depth.check("nan", NOW) == FieldError("Please type a number, for example 3.")
    assert depth.check("inf", NOW) == FieldError("Please type a number, for example 3.")


def permit_form() -> FormDefinition:
    """What a portal-served permit application might hold, beyond Open311."""
    return FormDefinition(
        (
            FormField(
                "plate",
                STRING,
                {"en": "Licence plate", "es": "Matrícula"},
                {"en": "Like ABC-1234"},
                required=True,
                pattern=r"[A-Z]{3}-\d{4}",
            ),
            FormField("name", STRING, {"en": "Name"}, required=True, min_length=2, max_length=40),
            FormField("guests", NUMBER, {"en": "Guests"}, minimum=1, maximum=200),
            FormField("day", DATE, {"en": "Day of the event"}, required=True),
            FormField("why", TEXT, {"en": "Why"}, max_length=10),
            FormField(
                "proof", CONFIRM, {"en": "I have proof of address", "es": "Tengo..."}, required=True
            ),
            FormField(
                "kind",
                SINGLE_CHOICE,
                {"en": "Kind"},
                choices=(Choice("a", {"en": "A", "es": "Á"}), Choice("b", {"en": "B"})),
            ),
        )
    )


def test_generic_rules_explain_each_problem_beside_its_field():
    form = permit_form()
    answers = {
        "plate": "abc-1234",
        "name": "J",
        "guests": "500",
        "day": WhenAnswer(OTHER_DAY, "2027-02-29", ""),
        "why": "because I can",
        "proof": False,
    }
    errors = {code: error.text(english) for code, error in form.validate(answers, NOW).items()}
    assert errors == {
        "plate": "This is not in the form asked for. Please check it.",
        "name": "Please type at least 2 characters.",
        "guests": "Please type a number of 200 or less.",
        "day": "Please type a real date: year, month, day, for example 2026-11-20.",
        "why": "Please make this shorter: at most 10 characters (now 13).",
        "proof": "Please confirm this before you go on.",
    }
    assert form.validate({**answers, "guests": "0"}, NOW)["guests"].text(english) == (
        "Please type a number of 1 or more."
    )
    good = {
        "plate": "ABC-1234",
        "name": "Jo",
        "guests": "12",
        "day": WhenAnswer(OTHER_DAY, "2027-03-01", ""),
        "proof": True,
        "kind": "a",
    }
    assert form.validate(good, NOW) == {}
    assert form.wire_values(good, NOW) == {
        "plate": "ABC-1234",
        "name": "Jo",
        "guests": "12",
        "day": "2027-03-01",
        "proof": "yes",
        "kind": "a",
    }
    assert form.summary(good, "es", english, NOW)[0] == ("Matrícula", "ABC-1234")
    assert ("Kind", "Á") in form.summary(good, "es", english, NOW)
    assert ("Day of the event", "1 de marzo de 2027") in form.summary(good, "es", english, NOW)


def test_a_changed_answer_is_kept_normalised_and_clears_only_its_own_error():
    form = permit_form()
    answers: dict[str, object] = {}
    errors = form.validate({"name": "J", "guests": "500"}, NOW)
    assert {"name", "guests"} <= set(errors)

    assert form.answer_into(answers, errors, "guests", " 12 ") is True
    assert answers == {"guests": form.field("guests").normalised(" 12 ")}
    assert "guests" not in errors and "name" in errors

    # The same value again changes nothing, so the flow neither redraws nor speaks.
    kept = dict(errors)
    assert form.answer_into(answers, errors, "guests", " 12 ") is False
    assert errors == kept
    with pytest.raises(KeyError):
        form.answer_into(answers, errors, "no-such-field", "x")


def test_errors_are_translated_only_when_shown_with_their_numbers():
    error = permit_form().validate({"guests": "999"}, NOW)["guests"]
    assert error == FieldError("Please type a number of {maximum} or less.", {"maximum": "200"})
    spanish = {
        "Please type a number of {maximum} or less.": "Escriba un número de {maximum} o menos."
    }
    assert error.text(lambda message: spanish.get(message, message)) == (
        "Escriba un número de 200 o menos."
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: (FormField("a", "boolean", {"en": "A"}),),
        lambda: (FormField("a", MULTI_CHOICE, {"en": "A"}),),
        lambda: (FormField("a", STRING, {"en": "A"}), FormField("a", TEXT, {"en": "B"})),
        lambda: (FormField("a", STRING, {"en": "A"}, pattern="[unclosed"),),
    ],
    ids=["unknown datatype", "list without choices", "same code twice", "broken pattern"],
)
def test_a_form_that_cannot_be_shown_is_refused_when_made(make):
    with pytest.raises(Exception):  # noqa: B017 - ValueError or re.error, both refusals
        FormDefinition(make())


def test_one_language_is_enough_and_an_empty_definition_is_not():
    form = FormDefinition.from_open311({"es": georeport(POTHOLE, "es")})
    assert form.field("lane").label_in("en") == "¿En qué parte de la calle está?"
    with pytest.raises(ValueError):
        FormDefinition.from_open311({})
    with pytest.raises(KeyError):
        form.field("nope")
    assert DATETIME in {f.datatype for f in form_of(STREETLIGHT).fields}

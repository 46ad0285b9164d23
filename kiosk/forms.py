"""Dynamic forms, free of Kivy: fields a portal defines, answered on a touch screen.

A :class:`FormDefinition` is a list of generic :class:`FormField`\\ s: a datatype, a label
and an optional hint in every language the portal gave, whether an answer is required,
and validation rules (length, pattern, number range). Open311 service attributes
become one with :meth:`FormDefinition.from_open311`; other portal-served forms (permit
applications) use the same fields, with ``confirm`` fields for a checklist of required
documents and ``date`` fields for days without a time.

Answers live outside the definition, in a plain mapping of field code to value, so a
language switch (a new definition with the same codes) keeps them. Validation returns
errors as untranslated message ids with parameters, one per field code, translated
only when shown: the screen puts each beside its field, in the session's language.

Value of each datatype: text (``string``, ``text``, ``number``: as typed), a choice key
(``singlevaluelist``), a tuple of keys (``multivaluelist``), ``True``/``False``
(``confirm``), and a :class:`WhenAnswer` (``datetime``, ``date``): a day chosen by touch
(today, yesterday or another day typed on a keypad) and a time typed as digits.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kiosk.i18n import N_, pick

STRING, NUMBER, DATETIME, TEXT = "string", "number", "datetime", "text"
SINGLE_CHOICE, MULTI_CHOICE = "singlevaluelist", "multivaluelist"
# Beyond Open311: a day without a time, and a box to tick (a required document).
DATE, CONFIRM = "date", "confirm"
DATATYPES = (STRING, NUMBER, DATETIME, TEXT, SINGLE_CHOICE, MULTI_CHOICE, DATE, CONFIRM)
TYPED = (STRING, NUMBER, TEXT)
WHEN = (DATETIME, DATE)
TODAY, YESTERDAY, OTHER_DAY = "today", "yesterday", "other"
DAY_CHOICES = (
    (TODAY, N_("Today")),
    (YESTERDAY, N_("Yesterday")),
    (OTHER_DAY, N_("Another day")),
)
_DATE_TYPED = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME_TYPED = re.compile(r"(\d{2}):(\d{2})")

Translations = Mapping[str, str]
Answers = Mapping[str, object]


@dataclass(frozen=True)
class Choice:
    key: str
    label: Translations


@dataclass(frozen=True)
class WhenAnswer:
    day: str = ""  # TODAY, YESTERDAY or OTHER_DAY
    date: str = ""  # YYYY-MM-DD, for another day
    time: str = ""  # HH:MM, 24-hour

    def is_empty(self) -> bool:
        return not (self.day or self.date or self.time)


@dataclass(frozen=True)
class FieldError:
    """An untranslated message id and its parameters, translated when shown."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**self.params)


@dataclass(frozen=True)
class FormField:
    code: str
    datatype: str
    label: Translations
    hint: Translations = field(default_factory=dict)
    required: bool = False
    order: int = 0
    # False: the label is information to read (Open311 variable=false); nothing is asked.
    asks: bool = True
    choices: tuple[Choice, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None  # the whole answer must match
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.datatype not in DATATYPES:
            raise ValueError(f"field {self.code!r}: unknown datatype {self.datatype!r}")
        if self.datatype in (SINGLE_CHOICE, MULTI_CHOICE) and self.asks and not self.choices:
            raise ValueError(f"field {self.code!r}: a {self.datatype} needs choices")
        if self.pattern is not None:
            re.compile(self.pattern)

    def label_in(self, language: str) -> str:
        return pick(dict(self.label), language)

    def hint_in(self, language: str) -> str:
        return pick(dict(self.hint), language)

    def choice_label(self, key: str, language: str) -> str:
        choice = next((c for c in self.choices if c.key == key), None)
        return pick(dict(choice.label), language) if choice else key

    # Entry ------------------------------------------------------------------------

    def normalised(self, value: object) -> object:
        """What the resident typed, tidied as they type: a number keeps only what a
        number can hold; a date and a time get their separators as digits arrive."""
        if self.datatype == NUMBER:
            return _number_text(str(value or ""))
        if self.datatype in WHEN and isinstance(value, WhenAnswer):
            return WhenAnswer(
                value.day, _digits_as(value.date, "####-##-##"), _digits_as(value.time, "##:##")
            )
        if self.datatype == MULTI_CHOICE:
            return tuple(dict.fromkeys(value or ()))
        return value

    def is_empty(self, value: object) -> bool:
        if isinstance(value, WhenAnswer):
            return value.is_empty()
        if isinstance(value, str):
            return not value.strip()
        return not value

    # Checking -----------------------------------------------------------------------

    def check(self, value: object, now: datetime.datetime) -> FieldError | None:
        if not self.asks:
            return None
        if self.is_empty(value):
            if not self.required:
                return None
            if self.datatype in (SINGLE_CHOICE, MULTI_CHOICE):
                return FieldError(CHOOSE_AN_ANSWER)
            return FieldError(CONFIRM_THIS if self.datatype == CONFIRM else ANSWER_THIS)
        if self.datatype in TYPED:
            return self._check_text(str(value))
        if self.datatype in (SINGLE_CHOICE, MULTI_CHOICE):
            keys = [value] if isinstance(value, str) else list(value)
            known = {choice.key for choice in self.choices}
            return None if set(keys) <= known else FieldError(NOT_A_CHOICE)
        if self.datatype in WHEN:
            return self._check_when(value, now)
        return None if value is True else FieldError(CONFIRM_THIS)

    def _check_text(self, text: str) -> FieldError | None:
        text = text.strip()
        if self.datatype == NUMBER:
            number = _number(text)
            if number is None:
                return FieldError(NOT_A_NUMBER)
            if self.minimum is not None and number < self.minimum:
                return FieldError(NUMBER_TOO_SMALL, {"minimum": _plain(self.minimum)})
            if self.maximum is not None and number > self.maximum:
                return FieldError(NUMBER_TOO_BIG, {"maximum": _plain(self.maximum)})
            return None
        if self.min_length is not None and len(text) < self.min_length:
            return FieldError(TOO_SHORT, {"minimum": self.min_length})
        if self.max_length is not None and len(text) > self.max_length:
            return FieldError(TOO_LONG, {"maximum": self.max_length, "length": len(text)})
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            return FieldError(NOT_IN_FORM)
        return None

    def _check_when(self, value: object, now: datetime.datetime) -> FieldError | None:
        if not isinstance(value, WhenAnswer) or value.day not in (TODAY, YESTERDAY, OTHER_DAY):
            return FieldError(CHOOSE_A_DAY)
        if _day(value, now) is None:
            return FieldError(NOT_A_DATE, {"example": now.date().isoformat()})
        if self.datatype == DATETIME and _time(value.time) is None:
            return FieldError(NOT_A_TIME)
        return None

    # Sending and showing ----------------------------------------------------------

    def wire(self, value: object, now: datetime.datetime) -> str | list[str]:
        """The answer as a portal takes it (Open311: attribute[code] values). Only
        for a valid, non-empty answer."""
        if self.datatype == MULTI_CHOICE:
            return list(value)
        if self.datatype == CONFIRM:
            return "yes"
        if self.datatype == DATE:
            return _day(value, now).isoformat()
        if self.datatype == DATETIME:
            moment = datetime.datetime.combine(_day(value, now), _time(value.time), now.tzinfo)
            return moment.isoformat(timespec="seconds")
        return str(value).strip()

    def shown(self, value: object, language: str, gettext, now: datetime.datetime) -> str:
        """A valid answer in the resident's words, for the review, receipt and speech."""
        from babel.dates import format_date, format_time

        if self.datatype == SINGLE_CHOICE:
            return self.choice_label(value, language)
        if self.datatype == MULTI_CHOICE:
            return ", ".join(self.choice_label(key, language) for key in value)
        if self.datatype == CONFIRM:
            return gettext("Yes")
        if self.datatype in WHEN:
            day = _day(value, now)
            names = dict(DAY_CHOICES)
            shown = gettext(names[value.day]) if value.day != OTHER_DAY else ""
            shown = shown or format_date(day, format="long", locale=language)
            if self.datatype == DATETIME:
                shown += ", " + format_time(_time(value.time), format="short", locale=language)
            # CLDR puts a narrow no-break space before AM/PM; kiosk fonts and receipt
            # code pages lack it.
            return shown.replace("\u202f", " ")
        return str(value).strip()


@dataclass(frozen=True)
class FormDefinition:
    fields: tuple[FormField, ...]

    def __post_init__(self) -> None:
        codes = [f.code for f in self.fields]
        if len(set(codes)) != len(codes):
            raise ValueError("two fields share a code")

    @classmethod
    def from_open311(cls, definitions: Mapping[str, object]) -> FormDefinition:
        """One form from a GeoReport v2 service definition fetched in one or more
        languages ({language: kiosk.open311_client.ServiceDefinition}); the first
        gives the structure, each gives its language's texts."""
        if not definitions:
            raise ValueError("no service definition")
        structure = next(iter(definitions.values()))
        by_language = {
            language: {attribute.code: attribute for attribute in definition.attributes}
            for language, definition in definitions.items()
        }
        fields = []
        for attribute in structure.attributes:
            same = {
                language: attributes[attribute.code]
                for language, attributes in by_language.items()
                if attribute.code in attributes
            }
            names = {
                language: {value.key: value.name for value in other.values}
                for language, other in same.items()
            }
            fields.append(
                FormField(
                    code=attribute.code,
                    datatype=attribute.datatype,
                    label={language: other.description for language, other in same.items()},
                    # A datetime is entered by touch, not typed in the format the city
                    # describes (an ISO 8601 example): that description would mislead.
                    hint={
                        language: other.datatype_description
                        for language, other in same.items()
                        if other.datatype_description and attribute.datatype != DATETIME
                    },
                    required=attribute.required and attribute.variable,
                    order=attribute.order,
                    asks=attribute.variable,
                    choices=tuple(
                        Choice(
                            value.key,
                            {
                                language: keys[value.key]
                                for language, keys in names.items()
                                if value.key in keys
                            },
                        )
                        for value in attribute.values
                    ),
                )
            )
        return cls(tuple(sorted(fields, key=lambda f: f.order)))

    def field(self, code: str) -> FormField:
        found = next((f for f in self.fields if f.code == code), None)
        if found is None:
            raise KeyError(code)
        return found

    @property
    def questions(self) -> tuple[FormField, ...]:
        return tuple(f for f in self.fields if f.asks)

    def answer_into(
        self, answers: dict[str, object], errors: dict[str, FieldError], code: str, value: object
    ) -> bool:
        """Keep the resident's ``value`` for ``code``; True when it changed anything.

        The field's error goes with the old value: the resident is fixing it, and
        a stale message beside a corrected answer reads as if the fix failed.
        """
        value = self.field(code).normalised(value)
        if value == answers.get(code):
            return False
        answers[code] = value
        errors.pop(code, None)
        return True

    def validate(self, answers: Answers, now: datetime.datetime) -> dict[str, FieldError]:
        """Every field's problem, by field code; empty when all is well."""
        errors = {}
        for question in self.questions:
            error = question.check(answers.get(question.code), now)
            if error is not None:
                errors[question.code] = error
        return errors

    def answered(self, answers: Answers, now: datetime.datetime) -> tuple[FormField, ...]:
        """The questions with a valid answer, in the form's order; unanswered and wrong
        ones are left out."""
        return tuple(
            question
            for question in self.questions
            if not question.is_empty(answers.get(question.code))
            and question.check(answers[question.code], now) is None
        )

    def wire_values(self, answers: Answers, now: datetime.datetime) -> dict[str, str | list[str]]:
        """The answered questions as a portal takes them; call after validate()."""
        if self.validate(answers, now):
            raise ValueError("the answers are not valid")
        return {
            question.code: question.wire(answers[question.code], now)
            for question in self.answered(answers, now)
        }

    def summary(
        self, answers: Answers, language: str, gettext, now: datetime.datetime
    ) -> list[tuple[str, str]]:
        """(label, answer) of every answered question, in the resident's language."""
        return [
            (
                question.label_in(language),
                question.shown(answers[question.code], language, gettext, now),
            )
            for question in self.answered(answers, now)
        ]


def _digits_as(text: str, layout: str) -> str:
    """Digits of ``text`` laid out on ``layout`` ('#' a digit), separators added as
    soon as the digit after them arrives: "2026112" -> "2026-11-2"."""
    digits = [char for char in text if char.isdigit()][: layout.count("#")]
    out = []
    for slot in layout:
        if not digits:
            break
        out.append(digits.pop(0) if slot == "#" else slot)
    return "".join(out)


def _number_text(text: str) -> str:
    out = []
    for char in text.strip()[:24]:
        if char.isdigit() or (char == "." and "." not in out) or (char == "-" and not out):
            out.append(char)
    return "".join(out)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _day(value: WhenAnswer, now: datetime.datetime) -> datetime.date | None:
    if value.day == TODAY:
        return now.date()
    if value.day == YESTERDAY:
        return now.date() - datetime.timedelta(days=1)
    match = _DATE_TYPED.fullmatch(value.date)
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _time(text: str) -> datetime.time | None:
    match = _TIME_TYPED.fullmatch(text)
    if match is None:
        return None
    hour, minute = (int(part) for part in match.groups())
    return datetime.time(hour, minute) if hour < 24 and minute < 60 else None


ANSWER_THIS = N_("Please answer this question.")
CHOOSE_AN_ANSWER = N_("Please choose an answer.")
CONFIRM_THIS = N_("Please confirm this before you go on.")
NOT_A_CHOICE = N_("Please choose one of the answers shown.")
NOT_A_NUMBER = N_("Please type a number, for example 3.")
NUMBER_TOO_SMALL = N_("Please type a number of {minimum} or more.")
NUMBER_TOO_BIG = N_("Please type a number of {maximum} or less.")
TOO_SHORT = N_("Please type at least {minimum} characters.")
TOO_LONG = N_("Please make this shorter: at most {maximum} characters (now {length}).")
NOT_IN_FORM = N_("This is not in the form asked for. Please check it.")
CHOOSE_A_DAY = N_("Please choose the day.")
NOT_A_DATE = N_("Please type a real date: year, month, day, for example {example}.")
NOT_A_TIME = N_("Please type the time as hours and minutes, from 00:00 to 23:59.")

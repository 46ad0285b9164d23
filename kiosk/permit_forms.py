"""Permit and licence forms as the portal serves them, made into kiosk.forms definitions.

A form (GET /api/v1/permits/forms/{id}) lists its fields with Open311's datatypes, the
documents to bring and the fee; the list (GET /api/v1/permits/forms) has the same
without fields and documents. Fields become :class:`kiosk.forms.FormField`\\ s, so the
kiosk renders and checks them with the same engine as a problem report; each document
becomes a ``confirm`` box ("I will bring: ..."), built in the session's language at
display time. A resident's permit (POST /api/v1/permits/mine) carries its values,
which become answers, so a renewal asks only what is missing.

Anything malformed is a PortalBadResponse: never guessed at.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from kiosk import forms
from kiosk.forms import Choice, FormDefinition, FormField, WhenAnswer
from kiosk.i18n import N_, pick
from kiosk.portal_client import PortalBadResponse

# Field codes of the documents checklist; the portal's field codes never hold a colon.
DOCUMENT_PREFIX = "document:"
BRING = N_("I will bring: {document}")
_PORTAL_DATATYPES = (
    forms.STRING,
    forms.NUMBER,
    forms.DATETIME,
    forms.TEXT,
    forms.SINGLE_CHOICE,
    forms.MULTI_CHOICE,
    forms.DATE,
)


@dataclass(frozen=True)
class RequiredDocument:
    code: str
    label: Mapping[str, str]
    required: bool = True

    def label_in(self, language: str) -> str:
        return pick(dict(self.label), language)


@dataclass(frozen=True)
class PermitForm:
    """A form; from the list, without ``fields`` and ``documents``."""

    form_id: str
    version: int
    title: Mapping[str, str]
    summary: Mapping[str, str]
    fee_cents: int
    renewal_fee_cents: int
    currency: str
    renewable: bool
    fields: tuple[FormField, ...] = ()
    documents: tuple[RequiredDocument, ...] = ()

    def fee(self, renewal: bool) -> int:
        return self.renewal_fee_cents if renewal else self.fee_cents

    def title_in(self, language: str) -> str:
        return pick(dict(self.title), language)

    def questions(self) -> FormDefinition:
        """Every field the city asks, without the documents."""
        return FormDefinition(self.fields)

    def checklist(self, language: str, gettext: Callable[[str], str]) -> tuple[FormField, ...]:
        return tuple(
            FormField(
                DOCUMENT_PREFIX + document.code,
                forms.CONFIRM,
                {language: gettext(BRING).format(document=document.label_in(language))},
                required=document.required,
                order=1000 + index,
            )
            for index, document in enumerate(self.documents)
        )

    def to_answer(self, language: str, gettext, *, skip=frozenset()) -> FormDefinition:
        """What the form screen asks: the fields not in ``skip`` (answered already, from
        the resident's permit), then the documents checklist."""
        asked = tuple(field for field in self.fields if field.code not in skip)
        return FormDefinition(asked + self.checklist(language, gettext))

    def confirmed_documents(self, answers: Mapping[str, object]) -> list[str]:
        return [
            document.code
            for document in self.documents
            if answers.get(DOCUMENT_PREFIX + document.code) is True
        ]

    def portal_values(self, answers: Mapping[str, object], now: datetime.datetime) -> dict:
        """The answers as the portal checks them: numbers as numbers. Only once valid."""
        values = self.questions().wire_values(answers, now)
        for field in self.fields:
            if field.datatype == forms.NUMBER and field.code in values:
                number = float(values[field.code])
                values[field.code] = int(number) if number.is_integer() else number
        return values

    def answers_from(self, values: Mapping[str, object]) -> dict[str, object]:
        """A permit's values as answers, as if the resident had entered them; values
        the form cannot hold are left out, to be asked."""
        answers: dict[str, object] = {}
        for field in self.fields:
            answer = _answer(field, values.get(field.code))
            if answer is not None:
                answers[field.code] = answer
        return answers


def parse_form_list(document: object) -> tuple[PermitForm, ...]:
    entries = document.get("forms") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise PortalBadResponse("permit forms: expected {'forms': [...]}")
    return tuple(_summary(entry) for entry in entries)


def parse_form(document: object) -> PermitForm:
    summary = _summary(document)
    raw_fields, raw_documents = document.get("fields"), document.get("documents", [])
    if not isinstance(raw_fields, list) or not isinstance(raw_documents, list):
        raise PortalBadResponse(f"permit form {summary.form_id}: fields and documents are lists")
    try:
        fields = tuple(_field(raw, index) for index, raw in enumerate(raw_fields))
        FormDefinition(fields)  # codes are unique
        documents = tuple(
            RequiredDocument(str(raw["code"]), _texts(raw["label"]), bool(raw.get("required")))
            for raw in raw_documents
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PortalBadResponse(f"permit form {summary.form_id}: {error}") from None
    return replace(summary, fields=fields, documents=documents)


def parse_permits(document: object) -> tuple[dict, ...]:
    """The resident's permits: permit_number, form_id, expires, values."""
    entries = document.get("permits") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("permit_number"), str)
        and isinstance(entry.get("form_id"), str)
        and isinstance(entry.get("values"), dict)
        for entry in entries
    ):
        raise PortalBadResponse("permits: expected {'permits': [{permit_number, form_id, ...}]}")
    return tuple(entries)


def _summary(entry: object) -> PermitForm:
    try:
        fee, renewal_fee = entry["fee_cents"], entry.get("renewal_fee_cents", entry["fee_cents"])
        version = entry["version"]
        if not all(_whole(number) for number in (fee, renewal_fee, version)):
            raise ValueError("fees and version are whole numbers")
        return PermitForm(
            form_id=str(entry["form_id"]),
            version=version,
            title=_texts(entry["title"]),
            summary=_texts(entry.get("summary", {})),
            fee_cents=fee,
            renewal_fee_cents=renewal_fee,
            currency=str(entry["currency"]),
            renewable=bool(entry.get("renewable")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PortalBadResponse(f"permit form: {error!r}") from None


def _field(raw: dict, index: int) -> FormField:
    datatype = raw["datatype"]
    if datatype not in _PORTAL_DATATYPES:
        raise ValueError(f"field {raw.get('code')!r}: unknown datatype {datatype!r}")
    hint = _texts(raw.get("hint", {}))
    # The format the city asks for goes under the label, before the resident types.
    for language, text in _texts(raw.get("pattern_hint", {})).items():
        hint[language] = f"{hint[language]} {text}" if hint.get(language) else text
    return FormField(
        code=str(raw["code"]),
        datatype=datatype,
        label=_texts(raw["label"]),
        hint=hint,
        required=bool(raw.get("required")),
        order=index,
        choices=tuple(
            Choice(str(value["key"]), _texts(value["name"])) for value in raw.get("values", [])
        ),
        min_length=raw.get("min_length"),
        max_length=raw.get("max_length"),
        pattern=raw.get("pattern"),
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
    )


def _whole(number: object) -> bool:
    return isinstance(number, int) and not isinstance(number, bool) and number >= 0


def _texts(value: object) -> dict[str, str]:
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("a text is a {language: text} object")
    return dict(value)


def _answer(field: FormField, value: object) -> object | None:
    if value is None or isinstance(value, bool):
        return None
    datatype = field.datatype
    if datatype == forms.NUMBER and isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if datatype == forms.MULTI_CHOICE and isinstance(value, list):
        return tuple(str(key) for key in value)
    if datatype in forms.WHEN and isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
        time = moment.strftime("%H:%M") if datatype == forms.DATETIME else ""
        return WhenAnswer(forms.OTHER_DAY, moment.date().isoformat(), time)
    if datatype in (forms.STRING, forms.TEXT, forms.SINGLE_CHOICE) and isinstance(value, str):
        return value
    return None

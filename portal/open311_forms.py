"""Reading and checking a GeoReport v2 ``POST requests.json`` form.

GeoReport v2 sends ``application/x-www-form-urlencoded`` with attributes as
``attribute[CODE]=value`` and multi-value lists as repeated ``attribute[CODE][]=v``.
The form is parsed here by hand: it is tiny, and FastAPI's Form() would pull in
python-multipart for nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from portal.errors import Open311Error
from portal.store import PortalStore
from portal.timeutil import parse_iso, to_iso

_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
KIOSK_REQUEST_ID = "kiosk_request_id"
# Stored as given; everything else in a form is checked, typed or derived first.
DETAIL_FIELDS = (
    "description",
    "media_url",
    "email",
    "first_name",
    "last_name",
    "phone",
    "account_id",
)


@dataclass
class SubmittedForm:
    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        value = self.fields.get(name, "").strip()
        return value or None


def parse_form(body: bytes, content_type: str) -> SubmittedForm:
    if content_type and not content_type.startswith("application/x-www-form-urlencoded"):
        raise Open311Error(400, "Send the request as application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise Open311Error(400, "The form must be UTF-8 encoded.") from exc
    form = SubmittedForm()
    for name, value in pairs:
        match = _ATTRIBUTE.fullmatch(name)
        if match:
            form.attributes.setdefault(match.group(1), []).append(value)
        else:
            form.fields.setdefault(name, value)
    return form


def _number(code: str, text: str) -> int | float:
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"attribute[{code}] must be a number.") from None
    if not math.isfinite(value):
        raise Open311Error(400, f"attribute[{code}] must be a finite number.")
    return int(value) if value.is_integer() and "." not in text else value


def iso_datetime(name: str, text: str) -> str:
    """``text`` as a normalised ISO 8601 time, or a 400 naming the parameter."""
    try:
        return to_iso(parse_iso(text))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date and time.") from None


def _list_keys(attribute: dict[str, Any], values: list[str]) -> list[str]:
    allowed = {value["key"] for value in attribute.get("values", [])}
    for value in values:
        if value not in allowed:
            raise Open311Error(400, f"attribute[{attribute['code']}] has no value {value!r}.")
    return values


def _one_value(attribute: dict[str, Any], values: list[str]) -> Any:
    code, datatype = attribute["code"], attribute["datatype"]
    if len(values) > 1:
        raise Open311Error(400, f"attribute[{code}] takes a single value.")
    text = values[0].strip()
    if datatype == "number":
        return _number(code, text)
    if datatype == "datetime":
        return iso_datetime(f"attribute[{code}]", text)
    if datatype == "singlevaluelist":
        return _list_keys(attribute, [text])[0]
    return values[0]


def checked_attributes(definition: dict[str, Any], form: SubmittedForm) -> dict[str, Any]:
    """Values of the service's attributes, typed; unknown attribute codes are ignored."""
    cleaned: dict[str, Any] = {}
    for attribute in definition.get("attributes", []):
        if not attribute.get("variable", True):
            continue
        code = attribute["code"]
        values = [value for value in form.attributes.get(code, []) if value.strip()]
        if not values:
            if attribute["required"]:
                raise Open311Error(400, f"attribute[{code}] is required.")
            continue
        if attribute["datatype"] == "multivaluelist":
            cleaned[code] = _list_keys(attribute, [value.strip() for value in values])
        else:
            cleaned[code] = _one_value(attribute, values)
    return cleaned


def kiosk_request_id(form: SubmittedForm) -> str | None:
    values = [value.strip() for value in form.attributes.get(KIOSK_REQUEST_ID, [])]
    return values[0] if values and values[0] else None


def _coordinate(name: str, text: str, limit: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number.") from None
    if not -limit <= value <= limit:
        raise Open311Error(400, f"{name} is out of range.")
    return value


def checked_location(form: SubmittedForm, known_address: dict[str, Any] | None) -> dict[str, Any]:
    """address, address_id, zipcode, lat and long; at least one way of locating is required."""
    lat, long = form.get("lat"), form.get("long")
    address_id, address_string = form.get("address_id"), form.get("address_string")
    location: dict[str, Any] = {
        "address": address_string,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
    }
    if lat is not None and long is not None:
        location["lat"] = _coordinate("lat", lat, 90)
        location["long"] = _coordinate("long", long, 180)
    if address_id is not None:
        if known_address is None:
            raise Open311Error(400, "address_id is not a known address.")
        location["address_id"] = address_id
        location["zipcode"] = known_address["zipcode"]
        location["address"] = location["address"] or known_address["address"]
        if location["lat"] is None:
            location["lat"], location["long"] = known_address["lat"], known_address["long"]
    if location["lat"] is None and location["address"] is None:
        raise Open311Error(
            400, "A location is required: lat and long, address_string or address_id."
        )
    return location


@dataclass(frozen=True)
class Submission:
    """A form that passed every check, ready for open311_records.record_request."""

    service: dict[str, Any]
    details: dict[str, Any]
    attributes: dict[str, Any]


def known_service(store: PortalStore, service_code: str) -> dict[str, Any]:
    service = store.open311_service(service_code)
    if service is None:
        raise Open311Error(404, f"Unknown service_code {service_code!r}.")
    return service


def checked_submission(store: PortalStore, form: SubmittedForm) -> Submission:
    service_code = form.get("service_code")
    if service_code is None:
        raise Open311Error(400, "service_code is required.")
    service = known_service(store, service_code)
    address_id = form.get("address_id")
    location = checked_location(form, store.address(address_id) if address_id else None)
    return Submission(
        service=service,
        details={name: form.get(name) for name in DETAIL_FIELDS} | location,
        attributes=checked_attributes(service, form),
    )

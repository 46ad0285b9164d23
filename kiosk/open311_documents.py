"""GeoReport v2 (Open311) answers as small dataclasses, checked field by field.

Field names, types, datatypes and status values are those GeoReport v2 defines; an
answer that does not conform raises PortalBadResponse: the kiosk never guesses what a
city meant. Each parsed list or definition keeps the document as received, so the
offline cache can store it and parse it again, with the same checks, later.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.portal_client import PortalBadResponse

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
SERVICE_TYPES = ("realtime", "batch", "blackbox")
STATUSES = ("open", "closed")


@dataclass(frozen=True)
class Open311Service:
    service_code: str
    service_name: str
    description: str
    metadata: bool  # True: services/{code}.json has extra questions
    type: str  # realtime | batch | blackbox
    keywords: tuple[str, ...]
    group: str


@dataclass(frozen=True)
class ServiceList:
    services: tuple[Open311Service, ...]
    # The answer as received, to keep for offline use and parse again from there.
    document: list = field(default_factory=list, repr=False, compare=False)

    @property
    def groups(self) -> tuple[str, ...]:
        """Group names in the order the city lists them; "" for services without one."""
        return tuple(dict.fromkeys(service.group for service in self.services))

    def service(self, code: str) -> Open311Service | None:
        return next((s for s in self.services if s.service_code == code), None)


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class ServiceAttribute:
    variable: bool  # False: text to show, not a question
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: tuple[AttributeValue, ...] = ()


@dataclass(frozen=True)
class ServiceDefinition:
    service_code: str
    attributes: tuple[ServiceAttribute, ...]
    document: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ServiceRequest:
    service_request_id: str
    status: str  # open | closed
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime.datetime
    updated_datetime: datetime.datetime | None
    expected_datetime: datetime.datetime | None
    address: str
    address_id: str
    zipcode: str
    lat: float | None
    long: float | None
    media_url: str


@dataclass(frozen=True)
class PostedRequest:
    """The answer to a POST: a request id (realtime services) or a token (batch)."""

    service_request_id: str | None
    token: str | None
    service_notice: str
    account_id: str | None

    @property
    def reference(self) -> str:
        return self.service_request_id or self.token or ""


@dataclass(frozen=True)
class TokenAnswer:
    token: str
    service_request_id: str | None  # None until the city has processed the request


def parse_services(document) -> ServiceList:
    if not isinstance(document, list):
        raise PortalBadResponse("services.json: expected a list of services")
    services = []
    for entry in document:
        entry = _object(entry, "services.json")
        services.append(
            Open311Service(
                service_code=_identifier(entry, "service_code", required=True),
                service_name=_text(entry, "service_name", required=True),
                description=_text(entry, "description"),
                metadata=_flag(entry, "metadata"),
                type=_choice(entry, "type", SERVICE_TYPES),
                keywords=tuple(
                    word.strip() for word in _text(entry, "keywords").split(",") if word.strip()
                ),
                group=_text(entry, "group"),
            )
        )
    codes = [service.service_code for service in services]
    if len(set(codes)) != len(codes):
        raise PortalBadResponse("services.json: a service_code appears twice")
    return ServiceList(tuple(services), document)


def parse_service_definition(document, code: str) -> ServiceDefinition:
    where = f"services/{code}.json"
    document = _object(document, where)
    if _identifier(document, "service_code", required=True) != code:
        raise PortalBadResponse(f"{where}: describes another service")
    raw = document.get("attributes")
    if not isinstance(raw, list):
        raise PortalBadResponse(f"{where}: attributes must be a list")
    attributes = [_attribute(_object(entry, where), where) for entry in raw]
    codes = [attribute.code for attribute in attributes]
    if len(set(codes)) != len(codes):
        raise PortalBadResponse(f"{where}: an attribute code appears twice")
    return ServiceDefinition(code, tuple(sorted(attributes, key=lambda a: a.order)), document)


def _attribute(entry: Mapping[str, Any], where: str) -> ServiceAttribute:
    datatype = _choice(entry, "datatype", DATATYPES)
    values = entry.get("values")
    if datatype in LIST_DATATYPES:
        if not isinstance(values, list) or not values:
            raise PortalBadResponse(f"{where}: a {datatype} needs values")
        parsed = tuple(
            AttributeValue(
                _identifier(_object(value, where), "key", required=True),
                _text(value, "name", required=True),
            )
            for value in values
        )
        if len({value.key for value in parsed}) != len(parsed):
            raise PortalBadResponse(f"{where}: a value key appears twice")
    elif values not in (None, []):
        raise PortalBadResponse(f"{where}: only list datatypes have values")
    else:
        parsed = ()
    order = entry.get("order")
    if not isinstance(order, int) or isinstance(order, bool):
        raise PortalBadResponse(f"{where}: order must be a whole number")
    return ServiceAttribute(
        variable=_flag(entry, "variable"),
        code=_identifier(entry, "code", required=True),
        datatype=datatype,
        required=_flag(entry, "required"),
        datatype_description=_text(entry, "datatype_description"),
        order=order,
        description=_text(entry, "description", required=True),
        values=parsed,
    )


def parse_requests(document) -> list[ServiceRequest]:
    if not isinstance(document, list):
        raise PortalBadResponse("requests: expected a list of service requests")
    return [_service_request(_object(entry, "requests")) for entry in document]


def _service_request(entry: Mapping[str, Any]) -> ServiceRequest:
    return ServiceRequest(
        service_request_id=_identifier(entry, "service_request_id", required=True),
        status=_choice(entry, "status", STATUSES),
        status_notes=_text(entry, "status_notes"),
        service_name=_text(entry, "service_name"),
        service_code=_identifier(entry, "service_code", required=True),
        description=_text(entry, "description"),
        agency_responsible=_text(entry, "agency_responsible"),
        service_notice=_text(entry, "service_notice"),
        requested_datetime=_moment(entry, "requested_datetime", required=True),
        updated_datetime=_moment(entry, "updated_datetime"),
        expected_datetime=_moment(entry, "expected_datetime"),
        address=_text(entry, "address"),
        address_id=_identifier(entry, "address_id"),
        zipcode=_identifier(entry, "zipcode"),
        lat=_coordinate(entry, "lat", 90),
        long=_coordinate(entry, "long", 180),
        media_url=_text(entry, "media_url"),
    )


def parse_posted(document) -> PostedRequest:
    answer = _one(document, "requests.json")
    posted = PostedRequest(
        service_request_id=_identifier(answer, "service_request_id") or None,
        token=_identifier(answer, "token") or None,
        service_notice=_text(answer, "service_notice"),
        account_id=_identifier(answer, "account_id") or None,
    )
    if not posted.reference:
        raise PortalBadResponse("requests.json: neither a service_request_id nor a token")
    return posted


def parse_token(document) -> TokenAnswer:
    answer = _one(document, "tokens")
    return TokenAnswer(
        _text(answer, "token", required=True),
        _identifier(answer, "service_request_id") or None,
    )


def _one(document, where: str) -> Mapping[str, Any]:
    if not isinstance(document, list) or len(document) != 1:
        raise PortalBadResponse(f"{where}: expected a list of one answer")
    return _object(document[0], where)


def _object(value, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PortalBadResponse(f"{where}: expected objects")
    return value


def _text(entry: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    value = entry.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PortalBadResponse(f"{name} must be text")
    return value


def _identifier(entry: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """GeoReport v2 ids and keys are strings; some cities send them as JSON numbers."""
    value = entry.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(entry, name, required=required)


def _flag(entry: Mapping[str, Any], name: str) -> bool:
    value = entry.get(name)
    # The spec's XML heritage: some JSON endpoints send "true"/"false".
    if value in ("true", "false"):
        return value == "true"
    if not isinstance(value, bool):
        raise PortalBadResponse(f"{name} must be true or false")
    return value


def _choice(entry: Mapping[str, Any], name: str, allowed: Sequence[str]) -> str:
    value = entry.get(name)
    if value not in allowed:
        raise PortalBadResponse(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _moment(
    entry: Mapping[str, Any], name: str, *, required: bool = False
) -> datetime.datetime | None:
    value = entry.get(name)
    if value is None and not required:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PortalBadResponse(f"{name} must be an ISO 8601 date and time") from None
    if moment.utcoffset() is None:
        raise PortalBadResponse(f"{name} must say its time zone")
    return moment


def _coordinate(entry: Mapping[str, Any], name: str, limit: float) -> float | None:
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, str):  # the XML heritage again
        try:
            value = float(value)
        except ValueError:
            raise PortalBadResponse(f"{name} must be a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PortalBadResponse(f"{name} must be a number")
    if not -limit <= value <= limit:
        raise PortalBadResponse(f"{name} is out of range")
    return float(value)

"""A GeoReport v2 (Open311) client over the portal client's HTTP path.

It uses a :class:`~kiosk.portal_client.PortalClient`'s timeouts, TLS verification and
urllib3 retries (GETs only; a POST is never retried here: the offline queue owns
that), at ``kiosk.config.open311_url(config)``, which a city may point at the Open311
endpoint it already runs. On the portal's own route it shares the portal's Session
and device token; a city's endpoint (another origin) gets a Session without the
token, and POSTs carry the city's ``api_key`` (``[portal] open311_api_key_file``).

GeoReport v2 answers errors as a JSON list of ``{"code", "description"}``; they become
the same typed errors as the portal's, with the description kept. Answers are parsed
into small dataclasses, checking GeoReport v2 field names, types and status values:
anything else raises PortalBadResponse, never a guess.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from kiosk.open311_documents import (  # noqa: F401 - the client's answers, re-exported
    DATATYPES,
    LIST_DATATYPES,
    SERVICE_TYPES,
    STATUSES,
    AttributeValue,
    Open311Service,
    PostedRequest,
    ServiceAttribute,
    ServiceDefinition,
    ServiceList,
    ServiceRequest,
    TokenAnswer,
    parse_posted,
    parse_requests,
    parse_service_definition,
    parse_services,
    parse_token,
)
from kiosk.portal_client import PortalBadResponse, PortalClient, PortalError

# What a GeoReport v2 POST requests.json form may hold besides attribute[...] keys.
POST_FIELDS = frozenset(
    {
        "jurisdiction_id",
        "service_code",
        "lat",
        "long",
        "address_string",
        "address_id",
        "email",
        "device_id",
        "account_id",
        "first_name",
        "last_name",
        "phone",
        "description",
        "media_url",
    }
)
# Open311 has no idempotency key: the kiosk's own id travels as an attribute, which the
# reference portal (portal/open311_forms.py) recognises to answer a resend with the
# request it already made instead of a second one.
KIOSK_REQUEST_ID = "kiosk_request_id"
# The outbox kind of a report: the sync batch's, or a GeoReport v2 POST to a city's own.
SERVICE_REQUEST_KIND = "service_request"


class _Open311Http(PortalClient):
    """The portal client's HTTP path with another base address and GeoReport v2 errors."""

    def __init__(self, portal: PortalClient, base_url: str):
        # Not PortalClient.__init__: the same timeouts, TLS checks and retry policy.
        self.base_url = base_url.rstrip("/")
        self.timeout = portal.timeout
        self._verify = portal._verify
        if _origin(self.base_url) == _origin(portal.base_url):
            self.session = portal.session  # the portal's own Open311 route: its sign-in
            self.own_session = False
            return
        # A city's own endpoint: the device token is the portal's secret and never goes
        # there (as requests drops it on a redirect to another host); GeoReport v2's
        # api_key signs the POSTs instead.
        self.session = requests.Session()
        for prefix, adapter in portal.session.adapters.items():
            self.session.mount(prefix, HTTPAdapter(max_retries=adapter.max_retries))
        self.session.headers.update(
            {
                name: value
                for name, value in portal.session.headers.items()
                if name.lower() != "authorization"
            }
        )
        self.own_session = True

    @staticmethod
    def _decode(method: str, path: str, response):
        try:
            return PortalClient._decode(method, path, response)
        except PortalError as error:
            problems = _error_list(response)
            if problems is None:
                raise
            description = " ".join(problem["description"] for problem in problems)
            typed = type(error)(
                f"{method} {path}: {error.status} {description}",
                status=error.status,
                code=str(problems[0]["code"]),
            )
            typed.description = description
            typed.retry_after_s = error.retry_after_s
            raise typed from None


class Open311Client:
    """Errors carry ``description``, the city's own words, besides the usual fields."""

    def __init__(self, portal: PortalClient, base_url: str, *, api_key: str | None = None):
        self._http = _Open311Http(portal, base_url)
        self._api_key = api_key

    def close(self) -> None:
        if self._http.own_session:
            self._http.session.close()

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def _get(self, path: str, **params):
        return self._http.get(path, **params)

    def services(self, *, locale: str | None = None) -> ServiceList:
        return parse_services(self.services_document(locale=locale))

    def services_document(self, *, locale: str | None = None):
        """The city's answer as it came, to keep offline; parse_services reads it."""
        return self._get("/services.json", **_locale(locale))

    def service_definition(self, code: str, *, locale: str | None = None) -> ServiceDefinition:
        return parse_service_definition(self.service_definition_document(code, locale=locale), code)

    def service_definition_document(self, code: str, *, locale: str | None = None):
        """The city's answer as it came, to keep offline; parse_service_definition reads it."""
        return self._get(f"/services/{_path_part(code)}.json", **_locale(locale))

    def request(self, service_request_id: str, *, locale: str | None = None) -> ServiceRequest:
        path = f"/requests/{_path_part(service_request_id)}.json"
        found = parse_requests(self._get(path, **_locale(locale)))
        if len(found) != 1 or found[0].service_request_id != service_request_id:
            raise PortalBadResponse(f"{path}: expected the one request asked for")
        return found[0]

    def requests(
        self, service_request_ids: Sequence[str], *, locale: str | None = None
    ) -> list[ServiceRequest]:
        ids = ",".join(service_request_ids)
        return parse_requests(
            self._get("/requests.json", service_request_id=ids, **_locale(locale))
        )

    def token(self, token: str) -> TokenAnswer:
        return parse_token(self._get(f"/tokens/{_path_part(token)}.json"))

    def post_request(
        self,
        fields: Mapping[str, object],
        attributes: Mapping[str, str | Sequence[str]] | None = None,
        *,
        locale: str | None = None,
    ) -> PostedRequest:
        """POST requests.json, form-encoded. Never retried here (see the module doc)."""
        pairs = form_pairs(fields, attributes or {})
        if self._api_key:
            pairs.append(("api_key", self._api_key))
        document = self._http.request(
            "POST", "/requests.json", data=pairs, params=_locale(locale) or None
        )
        return parse_posted(document)


def form_pairs(
    fields: Mapping[str, object], attributes: Mapping[str, str | Sequence[str]]
) -> list[tuple[str, str]]:
    """The form as GeoReport v2 names it; a multivaluelist repeats ``attribute[code][]``."""
    unknown = set(fields) - POST_FIELDS
    if unknown:
        raise ValueError(f"not GeoReport v2 request fields: {', '.join(sorted(unknown))}")
    pairs = [(name, _form_value(value)) for name, value in fields.items() if value is not None]
    for code, value in attributes.items():
        if isinstance(value, str):
            pairs.append((f"attribute[{code}]", value))
        else:
            pairs.extend((f"attribute[{code}][]", str(item)) for item in value)
    return pairs


def queued_request_form(
    payload: Mapping[str, Any], kiosk_request_id: str
) -> tuple[dict[str, object], dict[str, str | list[str]], str | None]:
    """A queued ``service_request`` payload (the sync batch's JSON twin of the form) as
    (fields, attributes, locale) for :meth:`Open311Client.post_request`."""
    fields = {name: value for name, value in payload.items() if name in POST_FIELDS}
    attributes = dict(payload.get("attributes") or {})
    attributes[KIOSK_REQUEST_ID] = kiosk_request_id
    return fields, attributes, payload.get("locale")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port


def _error_list(response) -> list[dict] | None:
    """A GeoReport v2 error answer's entries, or None if it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, list) or not body:
        return None
    for problem in body:
        if (
            not isinstance(problem, dict)
            or not isinstance(problem.get("description"), str)
            or not isinstance(problem.get("code"), int | str)
        ):
            return None
    return body


def _form_value(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _locale(locale: str | None) -> dict[str, str]:
    # Not GeoReport v2: the reference portal's way to choose Spanish texts. Other
    # endpoints ignore unknown parameters.
    return {"locale": locale} if locale else {}


def _path_part(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")

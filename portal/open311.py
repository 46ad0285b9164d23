"""GeoReport v2 (Open311) endpoints under /open311/v2, JSON format only.

Errors follow the spec: a JSON list of ``{"code": int, "description": str}`` with a
matching HTTP status. Reading is public, as in most city deployments; posting needs
a device token, as a Bearer header or as the spec's ``api_key`` form field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from portal.api import store_of
from portal.auth import device_from_request
from portal.errors import Open311Error
from portal.open311_forms import (
    DETAIL_FIELDS,
    SubmittedForm,
    checked_submission,
    iso_datetime,
    kiosk_request_id,
    known_service,
    parse_form,
)
from portal.open311_records import (
    create_request,
    find_requests,
    language,
    request_for_token,
    request_view,
    service_definition,
    service_summary,
)

router = APIRouter(prefix="/open311/v2", tags=["open311"])

Locale = Annotated[str | None, Query(description="'es' for Spanish texts; default English")]
Jurisdiction = Annotated[str | None, Query(description="Accepted and ignored: one city")]

ERROR_LIST = {
    "description": "GeoReport v2 error list",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "integer"},
                        "description": {"type": "string"},
                    },
                },
            }
        }
    },
}

_FORM_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "device_id",
    "api_key",
    *DETAIL_FIELDS,
)

POST_FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["service_code"],
                    "properties": {name: {"type": "string"} for name in _FORM_FIELDS},
                    "additionalProperties": {
                        "type": "string",
                        "description": "attribute[CODE]=value; attribute[CODE][]=value "
                        "repeated for multivaluelist; attribute[kiosk_request_id] makes "
                        "retries idempotent per device",
                    },
                }
            }
        },
    }
}


def _split(text: str | None) -> list[str] | None:
    values = [part.strip() for part in (text or "").split(",") if part.strip()]
    return values or None


def _date_filter(name: str, text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return iso_datetime(name, text)


@router.get("/services.json")
def list_services(
    request: Request, jurisdiction_id: Jurisdiction = None, locale: Locale = None
) -> list[dict[str, Any]]:
    lang = language(locale)
    return [service_summary(service, lang) for service in store_of(request).open311_services()]


@router.get("/services/{service_code}.json", responses={404: ERROR_LIST})
def get_service_definition(
    request: Request, service_code: str, jurisdiction_id: Jurisdiction = None, locale: Locale = None
) -> dict[str, Any]:
    return service_definition(known_service(store_of(request), service_code), language(locale))


def _submit(request: Request, form: SubmittedForm, lang: str) -> list[dict[str, Any]]:
    store = store_of(request)
    device_id = device_from_request(store, request)
    api_key = form.get("api_key")
    if device_id is None and api_key is not None:
        device_id = store.device_for_token(api_key)
    if device_id is None:
        raise Open311Error(403, "A valid api_key or device token is required.")
    return create_request(
        store,
        checked_submission(store, form),
        device_id=device_id,
        kiosk_request_id=kiosk_request_id(form),
        lang=lang,
    )


@router.post(
    "/requests.json",
    responses={400: ERROR_LIST, 403: ERROR_LIST, 404: ERROR_LIST},
    openapi_extra=POST_FORM_SCHEMA,
)
async def post_request(request: Request, locale: Locale = None) -> list[dict[str, Any]]:
    form = parse_form(await request.body(), request.headers.get("content-type", ""))
    # The store blocks on its lock, so the rest runs off the event loop.
    return await run_in_threadpool(_submit, request, form, language(locale))


@router.get("/requests/{service_request_id}.json", responses={404: ERROR_LIST})
def get_request(
    request: Request,
    service_request_id: str,
    jurisdiction_id: Jurisdiction = None,
    locale: Locale = None,
) -> list[dict[str, Any]]:
    store = store_of(request)
    rows = find_requests(store, request_ids=[service_request_id])
    if not rows:
        raise Open311Error(404, f"Unknown service_request_id {service_request_id!r}.")
    services = {service["service_code"]: service for service in store.open311_services()}
    return [request_view(rows[0], services, language(locale))]


@router.get("/requests.json", responses={400: ERROR_LIST})
def search_requests(
    request: Request,
    service_request_id: Annotated[str | None, Query(description="Comma-separated ids")] = None,
    service_code: Annotated[str | None, Query(description="Comma-separated codes")] = None,
    status: Annotated[
        str | None, Query(description="open, closed or both, comma-separated")
    ] = None,
    start_date: Annotated[str | None, Query(description="ISO 8601")] = None,
    end_date: Annotated[str | None, Query(description="ISO 8601")] = None,
    jurisdiction_id: Jurisdiction = None,
    locale: Locale = None,
) -> list[dict[str, Any]]:
    statuses = _split(status)
    if statuses and not set(statuses) <= {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both.")
    store = store_of(request)
    rows = find_requests(
        store,
        request_ids=_split(service_request_id),
        service_codes=_split(service_code),
        statuses=statuses,
        start=_date_filter("start_date", start_date),
        end=_date_filter("end_date", end_date),
    )
    services = {service["service_code"]: service for service in store.open311_services()}
    lang = language(locale)
    return [request_view(row, services, lang) for row in rows]


@router.get("/tokens/{token}.json", responses={404: ERROR_LIST})
def get_token(
    request: Request, token: str, jurisdiction_id: Jurisdiction = None
) -> list[dict[str, Any]]:
    row = request_for_token(store_of(request), token)
    if row is None:
        raise Open311Error(404, f"Unknown token {token!r}.")
    return [{"token": row["token"], "service_request_id": row["service_request_id"]}]

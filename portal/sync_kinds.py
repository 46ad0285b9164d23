"""The kinds of item the sync batch accepts, each applied on the batch's connection.

Every handler follows the single endpoints' order: validate the payload, recall what
the key answered before, check the request against the data, then write. Anything
raised is an ApiError whose status and body are what the single endpoint would say.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from portal.accounts import AccountCreation, activation_code_hash, create_account
from portal.errors import ApiError, Open311Error, default_code, validation_fields
from portal.help_requests import HelpRequest, record_help_request
from portal.idempotency import Outcome, fingerprint, recall, remember
from portal.models import IdentityLookup, PaymentRequest, SyncItem
from portal.open311_forms import SubmittedForm, checked_submission
from portal.open311_records import language, record_request
from portal.payments import apply_payment
from portal.permits import PermitApplication, record_application
from portal.receipt_deliveries import ReceiptDelivery, record_receipt_delivery
from portal.store import PortalStore
from portal.surveys import SurveyResponse, record_survey_response
from portal.timeutil import to_iso, utc_now

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class ItemContext:
    conn: sqlite3.Connection
    store: PortalStore
    device_id: str
    item: SyncItem


class ServiceRequestPayload(BaseModel):
    """The JSON twin of the Open311 POST form; checked by the same code once converted."""

    model_config = ConfigDict(extra="forbid")

    service_code: Annotated[str, Field(min_length=1, max_length=64)]
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    description: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    lat: Annotated[float, Field(allow_inf_nan=False)] | None = None
    long: Annotated[float, Field(allow_inf_nan=False)] | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    locale: str | None = None
    # The card-identified resident, so the report is theirs under "my requests";
    # the portal's twin of GeoReport v2's account_id, which a kiosk cannot know.
    resident: IdentityLookup | None = None

    def as_form(self) -> SubmittedForm:
        values = self.model_dump(exclude={"attributes", "locale", "resident"}, exclude_none=True)
        return SubmittedForm(
            fields={name: str(value) for name, value in values.items()},
            attributes={
                code: [value] if isinstance(value, str) else list(value)
                for code, value in self.attributes.items()
            },
        )


def _parsed(model: type[Model], payload: dict[str, Any], status: int = 422) -> Model:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = validation_fields(exc.errors(), skip_source=False)
        message = "Some values are not valid."
        raise ApiError(status, "validation_failed", message, fields=fields) from None


def _keyed(ctx: ItemContext, payload: BaseModel, create: Callable[[], Outcome]) -> Outcome:
    """Idempotency for kinds without a single endpoint of their own to share it with."""
    item = ctx.item
    digest = fingerprint(
        {
            "kind": item.kind,
            "schema_version": item.schema_version,
            "payload": payload.model_dump(mode="json"),
        }
    )
    earlier = recall(ctx.conn, ctx.device_id, item.idempotency_key, digest)
    if earlier is not None:
        return earlier
    outcome = create()
    remember(ctx.conn, ctx.device_id, item.idempotency_key, digest, outcome, to_iso(utc_now()))
    return outcome


def _payment(ctx: ItemContext) -> Outcome:
    payment = _parsed(PaymentRequest, ctx.item.payload)
    return apply_payment(ctx.conn, ctx.device_id, ctx.item.idempotency_key, payment)


def _service_request(ctx: ItemContext) -> Outcome:
    # The Open311 endpoint answers malformed forms with 400, not 422.
    payload = _parsed(ServiceRequestPayload, ctx.item.payload, status=400)

    def create() -> Outcome:
        try:
            submission = checked_submission(ctx.store, payload.as_form())
        except Open311Error as exc:
            raise ApiError(exc.status, default_code(exc.status), exc.description) from exc
        response, created = record_request(
            ctx.conn,
            submission,
            device_id=ctx.device_id,
            kiosk_request_id=ctx.item.idempotency_key,
            lang=language(payload.locale),
            account_id=_linked_account(ctx.store, payload.resident),
        )
        return Outcome(201, json.dumps(response[0]), replayed=not created)

    return _keyed(ctx, payload, create)


def _linked_account(store: PortalStore, resident: IdentityLookup | None) -> str | None:
    """The account a card is linked to; a card the city does not know reports as a guest."""
    linked = store.resident_for_identity(resident.profile, resident.id_hash) if resident else None
    return linked["account"] if linked else None


def _survey_response(ctx: ItemContext) -> Outcome:
    survey = _parsed(SurveyResponse, ctx.item.payload)

    def create() -> Outcome:
        item = ctx.item
        body = record_survey_response(
            ctx.conn, ctx.device_id, item.idempotency_key, survey, item.created_at
        )
        return Outcome(201, json.dumps(body), replayed=False)

    return _keyed(ctx, survey, create)


def _receipt_delivery(ctx: ItemContext) -> Outcome:
    delivery = _parsed(ReceiptDelivery, ctx.item.payload)

    def create() -> Outcome:
        body = record_receipt_delivery(ctx.conn, ctx.device_id, ctx.item.idempotency_key, delivery)
        return Outcome(201, json.dumps(body), replayed=False)

    return _keyed(ctx, delivery, create)


def _account_creation(ctx: ItemContext) -> Outcome:
    request = _parsed(AccountCreation, ctx.item.payload)
    code_hash = activation_code_hash(
        request.activation_code, ctx.device_id, ctx.item.idempotency_key
    )
    # The key's fingerprint sees the code's hash, never the code: it is kept in clear.
    hashed = request.model_copy(update={"activation_code": code_hash})

    def create() -> Outcome:
        body = create_account(ctx.conn, ctx.device_id, ctx.item.idempotency_key, request, code_hash)
        return Outcome(201, json.dumps(body), replayed=False)

    return _keyed(ctx, hashed, create)


def _permit_application(ctx: ItemContext) -> Outcome:
    application = _parsed(PermitApplication, ctx.item.payload)

    def create() -> Outcome:
        item = ctx.item
        body = record_application(ctx.conn, ctx.device_id, item.idempotency_key, application)
        return Outcome(201, json.dumps(body), replayed=False)

    return _keyed(ctx, application, create)


def _help_request(ctx: ItemContext) -> Outcome:
    request = _parsed(HelpRequest, ctx.item.payload)

    def create() -> Outcome:
        item = ctx.item
        body = record_help_request(
            ctx.conn,
            ctx.device_id,
            item.idempotency_key,
            request,
            item.created_at,
            to_iso(utc_now()),
        )
        return Outcome(201, json.dumps(body), replayed=False)

    return _keyed(ctx, request, create)


HANDLERS: dict[str, dict[int, Callable[[ItemContext], Outcome]]] = {
    "payment": {1: _payment},
    "service_request": {1: _service_request},
    "survey_response": {1: _survey_response},
    "permit_application": {1: _permit_application},
    "receipt_delivery": {1: _receipt_delivery},
    "help_request": {1: _help_request},
    "account_creation": {1: _account_creation},
}


def apply_item(ctx: ItemContext) -> Outcome:
    item = ctx.item
    versions = HANDLERS.get(item.kind)
    if versions is None:
        raise ApiError(
            422,
            "unknown_kind",
            f"This portal does not accept items of kind {item.kind!r}.",
            fields={"kind": "must be one of " + ", ".join(HANDLERS)},
        )
    handler = versions.get(item.schema_version)
    if handler is None:
        raise ApiError(
            422,
            "unsupported_schema_version",
            f"Items of kind {item.kind!r} cannot have schema_version {item.schema_version}.",
            fields={"schema_version": "must be one of " + ", ".join(map(str, sorted(versions)))},
        )
    return handler(ctx)

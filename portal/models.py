"""Pydantic models of /api/v1: they validate input and document output in OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from portal.idempotency import MAX_KEY_LENGTH
from portal.timeutil import parse_iso, to_iso

MAX_BATCH_ITEMS = 500


class LocalizedText(BaseModel):
    en: str
    es: str


class LocalizedKeywords(BaseModel):
    en: list[str]
    es: list[str]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable snake_case code that clients branch on.")
    message: str = Field(description="Human-readable explanation, in English.")
    fields: dict[str, str] | None = Field(
        default=None, description="Per-field problems, when the request had invalid values."
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]
    city: str


class City(BaseModel):
    name: LocalizedText
    help_contact: LocalizedText


class Category(BaseModel):
    id: str
    order: int
    title: LocalizedText


class CatalogueService(BaseModel):
    id: str
    category: str
    order: int
    title: LocalizedText
    summary: LocalizedText
    keywords: LocalizedKeywords


class Catalogue(BaseModel):
    city: City
    categories: list[Category]
    services: list[CatalogueService]


class Bill(BaseModel):
    id: str
    number: str = Field(description="Number printed on the paper bill.")
    account: str
    kind: str = Field(description="water, parking, property_tax, library_fine, ...")
    description: LocalizedText
    amount_due_cents: int = Field(description="Remaining balance, in cents.")
    currency: str
    due_date: str = Field(description="YYYY-MM-DD")
    allows_partial: bool
    status: Literal["open", "paid"]


class BillList(BaseModel):
    bills: list[Bill]


# identity_hash() output: 64 hex digits, never a raw card identifier.
ID_HASH_PATTERN = r"^[0-9a-fA-F]{64}$"


class IdentityLookup(BaseModel):
    """A card identity as the kiosk sends it: never the raw identifier."""

    model_config = ConfigDict(extra="forbid")

    profile: str
    id_hash: str = Field(pattern=ID_HASH_PATTERN)


class Resident(BaseModel):
    account: str
    # What the kiosk may greet the resident with; the portal decides how much.
    display_name: str


class Address(BaseModel):
    id: str
    address: str
    zipcode: str
    lat: float
    long: float


class AddressList(BaseModel):
    addresses: list[Address]


class Terminal(BaseModel):
    """What the card terminal reported; never a full card number."""

    model_config = ConfigDict(extra="forbid")

    receipt_number: Annotated[str, Field(max_length=64)] | None = None
    masked_pan: Annotated[str, Field(max_length=32)] | None = None
    card_type: Annotated[str, Field(max_length=32)] | None = None
    trace: Annotated[str, Field(max_length=64)] | None = None


MAX_ALLOCATIONS = 20


class Allocation(BaseModel):
    """One line of a payment: what part of the money goes where."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, Field(min_length=1, max_length=32)] = Field(
        description="What ``id`` names: 'bill' (a bill's id). Other kinds of line (a permit "
        "fee, say) are added by the services that charge them."
    )
    id: Annotated[str, Field(min_length=1, max_length=64)]
    amount_cents: Annotated[StrictInt, Field(gt=0)]


class PaymentRequest(BaseModel):
    """One card sale: either one bill (``bill_id``) or ``allocations``, one line per
    thing paid for; ``amount_cents`` is what the terminal charged, their sum. All lines
    are applied, or none."""

    model_config = ConfigDict(extra="forbid")

    bill_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    allocations: (
        Annotated[list[Allocation], Field(min_length=1, max_length=MAX_ALLOCATIONS)] | None
    ) = None
    amount_cents: Annotated[StrictInt, Field(gt=0)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    kiosk_reference: Annotated[str, Field(min_length=1, max_length=64)]
    terminal: Terminal | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> PaymentRequest:
        if (self.bill_id is None) == (self.allocations is None):
            raise PydanticCustomError(
                "payment_shape", "give either bill_id or allocations, not both"
            )
        return self

    def lines(self) -> list[Allocation]:
        """The request as allocations, whichever shape it came in."""
        if self.allocations is not None:
            return list(self.allocations)
        assert self.bill_id is not None
        return [Allocation(kind="bill", id=self.bill_id, amount_cents=self.amount_cents)]


class AppliedAllocation(BaseModel):
    kind: str
    id: str
    amount_cents: int
    remaining_cents: int = Field(description="Balance left on what it paid, right after.")


class Payment(BaseModel):
    payment_id: str
    bill_id: str | None = Field(
        description="The (first) bill paid; null when the payment paid no bill."
    )
    amount_cents: int
    remaining_cents: int = Field(
        description="Balance left on the bills this payment paid, added up, right after it."
    )
    allocations: list[AppliedAllocation]
    status: Literal["posted"]
    created_at: str = Field(description="ISO 8601, UTC.")


class PaymentRecord(Payment):
    currency: str
    kiosk_reference: str
    terminal: Terminal | None


def _iso_timestamp(text: str) -> str:
    return to_iso(parse_iso(text))


class SyncItem(BaseModel):
    """One queued kiosk transaction; the payload is checked per kind, item by item."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]
    reference: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$")] | None = Field(
        default=None, description="The reference on the resident's receipt (K-XXXX-XXXX)."
    )
    kind: str = Field(description="payment, service_request or survey_response")
    schema_version: StrictInt
    created_at: Annotated[str, AfterValidator(_iso_timestamp)] = Field(
        description="ISO 8601; when the kiosk queued the item."
    )
    payload: dict[str, Any]


class SyncBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[SyncItem], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]


SyncOutcome = Literal["created", "replayed", "rejected", "conflict", "retry"]


class SyncResult(BaseModel):
    idempotency_key: str
    outcome: SyncOutcome = Field(
        description="rejected: fix and resend (nothing stored); conflict: the key was used "
        "for another item; retry: resend the same item later."
    )
    status: int = Field(description="HTTP status the item would have had on its own.")
    body: dict[str, Any] | None
    error: ErrorDetail | None


class SyncResults(BaseModel):
    results: list[SyncResult] = Field(description="One per item, in request order.")

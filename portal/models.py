"""Pydantic models of /api/v1: they validate input and document output in OpenAPI."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt


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


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bill_id: Annotated[str, Field(min_length=1, max_length=64)]
    amount_cents: Annotated[StrictInt, Field(gt=0)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    kiosk_reference: Annotated[str, Field(min_length=1, max_length=64)]
    terminal: Terminal | None = None


class Payment(BaseModel):
    payment_id: str
    bill_id: str
    amount_cents: int
    remaining_cents: int = Field(description="Balance of the bill right after this payment.")
    status: Literal["posted"]
    created_at: str = Field(description="ISO 8601, UTC.")


class PaymentRecord(Payment):
    currency: str
    kiosk_reference: str
    terminal: Terminal | None

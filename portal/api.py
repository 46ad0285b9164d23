"""The kiosk-facing /api/v1 routes other than payments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from kiosk.identity import PROFILES
from portal.auth import require_device
from portal.errors import ApiError
from portal.models import (
    ID_HASH_PATTERN,
    AddressList,
    BillList,
    Catalogue,
    ErrorBody,
    Health,
    IdentityLookup,
    Resident,
)
from portal.store import PortalStore

CITY_NAME = "Lindenfield"


def documented_error(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry for our error body."""
    return {"model": ErrorBody, "description": description}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: documented_error("Missing or invalid device token")
}

public = APIRouter(prefix="/api/v1", tags=["kiosk"])
router = APIRouter(
    prefix="/api/v1", tags=["kiosk"], dependencies=[Depends(require_device)], responses=AUTH_ERRORS
)


def store_of(request: Request) -> PortalStore:
    return request.app.state.store


@public.get("/health", response_model=Health)
def health() -> dict[str, str]:
    return {"status": "ok", "city": CITY_NAME}


@router.get(
    "/catalogue",
    response_model=Catalogue,
    responses={404: documented_error("No catalogue loaded")},
)
def catalogue(request: Request) -> dict[str, Any]:
    body = store_of(request).catalogue()
    if body is None:
        raise ApiError(404, "catalogue_not_found", "This portal has no service catalogue yet.")
    return body


@router.get("/bills", response_model=BillList)
def bills_by_number(
    request: Request,
    number: Annotated[str, Query(min_length=1, max_length=64, description="Bill or account")],
) -> dict[str, Any]:
    return {"bills": store_of(request).bills_matching(number)}


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ApiError(
            422,
            "validation_failed",
            "Unknown card profile.",
            fields={"profile": f"must be one of {', '.join(PROFILES)}"},
        )


@router.get("/bills/by-identity", response_model=BillList)
def bills_by_identity(
    request: Request,
    profile: Annotated[str, Query(description="Card profile: " + ", ".join(PROFILES))],
    id_hash: Annotated[str, Query(pattern=ID_HASH_PATTERN)],
) -> dict[str, Any]:
    _check_profile(profile)
    return {"bills": store_of(request).bills_for_identity(profile, id_hash)}


@router.post(
    "/identities/lookup",
    response_model=Resident,
    responses={404: documented_error("No account is linked to this card")},
)
def lookup_identity(request: Request, lookup: IdentityLookup) -> dict[str, str]:
    """POST, not GET: the hash stays out of URLs and access logs."""
    _check_profile(lookup.profile)
    resident = store_of(request).resident_for_identity(lookup.profile, lookup.id_hash)
    if resident is None:
        raise ApiError(404, "identity_unknown", "No account is linked to this card.")
    return resident


@router.get("/addresses", response_model=AddressList)
def addresses(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Part of a street address")],
) -> dict[str, Any]:
    return {"addresses": store_of(request).search_addresses(q, limit=20)}

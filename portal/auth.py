"""Device authentication: kiosks present the bearer token issued at enrollment."""

from __future__ import annotations

from fastapi import Request

from portal.errors import ApiError
from portal.store import PortalStore


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def device_from_request(store: PortalStore, request: Request) -> str | None:
    token = bearer_token(request)
    return store.device_for_token(token) if token else None


def require_device(request: Request) -> str:
    """FastAPI dependency: the authenticated device id, or a 401 in our error shape."""
    device_id = device_from_request(request.app.state.store, request)
    if device_id is None:
        raise ApiError(
            401,
            "unauthorized",
            "A valid device token is required (Authorization: Bearer <token>).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return device_id

"""Assembly of the portal's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from portal import api, open311, payments
from portal.demo_data import seed_demo as seed_demo_data
from portal.errors import install_error_handlers
from portal.faults import install_faults
from portal.idempotency import InFlightKeys
from portal.store import PortalStore

TITLE = "Lindenfield e-citizen portal"
VERSION = "1.0.0"
DESCRIPTION = (
    "Reference portal used by Civic Kiosk in demo mode and in tests. /api/v1 needs "
    "`Authorization: Bearer <device token>` (except /api/v1/health) and answers errors as "
    '`{"error": {"code", "message", "fields"}}`. /open311/v2 implements GeoReport v2 '
    "(JSON only)."
)


def create_app(
    db_path: str | Path, *, enable_faults: bool = False, seed_demo: bool = False
) -> FastAPI:
    store = PortalStore(db_path)
    if seed_demo:
        seed_demo_data(store)
    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION)
    app.state.store = store
    app.state.in_flight_keys = InFlightKeys()
    install_error_handlers(app)
    app.include_router(api.public)
    app.include_router(api.router)
    app.include_router(payments.router)
    app.include_router(open311.router)
    if enable_faults:
        install_faults(app)
    return app

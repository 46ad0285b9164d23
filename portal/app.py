"""Assembly of the portal's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from portal import api, content, open311, payments, permits, sync, tracking, tracking_page
from portal.demo_data import seed_demo as seed_demo_data
from portal.errors import install_error_handlers
from portal.fault_random import DEFAULT_RETRY_AFTER_S, DEFAULT_SLOW_S
from portal.faults import RandomFaults, install_faults
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
    db_path: str | Path,
    *,
    enable_faults: bool = False,
    seed_demo: bool = False,
    fault_rate: float = 0.0,
    fault_seed: int | None = None,
    fault_slow_s: float = DEFAULT_SLOW_S,
    fault_retry_after_s: int = DEFAULT_RETRY_AFTER_S,
) -> FastAPI:
    """``fault_rate`` > 0 implies ``enable_faults``: see :mod:`portal.faults`."""
    random_faults = RandomFaults(fault_rate, fault_slow_s, fault_retry_after_s, fault_seed)
    store = PortalStore(db_path)
    if seed_demo:
        seed_demo_data(store)
    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION)
    app.state.store = store
    app.state.in_flight_keys = InFlightKeys()
    app.state.sync_stats = sync.SyncStats()
    install_error_handlers(app)
    app.include_router(api.public)
    app.include_router(api.router)
    app.include_router(payments.router)
    app.include_router(sync.router)
    app.include_router(open311.router)
    app.include_router(tracking.router)
    app.include_router(tracking_page.pages)
    app.include_router(permits.router)
    app.include_router(content.router)
    if enable_faults or fault_rate > 0:
        install_faults(app, random_faults)
    return app

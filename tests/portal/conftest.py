"""Fixtures of the portal's own tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from portal_testkit import Api

from portal.server import PortalServer


@pytest.fixture
def api(portal: PortalServer):
    client = Api(portal)
    yield client
    client.session.close()


@pytest.fixture
def new_bill(portal: PortalServer) -> Callable[..., dict[str, Any]]:
    """Make a bill no other test touches: the session's portal is shared."""

    def make(amount_due_cents: int = 10_000, allows_partial: bool = True) -> dict[str, Any]:
        suffix = uuid.uuid4().hex[:10].upper()
        return portal.store.add_bill(
            bill_id=f"test-{suffix}",
            number=f"T-{suffix}",
            account=f"ACC-{suffix}",
            kind="water",
            description={"en": "Test bill", "es": "Factura de prueba"},
            amount_due_cents=amount_due_cents,
            due_date="2026-12-31",
            allows_partial=allows_partial,
        )

    return make

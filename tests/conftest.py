"""Fixtures shared by every test package."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests

if TYPE_CHECKING:
    from portal.server import PortalServer


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory):
    """The Lindenfield reference portal over real HTTP on loopback, seeded with the
    demo data (portal.demo_data) and with fault injection enabled. Shared by the
    whole session: create your own bills (portal.store.add_bill) before paying."""
    # Imported here so that test packages not using the portal never import FastAPI.
    from portal.server import start_portal

    server = start_portal(
        tmp_path_factory.mktemp("portal") / "portal.db", seed_demo=True, enable_faults=True
    )
    yield server
    server.stop()


@pytest.fixture
def clear_faults(portal: PortalServer):
    """Request this in a test that queues faults; they are cleared when it ends."""
    yield
    requests.delete(f"{portal.url}/_faults", timeout=10).raise_for_status()

"""Fixtures shared by every test package."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests

if TYPE_CHECKING:
    from portal.server import PortalServer


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """How ``make test`` spreads the suite over workers (pytest-xdist, --dist loadgroup).

    A test file runs whole on one worker, so its module fixtures (the tour's two
    kiosks) run once. Every test that needs pcscd shares one worker: there is one
    daemon and one vpcd per machine. Long-running files start first, so that no long
    test is left running alone at the end while the other workers idle.
    """
    for item in items:
        group = "pcscd" if "pcscd" in item.fixturenames else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)


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

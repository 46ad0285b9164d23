"""Fixtures shared by every test package."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests
from xdist.scheduler import LoadFileScheduling

if TYPE_CHECKING:
    from portal.server import PortalServer


# How ``make test`` spreads the suite over workers (pytest-xdist, --dist loadfile):
# a test file runs whole on one worker, so its module fixtures (the tour's two kiosks)
# run once; tests/drivers runs whole on one worker, since its card tests share the
# one pcscd and vpcd a machine has (their fixtures live in tests/drivers/conftest.py,
# so no test elsewhere can use them); long-running files start first, so that no
# long test is left running alone at the end while the other workers idle. (xdist's
# own --dist loadgroup cannot be used: with pytest 9 its groups are silently lost.)


class _FileScheduling(LoadFileScheduling):
    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return "tests/drivers" if path.startswith("tests/drivers/") else path


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False  # keep the order given below
    return _FileScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
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

"""Crash test: SIGKILL a syncing kiosk core at random moments, many times over.

The real reference portal runs on loopback; the kiosk core is a real subprocess
(tests/offline/crash_kiosk.py). At the end every transaction the kiosk committed is
at the portal exactly once: none lost, none doubled, and the bills' balances moved
by exactly what residents paid.
"""

from __future__ import annotations

import collections

import pytest
from crash_kiosk import portal_tally, run_soak
from outbox_testkit import add_bills

from portal.server import start_portal

pytestmark = pytest.mark.long_running  # see tests/conftest.py

KILLS = 50
TOTAL = 900
BILL_BALANCE = 1_000_000


@pytest.fixture
def soak_portal(tmp_path):
    server = start_portal(tmp_path / "portal.db", seed_demo=True)
    bills = add_bills(server.store, "soak", 4, BILL_BALANCE)
    yield server, bills
    server.stop()


def test_killing_the_kiosk_never_loses_or_doubles_a_transaction(soak_portal, tmp_path):
    server, bills = soak_portal
    data_dir = tmp_path / "kiosk"
    data_dir.mkdir()

    result = run_soak(data_dir, server, total=TOTAL, kills=KILLS, bills=bills)

    assert result.kills >= KILLS
    # Some kills landed after the portal acted but before the kiosk recorded it: the
    # dangerous window was really exercised, and the resends were absorbed.
    assert server.app.state.sync_stats.snapshot()["replayed"] > 0
    # Durable: everything the kiosk said was committed is still in its database.
    assert result.committed <= set(result.local)
    assert sorted(result.local) == list(range(1, TOTAL + 1))

    tally = portal_tally(server.store, "demo-kiosk")
    local_keys = [key for key, *_ in result.local.values()]
    assert sorted(tally["keys"]) == sorted(local_keys)  # each key once, no stranger keys

    by_kind = collections.Counter(kind for _key, kind, *_ in result.local.values())
    references = collections.Counter(ref for ref, _bill, _amount in tally["payments"])
    assert len(references) == by_kind["payment"] and set(references.values()) == {1}
    descriptions = collections.Counter(tally["service_requests"])
    assert len(descriptions) == by_kind["service_request"] and set(descriptions.values()) == {1}
    surveys = collections.Counter(tally["surveys"])
    assert len(surveys) == by_kind["survey_response"] and set(surveys.values()) == {1}

    paid = collections.Counter()
    for _key, kind, bill, amount in result.local.values():
        if kind == "payment":
            paid[bill] += amount
    for bill in bills:
        assert server.store.bill(bill)["amount_due_cents"] == BILL_BALANCE - paid[bill]

"""2,000 transactions through a portal that fails 30% of requests, all arrive once.

The portal's random fault mode answers 500, 503 with Retry-After, answers after the
kiosk's timeout (having done the work), and hangs up before or after doing the work.
"""

from __future__ import annotations

import collections
import random

import pytest
import requests
from crash_kiosk import KINDS, _transaction, portal_tally
from outbox_testkit import add_bills

from kiosk.portal_client import PortalClient
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import SENT, Outbox
from offline.sync import SyncSettings, SyncWorker
from portal.server import start_portal

pytestmark = pytest.mark.long_running  # see tests/conftest.py

TOTAL = 2000
FAULT_RATE = 0.3


def test_two_thousand_transactions_through_thirty_percent_faults(tmp_path):
    server = start_portal(
        tmp_path / "portal.db",
        seed_demo=True,
        fault_rate=FAULT_RATE,
        fault_seed=20261122,
        fault_slow_s=0.6,  # past the kiosk's 0.3 s read timeout below
        fault_retry_after_s=1,
    )
    bills = add_bills(server.store, "fault", 5, 10_000_000)
    try:
        cipher = PayloadCipher(load_or_create_key(tmp_path / "outbox.key"))
        path = tmp_path / "kiosk.db"
        outbox = Outbox(open_database(path), cipher)
        rng = random.Random(7)
        made = {}
        with outbox.transaction():
            for n in range(1, TOTAL + 1):
                kind = KINDS[n % len(KINDS)]
                payload, order_key, bill, amount = _transaction(n, kind, bills, rng)
                queued = outbox.enqueue(kind, payload, order_key=order_key)
                made[queued.idempotency_key] = (kind, bill, amount)
        client = PortalClient(server.url, server.token, read_timeout_s=0.3, retries=0)
        settings = SyncSettings(batch_size=100, backoff_base_s=0.01, backoff_max_s=0.1)
        worker = SyncWorker(lambda: Outbox(open_database(path), cipher), client, settings)

        assert worker.drain()

        assert outbox.counts()[SENT] == TOTAL
        tally = portal_tally(server.store, "demo-kiosk")
        assert sorted(tally["keys"]) == sorted(made)
        kinds = collections.Counter(kind for kind, _bill, _amount in made.values())
        assert len(tally["payments"]) == kinds["payment"]
        assert len(set(ref for ref, *_ in tally["payments"])) == kinds["payment"]
        assert len(tally["service_requests"]) == kinds["service_request"]
        assert len(tally["surveys"]) == kinds["survey_response"]
        for bill in bills:
            paid = sum(a for kind, b, a in made.values() if kind == "payment" and b == bill)
            assert server.store.bill(bill)["amount_due_cents"] == 10_000_000 - paid

        served = requests.get(f"{server.url}/_faults/random", timeout=5).json()["served"]
        # Every kind of fault really happened, so each path above was exercised.
        assert all(count > 0 for count in served.values()), served
        retried = sum(1 for key in made if len(outbox.attempts(key)) > 1)
        assert retried > 0
        worker.outbox.close()
        outbox.close()
    finally:
        server.stop()

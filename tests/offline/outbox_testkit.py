"""Helpers shared by the offline queue's tests."""

import requests

from offline.outbox import Outbox
from offline.sync import SyncSettings

# Retries in milliseconds, so a test of backoff and faults takes no time to speak of.
FAST = SyncSettings(batch_size=50, backoff_base_s=0.01, backoff_max_s=0.05, health_interval_s=1)


def enqueue(outbox: Outbox, kind: str = "survey_response", payload=None, **options):
    with outbox.transaction():
        return outbox.enqueue(kind, payload if payload is not None else {"n": 1}, **options)


def add_bills(store, prefix: str, count: int, balance_cents: int, *, partial: bool = True):
    """Bills that only this test pays, on the portal's own store; returns their ids."""
    ids = []
    for n in range(count):
        ids.append(f"{prefix}-{n}")
        store.add_bill(
            bill_id=ids[-1],
            number=ids[-1].upper(),
            account=f"ACC-{prefix.upper()}",
            kind="water",
            description={"en": "Water", "es": "Agua"},
            amount_due_cents=balance_cents,
            due_date="2026-12-31",
            allows_partial=partial,
        )
    return ids


def fault(server, **spec):
    """Arm one of the reference portal's faults (see portal/faults.py)."""
    requests.post(f"{server.url}/_faults", json=spec, timeout=5).raise_for_status()

"""Helpers shared by the offline queue's tests."""

from offline.outbox import Outbox


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

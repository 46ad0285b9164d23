"""Helpers shared by the offline queue's tests."""

from offline.outbox import Outbox


def enqueue(outbox: Outbox, kind: str = "survey_response", payload=None, **options):
    with outbox.transaction():
        return outbox.enqueue(kind, payload if payload is not None else {"n": 1}, **options)

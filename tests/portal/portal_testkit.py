"""Helpers shared by the portal tests (imported by name: tests/portal is on sys.path)."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from portal.server import PortalServer

TIMEOUT = 10


class Api:
    """A device's authenticated view of the portal."""

    def __init__(self, portal: PortalServer) -> None:
        self.url = portal.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {portal.token}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, timeout=TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url + path, timeout=TIMEOUT, **kwargs)

    def pay(self, body: dict[str, Any], key: str | None) -> requests.Response:
        headers = {"Idempotency-Key": key} if key is not None else {}
        return self.post("/api/v1/payments", json=body, headers=headers)

    def sync(self, *items: dict[str, Any]) -> requests.Response:
        return self.post("/api/v1/sync/batch", json={"items": list(items)})

    def bill(self, bill: dict[str, Any]) -> dict[str, Any]:
        """The bill as the portal shows it now."""
        found = self.get("/api/v1/bills", params={"number": bill["number"]}).json()["bills"]
        assert len(found) == 1, found
        return found[0]


def payment_body(bill: dict[str, Any], amount_cents: int, **extra: Any) -> dict[str, Any]:
    return {
        "bill_id": bill["id"],
        "amount_cents": amount_cents,
        "currency": "USD",
        "kiosk_reference": f"K-{uuid.uuid4().hex[:8]}",
        **extra,
    }


def new_key() -> str:
    return uuid.uuid4().hex


def sync_item(
    kind: str, payload: dict[str, Any], key: str | None = None, schema_version: int = 1
) -> dict[str, Any]:
    """One item of a sync batch, as the kiosk's outbox would queue it."""
    return {
        "idempotency_key": key or new_key(),
        "kind": kind,
        "schema_version": schema_version,
        "created_at": "2026-03-01T09:30:00.250-05:00",
        "payload": payload,
    }


def survey(**extra: Any) -> dict[str, Any]:
    return {"survey_id": "visit-2026", "answers": {"rating": 4, "comment": "Quick"}, **extra}


def results(response: requests.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return response.json()["results"]


def count(portal: PortalServer, sql: str, *params: Any) -> int:
    """The single number a ``SELECT count(*) ...`` returns."""
    row = portal.store.query_one(sql, params)
    assert row is not None
    return int(row[0])

"""PortalStore and the demo seed, below the HTTP layer."""

from __future__ import annotations

import pytest

from kiosk.identity import identity_hash
from portal.demo_data import DEMO_BILLS, DEMO_CARDS, DEMO_SALT, seed_demo
from portal.server import PortalStartError, start_portal
from portal.store import PortalStore


@pytest.fixture
def store(tmp_path):
    opened = PortalStore(tmp_path / "store.db")
    yield opened
    opened.close()


def test_seed_is_applied_once(store):
    assert seed_demo(store) is True
    assert seed_demo(store) is False
    assert len(store.query("SELECT id FROM bills")) == len(DEMO_BILLS)


def test_seed_uses_the_given_salt(store):
    seed_demo(store, identity_salt="lindenfield-2026")
    card = DEMO_CARDS[0]

    assert (
        store.bills_for_identity(
            card.profile, identity_hash(DEMO_SALT, card.profile, card.identifier)
        )
        == []
    )
    found = store.bills_for_identity(
        card.profile, identity_hash("lindenfield-2026", card.profile, card.identifier)
    )
    assert {bill["account"] for bill in found} == {card.account}


def test_failed_transaction_leaves_nothing_behind(store):
    seed_demo(store)

    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("UPDATE bills SET amount_due_cents = 1 WHERE id = 'bill-0001'")
        raise RuntimeError("payment failed half-way")

    assert store.bill("bill-0001")["amount_due_cents"] == 4250


def test_balance_can_never_go_negative(store):
    seed_demo(store)

    with pytest.raises(Exception, match="CHECK"), store.transaction() as conn:
        conn.execute("UPDATE bills SET amount_due_cents = -1 WHERE id = 'bill-0001'")


def test_data_survives_a_restart(tmp_path):
    db = tmp_path / "restart.db"
    first = start_portal(db, device_id="kiosk-a")
    first.store.add_bill(
        bill_id="keep-me",
        number="K-1",
        account="A-1",
        kind="water",
        description={"en": "x", "es": "x"},
        amount_due_cents=10,
        due_date="2026-12-31",
        allows_partial=True,
    )
    first.stop()

    second = start_portal(db, device_id="kiosk-a")
    try:
        assert second.store.bill("keep-me")["amount_due_cents"] == 10
        assert second.store.device_for_token(first.token) is None  # a new token was issued
        assert second.store.device_for_token(second.token) == "kiosk-a"
    finally:
        second.stop()


def test_start_fails_clearly_when_the_port_is_taken(portal):
    port = int(portal.url.rsplit(":", 1)[1])

    with pytest.raises(PortalStartError, match="cannot listen"):
        start_portal(":memory:", port=port)

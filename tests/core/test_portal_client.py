"""The kiosk's portal client against the real reference portal on loopback."""

import uuid

import pytest
import requests

from kiosk.identity import identity_hash
from kiosk.portal_client import (
    PortalAuthError,
    PortalClient,
    PortalConflict,
    PortalNotFound,
    PortalRejected,
    PortalTimeout,
    PortalUnavailable,
)
from portal.demo_data import DEMO_CARDS


@pytest.fixture
def client(portal):
    client = PortalClient(
        portal.url, portal.token, connect_timeout_s=2, read_timeout_s=2, retries=2
    )
    yield client
    client.close()


def queue_fault(portal, **fault):
    requests.post(f"{portal.url}/_faults", json=fault, timeout=5).raise_for_status()


def faults_served(portal) -> int:
    return requests.get(f"{portal.url}/_faults", timeout=5).json()["served"]


def test_catalogue_and_health(client):
    assert client.health()["status"] == "ok"
    catalogue = client.catalogue()
    assert {"pay_bill", "help"} <= {s["id"] for s in catalogue["services"]}


def test_bills_by_number_and_identity(client, portal):
    card = DEMO_CARDS[0]
    bills = client.bills_by_identity(
        card.profile, identity_hash("demo-salt", card.profile, card.identifier)
    )
    assert bills
    by_number = client.bills_by_number(bills[0]["number"])
    assert [b["id"] for b in by_number] == [bills[0]["id"]]
    assert client.bills_by_number("NO-SUCH-BILL") == []


def test_get_is_retried_through_a_500(client, portal, clear_faults):
    before = faults_served(portal)
    queue_fault(portal, path_prefix="/api/v1/catalogue", status=500, count=2)
    assert client.catalogue()["services"]
    assert faults_served(portal) - before == 2


def test_persistent_500_becomes_unavailable(client, portal, clear_faults):
    queue_fault(portal, path_prefix="/api/v1/catalogue", status=503, count=10)
    with pytest.raises(PortalUnavailable) as caught:
        client.catalogue()
    assert caught.value.user_message


def test_timeout_becomes_portal_timeout(portal, clear_faults):
    client = PortalClient(portal.url, portal.token, read_timeout_s=0.3, retries=1)
    queue_fault(portal, path_prefix="/api/v1/catalogue", delay_s=1.5, count=2)
    with pytest.raises(PortalTimeout):
        client.catalogue()


def test_post_is_never_retried_after_a_500(client, portal, clear_faults):
    before = faults_served(portal)
    queue_fault(portal, path_prefix="/api/v1/payments", status=500, count=5)
    with pytest.raises(PortalUnavailable):
        client.create_payment(
            {"bill_id": "x", "amount_cents": 1, "currency": "USD", "kiosk_reference": "k"},
            idempotency_key=str(uuid.uuid4()),
        )
    assert faults_served(portal) - before == 1


def test_payment_replay_and_typed_refusals(client, portal):
    bill = portal.store.add_bill(
        bill_id=f"client-{uuid.uuid4().hex[:8]}",
        number=f"C-{uuid.uuid4().hex[:8]}",
        account="ACC-CLIENT",
        kind="water",
        description={"en": "Water", "es": "Agua"},
        amount_due_cents=5000,
        due_date="2026-12-31",
        allows_partial=True,
    )
    payment = {
        "bill_id": bill["id"],
        "amount_cents": 2000,
        "currency": "USD",
        "kiosk_reference": "K-1",
    }
    key = str(uuid.uuid4())
    first = client.create_payment(payment, idempotency_key=key)
    again = client.create_payment(payment, idempotency_key=key)
    assert first == again and first["remaining_cents"] == 3000
    with pytest.raises(PortalRejected) as caught:
        client.create_payment({**payment, "amount_cents": 9999}, idempotency_key=str(uuid.uuid4()))
    assert caught.value.code == "amount_exceeds_balance"
    with pytest.raises(PortalRejected):
        client.create_payment({**payment, "amount_cents": 10}, idempotency_key=key)
    with pytest.raises(PortalNotFound):
        client.create_payment({**payment, "bill_id": "nope"}, idempotency_key=str(uuid.uuid4()))
    client.create_payment({**payment, "amount_cents": 3000}, idempotency_key=str(uuid.uuid4()))
    with pytest.raises(PortalConflict):
        client.create_payment({**payment, "amount_cents": 1}, idempotency_key=str(uuid.uuid4()))


def test_wrong_token_is_an_auth_error(portal):
    client = PortalClient(portal.url, "not-a-token", retries=0)
    with pytest.raises(PortalAuthError):
        client.catalogue()


def test_nobody_listening_is_unavailable():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = PortalClient(f"http://127.0.0.1:{port}", "t", connect_timeout_s=0.5, retries=1)
    with pytest.raises(PortalUnavailable):
        client.catalogue()


def test_tls_verification_cannot_be_switched_off(portal):
    client = PortalClient(portal.url, portal.token)
    assert client._verify is True
    assert client.session.verify is True


def test_a_card_identity_resolves_to_its_resident_or_to_nobody(client):
    from kiosk.identity import identity_hash
    from portal.demo_data import DEMO_CARDS, DEMO_SALT

    for card in DEMO_CARDS:
        found = client.resident(
            card.profile, identity_hash(DEMO_SALT, card.profile, card.identifier)
        )
        assert found == {"account": card.account, "display_name": card.holder}
    stranger = identity_hash(DEMO_SALT, "uid", "DEADBEEF")
    assert client.resident("uid", stranger) is None

"""The sync worker against the real reference portal over loopback."""

from __future__ import annotations

import random

import pytest
from outbox_testkit import FAST, add_bills, enqueue, fault

from kiosk.portal_client import PortalClient
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import CONFLICT, NEEDS_ATTENTION, PENDING, SENT, Outbox
from offline.sync import SyncSettings, SyncWorker, backoff_delay
from portal.server import start_portal


@pytest.fixture
def kiosk(tmp_path, server):
    """(outbox, worker, statuses): a kiosk's queue wired to its own fresh portal."""
    cipher = PayloadCipher(load_or_create_key(tmp_path / "outbox.key"))
    path = tmp_path / "kiosk.db"
    outbox = Outbox(open_database(path), cipher)
    client = PortalClient(server.url, server.token, read_timeout_s=2, retries=0)
    statuses = []
    worker = SyncWorker(
        lambda: Outbox(open_database(path), cipher), client, FAST, on_status=statuses.append
    )
    yield outbox, worker, statuses
    worker.outbox.close()
    outbox.close()
    client.close()


def new_bill(server, balance=10_000, partial=True):
    [bill_id] = add_bills(server.store, f"b{random.getrandbits(40):x}", 1, balance, partial=partial)
    return bill_id


def payment(bill_id, amount, reference="sync-test"):
    return {
        "bill_id": bill_id,
        "amount_cents": amount,
        "currency": "USD",
        "kiosk_reference": reference,
    }


def test_drain_delivers_every_kind_and_keeps_the_portals_reference(kiosk, server):
    outbox, worker, statuses = kiosk
    bill = new_bill(server)
    paid = enqueue(outbox, "payment", payment(bill, 2500), order_key=f"bill:{bill}")
    report = enqueue(
        outbox,
        "service_request",
        {
            "service_code": "pothole",
            "attributes": {"size": "large"},
            "lat": 40.1,
            "long": -75.2,
            "description": "Deep hole by the library",
        },
    )
    answer = enqueue(outbox, "survey_response", {"survey_id": "kiosk", "answers": {"ease": "easy"}})

    assert worker.drain()

    assert outbox.counts()[SENT] == 3
    assert outbox.find(paid.reference).portal_reference.startswith("pay_")
    assert outbox.find(report.reference).portal_reference.startswith("LF-")
    assert outbox.find(answer.reference).portal_reference.startswith("sr_")
    assert server.store.bill(bill)["amount_due_cents"] == 7500
    assert statuses[-1].online is True and statuses[-1].pending == 0


def test_items_of_one_bill_arrive_in_the_order_they_were_made(kiosk, server):
    outbox, worker, _ = kiosk
    bill = new_bill(server, balance=300, partial=True)
    for n in range(3):
        enqueue(outbox, "payment", payment(bill, 100, f"order-{n}"), order_key=f"bill:{bill}")

    assert worker.drain()

    rows = server.store.query(
        "SELECT kiosk_reference, remaining_cents FROM payments WHERE bill_id = ? ORDER BY rowid",
        (bill,),
    )
    assert [tuple(row) for row in rows] == [("order-0", 200), ("order-1", 100), ("order-2", 0)]


def test_a_rejected_item_needs_attention_with_the_portals_reason(kiosk, server):
    outbox, worker, _ = kiosk
    bill = new_bill(server, balance=1000, partial=False)
    wrong = enqueue(outbox, "payment", payment(bill, 400))
    fine = enqueue(outbox, "survey_response", {"survey_id": "kiosk", "answers": {"q": "yes"}})

    worker.drain()

    parked = outbox.find(wrong.reference)
    assert parked.state == NEEDS_ATTENTION
    assert parked.last_error.startswith("partial_not_allowed")
    assert outbox.find(fine.reference).state == SENT
    assert server.store.payment_count(bill) == 0


def test_an_idempotency_conflict_is_flagged_and_never_resent(kiosk, server):
    outbox, worker, _ = kiosk
    bill = new_bill(server)
    client = PortalClient(server.url, server.token, retries=0)
    client.create_payment(payment(bill, 100), idempotency_key="shared-key")
    enqueue(outbox, "payment", payment(bill, 999), idempotency_key="shared-key")

    worker.drain()
    worker.run_once()

    item = outbox.find("shared-key")
    assert item.state == CONFLICT and item.attempts == 1
    assert "idempotency_key_reused" in item.last_error
    assert server.store.bill(bill)["amount_due_cents"] == 10_000 - 100


def test_a_lost_answer_is_resent_and_absorbed_by_idempotency(kiosk, server):
    outbox, worker, _ = kiosk
    bill = new_bill(server)
    queued = enqueue(outbox, "payment", payment(bill, 700))
    fault(server, path_prefix="/api/v1/sync/batch", drop="after")

    worker.run_once()  # the portal posts the payment, the answer never arrives
    assert outbox.find(queued.reference).state == PENDING
    assert server.store.payment_count(bill) == 1

    assert worker.drain()
    attempts = [a.outcome for a in outbox.attempts(queued.idempotency_key)]
    assert attempts == ["network", "replayed"]
    assert server.store.payment_count(bill) == 1
    assert server.store.bill(bill)["amount_due_cents"] == 10_000 - 700


def test_503_with_retry_after_is_honoured_and_shown_offline(kiosk, server):
    outbox, worker, statuses = kiosk
    enqueue(outbox, "survey_response", {"survey_id": "kiosk", "answers": {"q": "no"}})
    fault(server, path_prefix="/api/v1/sync/batch", status=503, retry_after_s=30)

    delay = worker.run_once()

    # Retry-After (30 s) is above this worker's ceiling (0.05 s): the ceiling wins, so a
    # misconfigured portal can never park a kiosk for hours.
    assert delay == pytest.approx(FAST.backoff_max_s, abs=0.01)
    assert statuses[-1].online is False
    assert outbox.summaries()[0].last_error.startswith("POST /api/v1/sync/batch: 503")
    assert worker.drain()
    assert statuses[-1].online is True


def test_retry_after_sets_the_wait_when_below_the_ceiling(tmp_path, server):
    cipher = PayloadCipher(load_or_create_key(tmp_path / "k"))
    path = tmp_path / "slow.db"
    outbox = Outbox(open_database(path), cipher)
    enqueue(outbox, "survey_response", {"survey_id": "kiosk", "answers": {"q": "no"}})
    client = PortalClient(server.url, server.token, retries=0)
    patient = SyncSettings(backoff_base_s=0.01, backoff_max_s=600)
    worker = SyncWorker(lambda: Outbox(open_database(path), cipher), client, patient)
    fault(server, path_prefix="/api/v1/sync/batch", status=503, retry_after_s=4)

    assert worker.run_once() >= 3.9  # the portal's Retry-After, not the 0.01 s backoff


def test_a_malformed_batch_is_split_so_one_bad_item_cannot_block_the_rest(kiosk, server):
    outbox, worker, _ = kiosk
    good = [
        enqueue(outbox, "survey_response", {"survey_id": "k", "answers": {"n": n}})
        for n in range(3)
    ]
    bad = enqueue(
        outbox,
        "survey_response",
        {"survey_id": "k", "answers": {"n": 9}},
        idempotency_key="x" * 300,
    )  # longer than the portal accepts

    worker.drain()

    assert all(outbox.find(item.reference).state == SENT for item in good)
    assert outbox.find(bad.reference).state == NEEDS_ATTENTION


def test_an_unreadable_item_is_parked_not_sent(kiosk, server, tmp_path):
    outbox, worker, _ = kiosk
    other = PayloadCipher(load_or_create_key(tmp_path / "other.key"))
    foreign = Outbox(open_database(tmp_path / "kiosk.db"), other)
    item = enqueue(foreign, "survey_response", {"survey_id": "k", "answers": {"n": 1}})
    foreign.close()

    worker.drain()

    parked = outbox.find(item.reference)
    assert parked.state == NEEDS_ATTENTION and "key" in parked.last_error


def test_a_new_worker_resumes_where_a_stopped_one_left_off(kiosk, server, tmp_path):
    outbox, worker, _ = kiosk
    for n in range(120):
        enqueue(outbox, "survey_response", {"survey_id": "k", "answers": {"n": n}})
    worker.run_once()  # one batch of 50, then the kiosk "restarts"
    assert outbox.counts()[SENT] == 50

    cipher = PayloadCipher(load_or_create_key(tmp_path / "outbox.key"))
    client = PortalClient(server.url, server.token, retries=0)
    restarted = SyncWorker(
        lambda: Outbox(open_database(tmp_path / "kiosk.db"), cipher), client, FAST
    )
    assert restarted.drain()
    assert outbox.counts()[SENT] == 120
    stored = server.store.query("SELECT count(*) AS n FROM survey_responses")[0]["n"]
    assert stored == 120


def test_offline_then_back_online(tmp_path):
    portal_db = tmp_path / "portal.db"
    first = start_portal(portal_db, seed_demo=True)
    port = int(first.url.rsplit(":", 1)[1])
    token = first.token
    first.stop()  # the city's network is down

    cipher = PayloadCipher(load_or_create_key(tmp_path / "k"))
    outbox = Outbox(open_database(tmp_path / "kiosk.db"), cipher)
    queued = enqueue(outbox, "survey_response", {"survey_id": "k", "answers": {"q": 1}})
    statuses = []
    client = PortalClient(first.url, token, retries=0, connect_timeout_s=0.5)
    worker = SyncWorker(
        lambda: Outbox(open_database(tmp_path / "kiosk.db"), cipher),
        client,
        FAST,
        on_status=statuses.append,
    )
    worker.run_once()
    assert statuses[-1].online is False and statuses[-1].pending == 1
    assert outbox.find(queued.reference).attempts == 1

    for _ in range(5):  # while offline, probes do not add attempts
        worker._not_before = 0
        worker.run_once()
    assert outbox.find(queued.reference).attempts == 1

    again = start_portal(portal_db, port=port, seed_demo=False)
    try:
        client.session.headers["Authorization"] = f"Bearer {again.token}"
        worker._not_before = 0
        assert worker.drain()
        assert statuses[-1].online is True
        assert outbox.find(queued.reference).state == SENT
    finally:
        again.stop()


def test_backoff_grows_exponentially_with_full_jitter_and_a_ceiling():
    rng = random.Random(1)
    ceilings = [max(backoff_delay(n, 1.0, 60.0, rng) for _ in range(400)) for n in (1, 3, 5, 9)]
    assert ceilings[0] <= 1.0 and ceilings[1] <= 4.0 and ceilings[2] <= 16.0
    assert ceilings[0] < ceilings[1] < ceilings[2] < ceilings[3] <= 60.0
    assert min(backoff_delay(3, 1.0, 60.0, rng) for _ in range(400)) < 0.5  # jitter reaches 0

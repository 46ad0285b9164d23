"""The outbox: durable, encrypted at rest, ordered per key, every attempt recorded."""

import datetime
import json
import os
import sqlite3
import stat
import uuid

import pytest
from outbox_testkit import enqueue

from offline.crypto import KeyFileError, PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import CONFLICT, NEEDS_ATTENTION, PENDING, SENT, Delivery, Outbox

RESIDENT = {"name": "María Pérez", "email": "maria@example.org", "bill": "W-1001"}


def test_enqueue_carries_key_kind_version_time_and_reference(outbox):
    queued = enqueue(outbox, "payment", {"amount_cents": 1250}, schema_version=2)

    assert uuid.UUID(queued.idempotency_key).version == 4
    assert queued.reference.startswith("K-") and len(queued.reference) == 11
    [item] = outbox.next_batch(10)
    assert (item.kind, item.schema_version, item.payload) == ("payment", 2, {"amount_cents": 1250})
    created = datetime.datetime.fromisoformat(item.created_at)
    assert created.utcoffset() == datetime.timedelta(0)
    assert outbox.attempts(queued.idempotency_key) == []


def test_same_key_twice_keeps_one_item_and_its_first_reference(outbox):
    first = enqueue(outbox, payload={"n": 1}, idempotency_key="k-1")
    again = enqueue(outbox, payload={"n": 2}, idempotency_key="k-1")

    assert again == first
    assert outbox.counts()[PENDING] == 1
    assert outbox.payload("k-1") == {"n": 1}


def test_enqueue_joins_the_callers_transaction(db, outbox):
    db.conn.execute("CREATE TABLE journal (n INTEGER)")
    with pytest.raises(RuntimeError), outbox.transaction():
        db.conn.execute("INSERT INTO journal VALUES (1)")
        outbox.enqueue("payment", {"n": 1})
        raise RuntimeError("crash before commit")

    assert db.conn.execute("SELECT count(*) FROM journal").fetchone()[0] == 0
    assert outbox.counts()[PENDING] == 0


def test_committed_items_survive_reopening(db_path, cipher):
    db = open_database(db_path)
    queued = enqueue(Outbox(db, cipher), payload=RESIDENT)
    db.close()

    reopened = Outbox(open_database(db_path), cipher)
    [item] = reopened.next_batch(5)
    assert item.idempotency_key == queued.idempotency_key
    assert item.payload == RESIDENT
    reopened.close()


def test_payload_is_not_readable_in_the_database_file(db_path, outbox):
    enqueue(outbox, payload=RESIDENT)
    with outbox.transaction():
        outbox.enqueue("service_request", RESIDENT, order_key="resident:12345678901")

    raw = b"".join(path.read_bytes() for path in db_path.parent.glob("kiosk.db*"))
    for secret in ("María", "maria@example.org", "W-1001", "12345678901"):
        assert secret.encode() not in raw


def test_without_the_key_items_are_countable_but_unreadable(db_path, outbox, tmp_path):
    queued = enqueue(outbox, payload=RESIDENT)
    stranger = PayloadCipher(load_or_create_key(tmp_path / "other.key"))

    elsewhere = Outbox(open_database(db_path), stranger)
    assert elsewhere.counts()[PENDING] == 1
    assert elsewhere.find(queued.reference).kind == "survey_response"
    [item] = elsewhere.next_batch(5)
    assert item.unreadable and item.payload is None
    elsewhere.close()


def test_a_payload_moved_to_another_row_does_not_decrypt(db, outbox):
    first = enqueue(outbox, payload={"amount_cents": 100})
    second = enqueue(outbox, payload={"amount_cents": 99_999})
    with outbox.transaction():
        db.conn.execute(
            "UPDATE outbox SET payload = (SELECT payload FROM outbox WHERE idempotency_key = ?)"
            " WHERE idempotency_key = ?",
            (second.idempotency_key, first.idempotency_key),
        )

    assert outbox.payload(first.idempotency_key) is None


def test_key_file_is_created_private_and_reused(tmp_path):
    path = tmp_path / "deep" / "outbox.key"
    key = load_or_create_key(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key


def test_loose_key_file_permissions_are_tightened(tmp_path):
    path = tmp_path / "outbox.key"
    load_or_create_key(path)
    os.chmod(path, 0o644)

    load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_damaged_key_file_is_refused_with_advice(tmp_path):
    path = tmp_path / "outbox.key"
    path.write_bytes(b"too short")

    with pytest.raises(KeyFileError, match="restore it from the device backup"):
        load_or_create_key(path)


def test_items_with_the_same_order_key_go_one_at_a_time_in_order(outbox):
    first = enqueue(outbox, payload={"n": 1}, order_key="bill:7")
    second = enqueue(outbox, payload={"n": 2}, order_key="bill:7")
    other = enqueue(outbox, payload={"n": 3}, order_key="bill:8")

    batch = [item.idempotency_key for item in outbox.next_batch(10)]
    assert batch == [first.idempotency_key, other.idempotency_key]

    with outbox.transaction():
        outbox.record([Delivery(first.idempotency_key, "created", 201)])
    batch = [item.idempotency_key for item in outbox.next_batch(10)]
    assert batch == [second.idempotency_key, other.idempotency_key]


def test_a_parked_item_does_not_hold_up_its_order_key(outbox):
    rejected = enqueue(outbox, order_key="bill:7")
    later = enqueue(outbox, order_key="bill:7")
    with outbox.transaction():
        outbox.record([Delivery(rejected.idempotency_key, "rejected", 409, "bill_already_paid")])

    assert [item.idempotency_key for item in outbox.next_batch(10)] == [later.idempotency_key]


def test_next_batch_skips_items_backing_off_and_respects_the_limit(outbox):
    keys = [enqueue(outbox).idempotency_key for _ in range(5)]

    batch = outbox.next_batch(2, skip=frozenset(keys[:2]))
    assert [item.idempotency_key for item in batch] == keys[2:4]


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        ("created", SENT),
        ("replayed", SENT),
        ("rejected", NEEDS_ATTENTION),
        ("conflict", CONFLICT),
        ("retry", PENDING),
        ("network", PENDING),
        ("server_error", PENDING),
    ],
)
def test_each_outcome_leads_to_its_state_with_history(outbox, outcome, state):
    queued = enqueue(outbox)
    with outbox.transaction():
        outbox.record([Delivery(queued.idempotency_key, outcome, 201, "why", "LF-000001")])

    summary = outbox.find(queued.idempotency_key)
    assert summary.state == state
    assert summary.attempts == 1
    [attempt] = outbox.attempts(queued.idempotency_key)
    assert attempt.outcome == outcome
    # A failure keeps the portal's status; a delivery is recorded on the item itself.
    assert attempt.status == (None if state == SENT else 201)
    if state == SENT:
        assert summary.portal_reference == "LF-000001" and summary.sent_at


def test_a_late_answer_never_changes_a_sent_item(outbox):
    queued = enqueue(outbox)
    with outbox.transaction():
        outbox.record([Delivery(queued.idempotency_key, "created", 201)])
        outbox.record([Delivery(queued.idempotency_key, "rejected", 422, "late")])

    summary = outbox.find(queued.idempotency_key)
    assert summary.state == SENT and summary.attempts == 2
    assert [a.outcome for a in outbox.attempts(queued.idempotency_key)] == ["created", "rejected"]


def test_technician_retry_only_moves_parked_items(outbox):
    parked, sent = enqueue(outbox), enqueue(outbox)
    with outbox.transaction():
        outbox.record([Delivery(parked.idempotency_key, "conflict", 422, "reused")])
        outbox.record([Delivery(sent.idempotency_key, "created", 201)])

    with outbox.transaction():
        assert outbox.retry(parked.idempotency_key)
        assert not outbox.retry(sent.idempotency_key)
    assert outbox.find(parked.idempotency_key).state == PENDING


def test_errors_are_clipped(outbox):
    queued = enqueue(outbox)
    with outbox.transaction():
        outbox.record([Delivery(queued.idempotency_key, "network", None, "x" * 10_000)])
    assert len(outbox.find(queued.idempotency_key).last_error) == 500


def test_find_by_reference_key_or_prefix(outbox):
    queued = enqueue(outbox)

    assert outbox.find(queued.reference.lower()).idempotency_key == queued.idempotency_key
    assert outbox.find(queued.idempotency_key[:8]).idempotency_key == queued.idempotency_key
    assert outbox.find("K-0000-0000") is None
    assert outbox.find("abc") is None  # too short to be a prefix


def test_purge_forgets_only_old_sent_items(db, outbox):
    old, recent, waiting = enqueue(outbox), enqueue(outbox), enqueue(outbox)
    with outbox.transaction():
        outbox.record([Delivery(key.idempotency_key, "created", 201) for key in (old, recent)])
        db.conn.execute(
            "UPDATE outbox SET sent_at = '2020-01-01T00:00:00.000+00:00' WHERE idempotency_key = ?",
            (old.idempotency_key,),
        )
        purged = outbox.purge_sent(datetime.timedelta(days=30))

    assert purged == 1
    assert outbox.find(old.idempotency_key) is None
    assert outbox.attempts(old.idempotency_key) == []
    assert outbox.find(recent.idempotency_key).state == SENT
    assert outbox.find(waiting.idempotency_key).state == PENDING


def test_capacity_counts_undelivered_items(db, cipher):
    small = Outbox(db, cipher, max_unsent=2, min_free_bytes=0)
    first = enqueue(small)
    assert small.capacity_problem() is None
    enqueue(small)
    assert small.capacity_problem() == "queue_full"

    with small.transaction():
        small.record([Delivery(first.idempotency_key, "created", 201)])
    assert small.capacity_problem() is None


def test_capacity_refuses_when_the_disk_is_short(db, cipher):
    assert Outbox(db, cipher, min_free_bytes=1 << 62).capacity_problem() == "disk_low"


def test_export_keeps_payloads_sealed(outbox):
    enqueue(outbox, payload=RESIDENT)
    [row] = list(outbox.export())

    assert row["state"] == PENDING and row["sealed_payload"]
    assert "María" not in json.dumps(row)


def test_first_layout_rows_are_migrated_and_encrypted(db_path, cipher):
    conn = sqlite3.connect(db_path)
    conn.execute(
        "CREATE TABLE outbox (idempotency_key TEXT PRIMARY KEY, kind TEXT NOT NULL,"
        " schema_version INTEGER NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT, sent_at TEXT)"
    )
    conn.execute(
        "INSERT INTO outbox (idempotency_key, kind, schema_version, payload, created_at)"
        " VALUES ('old-1', 'payment', 1, ?, '2026-01-01T00:00:00.000+00:00')",
        (json.dumps(RESIDENT),),
    )
    conn.commit()
    conn.close()

    outbox = Outbox(open_database(db_path), cipher)
    [item] = outbox.next_batch(5)
    assert (item.idempotency_key, item.payload) == ("old-1", RESIDENT)
    assert item.created_at == "2026-01-01T00:00:00.000+00:00"
    outbox.close()
    assert b"Mar\xc3\xada" not in db_path.read_bytes()


def test_unserialisable_payload_is_refused_without_side_effects(outbox):
    with pytest.raises(TypeError):
        enqueue(outbox, payload={"when": datetime.date(2026, 1, 1)})
    assert outbox.counts()[PENDING] == 0


def test_portal_reasons_are_stored_redacted(outbox, db_path):
    queued = enqueue(outbox)
    with outbox.transaction():
        reason = "invalid_email: maria@example.org is not valid"
        outbox.record([Delivery(queued.idempotency_key, "rejected", 422, reason)])

    assert outbox.find(queued.reference).last_error == "invalid_email: [email] is not valid"
    raw = b"".join(path.read_bytes() for path in db_path.parent.glob("kiosk.db*"))
    assert b"maria@example.org" not in raw

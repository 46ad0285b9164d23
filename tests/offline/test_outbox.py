import datetime
import uuid

import pytest

from offline.db import open_database
from offline.outbox import Outbox


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "kiosk.db"


@pytest.fixture
def db(db_path):
    db = open_database(db_path)
    yield db
    db.close()


@pytest.fixture
def outbox(db):
    return Outbox(db)


def enqueue(db, outbox, *args, **kwargs):
    with db.conn:
        return outbox.enqueue(*args, **kwargs)


def test_enqueue_generates_uuid4_key(db, outbox):
    key = enqueue(db, outbox, "form", {"service": "parking"})

    assert uuid.UUID(key).version == 4
    [item] = outbox.pending()
    assert item.idempotency_key == key
    assert item.kind == "form"
    assert item.payload == {"service": "parking"}
    assert item.schema_version == 1
    assert item.attempts == 0
    assert item.created_at.tzinfo is not None
    assert item.created_at.utcoffset() == datetime.timedelta(0)


def test_survives_close_and_reopen(db_path):
    db = open_database(db_path)
    key = enqueue(db, Outbox(db), "payment", {"amount_cents": 1250}, schema_version=2)
    db.close()

    reopened = open_database(db_path)
    [item] = Outbox(reopened).pending()
    reopened.close()

    assert (item.idempotency_key, item.payload, item.schema_version) == (
        key,
        {"amount_cents": 1250},
        2,
    )


def test_duplicate_key_does_not_duplicate(db, outbox):
    first = enqueue(db, outbox, "form", {"v": 1}, idempotency_key="abc")
    second = enqueue(db, outbox, "form", {"v": 2}, idempotency_key="abc")

    assert first == second == "abc"
    [item] = outbox.pending()
    assert item.payload == {"v": 1}


def test_enqueue_in_rolled_back_transaction_leaves_nothing(db, outbox):
    with pytest.raises(RuntimeError), db.conn:
        outbox.enqueue("payment", {"amount_cents": 100})
        raise RuntimeError("the business write failed")

    assert outbox.pending() == []
    assert outbox.counts()["pending"] == 0


def test_enqueue_commits_with_the_callers_other_writes(db, outbox):
    db.execute("CREATE TABLE journal (bill TEXT)")

    with pytest.raises(RuntimeError), db.atomic():
        db.conn.execute("INSERT INTO journal VALUES ('b1')")
        outbox.enqueue("payment", {"bill": "b1"})
        raise RuntimeError("crash before commit")
    with db.atomic():
        db.conn.execute("INSERT INTO journal VALUES ('b2')")
        outbox.enqueue("payment", {"bill": "b2"})

    assert [row[0] for row in db.execute("SELECT bill FROM journal")] == ["b2"]
    assert [item.payload["bill"] for item in outbox.pending()] == ["b2"]


def test_pending_is_oldest_first_and_limited(db, outbox):
    keys = [enqueue(db, outbox, "form", {"n": n}) for n in range(5)]

    assert [item.idempotency_key for item in outbox.pending(limit=3)] == keys[:3]


def test_mark_sent_and_failed_update_counts(db, outbox):
    sent, retry, broken = (enqueue(db, outbox, "form", {"n": n}) for n in range(3))

    with db.conn:
        outbox.mark_sent(sent)
        outbox.mark_failed(retry, "portal_unreachable")
        outbox.mark_failed(broken, "schema_rejected", permanent=True)

    assert outbox.counts() == {"pending": 1, "sent": 1, "needs_attention": 1}
    [item] = outbox.pending()
    assert (item.idempotency_key, item.attempts, item.last_error) == (
        retry,
        1,
        "portal_unreachable",
    )


def test_failure_after_sent_keeps_it_sent(db, outbox):
    key = enqueue(db, outbox, "form", {})
    with db.conn:
        outbox.mark_sent(key)
        outbox.mark_failed(key, "late_timeout")

    assert outbox.counts()["sent"] == 1


def test_unknown_key_raises(db, outbox):
    with pytest.raises(KeyError):
        outbox.mark_sent("no-such-key")


def test_counts_of_empty_outbox(outbox):
    assert outbox.counts() == {"pending": 0, "sent": 0, "needs_attention": 0}


def test_unserialisable_payload_is_refused(outbox):
    with pytest.raises(TypeError):
        outbox.enqueue("form", {"when": datetime.date(2025, 1, 1)})

    assert outbox.pending() == []

import datetime
import os
import sqlite3

import pytest

from offline.cache import Cache
from offline.crypto import PayloadCipher
from offline.db import open_database


def test_round_trip_survives_reopen(db_path, cipher):
    db = open_database(db_path)
    Cache(db, cipher).put("fees", {"parking": 1250, "names": ["Ünal", "李"]})
    db.close()

    reopened = open_database(db_path)
    cached = Cache(reopened, cipher).get("fees")
    reopened.close()

    assert cached.value == {"parking": 1250, "names": ["Ünal", "李"]}


def test_put_replaces_previous_value(db, cipher):
    cache = Cache(db, cipher)
    cache.put("hours", "9-17")
    cache.put("hours", "8-18")

    assert cache.get("hours").value == "8-18"


def test_missing_name_is_none(db, cipher):
    assert Cache(db, cipher).get("nothing") is None


def test_age_is_measured_from_fetched_at(db, cipher):
    cache = Cache(db, cipher)
    cache.put("bills", [])
    cached = cache.get("bills")

    later = cached.fetched_at + datetime.timedelta(hours=3)

    assert cached.fetched_at.utcoffset() == datetime.timedelta(0)
    assert cached.age(now=later) == datetime.timedelta(hours=3)
    assert isinstance(cached.age(), datetime.timedelta)


def test_no_name_bill_number_or_identity_is_readable_in_the_database_file(db_path, cipher):
    db = open_database(db_path)
    Cache(db, cipher).put("bills:account:80012345", [{"holder": "Zoë Ünal", "number": "W-1001"}])
    db.close()

    files = [db_path, *db_path.parent.glob(db_path.name + "-*")]  # and any WAL left
    raw = b"".join(path.read_bytes() for path in files)
    for secret in ("Zoë", "Ünal", "W-1001", "80012345", "holder"):
        assert secret.encode() not in raw, secret


def test_a_copy_sealed_for_another_entry_or_key_is_a_miss(db, cipher):
    cache = Cache(db, cipher)
    cache.put("bill:a", {"amount": 1})
    cache.put("bill:b", {"amount": 2})
    # A copy moved to another entry does not decrypt there.
    db.conn.execute(
        "UPDATE cache SET value = (SELECT value FROM cache WHERE name = ?) WHERE name = ?",
        (cache._row_name("bill:a"), cache._row_name("bill:b")),
    )
    assert cache.get("bill:b") is None
    assert cache.get("bill:a").value == {"amount": 1}
    assert db.conn.execute("SELECT count(*) FROM cache").fetchone()[0] == 1  # b dropped

    # The device key replaced: the old copies are misses, and cannot be read.
    rekeyed = Cache(db, PayloadCipher(os.urandom(32)))
    assert rekeyed.get("bill:a") is None


def test_plain_text_copies_from_an_earlier_version_are_deleted_at_start(db, cipher):
    db.execute("CREATE TABLE cache (name TEXT PRIMARY KEY, value TEXT NOT NULL, fetched_at TEXT)")
    db.execute(
        "INSERT INTO cache VALUES ('bill:1', '{\"holder\": \"Zoë\"}', '2026-11-01T00:00:00+00:00')"
    )
    cache = Cache(db, cipher)
    assert db.conn.execute("SELECT count(*) FROM cache").fetchone()[0] == 0
    cache.put("bill:1", {"holder": "Zoë"})
    assert cache.get("bill:1").value == {"holder": "Zoë"}


def test_keep_logs_a_failed_write_without_the_name_and_never_raises(db_path, cipher, caplog):
    db = open_database(db_path)
    cache = Cache(db, cipher)
    db.close()  # any sqlite3 error will do: the copy is only a fallback

    cache.keep("bills:identity:4f2a9c", [{"holder": "Zoë"}])

    assert "could not keep an offline copy (bills)" in caplog.text
    assert "4f2a9c" not in caplog.text
    with pytest.raises(sqlite3.Error):
        cache.put("bills:identity:4f2a9c", [])

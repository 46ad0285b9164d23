"""Start-up integrity check: a damaged database is moved aside, never deleted."""

from offline.alerts import DATABASE_QUARANTINED
from offline.db import open_database
from offline.outbox import Outbox
from offline.startup import open_kiosk_database

PAGE_SIZE = 4096


def damage(path):
    with path.open("r+b") as file:
        file.seek(PAGE_SIZE * 2)
        file.write(b"\xa5" * PAGE_SIZE * 3)


def fill(path, cipher, items=800):
    db = open_database(path)
    outbox = Outbox(db, cipher)
    with outbox.transaction():
        for n in range(items):
            outbox.enqueue("survey_response", {"n": n, "text": "x" * 200})
    db.close()


def test_a_healthy_database_opens_with_no_alert(db_path, cipher):
    fill(db_path, cipher, items=3)
    opened = open_kiosk_database(db_path)

    assert opened.quarantined == []
    assert opened.alerts.active() == []
    assert not opened.alerts.payments_blocked()
    assert Outbox(opened.db, cipher).counts()["pending"] == 3
    opened.db.close()


def test_a_damaged_database_is_moved_aside_and_payments_stay_off(db_path, cipher, caplog):
    fill(db_path, cipher)
    original = db_path.read_bytes()
    damage(db_path)
    damaged = db_path.read_bytes()
    assert damaged != original

    opened = open_kiosk_database(db_path)

    moved = opened.quarantined[0]
    assert moved.name.startswith("kiosk.db.corrupt-")
    assert moved.read_bytes() == damaged  # kept byte for byte for the technician
    assert Outbox(opened.db, cipher).counts()["pending"] == 0  # a fresh database
    assert opened.alerts.payments_blocked()
    assert "KIOSK DATABASE DAMAGED" in caplog.text and str(moved) in caplog.text
    opened.db.close()

    # A restart does not clear it: only a technician's acknowledgement does.
    again = open_kiosk_database(db_path)
    assert again.quarantined == [] and again.alerts.payments_blocked()
    assert again.alerts.acknowledge(DATABASE_QUARANTINED) == 1
    assert not again.alerts.payments_blocked()
    again.db.close()


def test_a_file_that_is_not_a_database_is_moved_with_its_wal(db_path):
    db_path.write_bytes(b"this is not sqlite" * 500)
    db_path.with_name("kiosk.db-wal").write_bytes(b"wal bytes")

    opened = open_kiosk_database(db_path)

    suffixes = sorted(path.name.rsplit("Z", 1)[-1] for path in opened.quarantined)
    assert "" in suffixes and "-wal" in suffixes
    wal = next(path for path in opened.quarantined if path.name.endswith("-wal"))
    assert wal.read_bytes() == b"wal bytes"
    assert opened.alerts.payments_blocked()
    opened.db.close()

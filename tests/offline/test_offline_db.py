import shutil
import sqlite3

import pytest

from offline.db import check_integrity, open_database
from offline.outbox import Outbox

PAGE_SIZE = 4096


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "nested" / "dir" / "kiosk.db"


def test_creates_parent_dirs_and_sets_durable_pragmas(db_path):
    db = open_database(db_path)

    assert db_path.exists()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    db.close()


def test_integrity_of_a_good_database_is_empty(db_path, cipher):
    db = open_database(db_path)
    Outbox(db, cipher)

    assert check_integrity(db) == []
    db.close()


def test_integrity_reports_a_corrupted_file(db_path, tmp_path, cipher):
    # Chosen behaviour: damage inside the file is reported as problems, never raised,
    # so callers have a single thing to check.
    db = open_database(db_path)
    outbox = Outbox(db, cipher)
    with db.conn:
        for n in range(2000):
            outbox.enqueue("form", {"n": n, "text": "x" * 100})
    page_count = db.execute("PRAGMA page_count").fetchone()[0]
    db.close()  # the last close checkpoints the WAL into the main file
    damaged = tmp_path / "damaged.db"
    shutil.copy(db_path, damaged)
    with damaged.open("r+b") as file:
        file.seek((page_count // 2) * PAGE_SIZE)
        file.write(b"\xa5" * PAGE_SIZE)

    damaged_db = open_database(damaged)
    problems = check_integrity(damaged_db)
    damaged_db.close()

    assert problems
    assert all(isinstance(problem, str) for problem in problems)


def test_opening_a_file_that_is_not_a_database_raises(tmp_path):
    path = tmp_path / "not.db"
    path.write_bytes(b"definitely not sqlite" * 100)

    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        open_database(path)

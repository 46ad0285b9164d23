"""Fixtures of the offline queue's tests: a real database file and a real key."""

from __future__ import annotations

import pytest

from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Outbox
from portal.server import start_portal


@pytest.fixture
def cipher(tmp_path):
    return PayloadCipher(load_or_create_key(tmp_path / "keys" / "outbox.key"))


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "kiosk.db"


@pytest.fixture
def db(db_path):
    db = open_database(db_path)
    yield db
    db.close()


@pytest.fixture
def outbox(db, cipher):
    return Outbox(db, cipher)


@pytest.fixture
def server(tmp_path):
    """A fresh reference portal of the test's own, whose faults can be armed."""
    server = start_portal(tmp_path / "portal.db", seed_demo=True, enable_faults=True)
    yield server
    server.stop()

"""PortalStore.reading() and the schema upgrade, on a portal of the test's own: the
session's portal is shared, and these tests hold its database's write lock or start
from a database an earlier portal made."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from portal_testkit import Api, results, sync_item

from kiosk.identity import identity_hash
from portal.demo_data import DEMO_CARDS, DEMO_SALT
from portal.server import start_portal
from portal.store import PortalStore

MARIA = DEMO_CARDS[0]
GRAFFITI = {
    "service_code": "graffiti",
    "address_id": "addr-0002",
    "attributes": {"surface": ["wall"], "offensive": "no"},
}


@pytest.fixture
def own_portal(tmp_path):
    server = start_portal(tmp_path / "portal.db")
    yield server
    server.stop()


def test_reads_answer_while_another_connection_holds_the_write_lock(own_portal):
    api = Api(own_portal)
    id_hash = identity_hash(DEMO_SALT, MARIA.profile, MARIA.identifier)
    card = {"profile": MARIA.profile, "id_hash": id_hash}
    with closing(sqlite3.connect(own_portal.db_path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        answers = [
            api.get("/api/v1/permits/forms/dog_licence"),
            api.post("/api/v1/permits/mine", json=card),
            api.get("/api/v1/bills/by-identity", params=card),
            api.post("/api/v1/identities/lookup", json=card),
            api.get("/api/v1/tracking/LF-000001"),
            api.post("/api/v1/tracking/mine", json=card),
            api.get("/track/LF-000001"),
        ]
        writer.execute("ROLLBACK")
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    assert answers[1].json()["permits"] and answers[5].json()["items"]


def test_a_write_cannot_join_a_read(tmp_path):
    store = PortalStore(tmp_path / "store.db")
    try:
        with pytest.raises(RuntimeError, match="reading"), store.reading(), store.transaction():
            pass
        store.set_meta("still", "usable")
        assert store.get_meta("still") == "usable"
    finally:
        store.close()


EARLIER_KIOSK_REFERENCES = """
CREATE TABLE kiosk_references (
    reference TEXT NOT NULL,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (reference, device_id)
);
INSERT INTO kiosk_references VALUES ('K-OLD0-0001', 'kiosk-1', 'key-1', 'survey_response');
"""


def test_a_database_from_an_earlier_portal_opens_and_keeps_tracking_receipts(tmp_path):
    db = tmp_path / "earlier.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(EARLIER_KIOSK_REFERENCES)
    server = start_portal(db)
    try:
        api = Api(server)
        item = sync_item("service_request", GRAFFITI) | {"reference": "K-NEW0-0001"}
        (result,) = results(api.sync(item))
        assert result["outcome"] == "created", result
        found = api.get("/api/v1/tracking/K-NEW0-0001")
        assert found.status_code == 200 and found.json()["kind"] == "service_request"
        kept = server.store.query("SELECT reference FROM kiosk_references ORDER BY reference")
        assert [row["reference"] for row in kept] == ["K-NEW0-0001", "K-OLD0-0001"]
    finally:
        server.stop()

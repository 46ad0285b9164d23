"""kiosk-queue, run as a technician runs it: a real process on a real queue."""

import json
import subprocess
import sys

import pytest

from offline.alerts import DATABASE_QUARANTINED, Alerts
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Delivery, Outbox

RESIDENT = {"name": "Zoë Okafor", "email": "zoe@example.org", "national_number": "85073003328"}


@pytest.fixture
def queue(tmp_path):
    """A kiosk data folder with items in every state."""
    db = open_database(tmp_path / "kiosk.db")
    outbox = Outbox(db, PayloadCipher(load_or_create_key(tmp_path / "outbox.key")))
    with outbox.transaction():
        items = [outbox.enqueue("service_request", RESIDENT) for _ in range(4)]
        outbox.record(
            [
                Delivery(items[1].idempotency_key, "created", 201, None, "LF-000042"),
                Delivery(
                    items[2].idempotency_key,
                    "rejected",
                    422,
                    "missing_field: email zoe@example.org is invalid",
                ),
                Delivery(items[3].idempotency_key, "network", None, "cannot connect"),
            ]
        )
        outbox.set_meta("last_error", "2026-11-22T10:00:00Z POST /api/v1/sync/batch: timed out")
    db.close()
    return tmp_path, items


def run(data_dir, *args):
    result = subprocess.run(
        [sys.executable, "-m", "provisioning.queue_cli", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    for secret in ("Zoë", "zoe@example.org", "85073003328"):
        assert secret not in result.stdout + result.stderr
    return result


def test_status_in_words(queue):
    data_dir, items = queue
    result = run(data_dir, "status")

    assert result.returncode == 0, result.stderr
    assert "pending          2" in result.stdout
    assert "needs attention  1" in result.stdout
    assert f"Oldest pending: {items[0].reference} service_request" in result.stdout
    assert "Last sync error: 2026-11-22T10:00:00Z POST /api/v1/sync/batch: timed out" in (
        result.stdout
    )
    assert "Payments: accepted" in result.stdout


def test_status_as_json(queue):
    data_dir, items = queue
    report = json.loads(run(data_dir, "--json", "status").stdout)

    assert report["counts"] == {"pending": 2, "sent": 1, "needs_attention": 1, "conflict": 0}
    assert report["oldest_pending"]["reference"] == items[0].reference
    assert report["oldest_pending"]["attempts"] == 0
    assert "timed out" in report["last_error"]


def test_list_filters_and_redacts_errors(queue):
    data_dir, items = queue
    listed = json.loads(run(data_dir, "--json", "list", "--state", "needs_attention").stdout)

    assert [item["reference"] for item in listed] == [items[2].reference]
    assert listed[0]["last_error"] == "missing_field: email [email] is invalid"
    text = run(data_dir, "list").stdout
    listed_references = [line.split()[0] for line in text.splitlines() if line.startswith("K-")]
    assert "LF-000042" in text
    assert sorted(listed_references) == sorted(item.reference for item in items)


def test_retry_puts_a_parked_item_back_and_refuses_others(queue):
    data_dir, items = queue
    assert run(data_dir, "retry", items[2].reference).returncode == 0
    assert run(data_dir, "retry", items[1].reference).returncode == 1  # already sent
    assert run(data_dir, "retry", "K-NOPE-NOPE").returncode == 1

    report = json.loads(run(data_dir, "--json", "status").stdout)
    assert report["counts"]["pending"] == 3 and report["counts"]["needs_attention"] == 0


def test_export_writes_sealed_undelivered_items(queue, tmp_path):
    data_dir, items = queue
    target = tmp_path / "export.jsonl"
    assert run(data_dir, "export", str(target)).returncode == 0

    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert {row["reference"] for row in rows} == {items[i].reference for i in (0, 2, 3)}
    assert all(row["sealed_payload"] for row in rows)
    assert "Zoë" not in target.read_text() and "zoe@example.org" not in target.read_text()


def test_alerts_are_loud_and_acknowledged(queue):
    data_dir, _items = queue
    db = open_database(data_dir / "kiosk.db")
    Alerts(db).raise_alert(DATABASE_QUARANTINED, "moved to kiosk.db.corrupt-x")
    db.close()

    status = run(data_dir, "status").stdout
    assert "ALERT database_quarantined" in status
    assert "Payments: refused (database_quarantined)" in status
    assert run(data_dir, "ack", DATABASE_QUARANTINED).returncode == 0
    assert "Payments: accepted" in run(data_dir, "status").stdout


def test_a_missing_queue_is_explained(tmp_path):
    result = run(tmp_path / "nowhere", "status")
    assert result.returncode == 1
    assert "has the kiosk run here yet" in result.stderr

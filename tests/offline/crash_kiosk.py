"""A kiosk core that is killed on purpose, and the harness that kills it.

Run as a program, it is the kiosk's queue and sync worker with nothing else: it
makes a stream of transactions (payments, problem reports, survey answers), each
committed together with its local record, and lets the sync worker deliver them to
the portal, until all of them are delivered. It prints ``committed N`` after each
commit, so the harness knows what the kiosk promised to residents.

The harness (``run_soak``) starts it, kills it with SIGKILL at random moments,
starts it again, and finally checks the portal's own tables: every transaction the
kiosk committed is there exactly once. Used by tests/offline/test_crash.py and, with
many more kills, by bench/crash_bench.py.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("payment", "service_request", "survey_response")


# The child program ------------------------------------------------------------


def child(data_dir: Path, url: str, token: str, total: int, bills: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from kiosk.portal_client import PortalClient
    from offline.crypto import PayloadCipher, load_or_create_key
    from offline.db import open_database
    from offline.outbox import Outbox
    from offline.sync import SyncSettings, SyncWorker

    cipher = PayloadCipher(load_or_create_key(data_dir / "outbox.key"))
    database = data_dir / "kiosk.db"
    outbox = Outbox(open_database(database), cipher)
    with outbox.transaction() as db:
        db.conn.execute(
            "CREATE TABLE IF NOT EXISTS local_transactions (n INTEGER PRIMARY KEY,"
            " idempotency_key TEXT NOT NULL, kind TEXT NOT NULL, bill_id TEXT,"
            " amount_cents INTEGER)"
        )
    client = PortalClient(url, token, read_timeout_s=2.0, retries=0)
    worker = SyncWorker(
        lambda: Outbox(open_database(database), cipher),
        client,
        SyncSettings(batch_size=25, backoff_base_s=0.02, backoff_max_s=0.2, health_interval_s=1),
    )
    worker.start()
    print("ready", flush=True)
    rng = random.Random()
    with outbox.transaction() as db:
        done = db.conn.execute("SELECT coalesce(max(n), 0) FROM local_transactions").fetchone()[0]
    for n in range(done + 1, total + 1):
        kind = KINDS[n % len(KINDS)]
        payload, order_key, bill, amount = _transaction(n, kind, bills, rng)
        with outbox.transaction() as db:
            queued = outbox.enqueue(kind, payload, order_key=order_key)
            db.conn.execute(
                "INSERT INTO local_transactions VALUES (?, ?, ?, ?, ?)",
                (n, queued.idempotency_key, kind, bill, amount),
            )
        print(f"committed {n}", flush=True)
        worker.wake()
        time.sleep(rng.uniform(0, 0.01))
    while outbox.counts()["pending"]:
        time.sleep(0.02)
    worker.stop()
    print("drained", flush=True)
    return 0


def _transaction(n: int, kind: str, bills: list[str], rng: random.Random):
    if kind == "payment":
        bill = bills[n % len(bills)]
        amount = rng.randint(1, 5)
        payload = {
            "bill_id": bill,
            "amount_cents": amount,
            "currency": "USD",
            "kiosk_reference": f"soak-{n}",
        }
        return payload, f"bill:{bill}", bill, amount
    if kind == "service_request":
        payload = {
            "service_code": "pothole",
            "attributes": {"size": "small"},
            "lat": 40.0 + n / 1e6,
            "long": -75.0,
            "description": f"soak report {n}",
        }
        return payload, None, None, None
    payload = {"survey_id": "soak", "answers": {"n": n}, "kiosk_reference": f"soak-{n}"}
    return payload, None, None, None


# The harness ------------------------------------------------------------------


@dataclass
class SoakResult:
    kills: int = 0
    committed: set[int] = field(default_factory=set)
    local: dict[int, tuple] = field(default_factory=dict)
    elapsed_s: float = 0.0


def _spawn(data_dir: Path, portal, total: int, bills: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, str(data_dir), portal.url, portal.token, str(total), *bills],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )


def _read_lines(process: subprocess.Popen, sink: list[str]) -> threading.Thread:
    def pump() -> None:
        for line in process.stdout:
            sink.append(line.strip())

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def run_soak(
    data_dir: Path,
    portal,
    *,
    total: int,
    kills: int,
    bills: list[str],
    seed: int | None = None,
    finish_timeout_s: float = 120.0,
) -> SoakResult:
    rng = random.Random(seed)
    result = SoakResult()
    started = time.monotonic()
    while result.kills < kills:
        lines: list[str] = []
        process = _spawn(data_dir, portal, total, bills)
        reader = _read_lines(process, lines)
        deadline = time.monotonic() + 30
        while "ready" not in lines and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.35))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            result.kills += 1
        process.wait()
        reader.join(5)
        result.committed |= {int(line.split()[1]) for line in lines if line.startswith("committed")}
        if "drained" in lines and result.kills >= kills:
            break
    lines = []
    process = _spawn(data_dir, portal, total, bills)
    reader = _read_lines(process, lines)
    process.wait(finish_timeout_s)
    reader.join(5)
    result.committed |= {int(line.split()[1]) for line in lines if line.startswith("committed")}
    if "drained" not in lines:
        raise AssertionError(f"the last run did not drain the queue: {lines[-5:]}")
    result.elapsed_s = time.monotonic() - started

    import sqlite3

    conn = sqlite3.connect(data_dir / "kiosk.db")
    result.local = {row[0]: row[1:] for row in conn.execute("SELECT * FROM local_transactions")}
    conn.close()
    return result


def portal_tally(store, device_id: str) -> dict[str, object]:
    """What the portal holds from this device, counted from its own tables."""
    keys = [
        row["key"]
        for row in store.query(
            "SELECT key FROM idempotency_records WHERE device_id = ?", (device_id,)
        )
    ]
    payments = store.query(
        "SELECT kiosk_reference, bill_id, amount_cents FROM payments WHERE device_id = ?",
        (device_id,),
    )
    requests_made = store.query(
        "SELECT description FROM service_requests WHERE device_id = ?", (device_id,)
    )
    surveys = store.query(
        "SELECT kiosk_reference FROM survey_responses WHERE device_id = ?", (device_id,)
    )
    return {
        "keys": keys,
        "payments": [tuple(row) for row in payments],
        "service_requests": [row["description"] for row in requests_made],
        "surveys": [row["kiosk_reference"] for row in surveys],
    }


if __name__ == "__main__":
    directory, portal_url, portal_token, count, *bill_ids = sys.argv[1:]
    sys.exit(child(Path(directory), portal_url, portal_token, int(count), bill_ids))

"""Offline queue benchmark: durable enqueue, dequeue-plus-acknowledge, and drain.

Figures, not a timed test. Everything is measured in this one run, on one disk (a
temporary folder beside the repository), and each figure is the median of several runs:

1. durable enqueue rate and dequeue-plus-acknowledge rate of our Outbox, against
   persist-queue's SQLiteAckQueue on the same records (one committed transaction per
   item for both; both in WAL mode with synchronous=FULL);
2. both of those against the disk's fsync floor (small appends, each followed by fsync);
3. drain throughput of 10,000 queued transactions to the reference portal over
   loopback, in batches of 100, against one request per item.

Targets: enqueue >= 1.2x persist-queue; dequeue+ack >= 2x persist-queue (it commits
twice per item); batched drain >= 1,000 transactions/s and >= 5x one per item.

Reading the figures: in WAL mode with synchronous=FULL a commit costs about one fsync.
A durable enqueue is one commit for both queues, and a dequeue+ack one for ours (the
dequeue is a read) against two for persist-queue, so where fsync dominates the per-item
ratios tend to 1.0x and 2.0x; CPU work and commit size per item decide the rest.

Usage: python bench/queue_bench.py [--quick] [--check] [--quiet] [--single-items N]
  --quick  small counts, for a smoke run (figures are then only indicative)
  --check  exit 1 when a target is missed (otherwise always 0)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "offline")]

import persistqueue  # noqa: E402
import sqlite_utils  # noqa: E402
from crash_kiosk import KINDS, _transaction  # noqa: E402
from outbox_testkit import add_bills  # noqa: E402

from kiosk.portal_client import PortalClient  # noqa: E402
from offline.crypto import PayloadCipher, load_or_create_key  # noqa: E402
from offline.db import open_database  # noqa: E402
from offline.outbox import NEEDS_ATTENTION, PENDING, SENT, Delivery, Outbox  # noqa: E402
from offline.sync import SyncSettings, SyncWorker  # noqa: E402
from portal.server import start_portal  # noqa: E402

BALANCE_CENTS = 1_000_000_000
BILL_PREFIX = "queue-bench"
FSYNC_WRITE = b"x" * 199 + b"\n"
OURS_ENQUEUE, THEIRS_ENQUEUE = "ours enqueue", "persist-queue enqueue"
OURS_DEQUEUE, THEIRS_DEQUEUE = "ours dequeue+ack", "persist-queue dequeue+ack"
OURS_DEQUEUE_BATCHED = "ours dequeue+ack, batches of 100"
OURS_WITH_RECORD = "ours enqueue + local record, 1 commit"
THEIRS_WITH_RECORD = "persist-queue put + local record, 2 commits"


@dataclasses.dataclass(frozen=True)
class Sizes:
    queue_runs: int  # runs of the enqueue / dequeue+ack / fsync measurements
    queue_items: int  # items per run
    drain_runs: int
    drain_items: int  # queued before each drain
    single_items: int  # items delivered one per request (out of drain_items queued)
    bills: int  # distinct bills the payments go to


FULL = Sizes(
    queue_runs=5, queue_items=1500, drain_runs=3, drain_items=10_000, single_items=1000, bills=500
)
QUICK = Sizes(
    queue_runs=3, queue_items=100, drain_runs=1, drain_items=500, single_items=100, bills=50
)


@dataclasses.dataclass(frozen=True)
class Record:
    kind: str
    payload: dict
    order_key: str | None


def make_records(count: int, bills: list[str], seed: int = 20261122) -> list[Record]:
    """Realistic kiosk transactions, a third of each kind, the same list for both queues."""
    rng = random.Random(seed)
    records = []
    for n in range(1, count + 1):
        kind = KINDS[n % len(KINDS)]
        payload, order_key, _bill, _amount = _transaction(n, kind, bills, rng)
        records.append(Record(kind, payload, order_key))
    return records


def bill_ids(count: int) -> list[str]:
    """The ids add_bills gives the portal's bills, known before the portal starts."""
    return [f"{BILL_PREFIX}-{n}" for n in range(count)]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# 1. Our queue and persist-queue ------------------------------------------------


def ours_enqueue(outbox: Outbox, records: list[Record]) -> float:
    started = time.perf_counter()
    for record in records:
        with outbox.transaction():
            outbox.enqueue(record.kind, record.payload, order_key=record.order_key)
    return rate(len(records), time.perf_counter() - started)


def ours_dequeue_ack(outbox: Outbox, count: int) -> float:
    """One item at a time: a read, then one committed write recording the answer."""
    started = time.perf_counter()
    for _ in range(count):
        [item] = outbox.next_batch(1)
        with outbox.transaction():
            outbox.record([Delivery(item.idempotency_key, "created", 201)])
    elapsed = time.perf_counter() - started
    if outbox.counts()[PENDING]:
        raise SystemExit("our queue still has pending items after dequeue+ack")
    return rate(count, elapsed)


def ours_dequeue_ack_batched(outbox: Outbox, count: int, batch: int = 100) -> float:
    started = time.perf_counter()
    done = 0
    while done < count:
        items = outbox.next_batch(batch)
        if not items:
            raise SystemExit("our queue ran dry before every item was acknowledged")
        with outbox.transaction():
            outbox.record([Delivery(item.idempotency_key, "created", 201) for item in items])
        done += len(items)
    return rate(done, time.perf_counter() - started)


def theirs_enqueue(queue: persistqueue.SQLiteAckQueue, records: list[Record]) -> float:
    started = time.perf_counter()
    for record in records:
        queue.put({"kind": record.kind, "payload": record.payload, "order_key": record.order_key})
    return rate(len(records), time.perf_counter() - started)


def theirs_dequeue_ack(queue: persistqueue.SQLiteAckQueue, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        item = queue.get(block=False)
        queue.ack(item)
    elapsed = time.perf_counter() - started
    if queue.qsize() or queue.acked_count() != count:
        raise SystemExit("persist-queue did not acknowledge every item")
    return rate(count, elapsed)


def fsync_floor(directory: Path, count: int) -> float:
    path = directory / "fsync-floor.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        started = time.perf_counter()
        for _ in range(count):
            os.write(fd, FSYNC_WRITE)
            os.fsync(fd)
        elapsed = time.perf_counter() - started
    finally:
        os.close(fd)
        path.unlink()
    return rate(count, elapsed)


LOCAL_TABLE = (
    "CREATE TABLE IF NOT EXISTS local_records (n INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " queue_id TEXT NOT NULL)"
)


def ours_enqueue_with_record(outbox: Outbox, records: list[Record]) -> float:
    """How the kiosk queues: the item and its local record (say a payment journal
    entry) in the same transaction, so one commit for both."""
    with outbox.transaction() as db:
        db.conn.execute(LOCAL_TABLE)
    started = time.perf_counter()
    for n, record in enumerate(records):
        with outbox.transaction() as db:
            queued = outbox.enqueue(record.kind, record.payload, order_key=record.order_key)
            db.conn.execute(
                "INSERT INTO local_records VALUES (?, ?, ?)", (n, record.kind, queued.reference)
            )
    return rate(len(records), time.perf_counter() - started)


def theirs_enqueue_with_record(
    queue: persistqueue.SQLiteAckQueue, local: sqlite_utils.Database, records: list[Record]
) -> float:
    """The same with persist-queue, which keeps its own database: two commits."""
    with local.atomic():
        local.conn.execute(LOCAL_TABLE)
    started = time.perf_counter()
    for n, record in enumerate(records):
        queue_id = queue.put(
            {"kind": record.kind, "payload": record.payload, "order_key": record.order_key}
        )
        with local.atomic():
            local.conn.execute(
                "INSERT INTO local_records VALUES (?, ?, ?)", (n, record.kind, str(queue_id))
            )
    return rate(len(records), time.perf_counter() - started)


def queue_round(workdir: Path, cipher: PayloadCipher, records: list[Record]) -> dict[str, float]:
    """One run of every queue figure, each on fresh files in the new folder ``workdir``."""
    workdir.mkdir()
    figures = {"fsync floor": fsync_floor(workdir, len(records))}

    outbox = Outbox(open_database(workdir / "ours.db"), cipher)
    figures[OURS_ENQUEUE] = ours_enqueue(outbox, records)
    figures[OURS_DEQUEUE] = ours_dequeue_ack(outbox, len(records))
    outbox.close()

    queue = persistqueue.SQLiteAckQueue(str(workdir / "persist-queue"), auto_resume=False)
    figures[THEIRS_ENQUEUE] = theirs_enqueue(queue, records)
    figures[THEIRS_DEQUEUE] = theirs_dequeue_ack(queue, len(records))
    queue.close()

    outbox = Outbox(open_database(workdir / "ours-batched.db"), cipher)
    with outbox.transaction():
        for record in records:
            outbox.enqueue(record.kind, record.payload, order_key=record.order_key)
    figures[OURS_DEQUEUE_BATCHED] = ours_dequeue_ack_batched(outbox, len(records))
    outbox.close()

    outbox = Outbox(open_database(workdir / "ours-with-record.db"), cipher)
    figures[OURS_WITH_RECORD] = ours_enqueue_with_record(outbox, records)
    outbox.close()
    queue = persistqueue.SQLiteAckQueue(str(workdir / "pq-with-record"), auto_resume=False)
    local = open_database(workdir / "kiosk-local.db")
    figures[THEIRS_WITH_RECORD] = theirs_enqueue_with_record(queue, local, records)
    local.close()
    queue.close()

    shutil.rmtree(workdir)
    return figures


# 3. Draining to the reference portal --------------------------------------------


def drain_round(
    workdir: Path,
    cipher: PayloadCipher,
    records: list[Record],
    bills: list[str],
    batch_size: int,
    max_passes: int = 1_000_000,
) -> tuple[float, int]:
    """Queue every record, then drain through a SyncWorker to a fresh portal.

    ``max_passes`` lets one-per-request delivery stop after that many requests rather
    than send the whole queue: its rate is then still taken on the same, full queue.
    Returns (items per second, items delivered).
    """
    workdir.mkdir()
    server = start_portal(workdir / "portal.db", seed_demo=True)
    try:
        if add_bills(server.store, BILL_PREFIX, len(bills), BALANCE_CENTS) != bills:
            raise SystemExit("the portal's bills are not the ones the payments go to")
        path = workdir / "kiosk.db"
        outbox = Outbox(open_database(path), cipher)
        with outbox.transaction():
            for record in records:
                outbox.enqueue(record.kind, record.payload, order_key=record.order_key)
        client = PortalClient(server.url, server.token, retries=0, read_timeout_s=60.0)
        settings = SyncSettings(
            batch_size=batch_size, backoff_base_s=0.01, backoff_max_s=0.1, health_interval_s=60
        )
        worker = SyncWorker(lambda: Outbox(open_database(path), cipher), client, settings)
        started = time.perf_counter()
        drained = worker.drain(max_passes=max_passes)
        elapsed = time.perf_counter() - started
        counts = outbox.counts()
        worker.outbox.close()
        outbox.close()
        client.close()
    finally:
        server.stop()
    if counts[NEEDS_ATTENTION] or (max_passes >= len(records) and not drained):
        raise SystemExit(f"drain with batch size {batch_size} did not deliver everything: {counts}")
    shutil.rmtree(workdir)
    return rate(counts[SENT], elapsed), counts[SENT]


# Reporting ----------------------------------------------------------------------


def filesystem_of(path: Path) -> str:
    """Type and device of the mount holding ``path``, from /proc/mounts (Linux)."""
    best, found = "", "unknown"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                device, mount, fstype, *_ = line.split()
                if path.is_relative_to(mount) and len(mount) > len(best):
                    best, found = mount, f"{fstype} on {device} (mounted at {mount})"
    except OSError:
        pass
    return found


def pragma(conn: sqlite3.Connection, name: str) -> str:
    value = conn.execute(f"PRAGMA {name}").fetchone()[0]
    return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(value, str(value))


def print_machine(workdir: Path) -> None:
    ours = open_database(workdir / "probe.db")
    theirs = persistqueue.SQLiteAckQueue(str(workdir / "probe-pq"), auto_resume=False)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" persist-queue {metadata.version('persist-queue')}"
    )
    print(f"temp dir: {workdir} ({filesystem_of(workdir)})")
    print(
        f"ours: journal_mode={pragma(ours.conn, 'journal_mode')}"
        f" synchronous={pragma(ours.conn, 'synchronous')};"
        f" persist-queue: journal_mode={pragma(theirs._putter, 'journal_mode')}"
        f" synchronous={pragma(theirs._putter, 'synchronous')}"
    )
    ours.close()
    theirs.close()
    shutil.rmtree(workdir / "probe-pq")
    for suffix in ("", "-wal", "-shm"):
        (workdir / f"probe.db{suffix}").unlink(missing_ok=True)


def medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}


def verdict(value: float, target: float) -> str:
    return "PASS" if value >= target else "MISS"


def run(sizes: Sizes, workdir: Path, say: Callable[[str], None]) -> bool:
    cipher = PayloadCipher(load_or_create_key(workdir / "outbox.key"))
    print_machine(workdir)
    bills = bill_ids(sizes.bills)
    records = make_records(sizes.queue_items, bills)
    print(
        f"\n1-2. queues: {sizes.queue_items} records per run (payment / service_request /"
        f" survey_response), median of {sizes.queue_runs} runs, one commit per item"
    )
    rounds = []
    for n in range(sizes.queue_runs):
        rounds.append(queue_round(workdir / f"queues-{n}", cipher, records))
        say(f"  run {n + 1}: " + ", ".join(f"{k} {v:.0f}/s" for k, v in rounds[-1].items()))
    q = medians(rounds)
    floor = q["fsync floor"]
    print(f"  {'fsync floor (200-byte append + fsync)':46s} {floor:8.0f} writes/s")
    for name in (OURS_ENQUEUE, THEIRS_ENQUEUE, OURS_DEQUEUE, THEIRS_DEQUEUE):
        print(f"  {name:46s} {q[name]:8.0f} items/s = {q[name] / floor:.2f} x floor")
    print("  extra figures, not targets:")
    for name in (OURS_DEQUEUE_BATCHED, OURS_WITH_RECORD, THEIRS_WITH_RECORD):
        print(f"  {name:46s} {q[name]:8.0f} items/s = {q[name] / floor:.2f} x floor")
    print(
        f"  {'enqueue + local record, ours / persist-queue':46s}"
        f" {q[OURS_WITH_RECORD] / q[THEIRS_WITH_RECORD]:8.2f}x"
    )

    print(
        f"\n3. drain to the reference portal (in this process) over loopback:"
        f" {sizes.drain_items} queued, {sizes.bills} bills, median of {sizes.drain_runs} runs"
    )
    drains: dict[str, list[float]] = {"batched": [], "single": []}
    for n in range(sizes.drain_runs):
        drain_records = make_records(sizes.drain_items, bills, seed=n)
        batched, sent = drain_round(workdir / f"batched-{n}", cipher, drain_records, bills, 100)
        single, single_sent = drain_round(
            workdir / f"single-{n}", cipher, drain_records, bills, 1, sizes.single_items
        )
        drains["batched"].append(batched)
        drains["single"].append(single)
        say(
            f"  run {n + 1}: batches of 100 {batched:.0f}/s ({sent} items),"
            f" one per request {single:.0f}/s ({single_sent} items)"
        )
    batched, single = (statistics.median(drains[k]) for k in ("batched", "single"))
    print(f"  {'batches of 100, whole queue':46s} {batched:8.0f} items/s")
    sample = (
        "the whole queue"
        if sizes.single_items >= sizes.drain_items
        else f"the first {sizes.single_items} of the {sizes.drain_items} queued (a rate;"
        " --single-items N to change)"
    )
    print(f"  {'one per request':46s} {single:8.0f} items/s over {sample}")

    checks = [
        ("enqueue, ours / persist-queue", q[OURS_ENQUEUE] / q[THEIRS_ENQUEUE], 1.2),
        ("dequeue+ack, ours / persist-queue", q[OURS_DEQUEUE] / q[THEIRS_DEQUEUE], 2.0),
        ("drain, batched items/s", batched, 1000.0),
        ("drain, batched / one per request", batched / single, 5.0),
    ]
    print("\nratios and targets")
    ok = True
    for name, value, target in checks:
        shown = f"{value:8.0f} " if target >= 100 else f"{value:8.2f}x"
        unit = "/s" if target >= 100 else "x"
        print(f"  {name:46s} {shown}  target >= {target:g}{unit}  {verdict(value, target)}")
        ok = ok and value >= target
    if sizes.queue_items < FULL.queue_items:
        print("  (--quick: small counts, figures are only indicative)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--quiet", action="store_true", help="medians only, not every run")
    parser.add_argument(
        "--single-items",
        type=int,
        help="items delivered one per request in each drain run (default: 1000 of the"
        " 10,000 queued; 10000 sends the whole queue, about 40 s a run)",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.single_items:
        sizes = dataclasses.replace(sizes, single_items=min(args.single_items, sizes.drain_items))
    # Beside the repository, so on the same disk as a checkout; never /tmp (often tmpfs).
    workdir = Path(tempfile.mkdtemp(prefix="queue-bench-", dir=REPO.parent))

    def say(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    try:
        ok = run(sizes, workdir, say)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())

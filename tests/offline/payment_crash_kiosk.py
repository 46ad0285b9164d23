"""A kiosk that takes card payments and is killed on purpose, and the harness.

Run as a program, it is the kiosk's payment core and nothing else: the payment
journal, the outbox and its sync worker posting to the portal, and the PaymentDesk
driving a ZVT terminal (``ZvtTerminal``) over a serial line. On start it does what a
restarted kiosk does, ``recover()`` then ``reconcile()``, and then sells the bills the
harness gave it, one by one, each followed by waiting until the sync worker has
delivered the queue and a ``reconcile()``. It prints one line per event. Each sale is
an order as the payment screens seal it, ``{"lines": [...]}``: one bill, or a basket
of two that the portal applies whole or not at all.

Given a kill point, it SIGKILLs itself at that moment of the sale of the kill bill:

- ``intent``: the journal entry is committed, 06 01 not sent yet;
- ``accepted``: the terminal acknowledged 06 01 (80 00 00), ``sent`` is committed;
- ``result``: the terminal's 04 0F is committed, not yet acknowledged;
- ``completed``: the terminal completed the sale (06 0F);
- ``before_post``: the sync worker is about to post the payment to the portal;
- ``after_post``: the portal answered, the outbox has not recorded it yet.

The harness (``run_payment_soak``) runs the terminal simulator (with a durable ledger)
in its own process on a socat pty pair, plays a plan of kiosk runs, and then collects
what the ledger, the portal and the kiosk's journal hold, for
tests/offline/test_payment_crash.py to compare. Some bills are paid directly at the
portal (by another device) before the kiosk sells them: the kiosk's charge then cannot
be honoured, and must be reversed on the terminal.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("intent", "accepted", "result", "completed", "before_post", "after_post")
CURRENCY = "USD"
DRAIN_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 60.0


# The child program ------------------------------------------------------------


def child(config: dict) -> int:
    sys.path.insert(0, str(ROOT))
    import logging

    from drivers.payment.zvt.ecr import ZvtSettings, ZvtTerminal
    from drivers.payment.zvt.transport import LinkTimeouts
    from kiosk.payments import PaymentDesk, PaymentUnavailable
    from kiosk.portal_client import PortalClient
    from offline.crypto import PayloadCipher, load_or_create_key
    from offline.db import open_database
    from offline.outbox import Outbox
    from offline.payment_journal import PaymentJournal
    from offline.sync import SyncSettings, SyncWorker

    data_dir = Path(config["data_dir"])
    logging.basicConfig(
        filename=data_dir / "kiosk.log",
        level=logging.INFO,
        format="%(asctime)s %(process)d %(threadName)s %(name)s %(levelname)s %(message)s",
    )
    kill_at: str | None = config["kill_at"]
    kill_bill: str | None = config["kill_bill"]
    selling: dict[str, str | None] = {"bill": None}

    def say(*words: object) -> None:
        print(*words, flush=True)

    def die(step: str, bill: str | None) -> None:
        say("killing", step, bill)
        os.kill(os.getpid(), signal.SIGKILL)

    def step(name: str) -> None:
        if name == kill_at and selling["bill"] == kill_bill:
            die(name, kill_bill)

    class KillingPortal(PortalClient):
        """The sync worker's portal: dies before or after posting the kill bill."""

        def submit_batch(self, items: list[dict]) -> list[dict]:
            hit = kill_at in ("before_post", "after_post") and any(
                item["kind"] == "payment" and item["payload"]["allocations"][0]["id"] == kill_bill
                for item in items
            )
            if hit and kill_at == "before_post":
                die("before_post", kill_bill)
            results = super().submit_batch(items)
            if hit and kill_at == "after_post":
                die("after_post", kill_bill)
            return results

    cipher = PayloadCipher(load_or_create_key(data_dir / "device.key"))
    database = data_dir / "kiosk.db"
    db = open_database(database)
    journal = PaymentJournal(db, cipher)
    outbox = Outbox(db, cipher)

    terminal = ZvtTerminal(
        ZvtSettings(
            port=config["port"],
            timeouts=LinkTimeouts(ack_timeout_s=0.5),
            # The product's default. Shorter, a command could give up while the
            # simulator still retries a frame to the killed kiosk (3 tries of 1 s), and
            # its late answer would then be read as the answer to the next command.
            reply_timeout_s=5.0,
            status_timeout_s=2.0,
            idle_wait_s=10.0,
        )
    )
    # The terminal may still be finishing the sale of the kiosk that was killed (it
    # goes on without the kiosk's confirmations): the driver itself waits for that.
    # A start that fails anyway (a reply later than this rig's short timeouts, on a
    # loaded machine) is tried again, as drivers/manager.py's detection loop does.
    for attempt in range(1, 11):
        try:
            terminal.start()
            break
        except RuntimeError as error:
            say("start_retry", attempt, str(error).replace(" ", "_"))
            time.sleep(0.1)
    else:
        say("terminal_unavailable")
        return 3

    client = KillingPortal(config["url"], config["token"], read_timeout_s=5.0, retries=0)
    worker = SyncWorker(
        lambda: Outbox(open_database(database), cipher),
        client,
        SyncSettings(batch_size=25, backoff_base_s=0.02, backoff_max_s=0.2, health_interval_s=30),
    )
    worker.start()
    desk = PaymentDesk(journal, outbox, lambda: terminal, step=step)
    say("ready")

    def on_stage(stage) -> None:
        pass

    def reconcile() -> None:
        say("reconciled", json.dumps(desk.reconcile(), sort_keys=True))

    def drain() -> bool:
        worker.wake()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while outbox.counts()["pending"]:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # The restart: whatever the killed kiosk left open is resolved with the terminal,
    # and what it left approved is followed to the portal, before anything new.
    for entry in desk.recover(on_stage):
        say("recovered", entry.reference, entry.state)
    reconcile()

    for sale in config["sales"]:
        # The order as the kiosk's payment screens seal it: a basket of bill lines.
        lines = [
            {"kind": "bill", "id": bill, "number": bill.upper(), "amount_cents": amount}
            for bill, amount in sale["lines"]
        ]
        bill, amount = lines[0]["id"], sum(line["amount_cents"] for line in lines)
        selling["bill"] = bill
        try:
            attempt = desk.pay({"lines": lines}, amount, CURRENCY, on_stage)
        except PaymentUnavailable as error:
            say("unavailable", bill, str(error).replace(" ", "_"))
            return 4
        entry = attempt.entry
        say("paid", bill, entry.reference, entry.state, entry.receipt_number)
        if not drain():
            say("drain_timeout")
            return 5
        reconcile()
    worker.stop()
    terminal.stop()
    say("done")
    return 0


# The harness ------------------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    bill_id: str  # the basket's first bill, which names the sale
    amount_cents: int
    contested: bool  # paid at the portal by someone else before the kiosk sells it
    # More bills in the same basket, (bill id, amount): one card sale pays them all,
    # and the portal applies all of them or none.
    more: tuple[tuple[str, int], ...] = ()

    @property
    def lines(self) -> tuple[tuple[str, int], ...]:
        return ((self.bill_id, self.amount_cents), *self.more)

    @property
    def total_cents(self) -> int:
        return sum(amount for _bill, amount in self.lines)


@dataclass(frozen=True)
class Run:
    sales: tuple[Sale, ...]
    kill_at: str | None = None  # the last sale is the one killed

    @property
    def kill_bill(self) -> str | None:
        return self.sales[-1].bill_id if self.kill_at else None


@dataclass
class SoakResult:
    runs: int = 0
    kills: collections.Counter = field(default_factory=collections.Counter)
    recovered: collections.Counter = field(default_factory=collections.Counter)
    reconciled: collections.Counter = field(default_factory=collections.Counter)
    start_retries: int = 0  # starts the detection loop would have tried again
    # Seconds each run took, by the kill point of the run before it (None: first).
    seconds_after: dict[str | None, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    sales: list[Sale] = field(default_factory=list)
    elapsed_s: float = 0.0


def plan_runs(
    rng: random.Random,
    prefix: str,
    *,
    kills_per_step: int,
    contest_every: int = 3,
    basket_every: int = 2,
) -> list[Run]:
    """Each run restarts the kiosk (recovery), sells one bill cleanly, then sells one
    more and is killed during that sale at its kill point; a last run only recovers
    and sells. Every ``contest_every``-th sale (clean or killed) is of a contested bill;
    every ``basket_every``-th is a basket of two bills (a contested one refuses both).
    """
    kill_points = [step for step in STEPS for _ in range(kills_per_step)]
    rng.shuffle(kill_points)
    counter = iter(range(1, 1_000_000))

    def sale() -> Sale:
        n = next(counter)
        # Distinct totals, so a recovered receipt can only match its own sale.
        more = ((f"{prefix}-{n}b", 500_000 + n),) if n % basket_every == 0 else ()
        return Sale(f"{prefix}-{n}", 1_000 + n, contested=n % contest_every == 0, more=more)

    runs = [Run((sale(), sale()), kill_at) for kill_at in kill_points]
    runs.append(Run((sale(),)))
    return runs


class SimulatedTerminalRig:
    """The terminal simulator with its durable ledger, on a socat pty pair."""

    def __init__(self, directory: Path) -> None:
        sys.path.insert(0, str(ROOT / "tests"))
        from socat_pair import SocatPair

        from drivers.payment.zvt.simulator import Ledger, SimulatorSettings, TerminalSimulator

        self.pair = SocatPair(directory)
        self.ledger_path = directory / "ledger.db"
        self._make = lambda: TerminalSimulator(
            serial_path=self.pair.terminal_end,
            ledger=Ledger(self.ledger_path),
            # A terminal goes on without the kiosk's confirmation; do not make the
            # harness wait 5 s for each one a killed kiosk never sends.
            settings=SimulatorSettings(ack_wait_s=0.5),
        )
        self.sim = None

    def __enter__(self):
        self.pair.start()
        self.sim = self._make()
        self.sim.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.sim is not None:
            self.sim.stop()
        self.pair.stop()


def _spawn(config: dict, data_dir: Path) -> subprocess.Popen:
    stderr = open(data_dir / "kiosk.stderr", "a")  # noqa: SIM115 (closed by the caller)
    process = subprocess.Popen(
        [sys.executable, __file__, json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=ROOT,
    )
    stderr.close()
    return process


def _read_lines(process: subprocess.Popen, sink: list[str]) -> threading.Thread:
    def pump() -> None:
        for line in process.stdout:
            sink.append(line.strip())

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(none)"


class ContestingPayer:
    """Someone else (another device) paying a bill at the portal, in full."""

    def __init__(self, portal, device_id: str = "payment-crash-harness") -> None:
        import requests

        token = portal.store.issue_token(device_id)
        self.device_id = device_id
        self._url = f"{portal.url}/api/v1/payments"
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def pay(self, sale: Sale) -> None:
        response = self._session.post(
            self._url,
            json={
                "bill_id": sale.bill_id,
                "amount_cents": sale.amount_cents,
                "currency": CURRENCY,
                "kiosk_reference": f"online-{sale.bill_id}",
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        if response.status_code != 201:
            raise AssertionError(f"paying {sale.bill_id} online failed: {response.text}")

    def close(self) -> None:
        self._session.close()


def add_bills(store, sale: Sale) -> None:
    for bill, amount in sale.lines:
        store.add_bill(
            bill_id=bill,
            number=bill.upper(),
            account="ACC-PAYMENT-CRASH",
            kind="water",
            description={"en": "Water", "es": "Agua"},
            amount_due_cents=amount,
            due_date="2026-12-31",
            allows_partial=False,
        )


def run_payment_soak(
    data_dir: Path, rig: SimulatedTerminalRig, portal, runs: list[Run], payer: ContestingPayer
) -> SoakResult:
    """Play ``runs``: each a kiosk process, killed at its kill point or left to finish."""
    result = SoakResult()
    started = time.monotonic()
    for number, run in enumerate(runs, 1):
        for sale in run.sales:
            add_bills(portal.store, sale)
            if sale.contested:
                payer.pay(sale)
        config = {
            "data_dir": str(data_dir),
            "port": rig.pair.kiosk_end,
            "url": portal.url,
            "token": portal.token,
            "kill_at": run.kill_at,
            "kill_bill": run.kill_bill,
            "sales": [{"lines": list(sale.lines)} for sale in run.sales],
        }
        lines: list[str] = []
        run_started = time.monotonic()
        process = _spawn(config, data_dir)
        reader = _read_lines(process, lines)
        try:
            process.wait(RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(5)
        previous = runs[number - 2].kill_at if number > 1 else None
        result.seconds_after[previous].append(time.monotonic() - run_started)
        result.runs += 1
        result.sales.extend(run.sales)
        killed = [line.split() for line in lines if line.startswith("killing ")]
        expected_kill = run.kill_at is not None
        if expected_kill:
            ok = process.returncode == -signal.SIGKILL and [words[1:] for words in killed] == [
                [run.kill_at, run.kill_bill]
            ]
        else:
            ok = process.returncode == 0 and "done" in lines and not killed
        if not ok:
            raise AssertionError(
                f"run {number} ({run}) ended with {process.returncode}:\n"
                + "\n".join(lines)
                + f"\n--- kiosk.log ---\n{_tail(data_dir / 'kiosk.log')}"
                + f"\n--- stderr ---\n{_tail(data_dir / 'kiosk.stderr')}"
            )
        for words in (line.split() for line in lines):
            if words[0] == "killing":
                result.kills[words[1]] += 1
            elif words[0] == "recovered":
                result.recovered[words[2]] += 1
            elif words[0] == "reconciled":
                result.reconciled.update(json.loads(" ".join(words[1:])))
            elif words[0] == "start_retry":
                result.start_retries += 1
    result.elapsed_s = time.monotonic() - started
    return result


@dataclass
class Books:
    """What each party holds at the end, read from their own storage."""

    ledger_sales: list[dict]
    ledger_reversals: list[dict]
    kiosk_payments: list[dict]  # the portal's payments made by the kiosk's device
    other_payments: list[dict]  # the portal's payments of these bills by anyone else
    journal: list[dict]  # every journal entry, with the bill it was for
    outbox: list[dict]
    authorizations: int  # 06 01 commands the terminal received


def read_books(data_dir: Path, rig: SimulatedTerminalRig, portal, prefix: str) -> Books:
    from offline.crypto import PayloadCipher, load_or_create_key
    from offline.db import open_database
    from offline.payment_journal import PaymentJournal

    ledger = rig.sim.ledger
    sales = ledger.sales()
    last = ledger.last()
    reversals = [
        entry
        for receipt in range(1, (last["receipt_number"] if last else 0) + 1)
        if (entry := ledger.entry(receipt)) is not None and entry["kind"] == "reversal"
    ]

    kiosk_device = portal.store.device_for_token(portal.token)
    payments = []
    for row in portal.store.query(
        "SELECT * FROM payments WHERE bill_id LIKE ? ORDER BY created_at", (f"{prefix}-%",)
    ):
        payment = dict(row)
        payment["terminal"] = json.loads(row["terminal"]) if row["terminal"] else None
        payment["allocations"] = [
            (allocation["target_id"], allocation["amount_cents"])
            for allocation in portal.store.query(
                "SELECT target_id, amount_cents FROM payment_allocations"
                " WHERE payment_id = ? ORDER BY position",
                (row["payment_id"],),
            )
        ]
        payments.append(payment)

    cipher = PayloadCipher(load_or_create_key(data_dir / "device.key"))
    db = open_database(data_dir / "kiosk.db")
    try:
        journal = PaymentJournal(db, cipher)
        entries = []
        for entry in journal.entries(limit=1_000_000):
            order = journal.order(entry)
            lines = [(line["id"], line["amount_cents"]) for line in order["lines"]]
            entries.append({**entry.__dict__, "bill_id": lines[0][0], "lines": lines})
        outbox = [
            dict(zip(("idempotency_key", "state", "delivered_by", "last_error"), row, strict=True))
            for row in db.conn.execute(
                "SELECT idempotency_key, state, delivered_by, last_error FROM outbox"
            )
        ]
    finally:
        db.close()
    return Books(
        ledger_sales=sales,
        ledger_reversals=reversals,
        kiosk_payments=[p for p in payments if p["device_id"] == kiosk_device],
        other_payments=[p for p in payments if p["device_id"] != kiosk_device],
        journal=entries,
        outbox=outbox,
        authorizations=rig.sim.commands.count("Authorization"),
    )


def new_prefix() -> str:
    return f"paycrash-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def soak_rig(tmp_path: Path):
    data_dir = tmp_path / "kiosk"
    data_dir.mkdir()
    with SimulatedTerminalRig(tmp_path) as rig:
        yield data_dir, rig


if __name__ == "__main__":
    sys.exit(child(json.loads(sys.argv[1])))

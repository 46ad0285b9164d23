"""Crash soak in benchmark mode: many more SIGKILLs than the test suite's 50.

Kills the kiosk core (tests/offline/crash_kiosk.py) at random moments while it
queues and syncs against the reference portal, then checks the portal's own tables:
every committed transaction exactly once. Prints figures; the baseline is the same
workload run once with no kill, in this same run.
Usage: python bench/crash_bench.py [--kills N] [--transactions N]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "offline")]

from crash_kiosk import portal_tally, run_soak  # noqa: E402
from outbox_testkit import add_bills  # noqa: E402

from portal.server import start_portal  # noqa: E402

BALANCE = 100_000_000


def soak(kills: int, total: int, workdir: Path) -> tuple[float, int, bool, str]:
    server = start_portal(workdir / "portal.db", seed_demo=True)
    bills = add_bills(server.store, "bench", 4, BALANCE)
    data_dir = workdir / "kiosk"
    data_dir.mkdir()
    try:
        started = time.monotonic()
        result = run_soak(data_dir, server, total=total, kills=kills, bills=bills)
        elapsed = time.monotonic() - started
        tally = portal_tally(server.store, "demo-kiosk")
        local_keys = sorted(key for key, *_ in result.local.values())
        paid = collections.Counter()
        for _key, kind, bill, amount in result.local.values():
            if kind == "payment":
                paid[bill] += amount
        balances_right = all(
            server.store.bill(bill)["amount_due_cents"] == BALANCE - paid[bill] for bill in bills
        )
        exact = (
            sorted(tally["keys"]) == local_keys
            and len(result.local) == total
            and result.committed <= set(result.local)
            and balances_right
        )
        doubled = len(tally["keys"]) - len(set(tally["keys"]))
        replayed = server.app.state.sync_stats.snapshot()["replayed"]
        detail = (
            f"portal keys {len(tally['keys'])}, local {len(local_keys)}, doubled {doubled},"
            f" resends absorbed {replayed}"
        )
        return elapsed, result.kills, exact, detail
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=300)
    parser.add_argument("--transactions", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=REPO.parent) as baseline_dir:
        base_s, _, base_ok, base_detail = soak(0, args.transactions, Path(baseline_dir))
    with tempfile.TemporaryDirectory(dir=REPO.parent) as soak_dir:
        soak_s, kills, ok, detail = soak(args.kills, args.transactions, Path(soak_dir))
    print(f"transactions            {args.transactions}")
    print(f"baseline (no kill)      {base_s:7.1f} s  exactly once: {base_ok}  ({base_detail})")
    print(f"with {kills:4d} SIGKILLs     {soak_s:7.1f} s  exactly once: {ok}  ({detail})")
    print(f"ratio soak/baseline     {soak_s / base_s:7.2f}x")
    return 0 if ok and base_ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Card benchmark: card insertion -> identity event (CardRead) with our PcscCardReader.

Figures, not a timed test. A real pcscd runs with the vpcd virtual reader and our
virtual card (started like the tests do, or reused if one already runs). In this one run:

1. APDU time: ``read_card`` on a card that is already connected (the profile's own
   round trips through pcscd, nothing else);
2. per insertion, on the same insertion: our driver (insertion -> CardRead) and a bare
   pyscard ``CardRequest`` waiting in a separate process (insertion -> waitforcard
   returns: pcscd's own detection time, the floor any PC/SC application has).

pcscd polls a reader for presence every ~0.4 s, so detection dominates and varies with
where in that cycle a card lands; measuring ours and the bare detection on the same
insertions cancels that out. Insertions land at random points of the cycle (fixed seed).

Target: median(ours) <= 1.3 x (median(bare detection) + median(APDU time)).

Usage: python bench/card_bench.py [--insertions N] [--quick] [--check] [--profile NAME]
  --quick  2 insertions, for a smoke run (figures are then only indicative)
  --check  exit 1 when the target is missed (otherwise always 0)
"""

from __future__ import annotations

import argparse
import math
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "drivers")]

from pcsc_daemon import VPCD_READERS, PcscDaemon  # noqa: E402

from drivers.card.connection import PcscCard  # noqa: E402
from drivers.card.interface import CardRead, CardRemoved, ReadFailed  # noqa: E402
from drivers.card.pcsc import PcscCardReader  # noqa: E402
from drivers.card.profiles import read_card  # noqa: E402
from drivers.card.virtual_card import VirtualCard, VpcdCard  # noqa: E402

TARGET = 1.3
WAIT_S = 10.0
READER, PORT = VPCD_READERS[0]


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def line(name: str, samples: list[float], unit: str = "ms") -> str:
    scale = 1000.0 if unit == "ms" else 1.0
    median = statistics.median(samples) * scale
    return (
        f"{name:46s} median {median:7.1f} {unit}   p95 {p95(samples) * scale:7.1f} {unit}"
        f"   (n={len(samples)})"
    )


def apdu_times(pcscd: PcscDaemon, profile: str, reader: str, port: int, reads: int) -> list[float]:
    card = VpcdCard(VirtualCard.from_profile(profile), port=port)
    card.insert()
    event = pcscd.wait_for_card(present=True, reader=reader)
    samples = []
    try:
        with PcscCard(reader) as transport:
            read_card(transport)  # warm-up: first-use imports and caches
            for _ in range(reads):
                start = time.perf_counter()
                read_card(transport)
                samples.append(time.perf_counter() - start)
    finally:
        card.remove()
        pcscd.wait_for_card(present=False, since_event=event, reader=reader)
    return samples


class BareRequest:
    """A separate process looping on a bare pyscard CardRequest(newcardonly=True) and
    printing time.monotonic() (system-wide on Linux) each time waitforcard returns."""

    def __init__(self, reader: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--bare-request", reader],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        if self.next() != "ready":
            raise SystemExit("the bare CardRequest process did not start")

    def _pump(self) -> None:
        for text in self.process.stdout:
            self.lines.put(text.strip())

    def next(self) -> str:
        try:
            return self.lines.get(timeout=WAIT_S)
        except queue.Empty:
            raise SystemExit("the bare CardRequest never saw the card") from None

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=5)


def bare_request_child(reader: str) -> None:
    from smartcard.CardRequest import CardRequest

    print("ready", flush=True)
    while True:
        request = CardRequest(readers=[reader], newcardonly=True, timeout=None)
        request.waitforcard()
        print(f"{time.monotonic():.6f}", flush=True)


def insertions(
    profile: str, reader: str, port: int, count: int, seed: int
) -> tuple[list[float], list[float]]:
    """(ours, bare detection) in seconds, per insertion, after one warm-up insertion."""
    events: queue.Queue[tuple[float, object]] = queue.Queue()
    driver = PcscCardReader(reader_filter=reader)
    driver.subscribe(lambda event: events.put((time.monotonic(), event)))
    bare = BareRequest(reader)
    driver.start()
    rng = random.Random(seed)
    ours, detections = [], []

    def wait_for(kind: type) -> float:
        while True:
            at, event = events.get(timeout=WAIT_S)
            if isinstance(event, ReadFailed):
                raise SystemExit(f"the card was not read: {event.reason} ({event.detail})")
            if isinstance(event, kind):
                return at

    try:
        time.sleep(0.3)  # both waiting before the first card
        for index in range(count + 1):
            # Land anywhere in pcscd's 0.4 s presence-polling cycle.
            time.sleep(rng.uniform(0.05, 0.45))
            card = VpcdCard(VirtualCard.from_profile(profile), port=port)
            inserted_at = time.monotonic()
            card.insert()
            read_at = wait_for(CardRead)
            detected_at = float(bare.next())
            card.remove()
            wait_for(CardRemoved)  # pcscd saw it leave: the slot is free again
            if index:  # the first one warms up
                ours.append(read_at - inserted_at)
                detections.append(detected_at - inserted_at)
    finally:
        driver.stop()
        bare.close()
    return ours, detections


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--insertions", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="2 insertions: a smoke run")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    parser.add_argument("--profile", default="beid-maria", help="bundled virtual card profile")
    parser.add_argument("--reader", default=READER, help="vpcd reader name")
    parser.add_argument("--port", type=int, default=PORT, help="that reader's vpcd port")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--bare-request", metavar="READER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_request:
        bare_request_child(args.bare_request)
        return 0
    count = 2 if args.quick else args.insertions
    reads = 5 if args.quick else 30

    pcscd = PcscDaemon(Path(tempfile.mkdtemp(prefix="card-bench-")) / "pcscd.log")
    pcscd.start()
    try:
        apdu = apdu_times(pcscd, args.profile, args.reader, args.port, reads)
        ours, bare = insertions(args.profile, args.reader, args.port, count, args.seed)
    finally:
        pcscd.stop()

    origin = "reused" if pcscd.reused else "started for this run"
    print(
        f"card bench: profile {args.profile}, reader {args.reader!r}, pcscd {origin}, "
        f"{count} insertions (+1 warm-up)"
    )
    print(line("APDU time (read_card on a connected card)", apdu))
    print(line("bare detection (CardRequest.waitforcard)", bare))
    print(line("ours: insertion -> CardRead (PcscCardReader)", ours))
    overhead = [o - b for o, b in zip(ours, bare, strict=True)]
    print(line("our cost over bare detection, per insertion", overhead))
    baseline = statistics.median(bare) + statistics.median(apdu)
    ratio = statistics.median(ours) / baseline
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(
        f"ratio ours / (bare detection + APDU time): x{ratio:.2f} "
        f"(baseline {baseline * 1000:.1f} ms; target <= x{TARGET}: {verdict})"
    )
    return 1 if args.check and ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())

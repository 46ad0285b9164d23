"""bench/queue_bench.py runs end to end and reports every figure the issue asks for.

Figures and verdicts are the benchmark's business (tests never assert times); this
only proves the benchmark itself works, so `make bench` cannot rot unnoticed.
"""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_benchmark_prints_every_ratio_against_its_baseline():
    result = subprocess.run(
        [sys.executable, "bench/queue_bench.py", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for line in (
        "fsync floor",
        "enqueue, ours / persist-queue",
        "dequeue+ack, ours / persist-queue",
        "drain, batched items/s",
        "drain, batched / one per request",
    ):
        assert line in result.stdout, line

"""bench/zvt_bench.py runs end to end, with tiny counts, and prints every figure.

Figures and verdicts are the benchmark's business (tests never assert times); this
only proves the benchmark itself works and leaves no simulator or socat behind.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_zvt_bench_with_small_counts_prints_its_figures():
    result = subprocess.run(
        [sys.executable, "bench/zvt_bench.py", "--sales", "2", "--frames", "20", "--runs", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for figure in (
        "06 01 authorization",
        "04 0F status information",
        "06 D3 print text block, 8 lines",
        "ratio encode+decode, ours / crc_hqx x2",
        "2 sales (+1 warm-up)",
        "bytes on the wire",
        "ACK bytes",
        "wire time at 9600 baud 8N2, ms",
        "kiosk CPU per sale (thread_time around pay)",
        "wall time per sale at pty speed",
        "simulator process CPU per sale",
        "ratio kiosk CPU / 9600-baud wire time",
    ):
        assert figure in out, figure
    assert out.count("ratio encode+decode") == 3
    assert re.search(r"target < 5 %: (PASS|MISS)\)", out)
    # A sale is 7 frames each way, each answered by one ACK byte.
    assert re.search(r"^  frames\s+7\s+7$", out, re.MULTILINE)
    assert re.search(r"^  ACK bytes\s+7\s+7$", out, re.MULTILINE)
    # The simulator and socat were stopped (and reaped) by PID.
    pids = re.search(r"simulator \(pid (\d+).*\n.*socat pid (\d+)\)", out)
    assert pids, out
    for pid in pids.groups():
        assert not os.path.exists(f"/proc/{pid}"), pid

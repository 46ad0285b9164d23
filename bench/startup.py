"""Start-up benchmark: time to first frame and memory, kiosk vs bare Kivy.

Both run offscreen in this same run, several times each; the ratio against the
bare Kivy baseline is what to watch, since absolute figures depend on the machine.
Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST_FRAME = re.compile(r"first frame ([\d.]+) s after start, RSS (\d+) MB")


def measure(command: list[str]) -> tuple[float, float]:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    match = FIRST_FRAME.search(result.stderr)
    if result.returncode != 0 or not match:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return float(match.group(1)), float(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    commands = {
        "baseline (bare Kivy label)": [sys.executable, "bench/baseline_app.py"],
        "kiosk (demo, portal, catalogue)": [
            sys.executable,
            "main.py",
            "--tour",
            tempfile.mkdtemp(prefix="bench-tour-"),
        ],
    }
    figures = {}
    for name, command in commands.items():
        samples = [measure(command) for _ in range(runs)]
        figures[name] = (
            statistics.median(s[0] for s in samples),
            statistics.median(s[1] for s in samples),
        )
        print(
            f"{name:34s} first frame {figures[name][0]:.2f} s   RSS {figures[name][1]:.0f} MB"
            f"   (median of {runs})"
        )
    (base_time, base_rss), (kiosk_time, kiosk_rss) = figures.values()
    time_ratio, rss_ratio = kiosk_time / base_time, kiosk_rss / base_rss
    print(f"ratio kiosk/baseline: first frame x{time_ratio:.2f}, RSS x{rss_ratio:.2f}")


if __name__ == "__main__":
    main()

"""Process age and memory from /proc, for start-up figures and health reports."""

from __future__ import annotations

import os


def process_age_s() -> float:
    """Seconds since this process started (interpreter start-up included)."""
    with open("/proc/self/stat") as stat:
        # Field 22 counts clock ticks since boot; the command name (field 2) may
        # contain spaces, so split after its closing parenthesis.
        start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        uptime_s = float(uptime.read().split()[0])
    return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    return _status_kb("VmHWM") / 1024

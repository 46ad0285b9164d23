"""What `make run` starts: the demo kiosk, offscreen when there is no display."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_starts_offscreen_without_config_and_stops_on_sigterm(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    }
    env["XDG_DATA_HOME"] = str(tmp_path)  # platformdirs' user data dir, kept out of $HOME
    process = subprocess.Popen(
        [sys.executable, "main.py", "--demo"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "the kiosk is running" in line:
                break
        assert any("the kiosk is running" in line for line in lines), "".join(lines[-30:])
        assert any("demo portal running at http://127.0.0.1:" in line for line in lines)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output[-2000:]
    assert (tmp_path / "civic-kiosk" / "kiosk.db").exists()

"""Prepare Kivy for a kiosk before any other Kivy module is imported.

Kivy reads its environment at ``import kivy`` and its graphics settings when the
Window is created, so this must run first. It imports nothing of Kivy's window.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class _DropCutBufferAlarm(logging.Filter):
    """Kivy reports CRITICAL, with tracebacks, when the X11 cut-buffer tools
    (xclip, xsel) are absent. A kiosk has no middle-click paste and should keep no
    clipboard of residents' data, so that alarm would only mislead technicians."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Cutbuffer: Unable to find")


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def configure_kivy(
    *,
    width: int,
    height: int,
    fullscreen: bool,
    kivy_home: Path,
    offscreen: bool | None = None,
    touch_input: bool = True,
) -> bool:
    """Returns True when rendering offscreen (no display, or asked for)."""
    if offscreen is None:
        offscreen = not has_display() and not os.environ.get("SDL_VIDEODRIVER")
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(kivy_home))
    # Our argv belongs to main.py; Kivy's config file and log files would be a
    # second config system and a second log: we keep one of each.
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_NO_CONFIG"] = "1"
    os.environ["KIVY_NO_FILELOG"] = "1"
    os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ["KIVY_LOG_MODE"] = "PYTHON"
    logging.getLogger("kivy").addFilter(_DropCutBufferAlarm())

    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("graphics", "allow_screensaver", "0")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    if offscreen or not touch_input:
        # No touch hardware to probe offscreen; tests inject touches directly.
        for option in list(Config.options("input")):
            Config.remove_option("input", option)
    else:
        # A touch screen is seen by the kernel provider; SDL's emulated mouse
        # would deliver every touch twice.
        Config.set("input", "mouse", "mouse,disable_on_activity")
    return offscreen

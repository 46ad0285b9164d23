"""Civic Kiosk entry point: ``python main.py --demo`` or ``--config kiosk.ini``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from kiosk.config import ConfigError, load_config
from kiosk.logging_setup import setup_logging
from kiosk.procinfo import process_age_s, rss_mb

log = logging.getLogger("civic_kiosk")
DEFAULT_CONFIG = Path("/etc/civic-kiosk/kiosk.ini")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="civic-kiosk", description=__doc__)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--demo", action="store_true", help="simulated devices and a local demo portal"
    )
    source.add_argument("--config", type=Path, help=f"INI file (default {DEFAULT_CONFIG})")
    parser.add_argument(
        "--tour", type=Path, metavar="DIR", help="write a PNG of every screen to DIR and exit"
    )
    parser.add_argument("--offscreen", action="store_true", help="render without a display")
    parser.add_argument(
        "--size", type=_window_size, metavar="WxH", help="window size such as 800x480, windowed"
    )
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def _window_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        message = f"expected WIDTHxHEIGHT such as 800x480, got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise argparse.ArgumentTypeError(f"{text} is outside 320x240 to 7680x4320")
    return width, height


def _load(args):
    if args.demo or (args.tour and not args.config):
        return load_config(None, demo=True)
    path = args.config or Path(os.environ.get("CIVIC_KIOSK_CONFIG", DEFAULT_CONFIG))
    if not path.exists() and not args.config:
        raise ConfigError(
            "file", None, f"no config at {path}; use --config PATH, or --demo to try it"
        )
    return load_config(path)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.log_level.upper())
    try:
        config = _load(args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if args.tour:
        # The tour must not touch a real kiosk's data, speak, or go fullscreen.
        config = config.with_values(
            storage__data_dir=Path(tempfile.mkdtemp(prefix="civic-kiosk-tour-")),
            speech__engine="none",
            display__fullscreen=False,
        )

    if args.size:
        width, height = args.size
        config = config.with_values(
            display__width=width, display__height=height, display__fullscreen=False
        )

    from screens.bootstrap import configure_kivy

    offscreen = configure_kivy(
        width=config.get("display", "width"),
        height=config.get("display", "height"),
        fullscreen=config.get("display", "fullscreen"),
        kivy_home=config.data_dir / "kivy",
        offscreen=True if (args.offscreen or args.tour) else None,
    )
    from kivy.clock import Clock

    from kiosk.runtime import build_runtime

    runtime = build_runtime(config, call_soon=lambda f: Clock.schedule_once(lambda _dt: f()))
    from screens.app import KioskApp

    app = KioskApp(runtime.model, animate=not args.tour)

    def first_frame() -> None:
        log.info("first frame %.2f s after start, RSS %.0f MB", process_age_s(), rss_mb())
        if offscreen and not args.tour:
            log.info("no display: rendering offscreen; the kiosk is running (Ctrl+C stops it)")

    app.first_frame_callbacks.append(first_frame)
    if args.tour:
        from screens.tour import run_tour

        def tour_done(written) -> None:
            print(f"tour: {len(written)} screens written to {args.tour}")
            app.stop()

        app.first_frame_callbacks.append(lambda: run_tour(app, args.tour, tour_done))

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: Clock.schedule_once(lambda _dt: app.stop()))
    try:
        app.run()
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

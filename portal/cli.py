"""``kiosk-portal``: run the reference portal in the foreground, or enroll a device."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from portal.app import create_app
from portal.fault_random import DEFAULT_SLOW_S
from portal.server import base_url, bind_socket, uvicorn_config
from portal.store import PortalStore

DEFAULT_PORT = 8311

EPILOG = """\
examples:
  kiosk-portal --db portal.db --seed-demo --port 8311
      serve the demo city on http://127.0.0.1:8311 until Ctrl+C or SIGTERM
      (--port 0 picks a free port; the URL is printed on the first line)
  kiosk-portal --db portal.db add-device kiosk-lobby-1
      print a new bearer token for that device (its previous token stops working)
  kiosk-portal --db portal.db --seed-demo --faults
      also serve /_faults, where tests queue failures for chosen paths
  kiosk-portal --db soak.db --seed-demo --faults 0.05 --fault-seed 7 --fault-slow-s 3
      soak test: 5% of requests get a random fault (500, 503 with Retry-After, a
      3 s delay, or the connection dropped before or after processing); see and
      change the rate at runtime with GET/PUT /_faults/random
"""


def fault_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return rate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-portal",
        description="Lindenfield reference e-citizen portal (FastAPI + SQLite).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", help="SQLite database file, created if missing (required)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--seed-demo", action="store_true", help="load the Lindenfield demo data")
    parser.add_argument(
        "--faults",
        nargs="?",
        const=0.0,
        type=fault_rate,
        metavar="RATE",
        help="enable /_faults fault injection; RATE (0 to 1, default 0) is the share of "
        "requests that get a random fault",
    )
    parser.add_argument(
        "--fault-slow-s",
        type=float,
        default=DEFAULT_SLOW_S,
        metavar="SECONDS",
        help=f"delay of the random 'slow' fault (default {DEFAULT_SLOW_S:g})",
    )
    parser.add_argument(
        "--fault-seed", type=int, metavar="N", help="make the random faults repeatable"
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    commands = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        title="commands",
        description="without a command, the portal serves HTTP in the foreground",
    )
    add_device = commands.add_parser("add-device", help="print a new token for a device")
    # SUPPRESS keeps a --db given before the command from being reset to None.
    add_device.add_argument("--db", default=argparse.SUPPRESS, help="same as the global --db")
    add_device.add_argument("device_id", help="kiosk identifier, e.g. kiosk-lobby-1")
    return parser


def add_device(db_path: str, device_id: str) -> int:
    store = PortalStore(db_path)
    try:
        print(store.issue_token(device_id))
    finally:
        store.close()
    return 0


def serve(args: argparse.Namespace) -> int:
    try:
        app = create_app(
            args.db,
            enable_faults=args.faults is not None,
            seed_demo=args.seed_demo,
            fault_rate=args.faults or 0.0,
            fault_seed=args.fault_seed,
            fault_slow_s=args.fault_slow_s,
        )
    except ValueError as exc:
        print(f"kiosk-portal: invalid fault settings: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"kiosk-portal: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"Lindenfield portal listening on {base_url(sock)}", flush=True)
    try:
        uvicorn.Server(uvicorn_config(app, log_level=args.log_level, in_process=False)).run(
            sockets=[sock]
        )
    finally:
        sock.close()
        app.state.store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.db:
        parser.error("--db is required")
    if args.command == "add-device":
        return add_device(args.db, args.device_id)
    return serve(args)

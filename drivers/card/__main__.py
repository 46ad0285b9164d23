"""Technician's check of the card reader, through the kiosk's own driver.

    python -m drivers.card readers
    python -m drivers.card read [--reader NAME] [--json] [--timeout S]

``read`` waits for a card (or takes the one already in the reader) and prints its
profile and the fields the kiosk reads. Identifiers a resident would not want on a
screen stay masked: the national number shows its last 2 digits, the card number its
last 4; the address is read but not shown.

Exit codes: 0 done, 2 usage, 3 PC/SC service (pcscd) not running, 4 no reader,
5 no card before the timeout, 6 unsupported card, 7 the card could not be read.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import time
from typing import Any

from drivers.card import errors
from drivers.card.interface import (
    UNSUPPORTED_CARD,
    CardData,
    CardEvent,
    CardInserted,
    CardRead,
    ReadFailed,
)
from drivers.card.pcsc import PcscCardReader, list_readers, scard
from drivers.privacy import mask_tail

EXIT_OK = 0
EXIT_NO_SERVICE = 3
EXIT_NO_READER = 4
EXIT_TIMEOUT = 5
EXIT_UNSUPPORTED = 6
EXIT_READ_FAILED = 7

PROFILE_NAMES = {"beid": "Belgian eID", "piv": "US PIV", "uid": "contactless card (UID)"}
LABELS = {
    "reader": "Reader",
    "profile": "Profile",
    "name": "Name",
    "national_number": "National number",
    "card_number": "Card number",
    "valid_until": "Valid until",
    "address": "Address",
    "fasc_n": "FASC-N",
    "guid": "GUID",
    "expires": "Expires",
    "uid": "UID",
}


class Failure(Exception):
    def __init__(self, code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.error = error
        self.message = message


def card_fields(card: CardData) -> dict[str, str]:
    """What ``read`` shows of a card: enough to check the reader, nothing to steal."""
    if card.profile == "beid":
        return {
            "name": card.display_name,
            "national_number": mask_tail(card.identifier, visible=2),
            "card_number": mask_tail(card.extra.get("card_number", "")),
            "valid_until": _date(card),
            "address": "read, not shown",
        }
    if card.profile == "piv":
        fasc_n = card.extra.get("fasc_n", "")
        # The identifier is the GUID, or the FASC-N when the card has no GUID.
        guid = card.identifier if card.identifier != fasc_n else ""
        return {
            "fasc_n": fasc_n or "none",
            "guid": guid or "none (all zeros)",
            "expires": _date(card),
        }
    return {"uid": card.identifier}


def _date(card: CardData) -> str:
    return card.expires.isoformat() if card.expires else "none"


def _service_down() -> Failure:
    if scard is None:
        return Failure(EXIT_NO_SERVICE, "no_pyscard", "pyscard is not installed (make deps)")
    return Failure(
        EXIT_NO_SERVICE,
        "pcscd_not_running",
        "pcscd is not running: start it with 'systemctl start pcscd.socket' "
        "(or 'pcscd --foreground' on a test machine)",
    )


def _readers(reader_filter: str) -> list[str]:
    try:
        names = list_readers(reader_filter)
    except errors.ReaderUnavailable as error:
        raise _service_down() from error
    if not names:
        which = f" matching {reader_filter!r}" if reader_filter else ""
        raise Failure(
            EXIT_NO_READER, "no_reader", f"no card reader{which} is attached (check the USB cable)"
        )
    return names


def command_readers(args: argparse.Namespace) -> dict[str, Any]:
    names = _readers(args.reader)
    if not args.json:
        for name in names:
            print(name)
    return {"readers": names}


def command_read(args: argparse.Namespace) -> dict[str, Any]:
    names = _readers(args.reader)
    events: queue.Queue[CardEvent] = queue.Queue()
    driver = PcscCardReader(reader_filter=args.reader)
    driver.subscribe(events.put)
    _note(f"Waiting up to {args.timeout:g} s for a card in: {', '.join(names)}")
    driver.start()
    try:
        outcome = _wait_for_outcome(events, args.timeout)
    finally:
        driver.stop()
    if isinstance(outcome, ReadFailed):
        if outcome.reason == UNSUPPORTED_CARD:
            raise Failure(
                EXIT_UNSUPPORTED,
                outcome.reason,
                "this card has no application the kiosk reads (not an eID, PIV or "
                "contactless card)",
            )
        raise Failure(
            EXIT_READ_FAILED, outcome.reason, f"the card could not be read: {outcome.detail}"
        )
    result = {
        "reader": outcome.reader,
        "profile": outcome.card.profile,
        "fields": card_fields(outcome.card),
    }
    if not args.json:
        _print_fields(
            {
                "reader": outcome.reader,
                "profile": f"{outcome.card.profile} ({PROFILE_NAMES[outcome.card.profile]})",
                **result["fields"],
            }
        )
    return result


def _wait_for_outcome(events: queue.Queue[CardEvent], timeout_s: float) -> CardRead | ReadFailed:
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        try:
            event = events.get(timeout=max(remaining, 0.001))
        except queue.Empty:
            raise Failure(
                EXIT_TIMEOUT, "timeout", f"no card was inserted within {timeout_s:g} s"
            ) from None
        if isinstance(event, CardInserted):
            _note(f"Card inserted in {event.reader}, reading...")
        elif isinstance(event, CardRead | ReadFailed):
            return event


def _print_fields(fields: dict[str, str]) -> None:
    width = max(len(LABELS[key]) for key in fields) + 1
    for key, value in fields.items():
        print(f"{LABELS[key] + ':':{width}} {value}")


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.card",
        description="Check the ID-card reader through pcscd, with the kiosk's own driver.",
        epilog="Exit codes: 0 done, 2 usage, 3 pcscd not running, 4 no reader, "
        "5 no card before the timeout, 6 unsupported card, 7 the card could not be read.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    readers = commands.add_parser("readers", help="list the attached readers")
    read = commands.add_parser("read", help="wait for a card and show what the kiosk reads")
    for sub in (readers, read):
        sub.add_argument(
            "--reader", default="", metavar="NAME", help="only readers whose name contains NAME"
        )
        sub.add_argument("--json", action="store_true", help="print JSON on stdout")
    read.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="seconds to wait (30)"
    )
    readers.set_defaults(run=command_readers)
    read.set_defaults(run=command_read)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except Failure as failure:
        if args.json:
            print(json.dumps({"error": failure.error, "message": failure.message}))
        print(f"error: {failure.message}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:
        return 130
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""``kiosk-queue``: what is waiting to reach the portal, and the receipts the kiosk
printed, for technicians on site.

Reads metadata only. It never loads the device key, so it cannot print a payload
even by mistake; ``export`` writes payloads still sealed, and ``reprint`` copies a
receipt's sealed document for the kiosk to print.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.config import ConfigError, load_config
from kiosk.logging_setup import redact
from offline.alerts import Alerts
from offline.db import open_database
from offline.outbox import STATES, Outbox
from offline.print_jobs import PrintJobs
from provisioning.receipts_cli import RECEIPT_COMMANDS, add_receipt_commands

EPILOG = """\
examples:
  kiosk-queue status                 counts, oldest waiting item, last sync error
  kiosk-queue list --state needs_attention
  kiosk-queue retry K-7F3Q-92QA      send a parked item again (reference or key)
  kiosk-queue export queue.jsonl     undelivered items, payloads still encrypted
  kiosk-queue ack database_quarantined   after checking a quarantined database
  kiosk-queue receipts --state uncertain  receipts that may not have printed
  kiosk-queue reprint K-7F3Q-92QA    print a resident's receipt again (marked COPY)
"""


@dataclass(frozen=True)
class Stores:
    path: Path
    outbox: Outbox
    alerts: Alerts
    print_jobs: PrintJobs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-queue",
        description="Inspect and manage the kiosk's offline queue.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="kiosk INI file (default: demo settings)")
    parser.add_argument("--data-dir", help="the kiosk's data folder (overrides the config)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("status", help="counts by state, oldest pending, last sync error")
    listing = commands.add_parser("list", help="items, oldest first (metadata only)")
    listing.add_argument("--state", choices=STATES)
    listing.add_argument("--limit", type=int, default=50)
    retry = commands.add_parser("retry", help="send a parked item again")
    retry.add_argument("item", help="reference (K-XXXX-XXXX), key, or key prefix")
    export = commands.add_parser("export", help="undelivered items as JSON lines, sealed")
    export.add_argument("file", nargs="?", help="output file (default: standard output)")
    ack = commands.add_parser("ack", help="acknowledge an alert after acting on it")
    ack.add_argument("kind", help="alert kind, e.g. database_quarantined")
    add_receipt_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config, demo=args.config is None)
    except ConfigError as error:
        print(f"kiosk-queue: {error}", file=sys.stderr)
        return 2
    data_dir = Path(args.data_dir) if args.data_dir else config.data_dir
    path = data_dir / "kiosk.db"
    if not path.exists():
        print(f"kiosk-queue: no queue at {path} (has the kiosk run here yet?)", file=sys.stderr)
        return 1
    db = open_database(path)
    try:
        outbox = Outbox(
            db,
            None,
            max_unsent=config.get("storage", "max_queued_items"),
            min_free_bytes=config.get("storage", "min_free_mb") * 1024 * 1024,
        )
        stores = Stores(path, outbox, Alerts(db), PrintJobs(db, None))
        return COMMANDS[args.command](args, stores)
    finally:
        db.close()


def status(args, stores: Stores) -> int:
    outbox, alerts, path = stores.outbox, stores.alerts, stores.path
    oldest = outbox.oldest_pending()
    report = {
        "database": str(path),
        "counts": outbox.counts(),
        "oldest_pending": _summary(oldest) if oldest else None,
        "last_error": redact(outbox.meta("last_error") or "") or None,
        "last_success_at": outbox.meta("last_success_at"),
        "alerts": [asdict(alert) for alert in alerts.active()],
        "payments": _payments(outbox, alerts),
        "receipts": stores.print_jobs.counts(),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Queue: {path}")
    for state, count in report["counts"].items():
        print(f"  {state.replace('_', ' '):<16} {count}")
    if oldest:
        print(
            f"Oldest pending: {oldest.reference} {oldest.kind}, queued {oldest.created_at}"
            f" ({_age(oldest.created_at)} ago), {oldest.attempts} attempt(s)"
        )
    else:
        print("Oldest pending: none, everything has been delivered")
    print(f"Last delivery:   {report['last_success_at'] or 'never'}")
    print(f"Last sync error: {report['last_error'] or 'none'}")
    for alert in report["alerts"]:
        print(f"ALERT {alert['kind']} since {alert['raised_at']}: {alert['detail']}")
        print(f"  after acting on it: kiosk-queue ack {alert['kind']}")
    print(f"Payments: {report['payments']}")
    receipts = ", ".join(f"{count} {state}" for state, count in report["receipts"].items() if count)
    print(f"Receipts: {receipts or 'none yet'}")
    return 0


def list_items(args, stores: Stores) -> int:
    outbox = stores.outbox
    items = outbox.summaries(args.state, limit=args.limit)
    if args.json:
        print(json.dumps([_summary(item) for item in items], indent=2))
        return 0
    if not items:
        print("no items" + (f" in state {args.state}" if args.state else ""))
    for item in items:
        print(
            f"{item.reference}  {item.state:<15} {item.kind:<16} {item.created_at}"
            f"  attempts {item.attempts}"
            + (f"  portal {item.portal_reference}" if item.portal_reference else "")
            + (f"\n    last error: {redact(item.last_error)}" if item.last_error else "")
        )
    return 0


def retry(args, stores: Stores) -> int:
    outbox = stores.outbox
    item = outbox.find(args.item)
    if item is None:
        print(f"kiosk-queue: no single item matches {args.item!r}", file=sys.stderr)
        return 1
    with outbox.transaction():
        moved = outbox.retry(item.idempotency_key)
    result = {"reference": item.reference, "retried": moved, "state": item.state}
    if args.json:
        print(json.dumps(result))
    elif moved:
        print(f"{item.reference} will be sent again at the kiosk's next sync")
    else:
        print(f"{item.reference} is {item.state}: only parked items can be retried")
    return 0 if moved else 1


def export(args, stores: Stores) -> int:
    outbox = stores.outbox
    lines = [json.dumps(_redacted(row)) for row in outbox.export()]
    text = "".join(line + "\n" for line in lines)
    if args.file:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"{len(lines)} undelivered item(s) written to {args.file} (payloads encrypted)")
    else:
        sys.stdout.write(text)
    return 0


def acknowledge(args, stores: Stores) -> int:
    alerts = stores.alerts
    count = alerts.acknowledge(args.kind)
    if args.json:
        print(json.dumps({"kind": args.kind, "acknowledged": count}))
    else:
        print(f"{count} {args.kind} alert(s) acknowledged" if count else "no such active alert")
    return 0 if count else 1


COMMANDS = {
    "status": status,
    "list": list_items,
    "retry": retry,
    "export": export,
    "ack": acknowledge,
    **RECEIPT_COMMANDS,
}


def _summary(item) -> dict:
    return _redacted(asdict(item))


def _redacted(fields: dict) -> dict:
    # Portal reasons can quote what a resident typed (an e-mail address, say).
    fields["last_error"] = redact(fields["last_error"]) if fields["last_error"] else None
    return fields


def _payments(outbox: Outbox, alerts: Alerts) -> str:
    blocking = alerts.payment_blockers()
    if blocking:
        return f"refused ({', '.join(blocking)})"
    problem = outbox.capacity_problem()
    return f"refused ({problem})" if problem else "accepted"


def _age(timestamp: str) -> str:
    seconds = datetime.datetime.now(datetime.UTC) - datetime.datetime.fromisoformat(timestamp)
    minutes = int(seconds.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


if __name__ == "__main__":
    sys.exit(main())

"""``kiosk-queue receipts`` and ``kiosk-queue reprint``: the kiosk's receipt jobs.

A technician lists receipts that failed or may be incomplete, and asks for one again
by its reference. The kiosk's print worker prints the request within seconds; a
receipt that printed before comes out marked as a copy, so it is never mistaken for
a second payment.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from offline.print_jobs import STATES


def add_receipt_commands(commands) -> None:
    listing = commands.add_parser("receipts", help="receipt print jobs, newest first")
    listing.add_argument("reference", nargs="?", help="only this reference (K-XXXX-XXXX)")
    listing.add_argument("--state", choices=STATES)
    listing.add_argument("--limit", type=int, default=50)
    reprint = commands.add_parser("reprint", help="print a receipt again, by reference")
    reprint.add_argument("reference", help="the receipt's reference (K-XXXX-XXXX)")


def list_receipts(args, stores) -> int:
    jobs = stores.print_jobs
    reference = _reference(args.reference) if args.reference else None
    if reference:
        found = jobs.for_reference(reference)[::-1]
        missing = 0 if found else 1  # a typo, rather than no job in that state
        found = [job for job in found if args.state in (None, job.state)][: args.limit]
    else:
        found, missing = jobs.recent(args.limit, args.state), 0
    if args.json:
        print(json.dumps([asdict(job) for job in found], indent=2))
        return missing
    if not found:
        print("no receipts" + (f" for {reference}" if reference else ""))
        return missing
    for job in found:
        print(
            f"{job.reference}  job {job.id:<5} {job.state:<10} attempts {job.attempts}"
            f"  {job.printed_at or job.created_at}"
            + (f"  copy of job {job.reprint_of}" if job.reprint_of else "")
            + (f"\n    last error: {job.last_error}" if job.last_error else "")
        )
    return 0


def reprint(args, stores) -> int:
    jobs = stores.print_jobs
    history = jobs.for_reference(_reference(args.reference))
    if not history:
        print(f"kiosk-queue: no receipt with reference {args.reference!r}", file=sys.stderr)
        return 1
    latest = history[-1]
    with jobs.transaction():
        job_id = jobs.ask_again(latest.id)
    result = {"reference": latest.reference, "job": job_id, "was": latest.state}
    if args.json:
        print(json.dumps(result))
    elif job_id is None:
        print(f"{latest.reference} is already {latest.state}: it will print without a reprint")
    elif job_id == latest.id:
        print(f"{latest.reference} never printed: queued again{WHEN_IT_PRINTS}")
    else:
        print(f"{latest.reference}: a copy (job {job_id}) is queued{WHEN_IT_PRINTS}")
    return 0 if job_id is not None else 1


# A kiosk that starts later withdraws waiting jobs (their resident may be gone).
WHEN_IT_PRINTS = (
    "; a running kiosk prints it within seconds (if the kiosk is stopped, ask again after"
    " it starts)"
)


def _reference(typed: str) -> str:
    return typed.strip().upper()


RECEIPT_COMMANDS = {"receipts": list_receipts, "reprint": reprint}

"""Crash test of card payments: SIGKILL the kiosk at every step of a sale, restart it.

The kiosk's payment core is a real subprocess (tests/offline/payment_crash_kiosk.py)
driving the real ZVT driver over a socat pty pair to the terminal simulator, whose
ledger is durable, and posting through its outbox to the real reference portal on
loopback. It is killed at each step of a sale (before 06 01, after the ACK, after
04 0F, after the completion, before and after the portal post) at least 10 times,
and restarted each time; a restart recovers what was open before it sells again.
Some bills are paid online by someone else before the kiosk sells them, so the
portal refuses the kiosk's payment and the kiosk must reverse the charge.

At the end the terminal's ledger and the portal's payments agree exactly: every
charge that stands is posted once, every posted payment is a charge that stands,
every charge the portal refused is reversed, and the journal has nothing open.
"""

from __future__ import annotations

import collections
import random

import pytest
from payment_crash_kiosk import (
    STEPS,
    ContestingPayer,
    new_prefix,
    plan_runs,
    read_books,
    run_payment_soak,
    soak_rig,
)

pytestmark = pytest.mark.long_running  # see tests/conftest.py

KILLS_PER_STEP = 10
OPEN_STATES = {"intent", "sent", "unknown", "reversing"}


def test_killing_the_kiosk_mid_sale_never_loses_doubles_or_strands_a_charge(portal, tmp_path):
    seed = random.randrange(1 << 32)
    prefix = new_prefix()
    print(f"payment crash soak: seed {seed}, bills {prefix}-*")
    runs = plan_runs(random.Random(seed), prefix, kills_per_step=KILLS_PER_STEP)
    payer = ContestingPayer(portal)
    try:
        with soak_rig(tmp_path) as (data_dir, rig):
            result = run_payment_soak(data_dir, rig, portal, runs, payer)
            books = read_books(data_dir, rig, portal, prefix)
    finally:
        payer.close()

    sales = {sale.bill_id: sale for sale in result.sales}
    contested = {bill for bill, sale in sales.items() if sale.contested}
    journal_by_ref = {entry["reference"]: entry for entry in books.journal}
    states = collections.Counter(entry["state"] for entry in books.journal)
    standing = {s["receipt_number"]: s for s in books.ledger_sales if not s["reversed"]}
    reversed_sales = {s["receipt_number"]: s for s in books.ledger_sales if s["reversed"]}
    replayed = sum(1 for item in books.outbox if item["delivered_by"] == "replayed")
    summary = {
        "seed": seed,
        "runs": result.runs,
        "kills": dict(result.kills),
        "recovered": dict(result.recovered),
        "reconciled": dict(result.reconciled),
        "start_retries": result.start_retries,
        "bills_sold": len(sales),
        "contested_bills": len(contested),
        "ledger_sales": len(books.ledger_sales),
        "ledger_reversals": len(books.ledger_reversals),
        "kiosk_portal_payments": len(books.kiosk_payments),
        "portal_replays": replayed,
        "journal": dict(states),
        "elapsed_s": round(result.elapsed_s, 1),
        "mean_run_s_after": {
            str(kill): round(sum(seconds) / len(seconds), 2)
            for kill, seconds in result.seconds_after.items()
        },
    }
    print(f"\npayment crash soak: {summary}")

    # Every kill point was really hit, counted from what the killed kiosks said.
    for step in STEPS:
        assert result.kills[step] >= KILLS_PER_STEP, summary
    # The kills left open entries that restarts resolved with the terminal.
    assert sum(result.recovered.values()) >= result.kills["intent"] + result.kills["accepted"]

    # The journal: nothing open, nothing needing a refund by hand.
    assert not OPEN_STATES & set(states), summary
    assert states["refund_needed"] == 0, summary
    # Every sale ended: charged and posted, charged and reversed, or never charged.
    # (A refusal or a decline would mean the resident was turned away needlessly.)
    unsettled = [
        (entry["reference"], entry["state"], entry["reason"])
        for entry in books.journal
        if entry["state"] not in {"posted", "reversed", "not_charged"}
    ]
    assert not unsettled, (unsettled, summary)
    assert {entry["bill_id"] for entry in books.journal} <= set(sales)

    # No double charge: each bill was charged at most once on the terminal, and each
    # terminal receipt belongs to exactly one journal entry of the same amount.
    charged = [entry for entry in books.journal if entry["receipt_number"] is not None]
    by_bill = collections.Counter(entry["bill_id"] for entry in charged)
    assert max(by_bill.values()) == 1, by_bill.most_common(3)
    receipts = collections.Counter(entry["receipt_number"] for entry in charged)
    assert max(receipts.values()) == 1
    # Never a second 06 01 for a sale: one per journal entry that got past intent.
    assert books.authorizations <= len(books.journal) - result.kills["intent"]
    ledger_by_receipt = {s["receipt_number"]: s for s in books.ledger_sales}
    assert set(receipts) == set(ledger_by_receipt)  # no charge the kiosk lost track of
    for entry in charged:
        assert ledger_by_receipt[entry["receipt_number"]]["amount_cents"] == entry["amount_cents"]
        assert sales[entry["bill_id"]].total_cents == entry["amount_cents"]
        assert entry["lines"] == list(sales[entry["bill_id"]].lines)

    # The ledger equals the portal: every charge that stands is exactly one payment
    # made by the kiosk, and every payment the kiosk made is a charge that stands.
    posted = collections.Counter(
        int(payment["terminal"]["receipt_number"]) for payment in books.kiosk_payments
    )
    assert max(posted.values(), default=1) == 1, posted.most_common(3)
    assert set(posted) == set(standing)
    for payment in books.kiosk_payments:
        receipt = int(payment["terminal"]["receipt_number"])
        entry = journal_by_ref[payment["kiosk_reference"]]
        assert entry["state"] == "posted"
        assert entry["receipt_number"] == receipt
        assert entry["bill_id"] == payment["bill_id"]
        # A basket is applied whole: every line of the order, as sealed, and no other.
        assert payment["allocations"] == entry["lines"]
        assert payment["amount_cents"] == entry["amount_cents"] == standing[receipt]["amount_cents"]
    assert {e["receipt_number"] for e in books.journal if e["state"] == "posted"} == set(standing)
    assert sum(s["amount_cents"] for s in standing.values()) == sum(
        p["amount_cents"] for p in books.kiosk_payments
    )

    # No bill paid twice at the portal; the contested ones only by their online payer.
    paid_bills = collections.Counter(
        p["bill_id"] for p in books.kiosk_payments + books.other_payments
    )
    assert max(paid_bills.values()) == 1, paid_bills.most_common(3)
    assert {p["bill_id"] for p in books.other_payments} == contested
    assert not contested & {p["bill_id"] for p in books.kiosk_payments}

    # Reversals are accounted for: exactly the charges of contested bills, each
    # reversed once on the terminal and recorded as reversed in the journal.
    reversed_entries = [entry for entry in books.journal if entry["state"] == "reversed"]
    assert {entry["receipt_number"] for entry in reversed_entries} == set(reversed_sales)
    assert {entry["bill_id"] for entry in reversed_entries} == {
        entry["bill_id"] for entry in charged if entry["bill_id"] in contested
    }
    reverses = collections.Counter(entry["reverses"] for entry in books.ledger_reversals)
    assert set(reverses) == set(reversed_sales) and max(reverses.values()) == 1
    for entry in reversed_entries:
        if entry["reversal_receipt"] is not None:
            reversal = [
                r for r in books.ledger_reversals if r["reverses"] == entry["receipt_number"]
            ]
            assert reversal[0]["receipt_number"] == entry["reversal_receipt"]
            assert reversal[0]["amount_cents"] == entry["amount_cents"]
    # Contested clean sales are always charged, so reversals really happened.
    clean_contested = sum(
        1
        for run in runs
        for sale in (run.sales[:-1] if run.kill_at else run.sales)
        if sale.contested
    )
    assert len(reversed_entries) >= clean_contested > 0

    # Every uncontested bill the kiosk charged is paid in full at the portal; what
    # is left unpaid was never charged (killed before the terminal took the sale).
    paid_by_kiosk = {p["bill_id"] for p in books.kiosk_payments}
    assert paid_by_kiosk == {e["bill_id"] for e in charged} - contested
    unpaid = set(sales) - contested - paid_by_kiosk
    assert all(
        entry["state"] == "not_charged" for entry in books.journal if entry["bill_id"] in unpaid
    )
    for payment in books.kiosk_payments:
        for bill, _amount in payment["allocations"]:
            assert portal.store.bill(bill)["status"] == "paid"
    # The other bills of a basket that was not paid (refused, reversed, never charged)
    # are not paid either: no part of a refused basket stands.
    allocated = collections.Counter(
        bill for payment in books.kiosk_payments for bill, _amount in payment["allocations"]
    )
    assert max(allocated.values()) == 1
    for sale in sales.values():
        for bill, _amount in sale.more:
            assert (portal.store.bill(bill)["status"] == "paid") == (sale.bill_id in paid_by_kiosk)
    baskets = [p for p in books.kiosk_payments if len(p["allocations"]) > 1]
    refused_baskets = [e for e in reversed_entries if len(e["lines"]) > 1]
    assert baskets and refused_baskets, summary  # both paths were really taken
    # Clean sales (not killed) were all charged.
    clean_bills = {
        sale.bill_id for run in runs for sale in (run.sales[:-1] if run.kill_at else run.sales)
    }
    assert clean_bills <= {entry["bill_id"] for entry in charged}

    # The outbox delivered everything; what the portal refused is exactly what was
    # reversed, and posts whose answer a kill lost were replayed, not made twice.
    outbox_states = collections.Counter(item["state"] for item in books.outbox)
    assert set(outbox_states) <= {"sent", "needs_attention"}, outbox_states
    assert outbox_states["needs_attention"] == len(reversed_entries)
    assert replayed > 0

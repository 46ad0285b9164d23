"""The payment journal: every card payment written down before the terminal is asked,
its state moving only along TRANSITIONS, card numbers only ever stored masked, and
what was paid for sealed with the device key."""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from offline.crypto import PayloadCipher
from offline.db import open_database
from offline.payment_journal import (
    APPROVED,
    INTENT,
    OPEN_STATES,
    REVERSING,
    SENT,
    STATES,
    TRANSITIONS,
    UNKNOWN,
    PaymentJournal,
    UnmaskedPan,
)

TERMINAL = "TERM0001"
OTHER_TERMINAL = "TERM0002"
BILL_ID = "WATER-2024-778812"
ORDER = {"bill_id": BILL_ID, "payer": "María Pérez"}
RECEIPT_LINES = ["Lindenfield Stadtwerke", "Calle Mayor 3", "AMOUNT EUR 12.50"]


def path_to(state: str) -> list[str]:
    """The shortest sequence of moves that takes a new entry from intent to ``state``."""
    paths = {INTENT: []}
    frontier = collections.deque([INTENT])
    while frontier:
        current = frontier.popleft()
        for following in sorted(TRANSITIONS[current]):
            if following not in paths:
                paths[following] = [*paths[current], following]
                frontier.append(following)
    return paths[state]


def entry_in(journal: PaymentJournal, state: str, amount_cents: int = 1250):
    with journal.transaction():
        entry = journal.begin(ORDER, amount_cents, "EUR", TERMINAL)
        for step in path_to(state):
            entry = journal.move(entry, step)
    assert entry.state == state
    return entry


def raw_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.glob("kiosk.db*")))


def events_count(db) -> int:
    return db.conn.execute("SELECT count(*) FROM payment_events").fetchone()[0]


@pytest.fixture
def journal(db, cipher):
    return PaymentJournal(db, cipher)


# Beginning ------------------------------------------------------------------------


def test_every_state_can_be_reached_from_an_intent():
    assert {state for state in STATES if state == INTENT or path_to(state)} == set(STATES)
    assert set(TRANSITIONS) == set(STATES)


def test_begin_commits_an_intent_with_the_last_receipt_seen_as_its_baseline(
    journal, db_path, cipher
):
    with journal.transaction():
        journal.saw_receipt(TERMINAL, 17)
        entry = journal.begin(ORDER, 1250, "EUR", TERMINAL)
    assert entry.state == INTENT and entry.open
    assert (entry.amount_cents, entry.currency, entry.terminal_id) == (1250, "EUR", TERMINAL)
    assert entry.baseline_receipt == 17
    assert entry.receipt_number is None and entry.masked_pan is None
    assert entry.reference.startswith("K-") and len(entry.reference) == 11

    # Committed: another connection (the process after a power cut) sees it.
    elsewhere = PaymentJournal(open_database(db_path), cipher)
    assert elsewhere.get(entry.reference) == entry
    assert [found.reference for found in elsewhere.open_entries()] == [entry.reference]
    assert [state for _, state, _ in elsewhere.events(entry)] == [INTENT]
    assert elsewhere.order(entry) == ORDER


def test_a_terminal_never_seen_gives_no_baseline(journal):
    with journal.transaction():
        journal.saw_receipt(OTHER_TERMINAL, 99)
        entry = journal.begin(ORDER, 1250, "EUR", TERMINAL)
    assert entry.baseline_receipt is None


def test_each_entry_gets_its_own_reference(journal):
    with journal.transaction():
        references = {journal.begin(ORDER, 100, "EUR", TERMINAL).reference for _ in range(50)}
    assert len(references) == 50


def test_a_begin_inside_a_transaction_that_fails_leaves_nothing(journal, db):
    with journal.transaction():
        kept = journal.begin(ORDER, 500, "EUR", TERMINAL)

    with pytest.raises(OSError, match="power cut"), journal.transaction():
        lost = journal.begin(ORDER, 1250, "EUR", TERMINAL)
        journal.saw_receipt(TERMINAL, 5)
        journal.move(lost, SENT)
        raise OSError("power cut")

    assert [entry.reference for entry in journal.entries()] == [kept.reference]
    with pytest.raises(KeyError):
        journal.get(lost.reference)
    assert events_count(db) == 1  # the kept entry's intent only
    assert journal.last_receipt(TERMINAL) is None
    assert journal.counts()[INTENT] == 1 and journal.counts()[SENT] == 0


def test_amounts_must_be_positive(journal):
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError), journal.transaction():
        journal.begin(ORDER, 0, "EUR", TERMINAL)
    assert journal.entries() == []


# Transitions ----------------------------------------------------------------------

ALLOWED = [(source, target) for source in STATES for target in sorted(TRANSITIONS[source])]
DISALLOWED = [
    (source, target)
    for source in STATES
    for target in STATES
    if target != source and target not in TRANSITIONS[source]
]


def test_the_pairs_cover_every_pair_of_states():
    same = [(state, state) for state in STATES]
    assert len(ALLOWED) + len(DISALLOWED) + len(same) == len(STATES) ** 2


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_transition_moves_the_entry(journal, source, target):
    entry = entry_in(journal, source)
    before = journal.events(entry)
    with journal.transaction():
        moved = journal.move(entry, target, reason=f"to {target}")
    assert moved.state == target == journal.get(entry.reference).state
    assert moved.reason == f"to {target}"
    assert moved.open == (target in OPEN_STATES)
    after = journal.events(entry)
    assert after[: len(before)] == before
    assert [(state, detail) for _, state, detail in after[len(before) :]] == [
        (target, f"to {target}")
    ]


@pytest.mark.parametrize(("source", "target"), DISALLOWED)
def test_every_disallowed_transition_is_refused_and_changes_nothing(journal, source, target):
    entry = entry_in(journal, source)
    before = journal.get(entry.reference)
    events = journal.events(entry)
    # The transaction commits whatever move() might have written before refusing.
    with journal.transaction(), pytest.raises(ValueError, match="not allowed"):
        journal.move(entry, target, receipt_number=77, reason="should not stick")
    assert journal.get(entry.reference) == before
    assert journal.events(entry) == events
    assert journal.last_receipt(TERMINAL) is None
    assert not journal.claimed(TERMINAL, 77)


@pytest.mark.parametrize("state", STATES)
def test_moving_to_the_state_an_entry_is_in_is_a_no_op(journal, state):
    # A repeated report (a terminal re-sending a result whose ACK it missed) must not
    # add history or overwrite what was recorded the first time.
    entry = entry_in(journal, state)
    before = journal.get(entry.reference)
    events = journal.events(entry)
    with journal.transaction():
        again = journal.move(entry, state, receipt_number=99, reason="again")
    assert again == before == journal.get(entry.reference)
    assert journal.events(entry) == events


def test_moves_follow_the_stored_state_not_a_stale_copy(journal):
    entry = entry_in(journal, INTENT)
    with journal.transaction():
        journal.move(entry, SENT)
        journal.move(entry, APPROVED)  # the stale copy still says intent
    with pytest.raises(ValueError), journal.transaction():
        journal.move(entry, SENT)  # allowed from intent, not from approved
    assert journal.get(entry.reference).state == APPROVED


def test_unknown_fields_are_refused_without_writing(journal):
    entry = entry_in(journal, SENT)
    events = journal.events(entry)
    with journal.transaction(), pytest.raises(TypeError, match="full_pan"):
        journal.move(entry, APPROVED, full_pan="4111111111111111")
    assert journal.get(entry.reference).state == SENT
    assert journal.events(entry) == events


def test_result_details_are_stored_with_the_move(journal):
    entry = entry_in(journal, SENT)
    with journal.transaction():
        moved = journal.move(
            entry,
            APPROVED,
            receipt_number=12,
            trace=34,
            masked_pan="************1111",
            card_type="Girocard",
            outbox_key="payment-x",
        )
    assert (moved.receipt_number, moved.trace, moved.masked_pan) == (12, 34, "************1111")
    assert (moved.card_type, moved.outbox_key) == ("Girocard", "payment-x")
    assert journal.last_receipt(TERMINAL) == 12


# Card numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pan",
    [
        "411111******1111",  # BIN (6) + last 4
        "411111XXXXXX1111",
        "4111111111111111",  # the full 16 digits
        "4111111111111111111",  # a 19-digit PAN
        "41111*******1111",  # 5 + 4
        "4111 1111 1111 1111",
        "************１１１１",  # full-width digits
    ],
)
def test_an_unmasked_card_number_is_refused_and_nothing_is_stored(journal, db, db_path, pan):
    entry = entry_in(journal, SENT)
    before = journal.get(entry.reference)
    events = journal.events(entry)
    # The transaction commits whatever move() might have written before refusing.
    with journal.transaction(), pytest.raises(UnmaskedPan) as refused:
        journal.move(entry, APPROVED, receipt_number=5, masked_pan=pan, card_type="Visa")
    assert isinstance(refused.value, ValueError)
    assert pan not in str(refused.value)
    assert journal.get(entry.reference) == before  # still sent, no receipt, no PAN
    assert journal.events(entry) == events
    assert journal.last_receipt(TERMINAL) is None
    digits = "".join(ch for ch in pan if ch.isdigit())
    stored = db.conn.execute("SELECT masked_pan FROM payment_journal").fetchall()
    assert stored == [(None,)]
    if digits.isascii():
        assert digits.encode() not in raw_bytes(db_path.parent)


@pytest.mark.parametrize("pan", ["************1111", "XXXXXXXXXXXX1111", "xxxx1111", "****"])
def test_a_masked_card_number_is_stored(journal, pan):
    entry = entry_in(journal, SENT)
    with journal.transaction():
        moved = journal.move(entry, APPROVED, receipt_number=5, masked_pan=pan)
    assert moved.masked_pan == pan and moved.state == APPROVED


# Sealing --------------------------------------------------------------------------


def test_the_order_and_the_receipt_are_sealed_and_open_again_with_the_key(
    journal, db, db_path, cipher
):
    entry = entry_in(journal, SENT)
    with journal.transaction():
        entry = journal.move(entry, APPROVED, receipt_number=3)
        journal.keep_receipt(entry, RECEIPT_LINES)
    db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    raw = raw_bytes(db_path.parent)
    assert entry.reference.encode() in raw  # the scan does see the rows
    assert BILL_ID.encode() not in raw
    assert "María".encode() not in raw and "Pérez".encode() not in raw
    for line in RECEIPT_LINES:
        assert line.encode() not in raw

    reopened = PaymentJournal(open_database(db_path), cipher)
    assert reopened.order(entry) == ORDER
    assert reopened.receipt_lines(entry) == RECEIPT_LINES


def test_an_entry_without_a_receipt_has_no_lines(journal):
    entry = entry_in(journal, SENT)
    assert journal.receipt_lines(entry) == []


def test_a_sealed_order_cannot_be_opened_with_another_key(journal, db_path):
    from offline.crypto import UnreadablePayload

    entry = entry_in(journal, INTENT)
    stranger = PaymentJournal(open_database(db_path), PayloadCipher(os.urandom(32)))
    with pytest.raises(UnreadablePayload):
        stranger.order(entry)


def test_without_the_key_entries_can_be_listed_but_not_opened_or_taken(journal, db_path):
    entry = entry_in(journal, APPROVED)
    with journal.transaction():
        journal.keep_receipt(entry, RECEIPT_LINES)

    keyless = PaymentJournal(open_database(db_path), None)
    assert [found.reference for found in keyless.entries()] == [entry.reference]
    assert keyless.get(entry.reference).state == APPROVED
    assert keyless.counts()[APPROVED] == 1
    assert [state for _, state, _ in keyless.events(entry)] == [INTENT, APPROVED]
    with pytest.raises(RuntimeError, match="device key"):
        keyless.order(entry)
    with pytest.raises(RuntimeError, match="device key"):
        keyless.receipt_lines(entry)
    with pytest.raises(RuntimeError, match="device key"), keyless.transaction():
        keyless.begin(ORDER, 1250, "EUR", TERMINAL)
    assert len(keyless.entries()) == 1 and len(journal.entries()) == 1


# Receipts seen and claimed --------------------------------------------------------


def test_saw_receipt_keeps_the_newest_per_terminal(journal):
    assert journal.last_receipt(TERMINAL) is None and not journal.knows_terminal(TERMINAL)
    with journal.transaction():
        journal.saw_receipt(TERMINAL, 5)
        journal.saw_receipt(TERMINAL, 3)
        journal.saw_receipt(OTHER_TERMINAL, 1)
    assert journal.last_receipt(TERMINAL) == 5 and journal.knows_terminal(TERMINAL)
    assert journal.last_receipt(OTHER_TERMINAL) == 1
    with journal.transaction():
        journal.saw_receipt(TERMINAL, 9)
        journal.saw_receipt(OTHER_TERMINAL, 0)
    assert journal.last_receipt(TERMINAL) == 9 and journal.last_receipt(OTHER_TERMINAL) == 1


def test_a_terminal_whose_first_receipt_is_zero_is_known(journal):
    with journal.transaction():
        journal.saw_receipt(TERMINAL, 0)
    assert journal.knows_terminal(TERMINAL) and journal.last_receipt(TERMINAL) == 0


def test_recorded_receipts_move_the_newest_receipt_and_are_claimed(journal):
    with journal.transaction():
        journal.saw_receipt(TERMINAL, 20)
    entry = entry_in(journal, SENT)
    with journal.transaction():
        entry = journal.move(entry, APPROVED, receipt_number=7)
    assert journal.last_receipt(TERMINAL) == 20  # an older receipt never lowers it
    assert journal.claimed(TERMINAL, 7)
    assert not journal.claimed(TERMINAL, 8)
    assert not journal.claimed(OTHER_TERMINAL, 7)

    with journal.transaction():
        entry = journal.move(entry, REVERSING)
        entry = journal.move(entry, "reversed", reversal_receipt=21)
    assert journal.claimed(TERMINAL, 21) and journal.claimed(TERMINAL, 7)
    assert journal.last_receipt(TERMINAL) == 21


def test_a_result_from_another_terminal_is_claimed_there(journal):
    entry = entry_in(journal, SENT)
    with journal.transaction():
        moved = journal.move(entry, APPROVED, receipt_number=4, terminal_id=OTHER_TERMINAL)
    assert moved.terminal_id == OTHER_TERMINAL
    assert journal.claimed(OTHER_TERMINAL, 4) and not journal.claimed(TERMINAL, 4)
    assert journal.last_receipt(OTHER_TERMINAL) == 4 and journal.last_receipt(TERMINAL) is None


# History and counts ---------------------------------------------------------------


def test_each_entry_keeps_its_own_history(journal):
    first = entry_in(journal, INTENT)
    second = entry_in(journal, INTENT)
    with journal.transaction():
        journal.move(first, SENT)
        journal.move(second, "not_charged", reason="not_started")
        journal.move(first, UNKNOWN, reason="no_connection")
        journal.move(first, APPROVED, receipt_number=1)
    assert [(state, detail) for _, state, detail in journal.events(first)] == [
        (INTENT, None),
        (SENT, None),
        (UNKNOWN, "no_connection"),
        (APPROVED, None),
    ]
    assert [(state, detail) for _, state, detail in journal.events(second)] == [
        (INTENT, None),
        ("not_charged", "not_started"),
    ]
    times = [at for at, _, _ in journal.events(first)]
    assert times == sorted(times)


def test_counts_cover_every_state(journal):
    assert journal.counts() == dict.fromkeys(STATES, 0)
    entry_in(journal, APPROVED)
    entry_in(journal, APPROVED)
    entry_in(journal, "declined")
    entry_in(journal, REVERSING)
    counts = journal.counts()
    assert set(counts) == set(STATES)
    assert counts[APPROVED] == 2 and counts["declined"] == 1 and counts[REVERSING] == 1
    assert sum(counts.values()) == 4


def test_entries_by_state_and_open_entries(journal):
    approved = entry_in(journal, APPROVED)
    sent = entry_in(journal, SENT)
    reversing = entry_in(journal, REVERSING)
    unknown = entry_in(journal, UNKNOWN)
    entry_in(journal, "posted")
    assert [e.reference for e in journal.open_entries()] == [
        sent.reference,
        reversing.reference,
        unknown.reference,
    ]
    assert [e.reference for e in journal.entries(APPROVED)] == [approved.reference]
    assert len(journal.entries()) == 5
    assert len(journal.entries(limit=2)) == 2


# Random lives ---------------------------------------------------------------------


class JournalLife(RuleBasedStateMachine):
    """Random moves, allowed or not, committed or rolled back, across restarts: an
    entry's state only ever follows TRANSITIONS and open_entries() is exactly the
    entries in OPEN_STATES."""

    made = Bundle("entries")

    def __init__(self):
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="payment-journal-"))
        self.cipher = PayloadCipher(os.urandom(32))
        self.db = open_database(self.directory / "kiosk.db")
        self.journal = PaymentJournal(self.db, self.cipher)
        self.states: dict[str, str] = {}
        self.history: dict[str, list[str]] = {}

    def teardown(self):
        self.db.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule(target=made, amount=st.integers(min_value=1, max_value=10**7))
    def begin(self, amount):
        with self.journal.transaction():
            entry = self.journal.begin({"bill_id": f"B-{amount}"}, amount, "EUR", TERMINAL)
        self.states[entry.reference] = INTENT
        self.history[entry.reference] = [INTENT]
        return entry  # kept as it was: later moves get a stale copy

    @rule(entry=made, state=st.sampled_from(STATES))
    def move(self, entry, state):
        current = self.states[entry.reference]
        if state == current:
            with self.journal.transaction():
                self.journal.move(entry, state)
        elif state in TRANSITIONS[current]:
            with self.journal.transaction():
                moved = self.journal.move(entry, state, reason="random")
            assert moved.state == state
            self.states[entry.reference] = state
            self.history[entry.reference].append(state)
        else:
            with self.journal.transaction(), pytest.raises(ValueError):
                self.journal.move(entry, state)

    @rule(entry=made, state=st.sampled_from(STATES))
    def a_move_in_a_transaction_that_dies(self, entry, state):
        try:
            with self.journal.transaction():
                self.journal.move(entry, state)
                raise OSError("power cut")
        except (OSError, ValueError):
            pass

    @rule()
    def begin_in_a_transaction_that_dies(self):
        try:
            with self.journal.transaction():
                self.journal.begin({"bill_id": "lost"}, 100, "EUR", TERMINAL)
                raise OSError("power cut")
        except OSError:
            pass

    @rule()
    def the_kiosk_restarts(self):
        self.db.close()
        self.db = open_database(self.directory / "kiosk.db")
        self.journal = PaymentJournal(self.db, self.cipher)

    @invariant()
    def states_follow_the_transitions(self):
        entries = {entry.reference: entry for entry in self.journal.entries()}
        assert {reference: entry.state for reference, entry in entries.items()} == self.states
        for reference, entry in entries.items():
            states = [state for _, state, _ in self.journal.events(entry)]
            assert states == self.history[reference]
            assert states[0] == INTENT
            for before, after in zip(states, states[1:], strict=False):
                assert after in TRANSITIONS[before]

    @invariant()
    def open_entries_are_those_in_open_states(self):
        open_now = {entry.reference for entry in self.journal.open_entries()}
        expected = {ref for ref, state in self.states.items() if state in OPEN_STATES}
        assert open_now == expected
        assert all(entry.open for entry in self.journal.open_entries())
        counts = collections.Counter(self.states.values())
        assert self.journal.counts() == {state: counts.get(state, 0) for state in STATES}


JournalLife.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
test_journal_life = JournalLife.TestCase

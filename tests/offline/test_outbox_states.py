"""Property tests of a queued item's life, against a plain-Python model of it.

Hypothesis drives random sequences of what happens to a kiosk's queue (residents
queue things, the portal answers in every possible way, technicians retry, old
items are purged, the kiosk restarts, a transaction dies half-way) and checks after
every step that nothing was lost, doubled, reordered or resurrected.
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path

from hypothesis import assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import PENDING, SENT, STATES, TRANSITIONS, Delivery, Outbox

ORDER_KEYS = st.sampled_from(["bill:1", "bill:2", "resident:a", None])
PARKED = ("needs_attention", "conflict")


class QueuedItemLife(RuleBasedStateMachine):
    keys = Bundle("keys")

    def __init__(self):
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="outbox-states-"))
        self.cipher = PayloadCipher(load_or_create_key(self.directory / "key"))
        self.outbox = self._open()
        # key -> [order key, expected state, expected attempts, sequence number]
        self.expected: dict[str, list] = {}
        self.sequence = 0

    def _open(self) -> Outbox:
        return Outbox(open_database(self.directory / "kiosk.db"), self.cipher)

    def teardown(self):
        self.outbox.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule(
        target=keys,
        order_key=ORDER_KEYS,
        payload=st.dictionaries(st.text(max_size=5), st.integers()),
    )
    def enqueue(self, order_key, payload):
        with self.outbox.transaction():
            queued = self.outbox.enqueue("survey_response", payload, order_key=order_key)
        self.sequence += 1
        ordering = order_key or f"item:{queued.idempotency_key}"
        self.expected[queued.idempotency_key] = [ordering, PENDING, 0, self.sequence]
        return queued.idempotency_key

    @rule(order_key=ORDER_KEYS)
    def a_crash_mid_transaction_leaves_nothing(self, order_key):
        try:
            with self.outbox.transaction():
                self.outbox.enqueue("payment", {"n": 1}, order_key=order_key)
                raise OSError("power cut")
        except OSError:
            pass

    @rule(key=keys, outcome=st.sampled_from(sorted(TRANSITIONS)))
    def the_portal_answers(self, key, outcome):
        assume(key in self.expected)  # purged items are gone for good
        with self.outbox.transaction():
            self.outbox.record([Delivery(key, outcome, 200, "reason")])
        entry = self.expected[key]
        entry[2] += 1
        if entry[1] == PENDING:
            entry[1] = TRANSITIONS[outcome]

    @rule(key=keys)
    def a_technician_retries(self, key):
        assume(key in self.expected)
        with self.outbox.transaction():
            moved = self.outbox.retry(key)
        entry = self.expected[key]
        assert moved == (entry[1] in PARKED)
        if moved:
            entry[1] = PENDING

    @rule()
    def old_sent_items_are_purged(self):
        with self.outbox.transaction():
            purged = self.outbox.purge_sent(datetime.timedelta(days=-1))
        gone = [key for key, entry in self.expected.items() if entry[1] == SENT]
        assert purged == len(gone)
        for key in gone:
            del self.expected[key]

    @rule()
    def the_kiosk_restarts(self):
        self.outbox.close()
        self.outbox = self._open()

    @invariant()
    def every_item_is_where_the_model_says(self):
        counts = dict.fromkeys(STATES, 0)
        for _order, state, _attempts, _seq in self.expected.values():
            counts[state] += 1
        assert self.outbox.counts() == counts
        for summary in self.outbox.summaries(limit=10_000):
            _order, state, attempts, _seq = self.expected[summary.idempotency_key]
            assert (summary.state, summary.attempts) == (state, attempts)
            assert len(self.outbox.attempts(summary.idempotency_key)) == attempts

    @invariant()
    def a_batch_keeps_each_order_key_in_sequence(self):
        batch = self.outbox.next_batch(50)
        order_keys = [self.expected[item.idempotency_key][0] for item in batch]
        assert len(order_keys) == len(set(order_keys))
        for item in batch:
            order, state, _attempts, seq = self.expected[item.idempotency_key]
            assert state == PENDING
            earlier_pending = [
                key
                for key, (other_order, other_state, _a, other_seq) in self.expected.items()
                if other_order == order and other_state == PENDING and other_seq < seq
            ]
            assert not earlier_pending
        pending_orders = {entry[0] for entry in self.expected.values() if entry[1] == PENDING}
        assert len(batch) == len(pending_orders)


QueuedItemLife.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_queued_item_life = QueuedItemLife.TestCase

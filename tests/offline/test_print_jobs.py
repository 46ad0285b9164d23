"""Durable print jobs: nothing lost, nothing printed twice by a retry."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.print_jobs import FAILED, PRINTED, QUEUED, UNCERTAIN, PrintJobs

RECEIPT = {"lines": [{"text": "María Pérez, Calle Mayor 3"}], "qr_data": "https://x/LF-000001"}


def jobs_at(path, cipher):
    return PrintJobs(open_database(path), cipher)


def test_a_job_survives_a_restart_and_its_document_is_sealed(tmp_path, cipher):
    path = tmp_path / "kiosk.db"
    jobs = jobs_at(path, cipher)
    with jobs.transaction():
        job_id = jobs.add("K-AAAA-BBBB", RECEIPT)
    jobs._db.close()

    again = jobs_at(path, cipher)
    assert [job.id for job in again.due()] == [job_id]
    assert again.document(job_id) == RECEIPT
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("kiosk.db*"))
    assert "María".encode() not in raw and b"Calle Mayor" not in raw


def test_paper_out_before_printing_waits_for_a_person_and_a_finished_job_never_reprints(
    tmp_path, cipher
):
    jobs = jobs_at(tmp_path / "kiosk.db", cipher)
    with jobs.transaction():
        job_id = jobs.add("K-AAAA-BBBB", RECEIPT)
        assert jobs.start(job_id)
        jobs.fail(job_id, "paper_out")
    assert jobs.get(job_id).state == FAILED and jobs.due() == []
    assert not jobs.start(job_id)  # nobody asked again yet

    with jobs.transaction():
        assert jobs.ask_again(job_id) == job_id  # never printed: the same job again
        assert [j.id for j in jobs.due()] == [job_id]
        assert jobs.start(job_id)
        jobs.finish(job_id)
        assert not jobs.start(job_id)  # a retry of a finished job prints nothing
    assert jobs.get(job_id).state == PRINTED and jobs.due() == []
    with jobs.transaction():
        copy = jobs.ask_again(job_id)
    assert copy != job_id and jobs.get(copy).reprint_of == job_id


def test_jobs_waiting_when_the_kiosk_died_are_not_printed_for_the_next_resident(tmp_path, cipher):
    path = tmp_path / "kiosk.db"
    jobs = jobs_at(path, cipher)
    with jobs.transaction():
        job_id = jobs.add("K-AAAA-BBBB", RECEIPT)
    jobs._db.close()

    again = jobs_at(path, cipher)
    with again.transaction():
        assert again.recover() == 0
    assert again.get(job_id).state == FAILED and again.due() == []


def test_a_technician_without_the_key_can_reprint_but_not_read(tmp_path, cipher):
    path = tmp_path / "kiosk.db"
    jobs = jobs_at(path, cipher)
    with jobs.transaction():
        job_id = jobs.add("K-AAAA-BBBB", RECEIPT)
        jobs.start(job_id)
        jobs.finish(job_id)
    keyless = PrintJobs(open_database(path), None)
    with keyless.transaction():
        copy = keyless.ask_again(job_id)
    with pytest.raises(RuntimeError, match="device key"):
        keyless.document(copy)
    assert jobs.document(copy) == RECEIPT


def test_a_crash_mid_print_needs_a_person_to_ask_again(tmp_path, cipher):
    path = tmp_path / "kiosk.db"
    jobs = jobs_at(path, cipher)
    with jobs.transaction():
        job_id = jobs.add("K-AAAA-BBBB", RECEIPT)
        jobs.start(job_id)
    jobs._db.close()  # the kiosk dies while the printer is busy

    again = jobs_at(path, cipher)
    with again.transaction():
        assert again.recover() == 1
    assert again.get(job_id).state == UNCERTAIN and again.due() == []
    with again.transaction():
        assert not again.start(job_id)
        copy = again.ask_again(job_id)
    assert again.get(copy).reprint_of == job_id and again.get(copy).state == QUEUED
    assert again.document(copy) == RECEIPT
    assert [job.id for job in again.for_reference("K-AAAA-BBBB")] == [job_id, copy]


class PrinterLife(RuleBasedStateMachine):
    """Whatever happens, a job leaves the printer at most once unless a person asked."""

    jobs_made = Bundle("jobs")

    def __init__(self):
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="print-jobs-"))
        self.cipher = PayloadCipher(load_or_create_key(self.directory / "key"))
        self.jobs = jobs_at(self.directory / "kiosk.db", self.cipher)
        self.printed: dict[int, int] = {}
        self.in_printer: set[int] = set()

    def teardown(self):
        self.jobs._db.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule(target=jobs_made)
    def queue(self):
        with self.jobs.transaction():
            return self.jobs.add("K-TEST-0001", RECEIPT)

    @rule(job=jobs_made)
    def printer_takes_it(self, job):
        with self.jobs.transaction():
            if self.jobs.start(job):
                self.in_printer.add(job)

    @rule(job=jobs_made, outcome=st.sampled_from(["finished", "refused", "cut_off"]))
    def printer_answers(self, job, outcome):
        if job not in self.in_printer:
            return
        self.in_printer.discard(job)
        with self.jobs.transaction():
            if outcome == "finished":
                self.jobs.finish(job)
                self.printed[job] = self.printed.get(job, 0) + 1
            elif outcome == "refused":
                self.jobs.fail(job, "paper_out")
            else:
                self.jobs.interrupted(job, "paper ran out mid-job")

    @rule()
    def kiosk_restarts(self):
        self.jobs._db.close()
        self.jobs = jobs_at(self.directory / "kiosk.db", self.cipher)
        with self.jobs.transaction():
            self.jobs.recover()
        self.in_printer.clear()

    @rule(job=jobs_made)
    def a_person_asks_again(self, job):
        if self.jobs.get(job).state in (UNCERTAIN, FAILED):
            with self.jobs.transaction():
                self.jobs.ask_again(job)

    @invariant()
    def nothing_prints_twice_and_nothing_is_lost(self):
        assert all(count == 1 for count in self.printed.values())
        due = {job.id for job in self.jobs.due()}
        assert not due & set(self.printed)
        for job_id in due:
            assert self.jobs.get(job_id).state == QUEUED


PrinterLife.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
test_printer_life = PrinterLife.TestCase


def test_finished_jobs_are_forgotten_after_the_retention_but_a_reprinted_original_stays(
    tmp_path, cipher
):
    jobs = jobs_at(tmp_path / "kiosk.db", cipher)
    with jobs.transaction():
        old = jobs.add("K-AAAA-0001", RECEIPT)
        jobs.start(old)
        jobs.finish(old)
        reprinted = jobs.add("K-AAAA-0002", RECEIPT)
        jobs.start(reprinted)
        jobs.finish(reprinted)
        waiting = jobs.add("K-AAAA-0003", RECEIPT)
    cutoff = "9999-01-01T00:00:00+00:00"  # every job is older than this
    with jobs.transaction():
        copy = jobs.ask_again(reprinted)  # queued: its original must stay with it
        assert jobs.purge(cutoff) == 1
    assert jobs.get(old) is None
    assert jobs.get(reprinted) is not None and jobs.get(copy) is not None
    assert jobs.get(waiting).state == QUEUED

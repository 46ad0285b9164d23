"""kiosk-queue receipts and reprint, as a technician uses them on a kiosk's data folder."""

from __future__ import annotations

import datetime
import json

import pytest

import offline.crypto
from drivers.printer.render import render
from drivers.printer.simulator import SimulatedPrinter
from kiosk.printing import PrintWorker
from kiosk.receipts import Receipt
from offline.alerts import Alerts
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.print_jobs import FAILED, PRINTED, QUEUED, UNCERTAIN, PrintJobs
from provisioning.queue_cli import main

RESIDENT = "Ximena Quispe-Loaiza"
STREET = "Calle Mayor 3"
PRINTED_REF, FAILED_REF, QUEUED_REF, UNCERTAIN_REF = (
    "K-PRNT-0001",
    "K-FAIL-0002",
    "K-QUEU-0003",
    "K-UNCE-0004",
)


def document(reference: str) -> dict:
    # Through JSON, as the job stores it: tuples come back as lists.
    receipt = Receipt(
        city="Lindenfield",
        kiosk_id="kiosk-7",
        location="Main library",
        when=datetime.datetime(2026, 3, 1, 9, 30),
        service="Water bill payment",
        reference=reference,
        details=(("Name", RESIDENT), ("Address", STREET)),
    )
    return json.loads(json.dumps(receipt.to_dict()))


@pytest.fixture
def cipher(tmp_path):
    # The key lives outside the data folder, so the CLI could not find it even by accident.
    return PayloadCipher(load_or_create_key(tmp_path / "keys" / "outbox.key"))


@pytest.fixture
def kiosk_dir(tmp_path, cipher):
    """A kiosk data folder with a receipt in each state a technician meets."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    jobs = PrintJobs(open_database(data_dir / "kiosk.db"), cipher)
    ids = {}
    with jobs.transaction():
        for reference in (PRINTED_REF, FAILED_REF, QUEUED_REF, UNCERTAIN_REF):
            ids[reference] = jobs.add(reference, document(reference))
        for reference in (PRINTED_REF, FAILED_REF, UNCERTAIN_REF):
            assert jobs.start(ids[reference])
        jobs.finish(ids[PRINTED_REF])
        jobs.fail(ids[FAILED_REF], "paper_out")
        jobs.interrupted(ids[UNCERTAIN_REF], "link dropped mid-job")
    jobs.close()
    return data_dir, ids


@pytest.fixture
def cli(kiosk_dir, capsys, monkeypatch):
    """Runs kiosk-queue in this process; any attempt to use the device key fails the test."""
    data_dir, _ids = kiosk_dir

    def no_key(*_args, **_kwargs):
        raise AssertionError("kiosk-queue touched the device key")

    monkeypatch.setattr(offline.crypto, "load_or_create_key", no_key)
    monkeypatch.setattr(offline.crypto.PayloadCipher, "__init__", no_key)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        for secret in (RESIDENT, "Ximena", STREET):
            assert secret not in out + err
        return code, out, err

    return run


def jobs_with_key(data_dir, cipher) -> PrintJobs:
    return PrintJobs(open_database(data_dir / "kiosk.db"), cipher)


def test_receipts_lists_every_job_newest_first(cli, kiosk_dir):
    _data_dir, ids = kiosk_dir

    code, out, _err = cli("receipts")

    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("K-")]
    assert [line.split()[0] for line in lines] == [
        UNCERTAIN_REF,
        QUEUED_REF,
        FAILED_REF,
        PRINTED_REF,
    ]
    by_reference = {line.split()[0]: line for line in lines}
    assert f"job {ids[FAILED_REF]}" in by_reference[FAILED_REF]
    assert " failed " in by_reference[FAILED_REF]
    assert " printed " in by_reference[PRINTED_REF]
    assert "last error: paper_out" in out
    assert "last error: link dropped mid-job" in out


def test_receipts_as_json_is_metadata_only(cli, kiosk_dir):
    _data_dir, ids = kiosk_dir

    code, out, _err = cli("--json", "receipts")

    assert code == 0
    listed = json.loads(out)
    assert {job["reference"]: job["state"] for job in listed} == {
        PRINTED_REF: PRINTED,
        FAILED_REF: FAILED,
        QUEUED_REF: QUEUED,
        UNCERTAIN_REF: UNCERTAIN,
    }
    assert set(listed[0]) == {
        "id",
        "reference",
        "state",
        "reprint_of",
        "attempts",
        "last_error",
        "created_at",
        "printed_at",
    }
    printed = next(job for job in listed if job["reference"] == PRINTED_REF)
    assert printed["id"] == ids[PRINTED_REF] and printed["printed_at"]
    assert printed["attempts"] == 1 and printed["reprint_of"] is None


def test_receipts_filter_by_reference_and_state(cli):
    code, out, _err = cli("--json", "receipts", FAILED_REF)
    assert code == 0
    assert [job["reference"] for job in json.loads(out)] == [FAILED_REF]

    code, out, _err = cli("--json", "receipts", "--state", "uncertain")
    assert code == 0
    assert [job["reference"] for job in json.loads(out)] == [UNCERTAIN_REF]

    code, out, _err = cli("--json", "receipts", PRINTED_REF, "--state", "failed")
    assert code == 0
    assert json.loads(out) == []

    code, out, _err = cli("receipts", "--state", "printing")
    assert code == 0
    assert "no receipts" in out and "K-" not in out


def test_receipts_for_an_unknown_reference_fails(cli):
    code, out, _err = cli("receipts", "K-NOPE-NOPE")

    assert code == 1
    assert "no receipts for K-NOPE-NOPE" in out


def test_an_unknown_state_is_refused(cli):
    with pytest.raises(SystemExit) as refused:
        cli("receipts", "--state", "lost")
    assert refused.value.code == 2


def test_reprint_of_a_printed_receipt_queues_a_copy_of_the_same_sealed_document(
    cli, kiosk_dir, cipher
):
    data_dir, ids = kiosk_dir
    original = ids[PRINTED_REF]

    code, out, _err = cli("reprint", PRINTED_REF)

    assert code == 0
    jobs = jobs_with_key(data_dir, cipher)
    try:
        history = jobs.for_reference(PRINTED_REF)
        assert [job.id for job in history][0] == original and len(history) == 2
        copy = history[1]
        assert (copy.state, copy.reprint_of, copy.attempts) == (QUEUED, original, 0)
        assert f"a copy (job {copy.id}) is queued" in out
        assert jobs.get(original).state == PRINTED
        assert jobs.document(copy.id) == jobs.document(original) == document(PRINTED_REF)
    finally:
        jobs.close()

    code, out, _err = cli("receipts", PRINTED_REF)
    assert f"copy of job {original}" in out


def test_a_reprinted_receipt_comes_out_of_the_kiosk_marked_as_a_copy(cli, kiosk_dir, cipher):
    data_dir, ids = kiosk_dir
    assert cli("reprint", PRINTED_REF)[0] == 0
    printer = SimulatedPrinter()
    printer.start()
    # The kiosk's own print worker, holding the key the CLI never had.
    worker = PrintWorker(
        lambda: (
            jobs_with_key(data_dir, cipher),
            Alerts(open_database(data_dir / "kiosk.db")),
        ),
        lambda: printer,
    )
    try:
        outcomes = worker.run_once()
    finally:
        worker.stop()

    printed = [o for o in outcomes if o.reference == PRINTED_REF]
    assert [o.state for o in printed] == [PRINTED]
    assert printed[0].job_id != ids[PRINTED_REF]
    # The queued job of another reference prints too; find the copy's paper.
    copies = [render(job).lines for job in printer.jobs if "COPY" in " ".join(render(job).lines)]
    assert len(copies) == 1
    assert any(PRINTED_REF in line for line in copies[0])


def test_reprint_of_a_failed_receipt_queues_the_same_job_again(cli, kiosk_dir, cipher):
    data_dir, ids = kiosk_dir

    code, out, _err = cli("--json", "reprint", FAILED_REF)

    assert code == 0
    assert json.loads(out) == {"reference": FAILED_REF, "job": ids[FAILED_REF], "was": FAILED}
    jobs = jobs_with_key(data_dir, cipher)
    try:
        (job,) = jobs.for_reference(FAILED_REF)
        assert (job.id, job.state, job.reprint_of) == (ids[FAILED_REF], QUEUED, None)
    finally:
        jobs.close()


def test_reprint_of_an_uncertain_receipt_makes_a_copy_and_a_lowercase_reference_is_found(
    cli, kiosk_dir, cipher
):
    data_dir, ids = kiosk_dir

    code, out, _err = cli("reprint", f"  {UNCERTAIN_REF.lower()} ")

    assert code == 0
    jobs = jobs_with_key(data_dir, cipher)
    try:
        original, copy = jobs.for_reference(UNCERTAIN_REF)
        assert original.state == UNCERTAIN
        assert (copy.state, copy.reprint_of) == (QUEUED, ids[UNCERTAIN_REF])
        assert jobs.document(copy.id) == document(UNCERTAIN_REF)
    finally:
        jobs.close()


def test_reprint_of_a_receipt_still_waiting_changes_nothing(cli, kiosk_dir, cipher):
    data_dir, _ids = kiosk_dir
    before = jobs_with_key(data_dir, cipher)
    counts = before.counts()
    before.close()

    code, out, _err = cli("reprint", QUEUED_REF)

    assert code == 1
    assert f"{QUEUED_REF} is already queued: it will print" in out
    after = jobs_with_key(data_dir, cipher)
    assert after.counts() == counts
    after.close()


def test_asking_twice_for_a_copy_queues_only_one(cli, kiosk_dir, cipher):
    data_dir, _ids = kiosk_dir

    assert cli("reprint", PRINTED_REF)[0] == 0
    code, out, _err = cli("reprint", PRINTED_REF)

    assert code == 1
    assert "already queued" in out
    jobs = jobs_with_key(data_dir, cipher)
    assert len(jobs.for_reference(PRINTED_REF)) == 2
    jobs.close()


def test_reprint_of_an_unknown_reference_fails(cli, kiosk_dir, cipher):
    data_dir, _ids = kiosk_dir

    code, out, err = cli("reprint", "K-NOPE-NOPE")

    assert code == 1
    assert "no receipt with reference 'K-NOPE-NOPE'" in err
    jobs = jobs_with_key(data_dir, cipher)
    assert sum(jobs.counts().values()) == 4
    jobs.close()


def test_status_counts_receipts_by_state(cli):
    code, out, _err = cli("status")
    assert code == 0
    assert "Receipts: 1 queued, 1 printed, 1 failed, 1 uncertain" in out

    code, out, _err = cli("--json", "status")
    assert code == 0
    assert json.loads(out)["receipts"] == {
        QUEUED: 1,
        "printing": 0,
        PRINTED: 1,
        FAILED: 1,
        UNCERTAIN: 1,
    }

    assert cli("reprint", FAILED_REF)[0] == 0
    code, out, _err = cli("status")
    assert "Receipts: 2 queued, 1 printed, 1 uncertain" in out

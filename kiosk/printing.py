"""The print worker: prints stored receipt jobs on the kiosk's printer, off the UI thread.

Every receipt is first a durable job (offline.print_jobs), written in the same
transaction as the submission it proves; this worker only ever takes ``queued`` jobs,
so a crash, an empty roll or a dropped link never loses a receipt and never prints a
finished one twice. It also watches the printer's status, so the screens can tell a
resident before a paid flow that no paper receipt is possible, and it raises a
technician alert when the paper runs low.

Like the sync worker it has its own database connection on its own thread, and it
reports through callbacks that the runtime hands over to the UI thread.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.printer.interface import (
    PrinterError,
    PrinterStatus,
    PrintInterrupted,
    ReceiptDocument,
    ReceiptPrinterDriver,
    render_escpos,
)
from kiosk.i18n import MissingCatalogue, Translator
from kiosk.receipts import build_print_job
from offline.alerts import PRINTER_PAPER_NEAR_END, Alerts
from offline.print_jobs import FAILED, PRINTED, UNCERTAIN, PrintJob, PrintJobs

log = logging.getLogger(__name__)

PREVIEWS_KEPT = 5


@dataclass(frozen=True)
class PrintOutcome:
    job_id: int
    reference: str
    state: str  # printed | failed | uncertain
    printer_status: PrinterStatus
    # Demo kiosks: a picture of the paper, shown to the resident as "your receipt".
    preview: Path | None = None


@dataclass(frozen=True)
class PrintSettings:
    poll_s: float = 2.0  # how soon a technician's reprint (written by another process) prints
    status_interval_s: float = 15.0
    preview_dir: Path | None = None
    # Finished jobs older than this are deleted (their documents hold personal data).
    retention: datetime.timedelta | None = None
    purge_interval_s: float = 3600.0


class PrintWorker:
    def __init__(
        self,
        open_store: Callable[[], tuple[PrintJobs, Alerts]],
        printer: Callable[[], ReceiptPrinterDriver | None],
        settings: PrintSettings = PrintSettings(),
        *,
        on_outcome: Callable[[PrintOutcome], None] = lambda outcome: None,
        on_status: Callable[[PrinterStatus], None] = lambda status: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_store = open_store
        self._printer = printer
        self.settings = settings
        self._on_outcome = on_outcome
        self._on_status = on_status
        self._clock = clock
        self._store: tuple[PrintJobs, Alerts] | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._translators: dict[str, Translator] = {}
        self._status_checked_at: float | None = None
        self._purged_at: float | None = None
        self.last_status: PrinterStatus | None = None

    # -- life --

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-print", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        else:
            self._close_store()  # used without a thread (tests, tools)

    def wake(self, *, check_status: bool = False) -> None:
        if check_status:
            self._status_checked_at = None
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:
                # A bug in one pass must not stop receipts for the rest of the day.
                log.exception("print worker pass failed")
                self._close_store()
            self._wake.wait(self.settings.poll_s)
            self._wake.clear()
        self._close_store()  # on this thread: sqlite connections belong to their thread

    # -- one pass --

    def run_once(self) -> list[PrintOutcome]:
        """Print every queued job, then refresh the printer status if it is due."""
        jobs, alerts = self._stores()
        self._purge_if_due(jobs)
        outcomes = [self._print(jobs, alerts, job) for job in jobs.due()]
        outcomes = [outcome for outcome in outcomes if outcome is not None]
        due = self._status_checked_at is None or (
            self._clock() - self._status_checked_at >= self.settings.status_interval_s
        )
        if due and not outcomes:
            self._note_status(alerts, self._current_status())
        return outcomes

    def _print(self, jobs: PrintJobs, alerts: Alerts, job: PrintJob) -> PrintOutcome | None:
        with jobs.transaction():
            if not jobs.start(job.id):
                return None  # claimed or finished meanwhile
        # Whatever fails from here on, the resident's screen hears how it ended: a
        # screen left on "Printing your receipt…" offers them nothing to do.
        state, status, preview = UNCERTAIN, PrinterStatus.OFFLINE, None
        try:
            state, status, preview = self._print_claimed(jobs, job)
            log.info("receipt %s job %d: %s (%s)", job.reference, job.id, state, status.value)
        except Exception:
            log.exception("receipt %s job %d: could not record how it ended", job.reference, job.id)
        finally:
            outcome = PrintOutcome(job.id, job.reference, state, status, preview)
            self._on_outcome(outcome)
        try:
            self._note_status(alerts, status)
        except Exception:
            log.exception("could not record the printer status")
        return outcome

    def _print_claimed(self, jobs: PrintJobs, job: PrintJob):
        printer = self._printer()
        if printer is None:
            with jobs.transaction():
                jobs.fail(job.id, "no printer connected")
            return FAILED, PrinterStatus.OFFLINE, None
        try:
            document = self._document(jobs, job, printer)
        except Exception as error:
            # Nothing was sent: a job we cannot lay out waits for a technician.
            log.error("receipt %s cannot be laid out: %s", job.reference, type(error).__name__)
            with jobs.transaction():
                jobs.fail(job.id, f"cannot lay out the receipt: {type(error).__name__}")
            return FAILED, self._current_status(printer), None
        state, status = self._send(jobs, job, printer, document)
        preview = None
        if state == PRINTED and self.settings.preview_dir is not None:
            preview = self._save_preview(job, document)
        return state, status, preview

    def _send(self, jobs, job, printer, document) -> tuple[str, PrinterStatus]:
        try:
            after = printer.print_document(document)
        except PrintInterrupted as error:
            with jobs.transaction():
                jobs.interrupted(job.id, str(error))
            return UNCERTAIN, error.status
        except PrinterError as error:
            with jobs.transaction():
                jobs.fail(job.id, error.status.value)
            return FAILED, error.status
        except Exception as error:
            # Something unexpected mid-job: part of it may be on paper.
            log.exception("printer failed during receipt %s", job.reference)
            with jobs.transaction():
                jobs.interrupted(job.id, f"printer error: {type(error).__name__}")
            return UNCERTAIN, PrinterStatus.OFFLINE
        with jobs.transaction():
            jobs.finish(job.id)
        return PRINTED, after

    def _document(self, jobs: PrintJobs, job: PrintJob, printer) -> ReceiptDocument:
        return build_print_job(
            jobs.document(job.id),
            self._translate,
            columns=printer.columns,
            reprint=job.reprint_of is not None,
        )

    def _translate(self, language: str) -> Callable[[str], str]:
        if language not in self._translators:
            try:
                self._translators[language] = Translator(language)
            except MissingCatalogue:
                log.error("no receipt catalogue for %s; printing in English", language)
                self._translators[language] = Translator("en")
        return self._translators[language].gettext

    def _purge_if_due(self, jobs: PrintJobs) -> None:
        retention = self.settings.retention
        now = self._clock()
        if retention is None or (
            self._purged_at is not None and now - self._purged_at < self.settings.purge_interval_s
        ):
            return
        self._purged_at = now
        cutoff = datetime.datetime.now(datetime.UTC) - retention
        with jobs.transaction():
            purged = jobs.purge(cutoff.isoformat())
        if purged:
            log.info("forgot %d finished receipt job(s) older than %s", purged, retention)

    # -- status --

    def _current_status(self, printer: ReceiptPrinterDriver | None = None) -> PrinterStatus:
        printer = printer or self._printer()
        if printer is None:
            return PrinterStatus.OFFLINE
        try:
            return printer.status()
        except Exception:
            log.exception("printer status query failed")
            return PrinterStatus.OFFLINE

    def _note_status(self, alerts: Alerts, status: PrinterStatus) -> None:
        self._status_checked_at = self._clock()
        if status is PrinterStatus.PAPER_NEAR_END:
            # One alert per roll: it stays active until a technician acknowledges it.
            alerts.raise_once(PRINTER_PAPER_NEAR_END, "the receipt paper is nearly used up")
        if status != self.last_status:
            self.last_status = status
            self._on_status(status)

    # -- demo preview --

    def _save_preview(self, job: PrintJob, document: ReceiptDocument) -> Path | None:
        from escpos.printer import Dummy

        from drivers.printer.render import save_png

        directory = self.settings.preview_dir
        try:
            directory.mkdir(parents=True, exist_ok=True)
            printer = Dummy()
            render_escpos(document, printer)
            path = directory / f"receipt-{job.id}.png"
            save_png(printer.output, path, width_px=document.columns * 12)
            for old in sorted(directory.glob("receipt-*.png"), key=_job_number)[:-PREVIEWS_KEPT]:
                old.unlink(missing_ok=True)
            return path
        except Exception:
            log.exception("could not save the receipt picture")
            return None

    # -- store --

    def _stores(self) -> tuple[PrintJobs, Alerts]:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def _close_store(self) -> None:
        if self._store is not None:
            try:
                self._store[0].close()
            except Exception:
                log.exception("closing the print store failed")
            self._store = None


def _job_number(path: Path) -> int:
    try:
        return int(path.stem.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return -1

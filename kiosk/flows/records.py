"""Public records and council meetings: search the agendas, minutes and documents the
portal serves, read one page by page in large text, and print a summary or a page.

Printing a public document is not a submission: nothing goes to the city, nothing
needs proving later, and it must not count against the queue that payments check. So
it skips the outbox and goes straight into the durable print jobs (offline/
print_jobs.py) as a document print-out (kiosk/receipts.py ``Printout``). The worker's
outcome comes back like a receipt's (``model.receipt_job_id``), and a print-out still
waiting when the visit ends is withdrawn like one.

Every record opened is kept in the kiosk's cache, and so is the newest list of each
type, so a resident can still read them while the portal is down.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import sqlite3

from drivers.printer.interface import PrinterStatus
from kiosk.flows.base import Flow
from kiosk.flows.fetching import Fetched, fetch_kept
from kiosk.flows.public_content import long_date, text
from kiosk.i18n import N_
from kiosk.portal_client import PortalNotFound, PortalRejected
from kiosk.receipt_flow import PRINTER_PROBLEMS
from kiosk.receipts import Printout
from offline.print_jobs import FAILED, PRINTED, PRINTING, UNCERTAIN

log = logging.getLogger(__name__)

RECORDS, RECORD = "records", "record"
RECORD_TYPES = ("agenda", "minutes", "document")
MEETING_TYPES = ("agenda", "minutes")
TYPE_LABELS = {"agenda": N_("Agendas"), "minutes": N_("Minutes"), "document": N_("Documents")}
TYPE_NAMES = {"agenda": N_("Agenda"), "minutes": N_("Minutes"), "document": N_("Document")}
# (key, label, days back); None: any date, upcoming meetings included.
PERIODS = (
    ("any", N_("Any date"), None),
    ("month", N_("Last 30 days"), 30),
    ("year", N_("Last 12 months"), 365),
)
MAX_WORDS_LENGTH = 100

SEARCH_MESSAGES = {
    "": N_("Type words to look for, or choose a type and a date."),
    "searching": N_("Searching…"),
    "none": N_("No document matches. Try other words, another type, or any date."),
    "unavailable": N_("The city's documents cannot be searched right now. Please try again later."),
    "refused": N_("We could not search with these words. Please try other words."),
}
RECORD_MESSAGES = {
    "loading": N_("Opening the document…"),
    "not_found": N_("We could not find this document. It may have been removed."),
    "unavailable": N_("This document cannot be opened right now. Please try again later."),
}
FROM_CACHE = N_("Saved earlier at this kiosk: the city's service is not answering right now.")
NO_PRINTER = N_("This kiosk has no printer.")
PRINT_NOT_SAVED = N_("It could not be sent to the printer. Please try again.")
PRINT_MESSAGES = {
    PRINTING: N_("Printing…"),
    PRINTED: N_("Printed. Please take it from the printer."),
    UNCERTAIN: N_("The printer stopped while printing. Part of it may be missing."),
}
_PRINTER_FAULTS = (PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN, PrinterStatus.OFFLINE)


def latest_cache_key(types: tuple[str, ...]) -> str:
    return "records.latest:" + ",".join(sorted(types) or ["all"])


class RecordsFlow(Flow):
    name = "records"
    service_ids = ("records", "meetings")
    screens = (RECORDS, RECORD)

    def __init__(self, model):
        # Never reset: an answer for an earlier search or visit must not be taken for
        # the current one.
        self._asks = itertools.count(1)
        super().__init__(model)

    def reset(self) -> None:
        self.service_id = "records"
        self.words = ""
        self.types: tuple[str, ...] = ()
        self.period = "any"
        self.search_state = ""  # "" | searching | found | none | unavailable | refused
        self.results: list[dict] = []
        self.results_from_cache = False
        self.record: dict | None = None
        self.record_state = ""  # "" | loading | ready | not_found | unavailable
        self.record_from_cache = False
        self.page = 0
        self.print_problem = ""  # untranslated: why nothing could be printed
        self._print_job_id: int | None = None
        self._waiting_for = 0

    def open(self, service_id: str) -> None:
        if service_id != self.service_id or self.search_state == "":
            self.service_id = service_id
            self.types = MEETING_TYPES if service_id == "meetings" else ()
            self.period = "any"
        self.go(RECORDS)
        self.search()

    def title(self) -> str:
        service = self.model.selected_service
        if service is not None and service.id in self.service_ids:
            return self.model.service_title(service)
        return self._("Public records")

    # -- searching --

    def type_words(self, words: str) -> None:
        self.session.record_activity()
        words = words[:MAX_WORDS_LENGTH]
        if words != self.words:
            self.words = words
            self.remember("words", words)
            self.changed()

    def toggle_type(self, record_type: str) -> None:
        if record_type not in RECORD_TYPES:
            raise ValueError(record_type)
        chosen = set(self.types) ^ {record_type}
        self.types = tuple(t for t in RECORD_TYPES if t in chosen)
        self.search()

    def choose_period(self, period: str) -> None:
        if period not in {key for key, _label, _days in PERIODS}:
            raise ValueError(period)
        self.period = period
        self.search()

    def _criteria(self) -> dict:
        days = next(days for key, _label, days in PERIODS if key == self.period)
        today = datetime.date.today()
        return {
            "words": " ".join(self.words.split()),
            "types": self.types,
            "date_from": (today - datetime.timedelta(days=days)).isoformat() if days else None,
            "date_to": today.isoformat() if days else None,
        }

    def search(self) -> None:
        criteria = self._criteria()
        ask = self._waiting_for = next(self._asks)
        self.search_state = "searching"
        self.session.record_activity()
        self.changed()
        # Only the plain newest list of a type is kept: what residents type is not.
        plain = not criteria["words"] and criteria["date_from"] is None
        key = latest_cache_key(self.types) if plain else None
        portal = self.model.portal
        fetch_kept(
            self.model,
            key,
            lambda: portal.search_records(**criteria),
            lambda fetched: self._found(ask, fetched),
        )

    def _found(self, ask: int, fetched: Fetched) -> None:
        if ask != self._waiting_for:
            return  # a newer search, or the visit ended
        if isinstance(fetched.value, list):
            self.results = [r for r in fetched.value if isinstance(r, dict) and r.get("id")]
            self.results_from_cache = fetched.from_cache
            self.search_state = "found" if self.results else "none"
        else:
            self.results = []
            refused = isinstance(fetched.error, PortalRejected)
            self.search_state = "refused" if refused else "unavailable"
        self.changed()
        self.say(self.search_text())

    def search_text(self) -> str:
        if self.search_state == "found":
            count = len(self.results)
            found = self.ngettext(
                "We found {n} document.", "We found {n} documents.", count
            ).format(n=count)
            return f"{found} {self._(FROM_CACHE)}" if self.results_from_cache else found
        return self._(SEARCH_MESSAGES[self.search_state])

    def result_lines(self, record: dict) -> tuple[str, str, str]:
        """(title, "Agenda · 27 November 2026", summary) in the resident's language."""
        language = self.model.language
        return (
            text(record.get("title"), language),
            self.kind_and_date(record),
            text(record.get("summary"), language),
        )

    def kind_and_date(self, record: dict) -> str:
        kind = self._(TYPE_NAMES.get(record.get("type"), TYPE_NAMES["document"]))
        day = long_date(record.get("date"), self.model.language)
        return f"{kind} · {day}" if day else kind

    # -- reading one --

    def open_record(self, record_id: str) -> None:
        ask = self._waiting_for = next(self._asks)
        self.record, self.record_state, self.page = None, "loading", 0
        self.record_from_cache = False
        self.print_problem, self._print_job_id = "", None
        self.go(RECORD)
        portal = self.model.portal
        fetch_kept(
            self.model,
            f"record:{record_id}",
            lambda: portal.record(record_id),
            lambda fetched: self._opened(ask, fetched),
        )

    def _opened(self, ask: int, fetched: Fetched) -> None:
        if ask != self._waiting_for:
            return
        record = fetched.value
        if isinstance(record, dict) and isinstance(record.get("pages"), list):
            self.record, self.record_state = record, "ready"
            self.record_from_cache = fetched.from_cache
        elif isinstance(fetched.error, PortalNotFound):
            self.record_state = "not_found"
        else:
            self.record_state = "unavailable"
        self.changed()
        self.say(self.describe(RECORD))

    def back_to_results(self) -> None:
        self._waiting_for = next(self._asks)  # an answer still coming is not wanted now
        self.go(RECORDS)

    def record_text(self) -> str:
        """What to say instead of the record, or "" when it is shown."""
        if self.record_state == "ready":
            return self._(FROM_CACHE) if self.record_from_cache else ""
        return self._(RECORD_MESSAGES.get(self.record_state, RECORD_MESSAGES["unavailable"]))

    @property
    def page_count(self) -> int:
        return len(self.record["pages"]) if self.record else 0

    def page_text(self) -> str:
        if not self.record or not self.page_count:
            return ""
        return text(self.record["pages"][self.page], self.model.language)

    def page_label(self) -> str:
        return self._("Page {page} of {pages}").format(page=self.page + 1, pages=self.page_count)

    def summary(self) -> str:
        return text(self.record.get("summary"), self.model.language) if self.record else ""

    def turn_page(self, step: int) -> None:
        page = self.page + step
        if self.record and 0 <= page < self.page_count:
            self.page = page
            self.print_problem, self._print_job_id = "", None
            self.session.record_activity()
            self.changed()
            self.say(self.describe(RECORD))

    # -- printing --

    def print_summary(self) -> None:
        self._print(self._("Summary"), self.summary())

    def print_page(self) -> None:
        self._print(self.page_label(), self.page_text())

    def _print(self, part: str, body: str) -> None:
        model = self.model
        if not self.record:
            return
        self.session.record_activity()
        self.print_problem, self._print_job_id = "", None
        if model.print_jobs is None:
            self.print_problem = NO_PRINTER
        elif not model.printer_ready():
            self.print_problem = PRINTER_PROBLEMS[model.printer_status]
        else:
            printout = self._printout(part, body)
            try:
                with model.print_jobs.transaction():
                    job = model.print_jobs.add(self.record["id"], printout.to_dict())
            except sqlite3.Error:
                log.exception("could not queue the print-out of %s", self.record["id"])
                self.print_problem = PRINT_NOT_SAVED
            else:
                self._print_job_id = model.receipt_job_id = job
                model._receipt_printing()
        self.changed()
        self.say(self.print_text())

    def _printout(self, part: str, body: str) -> Printout:
        model, record = self.model, self.record
        return Printout(
            city=model.city_name(),
            kiosk_id=model.config.get("kiosk", "id"),
            location=model.config.get("kiosk", "location"),
            when=datetime.datetime.now(),
            title=text(record.get("title"), model.language),
            kind_and_date=self.kind_and_date(record),
            part=part,
            body=body,
            url=record.get("url") if isinstance(record.get("url"), str) else None,
            language=model.language,
        )

    def print_text(self) -> str:
        if self.print_problem:
            return self._(self.print_problem)
        model = self.model
        if self._print_job_id is None or model.receipt_job_id != self._print_job_id:
            return ""
        if model.receipt_state == FAILED:
            problem = model.receipt_problem
            reason = PRINTER_PROBLEMS[problem] if problem in _PRINTER_FAULTS else ""
            return " ".join(
                part for part in (self._("The printer could not print it."), self._(reason)) if part
            )
        message = PRINT_MESSAGES.get(model.receipt_state)
        return self._(message) if message else ""

    def describe(self, screen: str) -> str:
        if screen == RECORD:
            parts = [self.record_text()]
            if self.record:
                parts += [
                    self.result_lines(self.record)[0] + ".",
                    self.kind_and_date(self.record) + ".",
                    self.page_label() + ".",
                ]
                if self.page == 0:
                    parts.append(self._("Summary") + ": " + self.summary())
                parts += [self.page_text(), self.print_text()]
            return " ".join(part for part in parts if part)
        parts = [self.title() + ".", self.search_text()]
        for record in self.results:
            title, kind_and_date, _summary = self.result_lines(record)
            parts.append(f"{title}, {kind_and_date}.")
        return " ".join(part for part in parts if part)

"""Public records and council meetings in the model, against the reference portal:
search, read page by page, print a summary or a page on the simulated printer, and
what the resident is told when the portal, the record or the printer fails."""

from __future__ import annotations

import datetime

import pytest

from drivers.printer.interface import PrinterStatus
from kiosk.flows.records import RECORD, RECORDS
from kiosk.model import ATTRACT, HOME
from kiosk.receipts import Printout, build_print_job
from tests.core.content_kiosk import ContentKiosk

AGENDA = "agenda-council-next"


@pytest.fixture
def kiosk(tmp_path, clock, portal):
    kiosk = ContentKiosk(tmp_path, clock, portal)
    yield kiosk
    kiosk.close()


def flow_of(kiosk):
    return kiosk.model.flows["records"]


def result_ids(flow) -> list[str]:
    return [record["id"] for record in flow.results]


def test_meetings_open_on_the_newest_agendas_and_minutes(kiosk):
    kiosk.model.open_service("meetings")
    flow = flow_of(kiosk)

    assert kiosk.model.screen == RECORDS and flow.types == ("agenda", "minutes")
    assert flow.search_state == "found" and result_ids(flow)[0] == AGENDA
    assert {record["type"] for record in flow.results} == {"agenda", "minutes"}
    spoken = kiosk.model.describe()
    assert spoken.startswith("Council meetings. We found 5 documents.")
    assert "City council meeting: agenda, Agenda · " in spoken


def test_words_type_and_date_narrow_the_search(kiosk):
    kiosk.model.open_service("records")
    flow = flow_of(kiosk)
    flow.type_words("playground")
    flow.search()
    assert set(result_ids(flow)) == {AGENDA, "minutes-parks-board"}

    flow.toggle_type("minutes")
    assert result_ids(flow) == ["minutes-parks-board"]
    flow.toggle_type("minutes")
    flow.type_words("")
    flow.choose_period("month")
    assert AGENDA not in result_ids(flow)  # upcoming: not in the last 30 days
    assert "minutes-council-spring" not in result_ids(flow)


def test_a_language_switch_keeps_the_words_and_shows_spanish(kiosk):
    model = kiosk.model
    model.open_service("records")
    flow = flow_of(kiosk)
    flow.type_words("budget")
    flow.search()

    model.choose_language("es")

    assert flow.words == "budget"
    titles = [flow.result_lines(record)[0] for record in flow.results]
    assert "Borrador del presupuesto del próximo año" in titles
    assert " de " in flow.kind_and_date(flow.results[0])  # "14 de octubre de 2026"


def test_no_match_says_what_to_try(kiosk):
    kiosk.model.open_service("records")
    flow = flow_of(kiosk)
    flow.type_words("volcano")
    flow.search()

    assert flow.search_state == "none" and flow.results == []
    assert flow.search_text().startswith("No document matches.")


def test_a_record_is_read_page_by_page(kiosk):
    kiosk.model.open_service("meetings")
    flow = flow_of(kiosk)
    flow.open_record(AGENDA)

    assert kiosk.model.screen == RECORD and flow.record_state == "ready"
    assert flow.page_label() == "Page 1 of 3" and flow.summary().startswith("The council")
    flow.turn_page(1)
    assert flow.page_text().startswith("3. Public hearing")
    flow.turn_page(1)
    flow.turn_page(1)  # no page 4
    assert flow.page_label() == "Page 3 of 3"
    assert "Page 3 of 3." in kiosk.model.describe()
    flow.back_to_results()
    assert kiosk.model.screen == RECORDS and result_ids(flow)[0] == AGENDA


def test_a_record_that_is_gone_says_so(kiosk):
    kiosk.model.open_service("records")
    flow = flow_of(kiosk)
    flow.open_record("minutes-1999")

    assert flow.record_state == "not_found" and flow.record is None
    assert flow.record_text() == "We could not find this document. It may have been removed."


def test_with_the_portal_down_what_was_seen_before_is_still_there(tmp_path, clock, portal):
    first = ContentKiosk(tmp_path, clock, portal)
    first.model.open_service("meetings")
    flow_of(first).open_record(AGENDA)
    first.close()

    kiosk = ContentKiosk(tmp_path, clock, portal, up=False)
    try:
        kiosk.model.open_service("meetings")
        flow = flow_of(kiosk)
        assert flow.search_state == "found" and result_ids(flow)[0] == AGENDA
        assert "Saved earlier at this kiosk" in flow.search_text()
        flow.type_words("snow")
        flow.search()
        assert flow.search_state == "unavailable"
        assert flow.search_text().startswith("The city's documents cannot be searched")
        flow.open_record(AGENDA)
        assert flow.record_state == "ready" and flow.page_count == 3
        assert flow.record_text().startswith("Saved earlier")
        flow.open_record("doc-snow-ordinance")  # never opened here
        assert flow.record_state == "unavailable"
        assert flow.record_text().startswith("This document cannot be opened right now")
    finally:
        kiosk.close()


def test_a_page_is_printed_on_the_receipt_printer_and_nothing_is_queued(kiosk):
    model = kiosk.model
    model.open_service("meetings")
    flow = flow_of(kiosk)
    flow.open_record(AGENDA)
    flow.turn_page(1)

    flow.print_page()
    assert flow.print_text() == "Printing…"
    kiosk.worker.run_once()

    assert flow.print_text() == "Printed. Please take it from the printer."
    [paper] = kiosk.paper()
    text = " ".join(paper)
    assert "City council meeting: agenda" in text and "Page 2 of 3" in text
    assert "3. Public hearing: the new park on River Street." in text
    assert "Reference" not in text  # a public document, not a resident's receipt
    assert kiosk.outbox.counts()["pending"] == 0

    flow.print_summary()
    kiosk.worker.run_once()
    summary = " ".join(kiosk.paper()[-1])
    assert "Summary" in summary and "The council will vote on next year's budget" in summary


def test_out_of_paper_is_said_before_printing_when_known(kiosk):
    kiosk.printer.set_status(PrinterStatus.PAPER_OUT)
    kiosk.worker.run_once()  # the worker's status check tells the model
    flow = flow_of(kiosk)
    kiosk.model.open_service("records")
    flow.open_record("doc-trash-rules")

    flow.print_page()

    assert flow.print_text() == "The receipt printer is out of paper."
    assert kiosk.jobs.recent() == []


def test_out_of_paper_found_while_printing_is_explained(kiosk):
    flow = flow_of(kiosk)
    kiosk.model.open_service("records")
    flow.open_record("doc-trash-rules")
    flow.print_page()
    kiosk.printer.set_status(PrinterStatus.PAPER_OUT)  # the roll ran out meanwhile

    kiosk.worker.run_once()

    assert flow.print_text() == (
        "The printer could not print it. The receipt printer is out of paper."
    )
    assert kiosk.paper() == []


def test_a_kiosk_without_a_printer_says_so(tmp_path, clock, portal):
    kiosk = ContentKiosk(tmp_path, clock, portal, printer=False)
    try:
        kiosk.model.open_service("records")
        flow = flow_of(kiosk)
        flow.open_record("doc-trash-rules")
        flow.print_summary()
        assert flow.print_text() == "This kiosk has no printer."
    finally:
        kiosk.close()


def test_taking_the_card_out_wipes_the_search_and_drops_a_late_answer(kiosk):
    model = kiosk.model
    waiting = []
    model.open_service("records")
    flow = flow_of(kiosk)
    flow.type_words("budget")
    flow.search()
    flow.open_record("doc-budget-draft")
    flow.print_page()  # not printed yet when the resident leaves
    model._background = lambda work, done: waiting.append((work, done))
    flow.open_record(AGENDA)
    flow.back_to_results()
    flow.search()

    model.end_session("card removed")
    for work, done in waiting:  # the answer arrives after the resident left
        done(work(), None)

    assert model.screen == ATTRACT
    assert flow.words == "" and flow.results == [] and flow.record is None
    assert model.session.recall("records.words") is None
    kiosk.worker.run_once()
    assert kiosk.paper() == []  # never printed for the next person


def test_cancel_forgets_the_search_and_goes_home(kiosk):
    model = kiosk.model
    model.open_service("records")
    flow = flow_of(kiosk)
    flow.type_words("snow")
    flow.search()
    model.cancel_service()

    assert model.screen == HOME and flow.words == "" and flow.results == []


def test_a_print_out_reprinted_by_staff_says_copy_and_keeps_its_layout():
    printout = Printout(
        city="City of Lindenfield",
        kiosk_id="lib-01",
        location="Library",
        when=datetime.datetime(2026, 11, 22, 10, 30),
        title="Trash and recycling rules",
        kind_and_date="Document · 1 February 2026",
        part="Page 1 of 2",
        body="First paragraph.\n\nCall 4111 1111 1111 1111 for nothing.",
        url="https://lindenfield.example/records/doc-trash-rules",
    )
    data = printout.to_dict()

    first = build_print_job(data, lambda _language: str, columns=32)
    again = build_print_job(data, lambda _language: str, columns=32, reprint=True)

    texts = [line.text for line in first.lines]
    assert "Page 1 of 2" in texts and "" in texts  # paragraphs stay apart
    assert all(len(text) <= 32 for text in texts)
    assert not any("4111 1111 1111 1111" in text for text in texts)  # masked like receipts
    assert first.qr_data == printout.url
    assert not any("COPY" in text for text in texts)
    assert any("COPY" in line.text for line in again.lines)

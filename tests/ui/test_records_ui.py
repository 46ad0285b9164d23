"""Public records and council meetings as a resident uses them: search with the
on-screen keyboard, read a document page by page in large text, print a page."""

from __future__ import annotations

import json

import pytest
from portal_outage import labels_with, portal_down

from drivers.printer.interface import PrinterStatus

AGENDA = "agenda-council-next"
PAGE_TWO = "3. Public hearing: the new park on River Street."
PRINTED = "Printed. Please take it from the printer."


@pytest.fixture
def printer_back(kiosk):
    """The kiosk; afterwards its demo printer has paper again."""
    yield kiosk
    kiosk.model.demo_set_printer_status(PrinterStatus.OK)
    kiosk.wait_until(lambda: kiosk.model.printer_status == PrinterStatus.OK, "paper again")


def open_service(kiosk, service: str) -> None:
    if kiosk.screen == "attract":
        kiosk.tap_action("start")
    kiosk.tap_action(f"service:{service}")
    assert kiosk.screen == "records"
    wait_for_search(kiosk)


def wait_for_search(kiosk) -> None:
    flow = kiosk.model.flows["records"]
    kiosk.wait_until(lambda: flow.search_state != "searching", "the search")
    kiosk.pump()


def search_for(kiosk, words: str) -> None:
    kiosk.tap_action("keyboard")
    kiosk.tap_action("key:clear")
    for letter in words.upper():
        kiosk.tap_action(f"key:{letter}")
    kiosk.tap_action("search_records")
    wait_for_search(kiosk)


def open_record(kiosk, record_id: str) -> None:
    flow = kiosk.model.flows["records"]
    kiosk.tap_action(f"record:{record_id}")
    assert kiosk.screen == "record"
    kiosk.wait_until(lambda: flow.record_state != "loading", "the document")
    kiosk.pump()


def page_label(kiosk):
    return kiosk.app.screen("record").ids.page_text


def test_a_meeting_agenda_is_found_read_in_large_text_and_printed(printer_back):
    kiosk = printer_back
    open_service(kiosk, "meetings")
    assert "Council meetings" in kiosk.texts()
    assert labels_with(kiosk, "City council meeting: minutes")

    search_for(kiosk, "playground")
    assert "We found 2 documents." in kiosk.texts()
    open_record(kiosk, AGENDA)
    assert "City council meeting: agenda" in kiosk.texts() and "Page 1 of 3" in kiosk.texts()
    kiosk.tap_action("next_page")
    assert page_label(kiosk).text.startswith(PAGE_TWO)

    label = page_label(kiosk)
    size, height = label.font_size, label.texture_size[1]
    kiosk.tap_action("large_text")
    kiosk.pump()
    assert label.font_size > size and label.texture_size[1] > height  # reflowed, taller
    scroll = kiosk.app.screen("record").ids.page_scroll
    assert label.text_size[0] == label.width <= scroll.width  # wrapped to fit, never cut

    items_before = kiosk.model.outbox.counts()
    kiosk.tap_action("print_page")
    kiosk.wait_until(lambda: PRINTED in kiosk.texts(), "the page to print")
    assert kiosk.model.outbox.counts() == items_before  # printing sends nothing to the city


def test_a_search_that_finds_nothing_says_what_to_try(kiosk):
    open_service(kiosk, "records")
    search_for(kiosk, "zzz")

    assert labels_with(kiosk, "No document matches. Try other words")
    assert not [w for w in kiosk.widgets() if str(getattr(w, "action", "")).startswith("record:")]


def test_a_document_removed_meanwhile_is_explained(kiosk):
    store = kiosk.runtime.demo_portal.store
    [row] = store.query("SELECT id, type, date, body FROM public_records WHERE id = ?", (AGENDA,))
    open_service(kiosk, "meetings")
    store.query("DELETE FROM public_records WHERE id = ?", (AGENDA,))
    try:
        open_record(kiosk, AGENDA)
        assert "We could not find this document. It may have been removed." in kiosk.texts()
        assert kiosk.app.screen("record").ids.page_text.text == ""
        kiosk.tap_action("back_to_results")
        assert kiosk.screen == "records"
    finally:
        store.query("INSERT INTO public_records (id, type, date, body) VALUES (?, ?, ?, ?)", row)


def test_with_the_portal_down_searching_is_explained_and_read_documents_stay(kiosk):
    open_service(kiosk, "records")
    open_record(kiosk, "doc-trash-rules")  # read once: a copy is kept
    kiosk.tap_action("back_to_results")
    with portal_down(kiosk):
        search_for(kiosk, "snow")
        assert labels_with(kiosk, "The city's documents cannot be searched right now.")
        search_for(kiosk, "")  # the newest documents, as last listed here
        assert labels_with(kiosk, "Saved earlier at this kiosk")
        open_record(kiosk, "doc-trash-rules")
        assert "Trash and recycling rules" in kiosk.texts()
        assert labels_with(kiosk, "Put bins at the curb by 7 am")


def test_out_of_paper_is_said_when_printing_a_page(printer_back):
    kiosk = printer_back
    kiosk.model.demo_set_printer_status(PrinterStatus.PAPER_OUT)
    kiosk.wait_until(
        lambda: kiosk.model.printer_status == PrinterStatus.PAPER_OUT, "the printer to report"
    )
    open_service(kiosk, "records")
    open_record(kiosk, "doc-budget-draft")

    kiosk.tap_action("print_page")

    assert "The receipt printer is out of paper." in kiosk.texts()
    assert PRINTED not in kiosk.texts()


def test_a_language_switch_keeps_the_search_text(kiosk):
    open_service(kiosk, "records")
    search_for(kiosk, "budget")

    kiosk.tap_action("language:es")

    assert kiosk.app.screen("records").ids.words.text == "budget"
    assert labels_with(kiosk, "Borrador del presupuesto del próximo año")


def test_taking_the_card_out_mid_document_wipes_the_visit(kiosk):
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.tap_action(f"demo_card:{next(i for i, x in enumerate(labels) if '(uid)' in x)}")
    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    open_service(kiosk, "records")
    search_for(kiosk, "budget")
    open_record(kiosk, "doc-budget-draft")

    kiosk.model.demo_remove_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the end of the visit")

    flow = kiosk.model.flows["records"]
    assert flow.words == "" and flow.record is None
    open_service(kiosk, "records")
    assert kiosk.app.screen("records").ids.words.text == ""
    assert json.dumps(kiosk.model.session.entered).find("budget") == -1


def test_typing_a_word_leaves_the_list_shown_where_it_was(kiosk):
    open_service(kiosk, "records")
    screen = kiosk.app.screen("records")
    listed = list(screen.ids.results.children)
    assert listed, "the latest records are listed on arrival"
    chips = list(screen.ids.filters.children)

    kiosk.tap_action("keyboard")
    kiosk.tap_action("key:B")

    assert kiosk.model.flows["records"].words == "b"
    # The same buttons, not a rebuilt list thrown back to its top at every key.
    assert list(screen.ids.results.children) == listed
    assert list(screen.ids.filters.children) == chips
    kiosk.tap_action("record_period")  # a filter really changes what is shown
    assert list(screen.ids.filters.children) != chips

"""The tour's part for public records and council meetings (see
screens/tour_support.py): the search, a document page by page, in large text, and
a page printed."""

from __future__ import annotations

from collections.abc import Iterator

from screens.tour_support import until


def tour_records(model) -> Iterator[str]:
    language = model.language
    flow = model.flows["records"]
    model.open_service("meetings")
    yield from until(lambda: flow.search_state != "searching")
    yield f"{language}-31a-meetings"
    flow.type_words("parque" if language == "es" else "park")
    flow.toggle_type("document")
    yield from until(lambda: flow.search_state != "searching")
    yield f"{language}-31b-records-search"
    flow.type_words("zzz")
    flow.search()
    yield from until(lambda: flow.search_state != "searching")
    yield f"{language}-31c-records-none"
    flow.type_words("")
    flow.search()
    yield from until(lambda: flow.search_state != "searching")
    if not flow.results:
        return
    flow.open_record(flow.results[0]["id"])
    yield from until(lambda: flow.record_state != "loading")
    yield f"{language}-31d-record"
    flow.turn_page(1)
    model.toggle_large_text()
    yield f"{language}-31e-record-large-text"
    model.toggle_large_text()
    flow.print_page()
    yield from until(lambda: model.receipt_state not in ("", "printing"))
    yield f"{language}-31f-record-printed"
    flow.open_record("no-such-record")
    yield from until(lambda: flow.record_state != "loading")
    yield f"{language}-31g-record-not-found"
    model.cancel_service()

"""The tour's part for Help (see screens/tour_support.py): how to use the kiosk, a
search of the questions and answers, and a call for help."""

from __future__ import annotations

from collections.abc import Iterator

from offline.alerts import HELP_REQUESTED
from screens.tour_support import until


def tour_help(model) -> Iterator[str]:
    language = model.language
    flow = model.flows["help"]
    model.open_service("help")
    yield from until(lambda: flow.content_state != "loading")
    yield f"{language}-32a-help"
    flow.search("recibo" if language == "es" else "receipt")
    yield f"{language}-32b-help-search"
    flow.search("zzz")
    yield f"{language}-32c-help-no-match"
    flow.search("")
    # The first language's call is answered; the next, minutes later, hears it is coming.
    flow.call_for_help()
    yield f"{language}-32d-help-called"
    if model.alerts is not None:
        # Nobody should walk over to a kiosk that is only being photographed.
        model.alerts.acknowledge(HELP_REQUESTED)
    flow.close()

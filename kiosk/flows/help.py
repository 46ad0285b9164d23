"""Help: how to use the kiosk, the city's questions and answers and glossary
(searchable, and kept for offline use once loaded), and "Call for help".

The Help button of the bar opens it from any screen (``model.open_help``) and Back
returns there, with what the resident entered untouched; the catalogue's "help"
service opens it too. A call for help is queued for the portal as a ``help_request``
item (which kiosk, when, on which screen; nothing about the resident) and raises the
``help_requested`` alert that staff see on the kiosk. Either is enough for staff to
learn of it, so the call works offline. A second call within a few minutes, even
from the next resident, only says help is on its way: staff are not sent twice.
"""

from __future__ import annotations

import logging
import sqlite3

from kiosk.catalogue import normalise
from kiosk.flows.base import Flow
from kiosk.flows.fetching import Fetched, fetch_kept
from kiosk.flows.public_content import text
from kiosk.i18n import N_
from offline.alerts import HELP_REQUESTED

log = logging.getLogger(__name__)

HELP = "help"
HELP_REQUEST_KIND = "help_request"
HELP_CONTENT_CACHE_KEY = "help_content"
# "A few minutes": long enough for staff to walk over, short enough to ask again.
REPEAT_CALL_S = 300
CONTENT_REFRESH_S = 300
MAX_QUERY_LENGTH = 100

HELP_LINES = (
    N_("Touch a service to start it. Touch Back to go back."),
    N_("Touch Speech to hear the screen read aloud."),
    N_("Touch Larger text to make the words bigger."),
    N_("Touch Contrast for white and yellow text on black."),
    N_("Touch Finish when you are done. We clear your information."),
    N_("Staff at the front desk can help you."),
)
CALL_MESSAGES = {
    "called": N_("Staff have been told. Someone is coming to help you. Please stay here."),
    "already": N_(
        "Help is already on its way. Please stay here. If nobody comes in a few minutes, "
        "please ask at the front desk."
    ),
    "failed": N_("We could not call staff from this kiosk. Please ask at the front desk."),
}
CONTENT_UNAVAILABLE = N_(
    "Questions and answers cannot be loaded right now. You can still call for help."
)
NO_MATCH = N_("No answer matches your words. Try another word, or call for help.")


class HelpFlow(Flow):
    name = "help"
    service_ids = ("help",)
    screens = (HELP,)

    def __init__(self, model):
        # Public content and the last call outlive a visit: they are not the resident's.
        self.content: dict = {"faq": [], "glossary": []}
        self.content_state = "loading"  # loading | ready | unavailable
        self.content_from_cache = False
        self._content_loaded_at: float | None = None
        self._loading = False
        self._called_at: float | None = None
        self._searched: tuple[str, str] | None = None  # (query, language)
        self._searched_in: dict | None = None  # the content searched
        self._matches: tuple[list, list] = ([], [])
        super().__init__(model)
        model.subscribe(self._on_model_change)

    def reset(self) -> None:
        self.query = ""
        self.call_state = ""  # "" | called | already | failed

    def open(self, service_id: str) -> None:
        self.model.open_help()

    def close(self) -> None:
        """Back where the resident was, with what they entered there."""
        self.model.close_help()

    # -- the questions and answers --

    def _on_model_change(self, topic: str) -> None:
        # Loaded with the catalogue, so help works offline even for the first resident
        # who needs it; refreshed when help is shown.
        if topic == "catalogue" or (topic == "screen" and self.model.screen == HELP):
            self.load_if_stale()

    def load_if_stale(self) -> None:
        loaded_at = self._content_loaded_at
        fresh = (
            self.content_state == "ready"
            and not self.content_from_cache
            and loaded_at is not None
            and self.model._clock() - loaded_at < CONTENT_REFRESH_S
        )
        if not (fresh or self._loading):
            self.load()

    def load(self) -> None:
        self._loading = True
        portal = self.model.portal
        fetch_kept(
            self.model,
            HELP_CONTENT_CACHE_KEY,
            lambda: portal.help_content(),
            self._content_arrived,
        )

    def _content_arrived(self, fetched: Fetched) -> None:
        self._loading = False
        if isinstance(fetched.value, dict):
            self.content = {
                "faq": list(fetched.value.get("faq") or ()),
                "glossary": list(fetched.value.get("glossary") or ()),
            }
            self.content_state = "ready"
            self.content_from_cache = fetched.from_cache
            self._content_loaded_at = self.model._clock()
        elif self.content_state != "ready":
            self.content_state = "unavailable"
        self.changed()

    def search(self, query: str) -> None:
        self.session.record_activity()
        query = query[:MAX_QUERY_LENGTH]
        if query != self.query:
            self.query = query
            self.remember("query", query)
            self.changed()

    def questions(self) -> list[tuple[str, str]]:
        """(question, answer) pairs matching the search, in the resident's language."""
        return list(self._found()[0])

    def glossary(self) -> list[tuple[str, str]]:
        """(term, meaning) pairs matching the search, in the resident's language."""
        return list(self._found()[1])

    def _found(self) -> tuple[list, list]:
        # A redraw asks for the matches more than once (the notice says whether there
        # are any): search once for each query, language and content.
        searched = (self.query, self.model.language)
        if searched != self._searched or self._searched_in is not self.content:
            self._searched, self._searched_in = searched, self.content
            self._matches = (
                self._matching(self.content["faq"], "question", "answer"),
                self._matching(self.content["glossary"], "term", "meaning"),
            )
        return self._matches

    def _matching(self, entries: list, first: str, second: str) -> list[tuple[str, str]]:
        language = self.model.language
        terms = normalise(self.query).split()
        found = []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            pair = (text(entry.get(first), language), text(entry.get(second), language))
            # English too, like the catalogue: many residents know the English word.
            english = (text(entry.get(first), "en"), text(entry.get(second), "en"))
            words = normalise(" ".join(pair + english))
            if pair[0] and all(term in words for term in terms):
                found.append(pair)
        return found

    def how_to_use(self) -> list[str]:
        return [self._(line) for line in HELP_LINES]

    def content_text(self) -> str:
        """What to say about the questions and answers, or "" when there is nothing to say."""
        if self.content_state == "unavailable":
            return self._(CONTENT_UNAVAILABLE)
        searched = self.content_state == "ready" and self.query.strip()
        if searched and not (self.questions() or self.glossary()):
            return self._(NO_MATCH)
        return ""

    # -- calling a person --

    def call_for_help(self) -> None:
        model = self.model
        now = model._clock()
        if self._called_at is not None and now - self._called_at < REPEAT_CALL_S:
            self._show_call("already")
            return
        screen, service = self._where_the_resident_is()
        request = {
            "kiosk_id": model.config.get("kiosk", "id"),
            "screen": screen,
            "service_id": service,
            "locale": model.language,
        }
        queued = self._queue(request)
        alerted = self._alert(screen, service)
        if queued or alerted:
            self._called_at = now
            log.info("help requested at screen %s", screen)
        self._show_call("called" if queued or alerted else "failed")

    def _where_the_resident_is(self) -> tuple[str, str | None]:
        model = self.model
        # The bar's Help button remembers the screen it was touched on.
        screen = model._return_screen if model.screen == HELP else model.screen
        service = model.selected_service.id if model.selected_service else None
        return screen, (None if service == "help" else service)

    def _queue(self, request: dict) -> bool:
        if self.model.outbox is None:
            return False
        try:
            self.model.queue_without_receipt(HELP_REQUEST_KIND, request)
        except sqlite3.Error:
            log.exception("could not queue the call for help")
            return False
        return True

    def _alert(self, screen: str, service: str | None) -> bool:
        alerts = self.model.alerts
        if alerts is None:
            return False
        where = f"screen {screen}" + (f", service {service}" if service else "")
        try:
            alerts.raise_alert(HELP_REQUESTED, f"a resident asked for help ({where})")
        except sqlite3.Error:
            log.exception("could not raise the help alert")
            return False
        return True

    def _show_call(self, state: str) -> None:
        self.call_state = state
        self.session.record_activity()
        self.changed()
        self.say(self.call_text())

    def call_text(self) -> str:
        return self._(CALL_MESSAGES[self.call_state]) if self.call_state else ""

    def describe(self, screen: str) -> str:
        _ = self._
        parts = [_("Help."), self.call_text()]
        if self.query.strip():
            parts.append(_("Answers for: {words}.").format(words=self.query.strip()))
            parts.append(self.content_text())
            parts.extend(f"{question} {answer}" for question, answer in self.questions())
            parts.extend(f"{term}: {meaning}." for term, meaning in self.glossary())
        else:
            parts.extend(self.how_to_use())
            parts.append(self.content_text())
            if self.content_state == "ready":
                # Read on request, not all at once: type a word to hear the answers.
                parts.append(_("Type a word to find answers to common questions."))
        parts.append(self.model.help_contact())
        if not self.call_state:
            parts.append(_("To ask a person to come, touch Call for help."))
        return " ".join(part for part in parts if part)

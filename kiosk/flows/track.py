"""Track a request: the number on a receipt, typed or scanned, or "my requests and
payments" for a resident signed in with their card.

A receipt's QR code holds its tracking address; the handheld scanner types the whole
address into the field, so the reference is taken out of it, and only from an address
of this city's receipts. What the kiosk queued itself is also known locally: while it
has not reached the city, the resident is told it is saved here and nothing is lost.
"""

from __future__ import annotations

import datetime
import itertools
import logging
import re

from babel.dates import format_date

from kiosk.flows.base import Flow
from kiosk.i18n import N_
from kiosk.money import format_money
from kiosk.portal_client import PortalError, PortalNotFound

log = logging.getLogger(__name__)

TRACK, TRACK_RESULT, TRACK_MINE = "track", "track_result", "track_mine"
MAX_TYPED = 200  # a scanned address is longer than any reference
_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,63}$")
# A kiosk reference, with or without its hyphens; Crockford base32 reads O as 0, I/L as 1.
_KIOSK_REFERENCE = re.compile(r"^K-?([0-9A-Z]{4})-?([0-9A-Z]{4})$")
_CROCKFORD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_asks = itertools.count(1)

STATUS_WORDS = {
    "open": N_("Open: the city is working on it."),
    "closed": N_("Closed: the city has finished."),
    "posted": N_("Paid: the city has received this payment."),
    "pending_activation": N_("Created: activate it with the code on your receipt."),
    "active": N_("Active."),
}
MESSAGES = {
    "": N_("Type the number on your receipt, or scan the QR code on it."),
    "checking": N_("Checking…"),
    "malformed": N_(
        "This does not look like a receipt number. It looks like K-7QPM-3XW2 or LF-000123."
    ),
    "foreign": N_(
        "This QR code is not from one of our receipts. Scan the code on your receipt, "
        "or type the number printed under it."
    ),
    "not_found": N_(
        "We could not find this number. Please check it. Something sent while a kiosk "
        "was offline can take a while to arrive."
    ),
    "unavailable": N_(
        "We cannot check this right now: the city's service is not answering. "
        "Nothing you sent is lost. Please try again later."
    ),
    "queued_here": N_(
        "This is saved at this kiosk and has not reached the city yet. It will be sent "
        "when the connection returns. Nothing is lost."
    ),
    "delivered": N_("This has reached the city. There is nothing more to follow for it."),
    "parked": N_("The city could not accept it yet. Staff will follow it up."),
}
MINE_MESSAGES = {
    "checking": N_("Looking for your requests and payments…"),
    "none": N_("We found no requests or payments for your card."),
    "unavailable": N_(
        "We cannot show your requests and payments right now: the city's service is "
        "not answering. Please try again later."
    ),
}


class TrackFlow(Flow):
    name = "track"
    service_ids = ("track_request",)
    screens = (TRACK, TRACK_RESULT, TRACK_MINE)

    def __init__(self, model):
        super().__init__(model)
        model.subscribe(self._on_topic)

    def _on_topic(self, topic: str) -> None:
        # A card inserted here offers "My requests and payments" at once.
        if topic == "identity" and self.model.screen in self.screens:
            self.changed()

    def reset(self) -> None:
        self.typed = ""
        self.state = ""  # a key of MESSAGES, or "found"
        self.item: dict | None = None
        self.mine_state = ""  # "", checking, found, none, unavailable
        self.mine: list[dict] = []
        self.from_mine = False
        self._waiting_for: int | None = None

    def open(self, service_id: str) -> None:
        self.go(TRACK)

    # -- intents --

    def type_reference(self, text: str) -> None:
        self.session.record_activity()
        text = text.strip()[:MAX_TYPED]
        if text != self.typed:
            self.typed = text
            if self.state != "checking":
                self.state = ""
            self.remember("typed", text)
            self.changed()

    def check(self) -> None:
        """The resident pressed Check (or the scanner pressed Enter)."""
        if self.state == "checking" or not self.typed:
            return
        reference, problem = self.extract_reference(self.typed)
        if reference is None:
            self._show(problem)
            return
        self.typed = reference
        self.remember("typed", reference)
        local = self._queued_here(reference)
        if self.portal is None:
            self._answered(reference, local, None, PortalError("no portal"))
            return
        ask = self._waiting_for = next(_asks)
        self.state = "checking"
        self.changed()
        key = local.idempotency_key if local else None
        self.model._background(
            lambda: self.portal.tracked(reference, locale=self.model.language, kiosk_key=key),
            lambda item, error: self._arrived(ask, reference, local, item, error),
        )

    def show_mine(self) -> None:
        identity = self.session.identity
        if identity is None:
            return
        self.from_mine = True
        self.go(TRACK_MINE)
        if self.portal is None:
            self._mine_arrived(None, identity.id_hash, None, PortalError("no portal"))
            return
        ask = self._waiting_for = next(_asks)
        self.mine_state = "checking"
        self.changed()
        self.model._background(
            lambda: self.portal.my_tracked(
                identity.profile, identity.id_hash, locale=self.model.language
            ),
            lambda items, error: self._mine_arrived(ask, identity.id_hash, items, error),
        )

    def choose(self, index: int) -> None:
        self.item = self.mine[index]
        self.go(TRACK_RESULT)

    def back(self) -> None:
        """From a result: to the list it came from, else to the number."""
        if self.model.screen == TRACK_RESULT and self.from_mine:
            self.go(TRACK_MINE)
        else:
            self.from_mine = False
            self.go(TRACK)

    # -- answers --

    def _arrived(self, ask: int, reference: str, local, item, error) -> None:
        if ask != self._waiting_for:
            return  # the visit ended, or another number was asked for since
        self._waiting_for = None
        self._answered(reference, local, item, error)

    def _answered(self, reference: str, local, item, error) -> None:
        if error is None:
            self.item, self.from_mine = item, False
            self.state = "found"
            self.go(TRACK_RESULT)
            return
        if not isinstance(error, PortalError):
            log.error("tracking failed unexpectedly", exc_info=error)
        if local is not None and local.state == "pending":
            self._show("queued_here")
        elif local is not None and local.state in ("needs_attention", "conflict"):
            self._show("parked")
        elif isinstance(error, PortalNotFound):
            self._show("delivered" if local is not None else "not_found")
        else:
            log.warning("tracking %s not possible now: %s", reference, error)
            self._show("unavailable")

    def _mine_arrived(self, ask, id_hash: str, items, error) -> None:
        identity = self.session.identity
        if ask != self._waiting_for or identity is None or identity.id_hash != id_hash:
            return
        self._waiting_for = None
        if error is not None:
            log.warning("my requests not available: %s", error)
            self.mine_state, self.mine = "unavailable", []
        else:
            self.mine = list(items)
            self.mine_state = "found" if self.mine else "none"
        self.changed()
        self.say(self.mine_text())

    def _show(self, state: str) -> None:
        self.state = state
        self.changed()
        self.say(self.message())

    def _queued_here(self, reference: str):
        """This kiosk's outbox item behind a K- reference, if it still has it."""
        outbox = self.model.outbox
        if outbox is None or not reference.startswith("K-"):
            return None
        # A paid bill's outbox item is keyed by the reference on its receipt.
        return outbox.find(reference) or outbox.find(f"payment-{reference}")

    # -- reading --

    def extract_reference(self, text: str) -> tuple[str | None, str]:
        """(reference, "") or (None, why not): "malformed" or "foreign"."""
        text = text.strip()
        if "://" in text or text.lower().startswith("www."):
            return self._from_address(text)
        cleaned = text.upper().replace(" ", "")
        kiosk = _KIOSK_REFERENCE.match(cleaned.translate(_CROCKFORD))
        if kiosk:
            return f"K-{kiosk.group(1)}-{kiosk.group(2)}", ""
        if _REFERENCE.match(cleaned):
            return cleaned, ""
        return None, "malformed"

    def _from_address(self, text: str) -> tuple[str | None, str]:
        template = self.model.tracking_url("\0")
        if not template:
            return None, "foreign"
        prefix, _, suffix = template.partition("\0")
        if not text.lower().startswith(prefix.lower()) or not text.endswith(suffix):
            return None, "foreign"
        inside = text[len(prefix) : len(text) - len(suffix) if suffix else None]
        reference, problem = self.extract_reference(inside) if "/" not in inside else (None, "")
        return (reference, "") if reference else (None, problem or "malformed")

    def message(self) -> str:
        return self._(MESSAGES.get(self.state, MESSAGES[""]))

    def mine_text(self) -> str:
        if self.mine_state == "found":
            return self.ngettext(
                "You have {n} request or payment.", "You have {n} requests and payments.",
                len(self.mine),
            ).format(n=len(self.mine))  # fmt: skip
        return self._(MINE_MESSAGES.get(self.mine_state, MINE_MESSAGES["checking"]))

    def status_text(self, status: str) -> str:
        return self._(STATUS_WORDS[status]) if status in STATUS_WORDS else status

    def date_text(self, moment: str) -> str:
        try:
            day = datetime.datetime.fromisoformat(moment).date()
        except (TypeError, ValueError):
            return ""
        return format_date(day, format="long", locale=self.model.language)

    def history_lines(self, item: dict) -> list[tuple[str, str, str]]:
        """(date, status in words, note) per step, newest first."""
        return [
            (self.date_text(entry.get("at", "")), self.status_text(entry.get("status", "")),
             entry.get("note") or "")
            for entry in reversed(item.get("history", []))
        ]  # fmt: skip

    @staticmethod
    def number(item: dict) -> str:
        """The number the resident knows it by: a payment's is on its receipt."""
        if item.get("kind") == "payment":
            return item.get("reference", "")
        return item.get("tracking_number", "")

    def item_summary(self, item: dict) -> str:
        """One line for a list: what it is, its number, where it is."""
        title = f"{item.get('title', '')} ({self.number(item)})"
        return f"{title}: {self.status_text(item.get('status', ''))}"

    def latest_note_text(self, item: dict) -> str:
        note = item.get("latest_note")
        return self._("Latest note from the city: {note}").format(note=note) if note else ""

    def amount_text(self, item: dict) -> str:
        if item.get("amount_cents") is None:
            return ""
        currency = item.get("currency") or self.model.config.get("payments", "currency")
        return format_money(item["amount_cents"], currency, self.model.language)

    def describe(self, screen: str) -> str:
        _ = self._
        if screen == TRACK:
            parts = [_("Track a request."), self.message()]
            if self.session.identity is not None:
                parts.append(_("Touch My requests and payments to see yours."))
            return " ".join(parts)
        if screen == TRACK_MINE:
            parts = [_("My requests and payments."), self.mine_text()]
            parts += [self.item_summary(item) + "." for item in self.mine]
            return " ".join(parts)
        if screen == TRACK_RESULT and self.item is not None:
            item = self.item
            parts = [item.get("title", "") + ".", self.status_text(item.get("status", ""))]
            parts.append(self.latest_note_text(item))
            for day, status, note in self.history_lines(item):
                parts.append(f"{day}: {status} {note}".strip())
            return " ".join(part for part in parts if part)
        return ""

"""The background worker that delivers the outbox to the portal.

One batch at a time, at most one item per order key in a batch, so items for the
same bill or resident arrive in the order they were made. Each item carries its
idempotency key: a batch whose answer was lost (timeout, dropped connection, kiosk
killed before it recorded the answer) is simply sent again and the portal replays
its earlier answer instead of acting twice.

Failures are classified once, here:
- no answer, 5xx, or an answer we cannot read: the whole batch stays pending; the
  worker backs off (exponential, full jitter, never less than Retry-After) and then
  probes /health before sending again, so an outage costs one recorded attempt per
  item rather than one per probe;
- per item ``retry`` (the portal is busy with that key): that item alone backs off;
- per item ``rejected``: parked as needs_attention with the portal's reason;
- per item ``conflict``: parked, never resent blindly;
- a whole batch refused as malformed: its items are resent one per batch, so the one
  bad item is parked and the others go through.

A city with an Open311 endpoint of its own (``[portal] open311_url``) gets its
``service_request`` items as GeoReport v2 POSTs instead, one at a time, classified the
same way: created -> sent; a 4xx -> needs_attention with the city's words; no answer,
5xx, 408 or 429 -> that item backs off and is resent. Open311 has no idempotency key,
so the item's key travels as ``attribute[kiosk_request_id]``, which the endpoint uses
to answer a resend with the request it already made.
"""

from __future__ import annotations

import datetime
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.open311_client import SERVICE_REQUEST_KIND, queued_request_form
from kiosk.portal_client import (
    PortalAuthError,
    PortalBadResponse,
    PortalError,
    PortalRejected,
    PortalUnavailable,
)
from offline.outbox import PENDING, Delivery, Outbox, OutboxItem, utc_now

log = logging.getLogger(__name__)

PURGE_EVERY_S = 3600
REFERENCE_FIELDS = ("payment_id", "service_request_id", "token", "survey_response_id")
# 4xx answers that mean "not now" rather than "not this".
_TRY_LATER_STATUSES = frozenset({408, 429})


class BatchPortal(Protocol):
    def submit_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]: ...

    def health(self) -> dict: ...


class Open311Poster(Protocol):
    """kiosk.open311_client.Open311Client, as the worker uses it."""

    def post_request(self, fields, attributes=None, *, locale=None): ...


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None
    counts: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None

    @property
    def pending(self) -> int:
        return self.counts.get(PENDING, 0)


@dataclass(frozen=True)
class SyncSettings:
    batch_size: int = 100
    backoff_base_s: float = 2.0
    backoff_max_s: float = 300.0
    health_interval_s: float = 30.0
    retention: datetime.timedelta = datetime.timedelta(days=30)


def backoff_delay(failures: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Full jitter: a fleet of kiosks coming back after a city-wide outage spreads
    out instead of hammering the portal in step."""
    ceiling = min(max_s, base_s * 2 ** max(failures - 1, 0))
    return rng.uniform(0, ceiling)


class SyncWorker:
    def __init__(
        self,
        open_outbox: Callable[[], Outbox],
        portal: BatchPortal,
        settings: SyncSettings = SyncSettings(),
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        open311: Open311Poster | None = None,
    ):
        self._open_outbox = open_outbox
        self._outbox: Outbox | None = None
        self._portal = portal
        # The city's own Open311 endpoint for service requests; None: the sync batch.
        self._open311 = open311
        self.settings = settings
        self._on_status = on_status
        self._rng = rng or random.Random()
        self._clock = clock
        self._failures = 0
        self._not_before = 0.0
        self._item_not_before: dict[str, float] = {}
        self._last_health = float("-inf")
        self._last_purge = float("-inf")
        self._needs_probe = False
        self.status = SyncStatus(online=None)
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # Running in the background ----------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Something was queued: try now rather than at the next poll."""
        self._not_before = min(self._not_before, self._clock())
        self._wakeup.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = self.run_once()
            except Exception:
                # A bug must not stop delivery for good; the next pass tries again.
                log.exception("sync pass failed unexpectedly")
                delay = self.settings.backoff_max_s
            if delay > 0:
                self._wakeup.wait(delay)
            self._wakeup.clear()
        if self._outbox is not None:
            self._outbox.close()

    # One pass ----------------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = self._open_outbox()
        return self._outbox

    def run_once(self) -> float:
        """Do one step of work; return how long to wait before the next (0: at once)."""
        now = self._clock()
        if now < self._not_before:
            return self._not_before - now
        self._purge_if_due(now)
        if self._needs_probe and not self._probe():
            return self._back_off(None)
        batch = self._due_batch(now)
        if not batch:
            if now - self._last_health >= self.settings.health_interval_s:
                self._probe()
            return self._idle_delay(now)
        self._send(batch)
        return 0.0 if self._failures == 0 else self._not_before - self._clock()

    def drain(self, max_passes: int = 1_000_000) -> bool:
        """Send until nothing is due, sleeping through back-offs; True if all sent.
        For tools and tests; the kiosk uses the background thread."""
        for _ in range(max_passes):
            delay = self.run_once()
            if not self.outbox.has_pending():
                return True
            if delay > 0:
                time.sleep(delay)
        return False

    def _due_batch(self, now: float) -> list[OutboxItem]:
        self._item_not_before = {
            key: when for key, when in self._item_not_before.items() if when > now
        }
        batch = self.outbox.next_batch(
            self.settings.batch_size, skip=frozenset(self._item_not_before)
        )
        unreadable = [item for item in batch if item.unreadable]
        if unreadable:
            log.error(
                "%d queued item(s) cannot be decrypted with this device's key; parked",
                len(unreadable),
            )
            self._record(
                [
                    Delivery(
                        item.idempotency_key,
                        "unreadable",
                        error="payload unreadable with "
                        "this device's key (restore the key file it was made with)",
                    )
                    for item in unreadable
                ]
            )
        return [item for item in batch if not item.unreadable]

    def _idle_delay(self, now: float) -> float:
        waits = [self.settings.health_interval_s]
        waits += [when - now for when in self._item_not_before.values()]
        return max(min(waits), 0.01)

    def _send(self, batch: list[OutboxItem]) -> None:
        if self._open311 is not None:
            for item in batch:
                if item.kind == SERVICE_REQUEST_KIND:
                    self._post_open311(item)
            batch = [item for item in batch if item.kind != SERVICE_REQUEST_KIND]
            if not batch:
                return
        try:
            results = self._portal.submit_batch([_wire(item) for item in batch])
        except PortalRejected as error:
            if len(batch) > 1:
                log.warning(
                    "portal refused a batch as malformed (%s); sending items one by one", error
                )
                for item in batch:
                    self._send([item])
                    if self._failures:
                        break
                return
            self._record(
                [Delivery(batch[0].idempotency_key, "rejected", error.status, _reason(error))]
            )
            return
        except PortalError as error:  # no usable answer: keep the items, retry later
            self._fail(batch, error)
            return
        self._succeeded()
        self._record(
            [self._delivery(item, result) for item, result in zip(batch, results, strict=True)]
        )

    def _delivery(self, item: OutboxItem, result: dict[str, Any]) -> Delivery:
        outcome, status = result["outcome"], result.get("status")
        error = result.get("error") or {}
        reason = f"{error.get('code')}: {error.get('message')}" if error else None
        if outcome in ("created", "replayed"):
            body = result.get("body") or {}
            reference = next((str(body[name]) for name in REFERENCE_FIELDS if body.get(name)), None)
            return Delivery(item.idempotency_key, outcome, status, None, reference)
        if outcome == "conflict":
            log.error(
                "portal holds a different transaction under key %s; parked", item.idempotency_key
            )
        if outcome == "retry":
            self._item_back_off(item)
        return Delivery(item.idempotency_key, outcome, status, reason)

    def _post_open311(self, item: OutboxItem) -> None:
        fields, attributes, locale = queued_request_form(item.payload, item.idempotency_key)
        key = item.idempotency_key
        try:
            posted = self._open311.post_request(fields, attributes, locale=locale)
        except PortalError as error:
            refused = error.status is not None and 400 <= error.status < 500
            if (
                refused
                and not isinstance(error, PortalAuthError)
                and error.status not in _TRY_LATER_STATUSES
            ):
                reason = getattr(error, "description", None) or str(error)
                self._record([Delivery(key, "rejected", error.status, f"open311: {reason}")])
                return
            if isinstance(error, PortalAuthError):
                log.error("the Open311 endpoint refused this kiosk's credentials: %s", error)
            outcome = "server_error" if error.status else "network"
            log.warning("Open311 delivery of %s failed: %s", item.reference, error)
            self._write([Delivery(key, outcome, error.status, str(error))], error=str(error))
            self._item_back_off(item, error.retry_after_s)
            return
        # Open311 cannot say whether it replayed: "created" either way, never doubled.
        self._record([Delivery(key, "created", None, None, posted.reference)])

    def _item_back_off(self, item: OutboxItem, retry_after_s: float | None = None) -> None:
        """This item alone waits; the others go on."""
        delay = backoff_delay(
            item.attempts + 1, self.settings.backoff_base_s, self.settings.backoff_max_s, self._rng
        )
        if retry_after_s:
            delay = max(delay, min(retry_after_s, self.settings.backoff_max_s))
        self._item_not_before[item.idempotency_key] = self._clock() + delay

    # Bookkeeping -------------------------------------------------------------

    def _fail(self, batch: list[OutboxItem], error: PortalError) -> None:
        if isinstance(error, PortalAuthError):
            log.error("portal refused this kiosk's credentials: %s", error)
            text = "portal refused this kiosk's token"
        elif isinstance(error, PortalBadResponse):
            log.error("portal answered a batch with something unreadable: %s", error)
            text = str(error)
        else:
            text = str(error)
        # Only a transport failure with no HTTP status at all is a "network" attempt.
        unavailable = isinstance(error, PortalUnavailable)
        outcome = "network" if unavailable and not error.status else "server_error"
        log.warning("sync of %d item(s) failed: %s", len(batch), text)
        self._write(
            [Delivery(item.idempotency_key, outcome, error.status, text) for item in batch],
            error=text,
        )
        self._back_off(error.retry_after_s, error=text)

    def _back_off(self, retry_after_s: float | None, *, error: str | None = None) -> float:
        self._failures += 1
        self._needs_probe = True
        delay = backoff_delay(
            self._failures, self.settings.backoff_base_s, self.settings.backoff_max_s, self._rng
        )
        if retry_after_s:
            delay = max(delay, min(retry_after_s, self.settings.backoff_max_s))
        self._not_before = self._clock() + delay
        self._publish(online=False, error=error)
        return delay

    def _succeeded(self) -> None:
        self._failures = 0
        self._needs_probe = False
        self._last_health = self._clock()

    def _probe(self) -> bool:
        self._last_health = self._clock()
        try:
            self._portal.health()
        except PortalError as error:
            log.info("portal still unreachable: %s", error)
            self._publish(online=False, error=str(error))
            return False
        self._needs_probe = False
        self._publish(online=True)
        return True

    def _record(self, deliveries: list[Delivery]) -> None:
        """Answers the portal gave: recorded, and the status published."""
        self._write(deliveries)
        self._publish(online=not self._needs_probe)

    def _write(self, deliveries: list[Delivery], *, error: str | None = None) -> None:
        outbox = self.outbox
        with outbox.transaction():
            outbox.record(deliveries)
            if error:
                outbox.set_meta("last_error", f"{utc_now()} {error}")
            else:
                outbox.set_meta("last_success_at", utc_now())

    def _publish(self, *, online: bool, error: str | None = None) -> None:
        status = SyncStatus(online, self.outbox.counts(), error or self.status.last_error)
        if online:
            status = SyncStatus(True, status.counts, None)
        changed = status != self.status
        self.status = status
        if changed and self._on_status is not None:
            self._on_status(status)

    def _purge_if_due(self, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY_S:
            return
        self._last_purge = now
        outbox = self.outbox
        with outbox.transaction():
            purged = outbox.purge_sent(self.settings.retention)
        if purged:
            log.info("purged %d delivered item(s) older than %s", purged, self.settings.retention)


def _wire(item: OutboxItem) -> dict[str, Any]:
    return {
        "idempotency_key": item.idempotency_key,
        # What the resident's receipt says: the portal can then track it from any phone.
        "reference": item.reference,
        "kind": item.kind,
        "schema_version": item.schema_version,
        "created_at": item.created_at,
        "payload": item.payload,
    }


def _reason(error: PortalError) -> str:
    return f"{error.code}: {error}" if error.code else str(error)

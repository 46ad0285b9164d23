"""What the city publishes for everyone (news, help, records), fetched for the flows
that show it.

Nothing in it is personal, so a fresh copy is kept in the kiosk's cache
(offline/cache.py) and shown when the portal cannot be reached: once loaded, news and
help keep working offline. A record the city has removed (404) or a search the
portal refused is never answered from the cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from kiosk.i18n import pick
from kiosk.portal_client import PortalError, PortalNotFound, PortalRejected, PortalUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    value: Any  # None: nothing to show
    from_cache: bool = False
    error: Exception | None = None


def fetch_public(
    model, cache_key: str | None, fetch: Callable[[], Any], done: Callable[[Fetched], None]
) -> None:
    """Run ``fetch`` off the UI thread; ``done`` gets a fresh answer (then cached under
    ``cache_key``), or else the last cached copy, or else nothing and the error."""

    def arrived(value, error: Exception | None) -> None:
        if error is None:
            _keep(model.cache, cache_key, value)
            done(Fetched(value))
            return
        if not isinstance(error, PortalError):
            log.error("public content not loaded", exc_info=error)
        else:
            log.warning("public content not loaded: %s", error)
        cached = None
        if cache_key and model.cache is not None and _may_use_copy(error):
            cached = model.cache.get(cache_key)
        done(Fetched(cached.value if cached else None, cached is not None, error))

    if model.portal is None:
        arrived(None, PortalUnavailable("no portal configured"))
        return
    model._background(fetch, arrived)


def _may_use_copy(error: Exception) -> bool:
    # Removed or refused is an answer; an old copy would contradict it.
    return not isinstance(error, PortalNotFound | PortalRejected)


def _keep(cache, cache_key: str | None, value) -> None:
    if cache is not None and cache_key:
        cache.keep(cache_key, value)


def text(value, language: str) -> str:
    """A portal text in ``language``: a {"en": ..., "es": ...} mapping, or plain."""
    if isinstance(value, dict):
        return str(pick(value, language))
    return value if isinstance(value, str) else ""


def long_date(iso_day: str | None, language: str) -> str:
    """ "14 October 2026" in the resident's language; "" for a missing or bad date."""
    try:
        day = date.fromisoformat(iso_day or "")
    except (TypeError, ValueError):
        return ""
    return format_date(day, format="long", locale=language)

"""Fetching what the portal serves, with a copy kept for when it cannot be reached.

Every answer is kept in the kiosk's cache (offline/cache.py, sealed with the device
key, so a resident's own list may be kept too); when the portal cannot be reached,
the copy kept from an earlier visit is shown instead, with the time it was fetched.
Something the portal removed (404) or refused is never answered from a copy.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from kiosk.portal_client import PortalError, PortalNotFound, PortalRejected, PortalUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    value: Any  # None: nothing to show
    from_cache: bool = False
    error: Exception | None = None
    fetched_at: datetime.datetime | None = None  # of the copy, when from the cache


def fetch_kept(
    model,
    cache_key: str | None,
    fetch: Callable[[], Any],
    done: Callable[[Fetched], None],
    *,
    parse: Callable[[Any], Any] | None = None,
    what: str = "public content",
    copy_first: bool = False,
    current: Callable[[], bool] | None = None,
) -> None:
    """Run ``fetch`` off the UI thread; ``done`` gets its answer (then kept under
    ``cache_key``), or else the copy kept before, or else nothing and the error.

    ``parse`` makes the value from a document, fetched (on the worker thread, with
    the fetch) or kept; its PortalError makes the answer a bad one. ``what`` names it
    in the log: never anything personal. ``copy_first``: the kept copy goes to
    ``done`` at once and the portal's answer follows; a failure then gets to ``done``
    only when there was no copy. ``current``: False once the answer is no longer
    wanted (the visit ended); it is then dropped, neither kept nor logged.
    """
    cache = model.cache if cache_key else None
    shown = _copy(cache, cache_key, parse, what) if copy_first else None
    if shown is not None:
        done(shown)

    def fetch_and_parse() -> tuple[Any, Any]:
        document = fetch()
        return document, (parse(document) if parse else document)

    def arrived(fetched: tuple[Any, Any] | None, error: Exception | None) -> None:
        if current is not None and not current():
            return
        if error is None:
            document, value = fetched
            if cache is not None:
                cache.keep(cache_key, document)
            done(Fetched(value))
            return
        if isinstance(error, PortalError):
            log.warning("could not load %s: %s", what, error)
        else:
            log.error("loading %s failed unexpectedly", what, exc_info=error)
        if copy_first:
            if shown is None:
                done(Fetched(None, error=error))
            return
        copy = _copy(cache, cache_key, parse, what) if _may_use_copy(error) else None
        done(replace(copy, error=error) if copy else Fetched(None, error=error))

    if model.portal is None:
        arrived(None, PortalUnavailable("no portal configured"))
        return
    model._background(fetch_and_parse, arrived)


def _may_use_copy(error: Exception) -> bool:
    # Removed or refused is an answer; an old copy would contradict it.
    return not isinstance(error, PortalNotFound | PortalRejected)


def _copy(cache, cache_key: str | None, parse, what: str) -> Fetched | None:
    kept = cache.get(cache_key) if cache is not None else None
    if kept is None:
        return None
    try:
        value = parse(kept.value) if parse else kept.value
    except PortalError as bad:
        log.error("the kept copy of %s is unusable: %s", what, bad)
        return None
    return Fetched(value, from_cache=True, fetched_at=kept.fetched_at)

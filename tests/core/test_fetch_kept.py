"""Fetching with a kept copy (kiosk.flows.fetching), as news, help, records, permits and
reports use it: the reference portal on loopback, faults injected into it, and the
kiosk's real sealed cache."""

from __future__ import annotations

import pytest
import requests

from kiosk.flows.fetching import fetch_kept
from kiosk.permit_forms import parse_form_list
from kiosk.portal_client import PortalBadResponse, PortalNotFound, PortalUnavailable
from tests.core.content_kiosk import ContentKiosk

NEWS = "/api/v1/news"


@pytest.fixture
def kiosk(tmp_path, clock, portal, clear_faults):
    kiosk = ContentKiosk(tmp_path, clock, portal)
    yield kiosk
    kiosk.close()


def fail_next(portal, path: str, status: int) -> None:
    fault = {"path_prefix": path, "status": status}
    requests.post(f"{portal.url}/_faults", json=fault, timeout=5).raise_for_status()


def fetched(kiosk, cache_key: str, fetch, **options) -> list:
    answers = []
    fetch_kept(kiosk.model, cache_key, fetch, answers.append, **options)
    return answers


def test_a_portal_that_fails_is_answered_from_the_copy_with_its_time(kiosk, portal):
    [fresh] = fetched(kiosk, "news", kiosk.model.portal.news)
    assert fresh.value and not fresh.from_cache and fresh.error is None

    fail_next(portal, NEWS, 503)
    [copy] = fetched(kiosk, "news", kiosk.model.portal.news)

    assert copy.value == fresh.value and copy.from_cache and copy.fetched_at is not None
    assert isinstance(copy.error, PortalUnavailable)


def test_something_removed_at_the_portal_is_never_answered_from_a_copy(kiosk, portal):
    fetched(kiosk, "news", kiosk.model.portal.news)

    fail_next(portal, NEWS, 404)
    [answer] = fetched(kiosk, "news", kiosk.model.portal.news)

    assert answer.value is None and not answer.from_cache
    assert isinstance(answer.error, PortalNotFound)


def test_an_answer_that_does_not_parse_is_answered_from_the_copy(kiosk):
    portal = kiosk.model.portal
    [fresh] = fetched(kiosk, "permits.forms", portal.permit_forms, parse=parse_form_list)

    # News where forms were asked for: not a list of forms.
    [copy] = fetched(kiosk, "permits.forms", portal.news, parse=parse_form_list)

    assert copy.value == fresh.value and copy.from_cache
    assert isinstance(copy.error, PortalBadResponse)


def test_copy_first_shows_the_copy_then_the_portals_answer_or_only_the_copy(kiosk, portal):
    news, key = kiosk.model.portal.news, "copy_first.news"
    [first] = fetched(kiosk, key, news, copy_first=True)  # nothing kept yet
    assert not first.from_cache

    copy, fresh = fetched(kiosk, key, news, copy_first=True)
    assert copy.from_cache and not fresh.from_cache and copy.value == fresh.value

    fail_next(portal, NEWS, 503)
    [copy] = fetched(kiosk, key, news, copy_first=True)
    assert copy.from_cache and copy.error is None

    fail_next(portal, NEWS, 503)
    [failed] = fetched(kiosk, "copy_first.never_kept", news, copy_first=True)
    assert failed.value is None and isinstance(failed.error, PortalUnavailable)


def test_an_answer_no_longer_wanted_is_dropped_and_never_kept(kiosk):
    # A visit that ended while its answer was on the way: a resident's list must not
    # be written to the cache after their visit.
    answers = fetched(kiosk, "late.news", kiosk.model.portal.news, current=lambda: False)

    assert answers == []
    assert kiosk.model.cache.get("late.news") is None
    [kept] = fetched(kiosk, "late.news", kiosk.model.portal.news, current=lambda: True)
    assert kept.value and kiosk.model.cache.get("late.news") is not None

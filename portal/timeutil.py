"""Timestamps as the portal writes them: UTC, seconds precision, explicit offset.

Open311 clients parse ``requested_datetime`` and friends as ISO 8601 and some reject
fractional seconds or a bare ``Z``, so every timestamp goes through here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_iso(text: str) -> datetime:
    """Naive input is taken as UTC: kiosks send UTC and say so inconsistently."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

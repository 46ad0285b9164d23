"""What the city publishes for everyone (news, help, records): its texts and dates,
in the resident's language.

Nothing in it is personal; it is fetched with kiosk.flows.fetching.fetch_kept, so once
loaded, news and help keep working offline.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from kiosk.i18n import pick


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

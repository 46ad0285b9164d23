"""City news and notices: the newest one in a strip on the home screen, all of them
on a screen of their own.

Loaded with the catalogue (at start and whenever the catalogue is refreshed after a
visit) and kept in the kiosk's cache, so the home screen still shows them offline.
Nothing here is the resident's: ``reset`` has nothing to forget.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.flows.base import Flow
from kiosk.flows.fetching import Fetched, fetch_kept
from kiosk.flows.public_content import long_date, text
from kiosk.i18n import N_

NEWS = "news"
NEWS_CACHE_KEY = "news"
KIND_LABELS = {"notice": N_("Notice"), "news": N_("News")}
NO_NEWS = N_("There is no news right now.")
NEWS_UNAVAILABLE = N_("News cannot be loaded right now. Please try again later.")
FROM_CACHE = N_("Saved earlier: this kiosk cannot reach the city's service right now.")


@dataclass(frozen=True)
class NewsEntry:
    id: str
    kind: str  # the label, translated
    date: str
    title: str
    body: str


class NewsFlow(Flow):
    name = "news"
    screens = (NEWS,)

    def __init__(self, model):
        self.items: list[dict] = []
        self.state = "loading"  # loading | ready | unavailable
        self.from_cache = False
        self._loading = False
        super().__init__(model)
        model.subscribe(self._on_model_change)

    def open(self, service_id: str) -> None:
        self.show_all()

    def show_all(self) -> None:
        self.go(NEWS)

    def _on_model_change(self, topic: str) -> None:
        if topic == "catalogue" and not self._loading:
            self.load()

    def load(self) -> None:
        self._loading = True
        portal = self.model.portal
        fetch_kept(self.model, NEWS_CACHE_KEY, lambda: portal.news(), self._arrived)

    def _arrived(self, fetched: Fetched) -> None:
        self._loading = False
        if isinstance(fetched.value, list):
            self.items = [item for item in fetched.value if isinstance(item, dict)]
            self.state = "ready"
            self.from_cache = fetched.from_cache
        elif self.state != "ready":
            self.state = "unavailable"
        self.changed()

    def entries(self) -> list[NewsEntry]:
        language = self.model.language
        return [
            NewsEntry(
                id=str(item.get("id", "")),
                kind=self._(KIND_LABELS.get(item.get("kind"), KIND_LABELS["news"])),
                date=long_date(item.get("published"), language),
                title=text(item.get("title"), language),
                body=text(item.get("body"), language),
            )
            for item in self.items
        ]

    def headline(self) -> str:
        """The newest item for the home screen's strip, or "" when there is none."""
        entries = self.entries()
        if not entries:
            return ""
        newest = entries[0]
        return self._("{kind}: {title}").format(kind=newest.kind, title=newest.title)

    def status_text(self) -> str:
        if self.state == "unavailable":
            return self._(NEWS_UNAVAILABLE)
        if self.state == "loading":
            return self._("Loading…")
        if not self.items:
            return self._(NO_NEWS)
        if self.from_cache:
            return self._(FROM_CACHE)
        return ""

    def describe(self, screen: str) -> str:
        parts = [self._("News and notices."), self.status_text()]
        for entry in self.entries():
            parts.append(f"{entry.kind}, {entry.date}: {entry.title}. {entry.body}")
        return " ".join(part for part in parts if part)

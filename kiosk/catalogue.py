"""The service catalogue the portal serves, validated, grouped and searchable."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from kiosk.i18n import pick


class CatalogueError(ValueError):
    """The portal's catalogue is not in the expected shape."""


@dataclass(frozen=True)
class Category:
    id: str
    order: int
    title: dict[str, str]


@dataclass(frozen=True)
class Service:
    id: str
    category: str
    order: int
    title: dict[str, str]
    summary: dict[str, str]
    keywords: dict[str, tuple[str, ...]]

    def searchable_text(self, language: str) -> str:
        words = [pick(self.title, language), pick(self.summary, language)]
        words += self.keywords.get(language, ()) + self.keywords.get("en", ())
        # English titles too: many residents know the English word for a service.
        words.append(self.title.get("en", ""))
        return normalise(" ".join(words))


def normalise(text: str) -> str:
    """Case- and accent-insensitive, so "licencia" finds "Licéncia" and "PAGAR"
    finds "pagar"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _translations(raw, where: str) -> dict[str, str]:
    if (
        not isinstance(raw, dict)
        or not raw
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items())
    ):
        raise CatalogueError(f"{where} must map language codes to text")
    return dict(raw)


@dataclass(frozen=True)
class Catalogue:
    city_name: dict[str, str]
    help_contact: dict[str, str]
    categories: tuple[Category, ...]
    services: tuple[Service, ...]

    @classmethod
    def from_portal(cls, document) -> Catalogue:
        try:
            city = document["city"]
            categories = tuple(
                sorted(
                    (
                        Category(
                            c["id"],
                            int(c["order"]),
                            _translations(c["title"], f"category {c['id']} title"),
                        )
                        for c in document["categories"]
                    ),
                    key=lambda c: c.order,
                )
            )
            known = {c.id for c in categories}
            services = []
            for raw in document["services"]:
                where = f"service {raw['id']}"
                if raw["category"] not in known:
                    raise CatalogueError(f"{where} names unknown category {raw['category']!r}")
                keywords = raw.get("keywords") or {}
                services.append(
                    Service(
                        id=raw["id"],
                        category=raw["category"],
                        order=int(raw["order"]),
                        title=_translations(raw["title"], f"{where} title"),
                        summary=_translations(raw["summary"], f"{where} summary"),
                        keywords={lang: tuple(words) for lang, words in keywords.items()},
                    )
                )
            return cls(
                city_name=_translations(city["name"], "city name"),
                help_contact=_translations(city.get("help_contact") or {"en": ""}, "help contact"),
                categories=categories,
                services=tuple(sorted(services, key=lambda s: (s.category, s.order))),
            )
        except CatalogueError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise CatalogueError(f"catalogue is malformed: missing or bad {error}") from None

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def search(self, query: str, language: str) -> list[Service]:
        """Every typed word must appear somewhere in the service's words."""
        terms = normalise(query).split()
        return [s for s in self.services if all(t in s.searchable_text(language) for t in terms)]

    def grouped(self, services: list[Service]) -> list[tuple[Category, list[Service]]]:
        groups = []
        for category in self.categories:
            members = [s for s in services if s.category == category.id]
            if members:
                groups.append((category, members))
        return groups

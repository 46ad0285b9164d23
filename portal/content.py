"""What the city publishes for everyone: news and notices, questions and answers, a
glossary, and public records (meeting agendas, minutes and other documents).

Nothing here is personal, so kiosks may keep copies for offline use. Records are
searched by words (every word must appear, in any of the record's languages, ignoring
case and accents), by type and by date; a record's text comes in pages, so a kiosk can
show and print one page at a time.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from kiosk.catalogue import normalise
from portal.api import AUTH_ERRORS, documented_error, store_of
from portal.auth import require_device
from portal.errors import ApiError
from portal.models import LocalizedText
from portal.store import PortalStore

RecordType = Literal["agenda", "minutes", "document"]
MAX_RECORDS = 50


class NewsItem(BaseModel):
    id: str
    kind: Literal["news", "notice"] = Field(description="notice: something residents must know")
    published: str = Field(description="YYYY-MM-DD")
    until: str | None = Field(description="YYYY-MM-DD: last day it is shown; null: no end")
    title: LocalizedText
    body: LocalizedText


class NewsList(BaseModel):
    items: list[NewsItem] = Field(description="Current items only, newest first.")


class FaqEntry(BaseModel):
    id: str
    question: LocalizedText
    answer: LocalizedText


class GlossaryTerm(BaseModel):
    id: str
    term: LocalizedText
    meaning: LocalizedText


class HelpContent(BaseModel):
    faq: list[FaqEntry]
    glossary: list[GlossaryTerm]


class RecordSummary(BaseModel):
    id: str
    type: RecordType
    date: str = Field(description="YYYY-MM-DD: the meeting's date, or the document's")
    title: LocalizedText
    summary: LocalizedText
    page_count: int
    url: str | None = Field(default=None, description="Where residents can read it online")


class RecordList(BaseModel):
    records: list[RecordSummary] = Field(description="Newest first.")


class PublicRecord(RecordSummary):
    pages: list[LocalizedText]


def _searchable(record: dict[str, Any]) -> str:
    texts = [record["title"], record["summary"], *record["pages"]]
    return normalise(" ".join(value for text in texts for value in text.values()))


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    summary = {key: value for key, value in record.items() if key != "pages"}
    summary["page_count"] = len(record["pages"])
    return summary


class ContentStore:
    """The content tables of a PortalStore."""

    def __init__(self, store: PortalStore) -> None:
        self.store = store

    def _put(self, kind: str, items: list[dict[str, Any]]) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM public_content WHERE kind = ?", (kind,))
            conn.executemany(
                "INSERT INTO public_content (kind, id, position, body) VALUES (?, ?, ?, ?)",
                [(kind, item["id"], n, json.dumps(item)) for n, item in enumerate(items)],
            )

    def _items(self, kind: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT body FROM public_content WHERE kind = ? ORDER BY position", (kind,)
        )
        return [json.loads(row["body"]) for row in rows]

    def put_news(self, items: list[dict[str, Any]]) -> None:
        self._put("news", items)

    def put_faq(self, entries: list[dict[str, Any]]) -> None:
        self._put("faq", entries)

    def put_glossary(self, terms: list[dict[str, Any]]) -> None:
        self._put("glossary", terms)

    def news(self, today: date) -> list[dict[str, Any]]:
        day = today.isoformat()
        current = [
            item
            for item in self._items("news")
            if item["published"] <= day and (item["until"] is None or item["until"] >= day)
        ]
        return sorted(current, key=lambda item: item["published"], reverse=True)

    def help_content(self) -> dict[str, Any]:
        return {"faq": self._items("faq"), "glossary": self._items("glossary")}

    def put_record(self, record: dict[str, Any]) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO public_records (id, type, date, body) VALUES (?, ?, ?, ?)",
                (record["id"], record["type"], record["date"], json.dumps(record)),
            )

    def record(self, record_id: str) -> dict[str, Any] | None:
        row = self.store.query_one("SELECT body FROM public_records WHERE id = ?", (record_id,))
        if row is None:
            return None
        record = json.loads(row["body"])
        record["page_count"] = len(record["pages"])
        return record

    def search_records(
        self,
        words: str = "",
        types: tuple[str, ...] = (),
        date_from: date | None = None,
        date_to: date | None = None,
        limit: int = MAX_RECORDS,
    ) -> list[dict[str, Any]]:
        """Newest first. The words are matched here rather than in SQL: a city's
        records are a few thousand at most, and accents must not matter."""
        clauses, params = [], []
        if types:
            clauses.append(f"type IN ({', '.join('?' for _ in types)})")
            params.extend(types)
        if date_from:
            clauses.append("date >= ?")
            params.append(date_from.isoformat())
        if date_to:
            clauses.append("date <= ?")
            params.append(date_to.isoformat())
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.store.query(
            f"SELECT body FROM public_records {where} ORDER BY date DESC, id", params
        )
        terms = normalise(words).split()
        found = []
        for row in rows:
            record = json.loads(row["body"])
            text = _searchable(record)
            if all(term in text for term in terms):
                found.append(_summary(record))
                if len(found) >= limit:
                    break
        return found


router = APIRouter(
    prefix="/api/v1",
    tags=["content"],
    dependencies=[Depends(require_device)],
    responses=AUTH_ERRORS,
)


def content_of(request: Request) -> ContentStore:
    return ContentStore(store_of(request))


@router.get("/news", response_model=NewsList)
def news(request: Request) -> dict[str, Any]:
    """News and notices to show today."""
    return {"items": content_of(request).news(date.today())}


@router.get("/help-content", response_model=HelpContent)
def help_content(request: Request) -> dict[str, Any]:
    """Questions and answers, and the glossary: kiosks search their own copy."""
    return content_of(request).help_content()


@router.get(
    "/records",
    response_model=RecordList,
    responses={422: documented_error("A date is not YYYY-MM-DD, or from is after to")},
)
def search_records(
    request: Request,
    q: Annotated[str, Query(max_length=100, description="Words that must all appear")] = "",
    record_type: Annotated[
        list[RecordType] | None, Query(alias="type", description="agenda, minutes, document")
    ] = None,
    date_from: Annotated[date | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RECORDS)] = 20,
) -> dict[str, Any]:
    if date_from and date_to and date_from > date_to:
        raise ApiError(
            422,
            "validation_failed",
            "The start date is after the end date.",
            fields={"from": "must not be after to"},
        )
    types = tuple(dict.fromkeys(record_type or ()))
    found = content_of(request).search_records(q, types, date_from, date_to, limit)
    return {"records": found}


@router.get(
    "/records/{record_id}",
    response_model=PublicRecord,
    responses={404: documented_error("No such record")},
)
def record(request: Request, record_id: Annotated[str, Path(max_length=100)]) -> dict[str, Any]:
    found = content_of(request).record(record_id)
    if found is None:
        raise ApiError(404, "record_not_found", "There is no public record with this id.")
    return found

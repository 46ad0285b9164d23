"""GET /track/{reference}: the page a receipt's QR code opens on a resident's phone.

Plain HTML, no script, readable on a small screen, in English or Spanish (``?lang=`` or
the browser's Accept-Language). Everything shown is escaped. It shows what tracking
shows (portal/tracking.py): statuses and the city's notes, never what the resident typed.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse

from portal.api import store_of
from portal.open311_records import language
from portal.tracking import track

pages = APIRouter(tags=["tracking"])

TEXTS = {
    "en": {
        "title": "Track your request",
        "reference": "Reference",
        "number": "City number",
        "status": "Status",
        "history": "What has happened",
        "note": "Latest note from the city",
        "not_found": "We could not find this number. Please check it, or try again later: "
        "something sent while the kiosk was offline can take a while to arrive.",
        "help": "Questions? Call 311, Monday to Friday, 8 am to 5 pm.",
    },
    "es": {
        "title": "Siga su solicitud",
        "reference": "Referencia",
        "number": "Número de la ciudad",
        "status": "Estado",
        "history": "Lo que ha pasado",
        "note": "Última nota de la ciudad",
        "not_found": "No encontramos este número. Revíselo o vuelva a intentarlo más tarde: "
        "lo que se envió mientras el quiosco no tenía conexión puede tardar en llegar.",
        "help": "¿Preguntas? Llame al 311, de lunes a viernes, de 8:00 a 17:00.",
    },
}
STATUS_WORDS = {
    "en": {
        "open": "Open: the city is working on it.",
        "closed": "Closed: the city has finished.",
        "posted": "Paid: the city has received this payment.",
        "pending_activation": "Created: activate it with the code on your receipt.",
        "active": "Active.",
    },
    "es": {
        "open": "Abierto: la ciudad está trabajando en ello.",
        "closed": "Cerrado: la ciudad terminó.",
        "posted": "Pagado: la ciudad recibió este pago.",
        "pending_activation": "Creada: actívela con el código de su recibo.",
        "active": "Activa.",
    },
}
STYLE = (
    "body{font:18px/1.5 system-ui,sans-serif;margin:0 auto;max-width:40em;padding:1em;"
    "color:#111;background:#fff}h1{font-size:1.5em}dt{font-weight:bold}dd{margin:0 0 .8em}"
    "li{margin-bottom:.6em}.status{font-size:1.2em;font-weight:bold}"
)


def _page_language(lang: str | None, accept_language: str | None) -> str:
    if lang:
        return language(lang)
    first = (accept_language or "").split(",")[0].split(";")[0].strip()
    return language(first or None)


def _status(words: dict[str, str], status: str) -> str:
    return escape(words.get(status, status))


def _page(lang: str, body: str) -> str:
    title = escape(TEXTS[lang]["title"])
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f"<h1>{title}</h1>{body}<p>{escape(TEXTS[lang]['help'])}</p></body></html>"
    )


@pages.get("/track/{reference}", response_class=HTMLResponse)
def tracking_page(
    request: Request,
    reference: str,
    lang: Annotated[str | None, Query(max_length=16)] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The status of a request, payment or account, for the resident's phone."""
    page_lang = _page_language(lang, accept_language)
    texts, words = TEXTS[page_lang], STATUS_WORDS[page_lang]
    found = None
    if 0 < len(reference) <= 64:
        with store_of(request).reading() as conn:
            found = track(conn, reference, page_lang)
    if found is None:
        body = (
            f"<p>{escape(texts['reference'])}: <strong>{escape(reference[:64])}</strong></p>"
            f"<p>{escape(texts['not_found'])}</p>"
        )
        return _response(_page(page_lang, body), 404)
    history = "".join(
        f"<li><time>{escape(entry['at'][:10])}</time> {_status(words, entry['status'])}"
        + (f"<br>{escape(entry['note'])}" if entry["note"] else "")
        + "</li>"
        for entry in found["history"]
    )
    note = found["latest_note"]
    body = (
        f"<h2>{escape(found['title'])}</h2><dl>"
        f"<dt>{escape(texts['reference'])}</dt><dd>{escape(found['reference'])}</dd>"
        f"<dt>{escape(texts['number'])}</dt><dd>{escape(found['tracking_number'])}</dd>"
        f"<dt>{escape(texts['status'])}</dt>"
        f'<dd class="status">{_status(words, found["status"])}</dd>'
        + (f"<dt>{escape(texts['note'])}</dt><dd>{escape(note)}</dd>" if note else "")
        + f"</dl><h2>{escape(texts['history'])}</h2><ol>{history}</ol>"
    )
    return _response(_page(page_lang, body), 200)


def _response(html: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )

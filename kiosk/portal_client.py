"""The kiosk's only way to talk to the city's portal.

One requests Session: explicit timeouts on every call, TLS verification always
on, the device's bearer token, and urllib3 retries with backoff for idempotent
calls only. A POST is never retried here once it may have reached the server;
the offline queue owns that, with idempotency keys. Failures become typed
exceptions carrying a plain-language message for the resident.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, ReadTimeoutError
from urllib3.util.retry import Retry

from kiosk.i18n import N_

log = logging.getLogger(__name__)
USER_AGENT = "civic-kiosk/0.1"


class PortalError(Exception):
    """Base of every portal failure. ``user_message`` is an untranslated msgid."""

    user_message = N_("The city's online service is not answering. Please try again later.")

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        fields: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.fields = status, code, dict(fields or {})
        # Seconds the portal asked us to wait (503/429 Retry-After), if it said.
        self.retry_after_s: float | None = None


class PortalUnavailable(PortalError):
    """Network down, portal down, or a 5xx after retries: worth trying later."""


class PortalTimeout(PortalUnavailable):
    user_message = N_("The city's online service is taking too long. Please try again later.")


class PortalAuthError(PortalError):
    user_message = N_("This kiosk cannot sign in to the city's service. Please ask staff for help.")


class PortalNotFound(PortalError):
    user_message = N_("We could not find that. Please check the number and try again.")


class PortalRejected(PortalError):
    """The portal refused the request as invalid (4xx); ``fields`` says why."""

    user_message = N_("The city's service could not accept this. Please check what you entered.")


class PortalConflict(PortalError):
    user_message = N_("This was already done. Please check your receipt or ask staff for help.")


class PortalBadResponse(PortalError):
    """The portal answered something we cannot understand: never guess at it."""


def _retry_policy(retries: int) -> Retry:
    return Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.3,
        backoff_jitter=0.2,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )


BATCH_OUTCOMES = frozenset({"created", "replayed", "rejected", "conflict", "retry"})


def _retry_after_s(response: requests.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if not header:
        return None
    try:
        return Retry(0).parse_retry_after(header)
    except InvalidHeader:  # the portal's bug, not a reason to fail
        return None


class PortalClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connect_timeout_s: float = 3.05,
        read_timeout_s: float = 10.0,
        retries: int = 3,
        ca_bundle: Path | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=_retry_policy(retries))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            }
        )
        self._verify: bool | str = str(ca_bundle) if ca_bundle else True

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, **kwargs):
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(
                method, url, timeout=self.timeout, verify=self._verify, **kwargs
            )
        except requests.Timeout as error:
            raise PortalTimeout(f"{method} {path}: timed out") from error
        except requests.exceptions.RetryError as error:
            raise PortalUnavailable(f"{method} {path}: gave up after retries") from error
        except requests.exceptions.SSLError as error:
            log.error("TLS verification failed for %s: check the portal certificate", self.base_url)
            raise PortalUnavailable(f"{method} {path}: TLS verification failed") from error
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as error:
            # The connection died while the answer was arriving: it may or may not
            # have been acted on, exactly like a timeout.
            raise PortalUnavailable(f"{method} {path}: answer cut off") from error
        except requests.ConnectionError as error:
            # Read timeouts that exhausted the retries arrive wrapped as a
            # ConnectionError; the resident should still hear "too long".
            reason = getattr(error.args[0], "reason", None) if error.args else None
            if isinstance(reason, ReadTimeoutError):
                raise PortalTimeout(f"{method} {path}: timed out") from error
            raise PortalUnavailable(f"{method} {path}: cannot connect") from error
        return self._decode(method, path, response)

    @staticmethod
    def _decode(method: str, path: str, response: requests.Response):
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
            if response.ok:
                raise PortalBadResponse(
                    f"{method} {path}: answer is not JSON", status=response.status_code
                ) from None
        if response.ok:
            return body
        error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
        code, message = error.get("code"), error.get("message") or response.reason
        details = {"status": response.status_code, "code": code, "fields": error.get("fields")}
        text = f"{method} {path}: {response.status_code} {message}"
        status = response.status_code
        retry_after = _retry_after_s(response)
        if status in (401, 403):
            raise PortalAuthError(text, **details)
        if status == 404:
            raise PortalNotFound(text, **details)
        if status == 409:
            raise PortalConflict(text, **details)
        if 400 <= status < 500:
            raise PortalRejected(text, **details)
        unavailable = PortalUnavailable(text, **details)
        unavailable.retry_after_s = retry_after
        raise unavailable

    def get(self, path: str, **params):
        return self.request("GET", path, params=params or None)

    # The portal's kiosk API -------------------------------------------------

    def health(self) -> dict:
        return self.get("/api/v1/health")

    def catalogue(self) -> dict:
        document = self.get("/api/v1/catalogue")
        if not isinstance(document, dict):
            raise PortalBadResponse("catalogue: expected an object")
        return document

    def bills_by_number(self, number: str) -> list[dict]:
        return self._bills(self.get("/api/v1/bills", number=number))

    def bills_by_identity(self, profile: str, id_hash: str) -> list[dict]:
        return self._bills(self.get("/api/v1/bills/by-identity", profile=profile, id_hash=id_hash))

    def addresses(self, query: str) -> list[dict]:
        """Street addresses of the city containing ``query``: id, address, zipcode, lat, long."""
        document = self.get("/api/v1/addresses", q=query)
        found = document.get("addresses") if isinstance(document, dict) else None
        if not isinstance(found, list) or not all(
            isinstance(entry, dict)
            and isinstance(entry.get("id"), str)
            and isinstance(entry.get("address"), str)
            for entry in found
        ):
            raise PortalBadResponse("addresses: expected {'addresses': [{id, address}, ...]}")
        return found

    def resident(self, profile: str, id_hash: str) -> dict | None:
        """The account linked to a card identity, or None for a card nobody linked."""
        try:
            document = self.request(
                "POST", "/api/v1/identities/lookup", json={"profile": profile, "id_hash": id_hash}
            )
        except PortalNotFound:
            return None
        if not isinstance(document, dict) or not document.get("account"):
            raise PortalBadResponse("identity lookup: expected an account")
        return document

    def tracked(self, reference: str, *, locale: str, kiosk_key: str | None = None) -> dict:
        """A request, payment or account by a receipt's reference, with its status history.
        ``kiosk_key``: the outbox key this kiosk queued a ``K-`` reference under."""
        plain = reference.isascii() and reference.replace("-", "").isalnum()
        if not plain or len(reference) > 64:
            raise ValueError("a reference is letters, digits and hyphens")
        params = {"locale": locale, **({"kiosk_key": kiosk_key} if kiosk_key else {})}
        return _object(self.get(f"/api/v1/tracking/{reference}", **params), "history")

    def my_tracked(self, profile: str, id_hash: str, *, locale: str) -> list[dict]:
        """What the resident with this card has: requests, payments, account. The hash
        goes in the body, never in a URL."""
        document = self.request(
            "POST",
            "/api/v1/tracking/mine",
            json={"profile": profile, "id_hash": id_hash, "locale": locale},
        )
        items = document.get("items") if isinstance(document, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise PortalBadResponse("tracking: expected {'items': [...]}")
        return items

    # Permits and licences: forms are public; a resident's permits are asked for by card.

    def permit_forms(self) -> dict:
        """The forms offered, without their fields: {"forms": [...]}."""
        return _object(self.get("/api/v1/permits/forms"), "forms")

    def permit_form(self, form_id: str) -> dict:
        """One form whole: fields, documents to bring, fee; PortalNotFound if gone."""
        return _object(self.get("/api/v1/permits/forms/" + quote(form_id, safe="")), "fields")

    def my_permits(self, profile: str, id_hash: str) -> dict:
        """The card holder's permits with their values, for renewal: {"permits": [...]}.
        The hash goes in the body, never in a URL."""
        document = self.request(
            "POST", "/api/v1/permits/mine", json={"profile": profile, "id_hash": id_hash}
        )
        return _object(document, "permits")

    def create_payment(self, payment: Mapping[str, object], *, idempotency_key: str) -> dict:
        return self.request(
            "POST",
            "/api/v1/payments",
            json=dict(payment),
            headers={"Idempotency-Key": idempotency_key},
        )

    # Public content: nothing personal, so the kiosk may keep copies for offline use.

    def news(self) -> list[dict]:
        """Today's news and notices, newest first."""
        return _list_of(self.get("/api/v1/news"), "items", ("id", "title", "body"))

    def help_content(self) -> dict:
        """Questions and answers, and the glossary: {"faq": [...], "glossary": [...]}."""
        document = self.get("/api/v1/help-content")
        _list_of(document, "faq", ("id", "question", "answer"))
        _list_of(document, "glossary", ("id", "term", "meaning"))
        return document

    def search_records(
        self,
        words: str = "",
        types: tuple[str, ...] = (),
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> list[dict]:
        """Public records (agendas, minutes, documents) matching every word, newest first.
        Dates are YYYY-MM-DD; no types means every type."""
        params = {"q": words, "type": list(types), "from": date_from, "to": date_to}
        document = self.get("/api/v1/records", **{k: v for k, v in params.items() if v})
        return _list_of(document, "records", ("id", "type", "date", "title", "summary"))

    def record(self, record_id: str) -> dict:
        """One public record with its pages; PortalNotFound when there is none."""
        return _object(self.get("/api/v1/records/" + quote(record_id, safe="")), "pages")

    def submit_batch(self, items: list[dict]) -> list[dict]:
        """Deliver queued transactions; one result per item, in the same order.

        Never retried here (a POST): the offline queue decides, and each item's
        idempotency key makes a resend safe.
        """
        document = self.request("POST", "/api/v1/sync/batch", json={"items": items})
        results = document.get("results") if isinstance(document, dict) else None
        if not isinstance(results, list) or len(results) != len(items):
            raise PortalBadResponse("sync batch: expected one result per item")
        for item, result in zip(items, results, strict=True):
            if (
                not isinstance(result, dict)
                or result.get("idempotency_key") != item["idempotency_key"]
                or result.get("outcome") not in BATCH_OUTCOMES
            ):
                raise PortalBadResponse("sync batch: results do not match the items sent")
        return results

    @staticmethod
    def _bills(document) -> list[dict]:
        return _object(document, "bills")["bills"]


def _list_of(document, key: str, required: tuple[str, ...]) -> list[dict]:
    """``document[key]``, checked to be a list of objects that have ``required`` keys."""
    found = document.get(key) if isinstance(document, dict) else None
    if not isinstance(found, list) or not all(
        isinstance(entry, dict) and all(name in entry for name in required) for entry in found
    ):
        raise PortalBadResponse(f"expected {{{key!r}: [...]}} with {', '.join(required)}")
    return found


def _object(document, key: str) -> dict:
    """``document``, checked to be an object with a list under ``key``."""
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise PortalBadResponse(f"expected an object with {key!r}: [...]")
    return document

"""What an injected fault does to one request, including hanging up on the client.

ASGI has no message for "close the connection". uvicorn closes it when the
application raises after the response has started (before that, it answers 500
itself), so both drops end by raising ConnectionDropped once uvicorn counts the
response as started:

- before: the response head has a header name HTTP forbids. uvicorn marks the
  response started, then refuses to serialise that head, so nothing is written and
  the client sees the connection close without any response.
- after: the application runs to the end, so its transaction is committed; then the
  real head, with the real Content-Length, and half the body are sent, and the
  client sees a truncated response.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Literal, NoReturn

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.errors import error_response

Drop = Literal["before", "after"]

_UNSENDABLE_HEAD: Message = {
    "type": "http.response.start",
    "status": 500,
    "headers": [(b"connection dropped", b"on purpose")],
}


class ConnectionDropped(Exception):
    """Makes uvicorn close the connection; not an error worth a traceback."""


@dataclass(frozen=True)
class Injection:
    message: str
    delay_s: float = 0.0
    status: int | None = None
    retry_after_s: int | None = None
    drop: Drop | None = None


async def inject(
    injection: Injection, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    if injection.delay_s > 0:
        # asyncio, not time.sleep: a delayed request must not hold up the others.
        await asyncio.sleep(injection.delay_s)
    if injection.drop == "before":
        await _drop_without_response(send)
    if injection.status is not None:
        headers = None
        if injection.retry_after_s is not None:
            headers = {"Retry-After": str(injection.retry_after_s)}
        response = error_response(
            injection.status, "injected_fault", injection.message, headers=headers
        )
        await response(scope, receive, send)
    elif injection.drop == "after":
        truncating = _TruncatingSend(send, sends_body=scope.get("method") != "HEAD")
        await app(scope, receive, truncating)
        if not truncating.head_sent:
            await _start_without_writing(send)
        raise ConnectionDropped
    else:
        await app(scope, receive, send)


async def _start_without_writing(send: Send) -> None:
    with contextlib.suppress(Exception):
        await send(_UNSENDABLE_HEAD)


async def _drop_without_response(send: Send) -> NoReturn:
    await _start_without_writing(send)
    raise ConnectionDropped


class _TruncatingSend:
    """Holds the response back until it is complete, then sends half of it."""

    def __init__(self, send: Send, *, sends_body: bool) -> None:
        self._send = send
        self._sends_body = sends_body
        self._head: Message | None = None
        self._chunks: list[bytes] = []
        self.head_sent = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._head = message
        elif message["type"] == "http.response.body" and self._head is not None:
            self._chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._send_half()
        else:
            await self._send(message)

    async def _send_half(self) -> None:
        assert self._head is not None
        self.head_sent = True
        body = b"".join(self._chunks)
        if not body or not self._sends_body:
            # Half of nothing would be a complete response.
            await _start_without_writing(self._send)
            return
        headers = [
            (name, value)
            for name, value in self._head.get("headers", [])
            if name.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await self._send({**self._head, "headers": headers})
        half = {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        await self._send(half)


class _HideDroppedConnections(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionDropped)


def hide_dropped_connection_tracebacks() -> None:
    """uvicorn logs "Exception in ASGI application" with a traceback for every drop."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(item, _HideDroppedConnections) for item in logger.filters):
        logger.addFilter(_HideDroppedConnections())

"""Fault injection, so kiosk tests can rehearse a portal that is slow or failing.

Only installed when the app is created with ``enable_faults=True``; otherwise the
/_faults paths do not exist. The middleware is plain ASGI and sleeps with asyncio,
so a delayed request never holds up the others.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.errors import error_response

CONTROL_PATH = "/_faults"


class FaultSpec(BaseModel):
    path_prefix: Annotated[str, Field(min_length=1, pattern=r"^/")]
    status: Annotated[int, Field(ge=100, le=599)] | None = None
    delay_s: Annotated[float, Field(ge=0, le=60)] = 0.0
    count: Annotated[int, Field(ge=1, le=10_000)] = 1


@dataclass
class Fault:
    path_prefix: str
    status: int | None
    delay_s: float
    count: int


class FaultQueue:
    """Pending faults, first queued first served; shared by all request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self._served = 0

    def add(self, spec: FaultSpec) -> Fault:
        fault = Fault(spec.path_prefix, spec.status, spec.delay_s, spec.count)
        with self._lock:
            self._pending.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._pending:
                if path.startswith(fault.path_prefix):
                    fault.count -= 1
                    if fault.count == 0:
                        self._pending.remove(fault)
                    self._served += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"pending": [asdict(fault) for fault in self._pending], "served": self._served}


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: FaultQueue) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PATH):
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_s > 0:
            await asyncio.sleep(fault.delay_s)
        if fault.status is None:
            await self.app(scope, receive, send)
            return
        response = error_response(
            fault.status, "injected_fault", f"Fault injected for {fault.path_prefix}."
        )
        await response(scope, receive, send)


control = APIRouter(prefix=CONTROL_PATH, include_in_schema=False)


def _queue(request: Request) -> FaultQueue:
    return request.app.state.faults


@control.post("", status_code=201)
def queue_fault(request: Request, spec: FaultSpec) -> dict[str, Any]:
    return asdict(_queue(request).add(spec))


@control.get("")
def list_faults(request: Request) -> dict[str, Any]:
    return _queue(request).snapshot()


@control.delete("")
def clear_faults(request: Request) -> dict[str, Any]:
    _queue(request).clear()
    return _queue(request).snapshot()


def install_faults(app: FastAPI) -> None:
    app.state.faults = FaultQueue()
    app.add_middleware(FaultMiddleware, faults=app.state.faults)
    app.include_router(control)

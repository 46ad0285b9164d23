"""Fault injection, so kiosk tests can rehearse a portal that is slow or failing.

Only installed when the app is created with ``enable_faults=True`` (or a random fault
rate); otherwise the /_faults paths do not exist. Faults queued with POST /_faults
hit the paths they name, first queued first served; random faults (see
:mod:`portal.fault_random`) hit any request that no queued fault matched. The
middleware is plain ASGI, so a delayed request never holds up the others.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field, model_validator
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.fault_actions import Drop, Injection, hide_dropped_connection_tracebacks, inject
from portal.fault_random import RandomFaults, RandomFaultSettings

CONTROL_PATH = "/_faults"
# Random faults leave these alone, so a soak test can always read the API docs.
NEVER_RANDOM = ("/docs", "/redoc", "/openapi.json")


class FaultSpec(BaseModel):
    path_prefix: Annotated[str, Field(min_length=1, pattern=r"^/")]
    status: Annotated[int, Field(ge=100, le=599)] | None = None
    delay_s: Annotated[float, Field(ge=0, le=60)] = 0.0
    count: Annotated[int, Field(ge=1, le=10_000)] = 1
    retry_after_s: Annotated[int, Field(ge=0, le=86_400)] | None = None
    drop: Drop | None = Field(
        default=None,
        description="before: hang up unprocessed; after: process, then hang up mid-response",
    )

    @model_validator(mode="after")
    def _one_outcome(self) -> FaultSpec:
        if self.drop is not None and self.status is not None:
            raise ValueError("give a status or a drop, not both")
        return self

    def injection(self) -> Injection:
        return Injection(
            f"Fault injected for {self.path_prefix}.",
            delay_s=self.delay_s,
            status=self.status,
            retry_after_s=self.retry_after_s,
            drop=self.drop,
        )


class FaultQueue:
    """Pending faults, first queued first served; shared by all request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Each request validates its own FaultSpec, so queued specs are never shared.
        self._pending: list[FaultSpec] = []
        self._served = 0

    def add(self, spec: FaultSpec) -> FaultSpec:
        with self._lock:
            self._pending.append(spec)
        return spec

    def take(self, path: str) -> Injection | None:
        with self._lock:
            for fault in self._pending:
                if path.startswith(fault.path_prefix):
                    fault.count -= 1
                    if fault.count == 0:
                        self._pending.remove(fault)
                    self._served += 1
                    return fault.injection()
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pending": [fault.model_dump() for fault in self._pending],
                "served": self._served,
            }


class FaultMiddleware:
    def __init__(self, app: ASGIApp, queue: FaultQueue, random_faults: RandomFaults) -> None:
        self.app = app
        self.queue = queue
        self.random_faults = random_faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        injection = None
        if scope["type"] == "http" and not path.startswith(CONTROL_PATH):
            injection = self.queue.take(path)
            if injection is None and not path.startswith(NEVER_RANDOM):
                injection = self.random_faults.draw()
        if injection is None:
            await self.app(scope, receive, send)
        else:
            await inject(injection, self.app, scope, receive, send)


control = APIRouter(prefix=CONTROL_PATH, include_in_schema=False)


def _queue(request: Request) -> FaultQueue:
    return request.app.state.faults


def _random(request: Request) -> RandomFaults:
    return request.app.state.random_faults


@control.post("", status_code=201)
def queue_fault(request: Request, spec: FaultSpec) -> dict[str, Any]:
    return _queue(request).add(spec).model_dump()


@control.get("")
def list_faults(request: Request) -> dict[str, Any]:
    return _queue(request).snapshot() | {"sync": request.app.state.sync_stats.snapshot()}


@control.delete("")
def clear_faults(request: Request) -> dict[str, Any]:
    _queue(request).clear()
    return _queue(request).snapshot()


@control.get("/random")
def random_faults(request: Request) -> dict[str, Any]:
    return _random(request).snapshot()


@control.put("/random")
def configure_random_faults(request: Request, changes: RandomFaultSettings) -> dict[str, Any]:
    _random(request).configure(changes)
    return _random(request).snapshot()


def install_faults(app: FastAPI, random_faults: RandomFaults) -> None:
    app.state.faults = FaultQueue()
    app.state.random_faults = random_faults
    app.add_middleware(
        FaultMiddleware, queue=app.state.faults, random_faults=app.state.random_faults
    )
    app.include_router(control)
    hide_dropped_connection_tracebacks()

"""Running the portal in a background thread of the current process.

Tests and the kiosk's demo mode need a real HTTP server they can start and stop in
a few hundred milliseconds; uvicorn is run on a socket bound here, so that port 0
gives a free port without any race between choosing and binding it.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG

from portal.app import create_app
from portal.demo_data import DEMO_DEVICE_ID
from portal.fault_random import DEFAULT_RETRY_AFTER_S, DEFAULT_SLOW_S
from portal.store import PortalStore

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class PortalStartError(RuntimeError):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets whose
    # protocol says TCP, and without it keep-alive responses wait ~40 ms for delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening now lets clients queue connections before uvicorn accepts them.
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def uvicorn_config(app: FastAPI, *, log_level: str = "warning", in_process: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        # Inside another program (tests, the kiosk) leave its logging setup alone.
        log_config=None if in_process else LOGGING_CONFIG,
        timeout_graceful_shutdown=5,
    )


@dataclass
class PortalServer:
    url: str
    token: str
    app: FastAPI
    _server: uvicorn.Server
    _thread: threading.Thread
    _socket: socket.socket

    @property
    def db_path(self) -> str:
        return self.store.path

    @property
    def store(self) -> PortalStore:
        """The live store, for tests that need to arrange data no endpoint creates."""
        return self.app.state.store

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_S)
        self._socket.close()
        if not self._thread.is_alive():
            self.store.close()


def start_portal(
    db_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed_demo: bool = True,
    enable_faults: bool = False,
    device_id: str = DEMO_DEVICE_ID,
    fault_rate: float = 0.0,
    fault_seed: int | None = None,
    fault_slow_s: float = DEFAULT_SLOW_S,
    fault_retry_after_s: int = DEFAULT_RETRY_AFTER_S,
    token: str | None = None,
) -> PortalServer:
    """A fault_rate above 0 implies enable_faults (see portal.faults)."""
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise PortalStartError(f"portal cannot listen on {host}:{port}: {exc}") from exc
    try:
        app = create_app(
            db_path,
            enable_faults=enable_faults,
            seed_demo=seed_demo,
            fault_rate=fault_rate,
            fault_seed=fault_seed,
            fault_slow_s=fault_slow_s,
            fault_retry_after_s=fault_retry_after_s,
        )
        token = app.state.store.issue_token(device_id, token)
    except BaseException:
        sock.close()
        raise
    server = uvicorn.Server(uvicorn_config(app, in_process=True))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="portal-uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            reason = "exited" if not thread.is_alive() else "did not start"
            server.should_exit = True
            thread.join(STOP_TIMEOUT_S)
            sock.close()
            app.state.store.close()
            raise PortalStartError(
                f"portal on {host}:{port} {reason} within {START_TIMEOUT_S:.0f} s"
            )
        time.sleep(0.01)
    return PortalServer(base_url(sock), token, app, server, thread, sock)

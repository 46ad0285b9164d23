"""Assemble a running kiosk from its config: portal client, storage, devices,
speech and the model. Kivy-free, so tools and tests can build the same kiosk
the screens drive.

In demo mode it also starts the reference portal on a free loopback port with a
fictional city's data, so ``make run`` needs no configuration at all.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from drivers.manager import DeviceManager
from kiosk.config import Config, ConfigError
from kiosk.model import Background, KioskModel, run_now
from kiosk.portal_client import PortalClient
from kiosk.speech import Speaker, create_speaker
from offline.cache import Cache
from offline.db import open_database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    model: KioskModel
    devices: DeviceManager
    portal_client: PortalClient
    closers: list = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:
                log.exception("error while shutting down")
        self.closers.clear()


def _read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError("portal", "token_file", f"cannot read {path}: {error.strerror}") from None
    if not token:
        raise ConfigError("portal", "token_file", f"{path} is empty")
    return token


def build_runtime(
    config: Config,
    *,
    background: Background = run_now,
    speaker: Speaker | None = None,
    clock=time.monotonic,
) -> Runtime:
    closers = []
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    if config.demo:
        from portal.server import start_portal  # only demo kiosks host a portal

        # Fresh demo data at every start: a demo whose bills were all paid in
        # yesterday's demonstration would show nothing to pay.
        for leftover in data_dir.glob("demo-portal.db*"):
            leftover.unlink()
        server = start_portal(
            data_dir / "demo-portal.db", seed_demo=True, device_id=config.get("kiosk", "id")
        )
        closers.append(server.stop)
        config = config.with_values(portal__url=server.url)
        token = server.token
        log.info("demo portal running at %s", server.url)
    else:
        token = _read_token(config.get("portal", "token_file"))

    client = PortalClient(
        config.get("portal", "url"),
        token,
        connect_timeout_s=config.get("portal", "connect_timeout_s"),
        read_timeout_s=config.get("portal", "read_timeout_s"),
        retries=config.get("portal", "retries"),
        ca_bundle=config.get("portal", "ca_bundle"),
    )
    closers.append(client.close)
    database = open_database(data_dir / "kiosk.db")
    closers.append(database.close)

    devices = DeviceManager(
        {kind: config.get("devices", kind) for kind in ("card", "payment", "printer")},
        lambda event: log.info("device %s", event),
    )
    devices.detect_once()
    closers.append(devices.stop)

    if speaker is None:
        speaker = create_speaker(
            config.get("speech", "engine"),
            rate_wpm=config.get("speech", "rate_wpm"),
            volume=config.get("speech", "default_volume"),
        )
    closers.append(speaker.close)
    model = KioskModel(
        config,
        portal=client,
        speaker=speaker,
        cache=Cache(database),
        background=background,
        clock=clock,
    )
    return Runtime(config, model, devices, client, closers)

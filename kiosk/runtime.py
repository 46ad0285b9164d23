"""Assemble a running kiosk from its config: portal client, storage, devices,
speech and the model. Kivy-free, so tools and tests can build the same kiosk
the screens drive.

In demo mode it also starts the reference portal on a free loopback port with a
fictional city's data, so ``make run`` needs no configuration at all.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from drivers.card.interface import CardData, CardReaderDriver
from drivers.card.simulator import SimulatedCardReader
from drivers.manager import DeviceManager
from drivers.printer.simulator import SimulatedPrinter
from kiosk.config import (
    Config,
    ConfigError,
    open311_url,
    payment_options,
    printer_options,
    separate_open311,
)
from kiosk.model import Background, KioskModel, run_in_thread
from kiosk.open311_client import Open311Client
from kiosk.payments import PaymentDesk
from kiosk.portal_client import PortalClient
from kiosk.printing import PrintSettings, PrintWorker
from kiosk.speech import Speaker, create_speaker
from offline.alerts import Alerts
from offline.cache import Cache
from offline.crypto import PayloadCipher, load_or_create_key
from offline.db import open_database
from offline.outbox import Outbox
from offline.payment_journal import PaymentJournal
from offline.print_jobs import PrintJobs
from offline.startup import open_kiosk_database
from offline.sync import SyncSettings, SyncWorker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    model: KioskModel
    devices: DeviceManager
    portal_client: PortalClient
    sync: SyncWorker
    printing: PrintWorker
    closers: list = field(default_factory=list)
    # The loopback reference portal of a demo kiosk (portal.server.PortalServer);
    # None in production.
    demo_portal: object | None = None

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:
                log.exception("error while shutting down")
        self.closers.clear()


def _read_token(path: Path, key: str = "token_file") -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError("portal", key, f"cannot read {path}: {error.strerror}") from None
    if not token:
        raise ConfigError("portal", key, f"{path} is empty")
    return token


def _city_open311(config: Config, sync_client: PortalClient) -> Open311Client | None:
    """A city that runs its own Open311 endpoint gets reports there, as GeoReport v2."""
    if not separate_open311(config):
        return None
    key_file = config.get("portal", "open311_api_key_file")
    api_key = _read_token(key_file, "open311_api_key_file") if key_file else None
    return Open311Client(sync_client, open311_url(config), api_key=api_key)


def build_runtime(
    config: Config,
    *,
    call_soon: Callable[[Callable[[], None]], None],
    background: Background | None = None,
    speaker: Speaker | None = None,
    clock=time.monotonic,
    start_sync: bool = True,
) -> Runtime:
    """``call_soon`` runs a function on the UI thread: background work (catalogue
    loads) and the sync worker, which run on threads of their own, report through it."""
    background = background or run_in_thread(call_soon)
    closers = []
    server = demo_terminal = None
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
        config, demo_terminal = _start_demo_terminal(config, data_dir, closers)
    else:
        token = _read_token(config.get("portal", "token_file"))

    client = _portal_client(config, token)
    closers.append(client.close)
    database_path = data_dir / "kiosk.db"
    opened = open_kiosk_database(database_path)
    closers.append(opened.db.close)
    cipher = PayloadCipher(load_or_create_key(config.key_file))
    outbox = _outbox(config, opened.db, cipher)
    # On the outbox's connection: a receipt job commits with the submission it proves.
    print_jobs = PrintJobs(opened.db, cipher)
    with print_jobs.transaction():
        caught = print_jobs.recover()
    if caught:
        log.warning("%d receipt(s) were printing when the kiosk stopped; marked uncertain", caught)

    # The worker thread gets its own connection and HTTP session: neither a sqlite3
    # connection nor a requests Session is shared safely across threads.
    sync_client = _portal_client(config, token)
    closers.append(sync_client.close)
    open311 = _city_open311(config, sync_client)
    if open311 is not None:
        closers.append(open311.close)
    sync = SyncWorker(
        lambda: _outbox(config, open_database(database_path), cipher),
        sync_client,
        SyncSettings(
            batch_size=config.get("sync", "batch_size"),
            backoff_base_s=config.get("sync", "backoff_base_s"),
            backoff_max_s=config.get("sync", "backoff_max_s"),
            health_interval_s=config.get("sync", "health_interval_s"),
            retention=datetime.timedelta(days=config.get("storage", "sent_retention_days")),
        ),
        on_status=lambda status: _sync_news(status, model, payment_desk, call_soon, background),
        open311=open311,
    )

    devices = DeviceManager(
        _device_options(config),
        lambda event: log.info("device %s", event),
        prepare=lambda driver: _prepare_driver(config, driver, model, call_soon, printing),
    )

    def open_print_store():
        db = open_database(database_path)
        return PrintJobs(db, cipher), Alerts(db)

    printing = PrintWorker(
        open_print_store,
        lambda: devices.get("printer"),
        PrintSettings(
            preview_dir=data_dir / "receipt-previews" if config.demo else None,
            retention=datetime.timedelta(days=config.get("storage", "sent_retention_days")),
        ),
        on_outcome=lambda outcome: call_soon(lambda: model.print_outcome(outcome)),
        on_status=lambda status: call_soon(lambda: model.printer_status_changed(status)),
    )

    # Its own connection: payments run on worker threads, one at a time (its lock).
    payment_db = open_database(database_path, shared=True)
    closers.append(payment_db.close)
    payment_desk = PaymentDesk(
        PaymentJournal(payment_db, cipher),
        _outbox(config, payment_db, cipher),
        lambda: devices.get("payment"),
        alerts=Alerts(payment_db),
        # The end screen follows this visit's payment: posted, or reversed if refused.
        on_settled=lambda reference, state: call_soon(
            lambda: model.payment_settled(reference, state)
        ),
    )

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
        cache=Cache(opened.db, cipher),
        outbox=outbox,
        alerts=opened.alerts,
        sync=sync,
        print_jobs=print_jobs,
        printing=printing,
        payment_desk=payment_desk,
        background=background,
        clock=clock,
        call_soon=call_soon,
    )
    model.demo_terminal = demo_terminal
    devices.detect_once()
    devices.start()  # keeps looking for devices that were missing at start-up
    closers.append(devices.stop)
    if start_sync:
        sync.start()
    printing.start()
    # A payment left open by a crash is resolved with the terminal before any other.
    background(payment_desk.maintain, lambda _result, _error: None)
    # Stopped before the database and client they use are closed (closers run reversed),
    # and the print worker before the printer it prints on.
    closers.append(sync.stop)
    closers.append(printing.stop)
    return Runtime(config, model, devices, client, sync, printing, closers, server)


def _sync_news(status, model: KioskModel, payment_desk: PaymentDesk, call_soon, background) -> None:
    """Show the news, and follow payments the portal answered for. Off the sync
    thread: a reversal on the terminal takes seconds, and delivery must not wait."""
    call_soon(lambda: model.sync_status_changed(status))
    background(payment_desk.maintain, lambda _result, _error: None)


def _start_demo_terminal(config: Config, data_dir: Path, closers: list):
    """A demo kiosk pays on the ZVT terminal simulator through the real ZVT driver,
    over loopback TCP (ZVT's own TCP transport). 6.66 is always declined."""
    from drivers.payment.zvt.simulator import Ledger, SimulatorSettings, TerminalSimulator

    simulator = TerminalSimulator(
        tcp_port=0,
        ledger=Ledger(data_dir / "demo-terminal.db"),
        settings=SimulatorSettings(step_delay_s=0.8, decline_amounts=frozenset({666})),
    )
    simulator.start()
    closers.append(simulator.stop)
    log.info("demo card terminal listening on port %d", simulator.tcp_port)
    port = f"socket://127.0.0.1:{simulator.tcp_port}"
    return config.with_values(devices__payment="zvt", devices__payment_port=port), simulator


def _portal_client(config: Config, token: str) -> PortalClient:
    return PortalClient(
        config.get("portal", "url"),
        token,
        connect_timeout_s=config.get("portal", "connect_timeout_s"),
        read_timeout_s=config.get("portal", "read_timeout_s"),
        retries=config.get("portal", "retries"),
        ca_bundle=config.get("portal", "ca_bundle"),
    )


def _outbox(config: Config, db, cipher: PayloadCipher) -> Outbox:
    return Outbox(
        db,
        cipher,
        max_unsent=config.get("storage", "max_queued_items"),
        min_free_bytes=config.get("storage", "min_free_mb") * 1024 * 1024,
    )


def _device_options(config: Config) -> dict[str, str]:
    options = {kind: config.get("devices", kind) for kind in ("card", "payment", "printer")}
    if config.get("devices", "card_reader"):
        options["card.reader"] = config.get("devices", "card_reader")
    if options["payment"] == "zvt":
        options.update(
            {f"payment.{key}": value for key, value in payment_options(config.values).items()}
        )
    if options["printer"] == "escpos":
        options.update(
            {f"printer.{key}": value for key, value in printer_options(config.values).items()}
        )
    return options


def _prepare_driver(
    config: Config, driver, model: KioskModel, call_soon, printing: PrintWorker
) -> None:
    """Wire a driver to the model before it starts (see DeviceManager's prepare)."""
    if config.demo and isinstance(driver, SimulatedPrinter):

        def set_status(status) -> None:
            driver.set_status(status)
            printing.wake(check_status=True)

        model.demo_set_printer_status = set_status
    if not isinstance(driver, CardReaderDriver):
        return
    driver.subscribe(lambda event: call_soon(lambda: model.card_event(event)))
    if config.demo and isinstance(driver, SimulatedCardReader):
        # Demo kiosks have no real card; the attract screen offers these instead.
        # Demo only, like the portal itself.
        from portal.demo_data import DEMO_CARDS, DEMO_NEW_RESIDENT_CARD

        cards = [CardData(c.profile, c.identifier, c.holder) for c in DEMO_CARDS]
        cards.append(CardData(*DEMO_NEW_RESIDENT_CARD))
        model.demo_cards = [
            *((f"{card.display_name} ({card.profile})", _inserter(driver, card)) for card in cards),
            ("unsupported", driver.insert_unsupported),
        ]
        model.remove_demo_card = driver.remove


def _inserter(reader: SimulatedCardReader, card: CardData):
    return lambda: reader.insert(card)

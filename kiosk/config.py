"""Kiosk configuration: one INI file, validated completely at start-up.

Every problem is reported as ``[section] key: what is wrong``, so a technician on
site can fix the file without reading code. Unknown sections and keys are errors
too: a typo must never silently fall back to a default.
"""

from __future__ import annotations

import configparser
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlparse

import platformdirs

APP_NAME = "civic-kiosk"
SUPPORTED_LANGUAGES = ("en", "es")
# Each real driver (pcsc, zvt, escpos) is added here when it lands, so a config
# can never name a driver this build does not have.
DEVICE_DRIVERS = {
    "card": ("simulator", "pcsc"),
    "payment": ("simulator", "zvt"),
    "printer": ("simulator", "escpos"),
}


PRINTER_OPTIONS = (
    "transport",  # usb, serial, network or file
    "host",
    "port",  # TCP port (network) or device path (serial)
    "baudrate",
    "vendor_id",
    "product_id",
    "path",
    "profile",  # a python-escpos capabilities profile, e.g. TM-T20II
    "columns",
    "paper_width",  # 58 or 80 (mm)
)


PAYMENT_OPTIONS = (
    "port",  # a device path, or socket://host:port for ZVT over TCP
    "baudrate",
    "line",  # 8N2 (ZVT's default), 8N1, 8E1 or 7E1
    "password",  # the terminal's 6-digit ZVT password
    "reply_timeout_s",
    "status_timeout_s",
    "idle_wait_s",
)


class ConfigError(ValueError):
    """A config problem; ``str()`` names the section and key."""

    def __init__(self, section: str, key: str | None, problem: str):
        self.section, self.key, self.problem = section, key, problem
        where = f"[{section}] {key}" if key else f"[{section}]"
        super().__init__(f"config error in {where}: {problem}")


def _text(value: str) -> str:
    return value.strip()


def _whole_number(minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"must be a whole number, got {value!r}") from None
        if not minimum <= number <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum}, got {number}")
        return number

    return parse


def _seconds(minimum: float, maximum: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"must be a number of seconds, got {value!r}") from None
        if not minimum <= number <= maximum:
            raise ValueError(f"must be between {minimum:g} and {maximum:g} seconds, got {number:g}")
        return number

    return parse


def _boolean(value: str) -> bool:
    states = configparser.ConfigParser.BOOLEAN_STATES
    if value.strip().lower() not in states:
        raise ValueError(f"must be yes or no, got {value!r}")
    return states[value.strip().lower()]


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.strip() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return value.strip()

    return parse


def _language_list(value: str) -> tuple[str, ...]:
    codes = tuple(code.strip() for code in value.split(",") if code.strip())
    if not codes:
        raise ValueError("must list at least one language")
    unknown = [code for code in codes if code not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ValueError(
            f"unsupported language {unknown[0]!r}; available: {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return codes


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _portal_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if not url:
        return ""
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise ValueError(f"must be an https:// address, got {value!r}")
    # Plain HTTP only ever reaches this machine (demo and tests); residents' data
    # must not cross a network unencrypted.
    if parsed.scheme == "http" and not is_loopback_host(parsed.hostname):
        raise ValueError("must use https:// (plain http is allowed only for loopback)")
    return url


def _tracking_url(value: str) -> str:
    template = value.strip()
    if template and "{reference}" not in template:
        raise ValueError("must contain {reference}, where the receipt's reference goes")
    if template:
        _portal_url(template.replace("{reference}", "K-0000-0000"))
    return template


def _currency(value: str) -> str:
    import pycountry

    code = value.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"must be an ISO 4217 currency code such as USD or EUR, got {value!r}")
    return code


def currency_number(code: str) -> int:
    """ISO 4217 numeric code (840 for USD), which ZVT terminals use."""
    import pycountry

    return int(pycountry.currencies.get(alpha_3=code).numeric)


def _amount_cents(value: str) -> int:
    """A money amount in the city's currency ("50" or "49.99") as whole cents."""
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"must be an amount such as 50 or 49.99, got {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"must be an amount of at least 0 with at most 2 decimals, got {value!r}")
    if amount > 1_000_000:
        raise ValueError(f"must be at most 1000000, got {value!r}")
    return int(amount * 100)


def _coordinate(limit: float) -> Callable[[str], float | None]:
    def parse(value: str) -> float | None:
        if not value.strip():
            return None
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"must be decimal degrees such as 44.9225, got {value!r}") from None
        if not -limit <= number <= limit:
            raise ValueError(f"must be between {-limit:g} and {limit:g}, got {value!r}")
        return number

    return parse


def _optional_path(value: str) -> Path | None:
    return Path(value.strip()).expanduser() if value.strip() else None


@dataclass(frozen=True)
class _Field:
    parse: Callable[[str], object]
    default: str


SCHEMA: Mapping[str, Mapping[str, _Field]] = {
    "kiosk": {
        "id": _Field(_text, ""),
        "location": _Field(_text, ""),
        "mode": _Field(_one_of("production", "demo"), "production"),
        "city_name": _Field(_text, "Lindenfield"),
        "default_language": _Field(_one_of(*SUPPORTED_LANGUAGES), "en"),
        "languages": _Field(_language_list, ", ".join(SUPPORTED_LANGUAGES)),
        "help_phone": _Field(_text, ""),
        # Where the kiosk stands (WGS 84), for reports made "near this kiosk"; optional.
        "latitude": _Field(_coordinate(90), ""),
        "longitude": _Field(_coordinate(180), ""),
    },
    "portal": {
        "url": _Field(_portal_url, ""),
        "token_file": _Field(_optional_path, ""),
        "ca_bundle": _Field(_optional_path, ""),
        "connect_timeout_s": _Field(_seconds(0.1, 30), "3.05"),
        "read_timeout_s": _Field(_seconds(0.1, 120), "10"),
        "retries": _Field(_whole_number(0, 10), "3"),
        "identity_salt": _Field(_text, ""),
        # GeoReport v2 (Open311) base address; default: <url>/open311/v2. A city can
        # point it at the Open311 endpoint it already runs.
        "open311_url": _Field(_portal_url, ""),
        # The api_key that city's endpoint gave this kiosk, for GeoReport v2 POSTs.
        "open311_api_key_file": _Field(_optional_path, ""),
    },
    "session": {
        "inactivity_timeout_s": _Field(_seconds(15, 3600), "90"),
        # At least 20 s to react to the warning (kiosk-requirements item 4).
        "warning_s": _Field(_seconds(20, 600), "30"),
    },
    "display": {
        "fullscreen": _Field(_boolean, "yes"),
        "width": _Field(_whole_number(320, 7680), "1280"),
        "height": _Field(_whole_number(240, 4320), "800"),
    },
    "speech": {
        "engine": _Field(_one_of("espeak-ng", "none"), "espeak-ng"),
        "default_volume": _Field(_whole_number(0, 200), "100"),
        "rate_wpm": _Field(_whole_number(80, 400), "150"),
    },
    "devices": {
        **{kind: _Field(_one_of(*names), "simulator") for kind, names in DEVICE_DRIVERS.items()},
        # Part of a reader's name, for kiosks with more than one PC/SC reader.
        "card_reader": _Field(_text, ""),
        # printer = escpos: how to reach it (checked by the driver's own parser).
        **{f"printer_{option}": _Field(_text, "") for option in PRINTER_OPTIONS},
        # payment = zvt: how to reach the terminal (checked by the driver's own parser).
        **{f"payment_{option}": _Field(_text, "") for option in PAYMENT_OPTIONS},
    },
    "payments": {
        # What bills are paid in; the terminal is registered with this currency.
        "currency": _Field(_currency, "USD"),
        # Offline, a bill may be paid only if the kiosk looked it up at most this many
        # hours ago (0: no payments while offline)...
        "offline_max_bill_age_h": _Field(_whole_number(0, 720), "24"),
        # ...and only up to this amount per visit, in the currency above.
        "offline_max_amount": _Field(_amount_cents, "100"),
    },
    "storage": {
        "data_dir": _Field(_optional_path, ""),
        # Default: outbox.key in data_dir. Back it up: queued items need it.
        "key_file": _Field(_optional_path, ""),
        # Payments are refused (before charging) above this many undelivered items...
        "max_queued_items": _Field(_whole_number(10, 1_000_000), "5000"),
        # ...or with less free space than this on the data disk.
        "min_free_mb": _Field(_whole_number(0, 100_000), "50"),
        "sent_retention_days": _Field(_whole_number(0, 3650), "30"),
    },
    "receipts": {
        # The address a receipt's QR code opens; default: <portal url>/track/{reference}.
        "tracking_url": _Field(_tracking_url, ""),
    },
    "sync": {
        "batch_size": _Field(_whole_number(1, 500), "100"),
        "backoff_base_s": _Field(_seconds(0.01, 600), "2"),
        "backoff_max_s": _Field(_seconds(0.1, 86400), "300"),
        "health_interval_s": _Field(_seconds(1, 3600), "30"),
    },
}


@dataclass(frozen=True)
class Config:
    """Validated settings. ``get(section, key)`` returns the parsed value."""

    values: Mapping[tuple[str, str], object]
    source: str

    def get(self, section: str, key: str):
        return self.values[(section, key)]

    @property
    def demo(self) -> bool:
        return self.get("kiosk", "mode") == "demo"

    @property
    def data_dir(self) -> Path:
        return self.get("storage", "data_dir") or Path(platformdirs.user_data_dir(APP_NAME))

    @property
    def key_file(self) -> Path:
        return self.get("storage", "key_file") or self.data_dir / "outbox.key"

    def with_values(self, **changes: object) -> Config:
        """A copy with ``section__key=value`` changes, for values known only at run
        time (the loopback portal's address in demo mode)."""
        values = dict(self.values)
        for name, value in changes.items():
            section, key = name.split("__", 1)
            if (section, key) not in values:
                raise KeyError(name)
            values[(section, key)] = value
        return Config(MappingProxyType(values), self.source)


DEMO_OVERRIDES = {
    "kiosk": {
        "id": "demo-kiosk",
        "location": "Lindenfield Central Library",
        "latitude": "44.9225",
        "longitude": "-69.3080",
        "mode": "demo",
        "help_phone": "555-0100",
    },
    "display": {"fullscreen": "no"},
    "portal": {"identity_salt": "demo-salt"},
}


def parse_config(text: str, source: str = "<string>", *, demo: bool = False) -> Config:
    parser = configparser.ConfigParser(interpolation=None)
    if demo:
        parser.read_dict(DEMO_OVERRIDES)
    try:
        parser.read_string(text, source=source)
    except configparser.Error as error:
        raise ConfigError("file", None, f"{source} is not a valid INI file: {error}") from None
    return _validate(parser, source)


def load_config(path: str | Path | None, *, demo: bool = False) -> Config:
    """Load ``path`` (None: defaults only, for demo mode) and validate it."""
    if path is None:
        return parse_config("", "<defaults>", demo=demo)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("file", None, f"cannot read {path}: {error.strerror}") from None
    return parse_config(text, str(path), demo=demo)


def _validate(parser: configparser.ConfigParser, source: str) -> Config:
    values: dict[tuple[str, str], object] = {}
    for section in parser.sections():
        if section not in SCHEMA:
            raise ConfigError(section, None, f"unknown section; known: {', '.join(SCHEMA)}")
        for key in parser[section]:
            if key not in SCHEMA[section]:
                raise ConfigError(section, key, f"unknown key; known: {', '.join(SCHEMA[section])}")
    for section, fields in SCHEMA.items():
        for key, field in fields.items():
            raw = parser.get(section, key, fallback=field.default)
            try:
                values[(section, key)] = field.parse(raw)
            except ValueError as error:
                raise ConfigError(section, key, str(error)) from None
    _check_consistency(values)
    return Config(MappingProxyType(values), source)


def _check_consistency(values: Mapping[tuple[str, str], object]) -> None:
    if values[("kiosk", "default_language")] not in values[("kiosk", "languages")]:
        raise ConfigError("kiosk", "default_language", "must be one of [kiosk] languages")
    if (values[("kiosk", "latitude")] is None) != (values[("kiosk", "longitude")] is None):
        raise ConfigError("kiosk", "latitude", "set both latitude and longitude, or neither")
    if values[("sync", "backoff_base_s")] > values[("sync", "backoff_max_s")]:
        raise ConfigError("sync", "backoff_base_s", "must not be larger than backoff_max_s")
    if values[("devices", "printer")] == "escpos":
        _check_printer(values)
    if values[("devices", "payment")] == "zvt":
        _check_payment_terminal(values)
    timeout, warning = values[("session", "inactivity_timeout_s")], values[("session", "warning_s")]
    if warning >= timeout:
        raise ConfigError("session", "warning_s", "must be shorter than inactivity_timeout_s")
    if values[("kiosk", "mode")] == "production":
        for section, key in (("kiosk", "id"), ("portal", "url"), ("portal", "token_file")):
            if not values[(section, key)]:
                raise ConfigError(section, key, "is required in production mode")
        if values[("portal", "url")].startswith("http://"):
            raise ConfigError("portal", "url", "must use https:// in production mode")
        if not values[("portal", "identity_salt")]:
            raise ConfigError("portal", "identity_salt", "is required in production mode")
        if values[("portal", "open311_url")].startswith("http://"):
            raise ConfigError("portal", "open311_url", "must use https:// in production mode")


def open311_url(config: Config) -> str:
    """Where the kiosk's Open311 client and the delivery of reports go."""
    return config.get("portal", "open311_url") or config.get("portal", "url") + "/open311/v2"


def separate_open311(config: Config) -> bool:
    """True when reports go to an Open311 endpoint of their own (one the city already
    runs) rather than through the portal's sync batch."""
    configured = config.get("portal", "open311_url")
    return bool(configured) and configured != config.get("portal", "url") + "/open311/v2"


def _device_options(
    config_values: Mapping[tuple[str, str], object], kind: str, names: tuple[str, ...]
) -> dict[str, str]:
    """The ``[devices] <kind>_*`` keys that are set, without the prefix."""
    return {
        name: str(config_values[("devices", f"{kind}_{name}")])
        for name in names
        if config_values[("devices", f"{kind}_{name}")]
    }


def printer_options(config_values: Mapping[tuple[str, str], object]) -> dict[str, str]:
    """The ``printer_*`` keys that are set, named as the escpos driver expects."""
    return _device_options(config_values, "printer", PRINTER_OPTIONS)


def _check_printer(values: Mapping[tuple[str, str], object]) -> None:
    from drivers.printer.escpos_driver import (  # only escpos kiosks need it
        EscposSettings,
        PrinterOptionError,
    )

    options = printer_options(values)
    if "transport" not in options:
        raise ConfigError("devices", "printer_transport", "is required when printer = escpos")
    try:
        EscposSettings.from_options(options)
    except PrinterOptionError as error:
        raise ConfigError("devices", f"printer_{error.option}", str(error)) from None


def payment_options(config_values: Mapping[tuple[str, str], object]) -> dict[str, str]:
    """The ``payment_*`` keys that are set, named as the ZVT driver expects, with the
    terminal's currency."""
    options = _device_options(config_values, "payment", PAYMENT_OPTIONS)
    options["currency"] = str(currency_number(config_values[("payments", "currency")]))
    return options


def _check_payment_terminal(values: Mapping[tuple[str, str], object]) -> None:
    from drivers.payment.zvt.ecr import OptionError, ZvtSettings  # only zvt kiosks need it

    try:
        ZvtSettings.from_options(payment_options(values))
    except OptionError as error:
        raise ConfigError("devices", f"payment_{error.option}", str(error)) from None

"""One logging setup for the whole kiosk: stdlib logging, personal data redacted.

Redaction happens in a filter on the handler, so it also covers messages from
libraries (requests, Kivy with KIVY_LOG_MODE=PYTHON) and not only our own calls.
"""

from __future__ import annotations

import logging
import re
import sys

_RULES: tuple[tuple[re.Pattern[str], object], ...] = (
    # Bearer tokens and API keys: never useful in a log, always dangerous.
    (
        re.compile(r"(?i)(bearer\s+|api_key=|token[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]{8,}"),
        r"\1[redacted]",
    ),
    # Belgian national number (YY.MM.DD-XXX.CC or 11 digits).
    (re.compile(r"\b\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}\b"), "[national-number]"),
    # Card numbers (PAN-length digit runs, spaces or dashes allowed): last 4 stay.
    (re.compile(r"\b(?:\d[ -]?){8,15}(\d{4})\b"), r"[card ****\1]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(level: int | str = logging.INFO, stream=None) -> logging.Handler:
    """Install the kiosk's single handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_civic_kiosk", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._civic_kiosk = True
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler

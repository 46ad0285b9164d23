import io
import logging

from hypothesis import given
from hypothesis import strategies as st

from kiosk.logging_setup import redact, setup_logging


@given(st.text(alphabet="0123456789", min_size=12, max_size=19))
def test_card_numbers_keep_at_most_last_four(digits):
    out = redact(f"paid with {digits} ok")
    assert digits not in out
    assert digits[-4:] in out


def test_national_number_email_and_token_are_redacted():
    text = "nn 85.07.30-033.61 mail ana@example.org Authorization: Bearer abcdefgh12345678"
    out = redact(text)
    assert "85.07.30" not in out and "033.61" not in out
    assert "ana@example.org" not in out
    assert "abcdefgh12345678" not in out


def test_handler_redacts_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = setup_logging(logging.INFO, stream=stream)
    try:
        log = logging.getLogger("test.redaction")
        log.info("card %s read", "4111111111111111")
        try:
            raise ValueError("bad pan 5500005555555559")
        except ValueError:
            log.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    assert "4111111111111111" not in output and "1111" in output
    assert "5500005555555559" not in output

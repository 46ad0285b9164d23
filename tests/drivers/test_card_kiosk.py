"""The whole kiosk core with the real PC/SC driver: a card in the reader signs in."""

from __future__ import annotations

import time

import pytest

from kiosk.config import load_config
from kiosk.runtime import build_runtime


def wait_for(condition, what: str, limit_s: float = 10.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def kiosk(tmp_path, pcscd, card_slot):
    config = load_config(None, demo=True).with_values(
        storage__data_dir=tmp_path,
        devices__card="pcsc",
        devices__card_reader=card_slot.reader,
        speech__engine="none",
    )
    runtime = build_runtime(config, call_soon=lambda function: function(), start_sync=False)
    yield runtime.model
    runtime.close()


def test_inserting_a_real_card_signs_in_and_removing_it_ends_the_visit(kiosk, card_slot):
    card_slot.insert("beid-maria")
    wait_for(lambda: kiosk.welcome_text() == "Welcome, María José Van den Brûle.", "the welcome")
    assert kiosk.screen == "home"
    assert kiosk.session.identity.profile == "beid"
    assert "92051212329" not in repr(kiosk.session.identity)

    card_slot.remove()
    wait_for(lambda: kiosk.screen == "attract", "the visit to end")
    assert kiosk.session.identity is None

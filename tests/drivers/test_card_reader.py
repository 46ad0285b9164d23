import datetime
import queue
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card.interface import (
    CardData,
    CardInserted,
    CardRead,
    CardRemoved,
    ReaderAdded,
    ReadFailed,
)
from drivers.card.simulator import READER_NAME, SimulatedCardReader

WAIT_S = 10  # only a guard against hanging; no test depends on it

CARD = CardData(
    profile="beid",
    identifier="85073003328",
    display_name="Ann Example",
    expires=datetime.date(2030, 6, 30),
    extra={"address": "Main Street 1, 1000 Brussels"},
)


@pytest.fixture
def reader():
    reader = SimulatedCardReader(delay_s=0)
    events = queue.Queue()
    reader.subscribe(events.put)
    reader.start()
    reader.events = events
    yield reader
    reader.stop()


def next_events(reader, count):
    return [reader.events.get(timeout=WAIT_S) for _ in range(count)]


def test_reader_added_on_start(reader):
    assert next_events(reader, 1) == [ReaderAdded(READER_NAME)]
    assert reader.readers() == [READER_NAME]


def test_insert_read_remove_order(reader):
    reader.insert(CARD)
    reader.remove()

    assert next_events(reader, 4) == [
        ReaderAdded(READER_NAME),
        CardInserted(READER_NAME),
        CardRead(READER_NAME, CARD),
        CardRemoved(READER_NAME),
    ]


def test_unsupported_card_fails_after_insert(reader):
    reader.insert_unsupported()
    reader.remove()

    added, inserted, failed, removed = next_events(reader, 4)
    assert (added, inserted, removed) == (
        ReaderAdded(READER_NAME),
        CardInserted(READER_NAME),
        CardRemoved(READER_NAME),
    )
    assert isinstance(failed, ReadFailed)
    assert failed.reason == "unsupported_card"


def test_second_insert_without_remove_is_refused(reader):
    reader.insert(CARD)

    with pytest.raises(RuntimeError, match="already inserted"):
        reader.insert(CARD)


def test_remove_without_card_emits_nothing(reader):
    reader.remove()
    reader.insert(CARD)

    assert [type(e) for e in next_events(reader, 3)] == [ReaderAdded, CardInserted, CardRead]


def test_insert_before_start_is_refused():
    with pytest.raises(RuntimeError, match="not started"):
        SimulatedCardReader().insert(CARD)


def test_failing_subscriber_does_not_starve_others():
    reader = SimulatedCardReader(delay_s=0)
    events = queue.Queue()
    reader.subscribe(lambda event: 1 / 0)
    reader.subscribe(events.put)
    reader.start()
    try:
        assert events.get(timeout=WAIT_S) == ReaderAdded(READER_NAME)
    finally:
        reader.stop()


@settings(database=None)
@given(
    identifier=st.text(alphabet=string.digits + string.ascii_uppercase, min_size=6, max_size=32),
    street=st.text(alphabet=string.ascii_letters, min_size=6, max_size=20),
)
def test_repr_never_contains_raw_identifier_or_extra_values(identifier, street):
    card = CardData("uid", identifier, "Ann Example", None, {"address": street})

    for text in (repr(card), str(card), repr(CardRead(READER_NAME, card))):
        assert identifier not in text
        assert street not in text


def test_repr_shows_last_four_of_long_identifiers():
    assert "****3328" in repr(CARD)


def test_extra_is_read_only():
    with pytest.raises(TypeError):
        CARD.extra["address"] = "elsewhere"
    assert CARD.extra["address"].startswith("Main Street")


def test_card_data_is_hashable():
    assert len({CARD, CARD}) == 1


def test_expired_on():
    assert not CARD.expired_on(datetime.date(2030, 6, 30))
    assert CARD.expired_on(datetime.date(2030, 7, 1))
    assert not CardData("uid", "04A1B2C3D4", "").expired


def test_unknown_profile_is_rejected():
    with pytest.raises(ValueError, match="profile"):
        CardData("passport", "X1234567", "Ann")

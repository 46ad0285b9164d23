import pytest

from kiosk.identity import ResidentIdentity
from kiosk.session import ResidentSession, TimeoutEvent
from kiosk.theme import Theme


@pytest.fixture
def session(clock):
    return ResidentSession(
        default_language="en", inactivity_timeout_s=90, warning_s=30, clock=clock
    )


def test_warns_then_expires(session, clock):
    session.start()
    clock.now += 59
    assert session.tick() is None
    clock.now += 1
    assert session.tick() is TimeoutEvent.WARN
    assert session.tick() is None  # warned once, not every second
    assert session.seconds_left() == pytest.approx(30)
    clock.now += 30
    assert session.tick() is TimeoutEvent.EXPIRE


def test_activity_postpones_but_not_during_warning(session, clock):
    session.start()
    clock.now += 50
    session.record_activity()
    clock.now += 50
    assert session.tick() is None
    clock.now += 10
    assert session.tick() is TimeoutEvent.WARN
    session.record_activity()  # a stray touch must not silently cancel the warning
    clock.now += 30
    assert session.tick() is TimeoutEvent.EXPIRE


def test_more_time_can_be_asked_many_times(session, clock):
    session.start()
    for _ in range(12):
        clock.now += 60
        assert session.tick() is TimeoutEvent.WARN
        session.extend()
        assert not session.warning
    assert session.extensions == 12
    clock.now += 59
    assert session.tick() is None


def test_wipe_clears_everything_personal(session):
    session.start()
    session.identity = ResidentIdentity("uid", "abc", "Ana")
    session.remember("home.search", "water")
    session.preferences.language = "es"
    session.preferences.theme = Theme(large_text=True, high_contrast=True)
    session.preferences.speech = True
    session.preferences.volume = 180
    entered = session.entered
    session.wipe()
    assert not session.active and session.identity is None
    assert session.entered == {} and entered == {}
    assert session.preferences.language == "en"
    assert session.preferences.theme == Theme()
    assert session.preferences.speech is False and session.preferences.volume == 100


def test_idle_kiosk_never_times_out(session, clock):
    clock.now += 10_000
    assert session.tick() is None


def test_warning_must_precede_timeout(clock):
    with pytest.raises(ValueError):
        ResidentSession(default_language="en", inactivity_timeout_s=30, warning_s=30, clock=clock)

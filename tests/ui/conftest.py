"""Offscreen Kivy for UI tests: the real app, rendered through EGL, tapped for real.

Kivy allows one Window per process, so the app is built once per session and
each test starts from a wiped session on the attract screen.
"""

import tempfile
import time
from pathlib import Path

import pytest

from screens.bootstrap import configure_kivy

_KIVY_HOME = Path(tempfile.mkdtemp(prefix="civic-kiosk-kivy-"))
configure_kivy(width=1280, height=800, fullscreen=False, kivy_home=_KIVY_HOME, offscreen=True)

from kivy.base import EventLoop  # noqa: E402 - must follow configure_kivy
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402

from kiosk.config import load_config  # noqa: E402
from kiosk.runtime import build_runtime  # noqa: E402
from kiosk.speech import SilentSpeaker  # noqa: E402


class FakeClock:
    def __init__(self):
        self.now = 10_000.0

    def __call__(self):
        return self.now


class KioskDriver:
    """What a test needs to use the kiosk like a resident: look, tap, wait."""

    def __init__(self, app, clock):
        self.app, self.clock = app, clock

    @property
    def model(self):
        return self.app.model

    def pump(self, frames: int = 3) -> None:
        for _ in range(frames):
            EventLoop.idle()

    def wait_until(self, condition, what: str, limit_s: float = 10.0) -> None:
        deadline = time.monotonic() + limit_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}")
            self.pump(1)

    def widgets(self, root=None):
        roots = [root] if root else list(Window.children)
        for top in roots:
            yield from top.walk(restrict=True)

    def find(self, action: str):
        matches = [w for w in self.widgets() if getattr(w, "action", None) == action]
        visible = [w for w in matches if self._visible(w)]
        assert visible, f"no visible widget with action {action!r}"
        return visible[0]

    def _visible(self, widget) -> bool:
        node = widget
        while node is not None and node is not Window:
            if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
                return False
            manager = getattr(node, "manager", None)
            if manager is not None and hasattr(manager, "current") and manager.current != node.name:
                return False
            node = node.parent
        return True

    def texts(self) -> list[str]:
        """Every text a resident can currently see."""
        return [
            w.text
            for w in self.widgets()
            if isinstance(getattr(w, "text", None), str) and w.text and self._visible(w)
        ]

    def tap(self, widget) -> None:
        in_list = self._scroll_into_view(widget)
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(1)
        touch.touch_up()
        self.pump(3)
        if in_list:
            # A ScrollView hands a short tap to the button 0.2 s after the finger
            # lifts (Kivy's _do_touch_up): wait for it, or the click would land in
            # the middle of whatever the test does next.
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:
                self.pump(1)
            self.pump(2)

    def _scroll_into_view(self, widget) -> bool:
        """What a resident does first when a button is below the fold; True when the
        widget is in a scrolling list."""
        node = widget.parent
        while node is not None and node is not Window:
            if isinstance(node, ScrollView):
                if node.viewport_size[1] > node.height:  # only a list that can scroll
                    node.scroll_to(widget, padding=10, animate=False)
                self.pump(2)
                return True
            node = node.parent
        return False

    def tap_action(self, action: str) -> None:
        self.tap(self.find(action))

    @property
    def screen(self) -> str:
        return self.app.root_widget.ids.screens.current


@pytest.fixture(scope="session")
def kiosk_app():
    from screens.app import KioskApp

    data_dir = Path(tempfile.mkdtemp(prefix="civic-kiosk-ui-"))
    config = load_config(None, demo=True).with_values(storage__data_dir=data_dir)
    clock = FakeClock()
    runtime = build_runtime(
        config,
        call_soon=lambda f: Clock.schedule_once(lambda _dt: f()),
        speaker=SilentSpeaker(),
        clock=clock,
    )
    app = KioskApp(runtime.model, animate=False)
    app._run_prepare()  # what App.run() does before its endless loop...
    EventLoop.start()  # ...and what runTouchApp() does; tests pump frames themselves
    driver = KioskDriver(app, clock)
    driver.runtime = runtime
    driver.wait_until(lambda: runtime.model.catalogue is not None, "the demo catalogue")
    yield driver
    app.stop()
    runtime.close()


@pytest.fixture
def kiosk(kiosk_app):
    kiosk_app.model.end_session("test reset")
    kiosk_app.model.speaker.spoken.clear()
    kiosk_app.pump()
    assert kiosk_app.screen == "attract"
    return kiosk_app

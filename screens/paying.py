from __future__ import annotations

from pathlib import Path

from kivy.animation import Animation
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.widget import Widget

from screens.base import KioskScreen

Builder.load_file(str(Path(__file__).with_name("paying.kv")))


class WorkingBar(Widget):
    """A block sliding to and fro along a track: the kiosk is working, not frozen."""

    phase = NumericProperty(0.0)
    running = BooleanProperty(False)

    def on_running(self, _bar, running: bool) -> None:
        Animation.cancel_all(self, "phase")
        if running:
            swing = Animation(phase=1.0, duration=1.1, t="in_out_sine") + Animation(
                phase=0.0, duration=1.1, t="in_out_sine"
            )
            swing.repeat = True
            swing.start(self)


class PayingScreen(KioskScreen):
    """The payment in progress: what the card terminal wants now, in words."""

    heading = StringProperty("")
    stage = StringProperty("")
    can_cancel = BooleanProperty(False)

    def refresh(self) -> None:
        model = self.model
        if model.payment_order is not None:
            self.heading = model._("Paying {amount}").format(amount=model.order_total_text())
        self.stage = model.payment_stage_text()
        self.can_cancel = model.can_cancel_payment()

    def on_enter(self, *_args) -> None:
        self.ids.working.running = True

    def on_leave(self, *_args) -> None:
        self.ids.working.running = False

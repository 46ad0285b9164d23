"""Baseline for bench/startup.py: the smallest Kivy app with the kiosk's settings.

Prints the same "first frame" line as main.py, then exits.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.procinfo import process_age_s, rss_mb  # noqa: E402
from screens.bootstrap import configure_kivy  # noqa: E402

configure_kivy(
    width=1280,
    height=800,
    fullscreen=False,
    kivy_home=Path(tempfile.mkdtemp(prefix="bench-kivy-")),
    offscreen=True,
)
from kivy.app import App  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.label import Label  # noqa: E402


class BaselineApp(App):
    def build(self):
        Window.bind(on_flip=self._first_frame)
        return Label(text="Touch to start", font_size=44)

    def _first_frame(self, *_args):
        Window.unbind(on_flip=self._first_frame)
        print(
            f"first frame {process_age_s():.2f} s after start, RSS {rss_mb():.0f} MB",
            file=sys.stderr,
        )
        self.stop()


BaselineApp().run()

"""The Kivy application: a thin skin over kiosk.model.KioskModel.

It mirrors the model's state into Kivy properties (language, theme, speech) so
the KV rules redraw themselves, and forwards every tap to a model intent.
Importing this module needs screens.bootstrap.configure_kivy() to have run.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import FadeTransition, NoTransition, ScreenManager

from kiosk.model import HOME, KioskModel
from kiosk.theme import STANDARD
from screens import widgets  # noqa: F401 - registers the shared widget rules
from screens.account_contact import AccountContactScreen
from screens.account_name import AccountNameScreen
from screens.account_start import AccountStartScreen
from screens.attract import AttractScreen
from screens.bar import AccessibilityBar  # noqa: F401 - used in app.kv
from screens.coming_soon import ComingSoonScreen
from screens.confirmation import ConfirmationScreen
from screens.help import HelpScreen
from screens.home import HomeScreen
from screens.news import NewsScreen
from screens.pay_amount import PayAmountScreen
from screens.pay_bill import PayBillScreen
from screens.pay_confirm import PayConfirmScreen
from screens.pay_outcome import PayOutcomeScreen
from screens.paying import PayingScreen
from screens.permit_form import PermitFormScreen
from screens.permit_review import PermitReviewScreen
from screens.permits import PermitsScreen
from screens.receipt_choice import ReceiptChoiceScreen
from screens.receipt_contact import ReceiptContactScreen
from screens.records import RecordScreen, RecordsScreen
from screens.report_form import ReportDescriptionScreen, ReportDetailsScreen
from screens.report_location import ReportLocationScreen
from screens.report_review import ReportReviewScreen
from screens.report_services import ReportServicesScreen
from screens.survey import SurveyScreen
from screens.timeout_warning import TimeoutWarning
from screens.track import TrackScreen
from screens.track_mine import TrackMineScreen
from screens.track_result import TrackResultScreen

log = logging.getLogger(__name__)
Builder.load_file(str(Path(__file__).with_name("app.kv")))

SCREEN_CLASSES = (
    AttractScreen,
    HomeScreen,
    ComingSoonScreen,
    HelpScreen,
    NewsScreen,
    RecordsScreen,
    RecordScreen,
    SurveyScreen,
    ConfirmationScreen,
    ReceiptChoiceScreen,
    ReceiptContactScreen,
    PayBillScreen,
    PayAmountScreen,
    PayConfirmScreen,
    PayingScreen,
    PayOutcomeScreen,
    TrackScreen,
    TrackResultScreen,
    TrackMineScreen,
    AccountStartScreen,
    AccountNameScreen,
    AccountContactScreen,
    ReportServicesScreen,
    ReportDetailsScreen,
    ReportLocationScreen,
    ReportDescriptionScreen,
    ReportReviewScreen,
    PermitsScreen,
    PermitFormScreen,
    PermitReviewScreen,
)

# Changes that only the screen on show needs to redraw (besides each flow's own topic).
SCREEN_TOPICS = frozenset({"survey", "submission", "receipt", "printer", "bills", "payment"})


COMPACT_HEIGHT = 600


def display_scale(width: float, height: float) -> float:
    """Text and spacing for this window, relative to the 1280x800 the KV sizes are for.

    A 7-inch 800x480 panel gets smaller type (never under 0.75: 22 px body text stays
    16 px) so a screen's content still fits; a 1920x1080 one gets larger type, not a
    sea of empty space.
    """
    return max(0.75, min(1.5, width / 1280, height / 800))


class KioskRoot(BoxLayout):
    pass


class KioskApp(App):
    lang = StringProperty("en")
    # rebind: KV rules read app.palette.<colour>; without it they would keep
    # the colours of the palette they first saw.
    palette = ObjectProperty(STANDARD, rebind=True)
    # The theme's text size times the display's: every size in KV is written for
    # 1280x800 and multiplied by this.
    font_scale = NumericProperty(1.0)
    high_contrast = BooleanProperty(False)
    # A short panel (7-inch 800x480): screens with a keyboard put it beside the form.
    compact = BooleanProperty(False)
    large_text = BooleanProperty(False)
    speech_on = BooleanProperty(False)
    rtl = BooleanProperty(False)
    demo = BooleanProperty(False)
    session_active = BooleanProperty(False)
    city_name = StringProperty("")
    online = BooleanProperty(False)
    connection_text = StringProperty("")

    def __init__(self, model: KioskModel, *, animate: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.demo = model.demo
        self.animate = animate
        self.title = "Civic Kiosk"
        self.timeout_warning: TimeoutWarning | None = None
        self.first_frame_callbacks: list = []

    # KV helpers --------------------------------------------------------------

    def tr(self, message: str, *_bindings) -> str:
        """Translate; KV passes app.lang as a binding so text follows switches."""
        return self.model._(message)

    # Life cycle --------------------------------------------------------------

    def build(self):
        Window.bind(on_request_close=self._refuse_close)
        Window.bind(on_touch_down=self._activity, on_key_down=self._activity)
        Window.bind(size=lambda *_args: self._on_model_change("theme"))
        self.root_widget = KioskRoot()
        manager: ScreenManager = self.root_widget.ids.screens
        manager.transition = FadeTransition(duration=0.15) if self.animate else NoTransition()
        for screen_class in SCREEN_CLASSES:
            manager.add_widget(screen_class())
        self.timeout_warning = TimeoutWarning()
        self.model.subscribe(self._on_model_change)
        self._sync_all()
        self.model.load_catalogue()
        Clock.schedule_interval(lambda _dt: self.model.tick(), 1.0)
        Window.bind(on_flip=self._first_frame)
        return self.root_widget

    def _first_frame(self, *_args) -> None:
        # on_flip: the first frame is on screen, not merely scheduled.
        Window.unbind(on_flip=self._first_frame)
        for callback in self.first_frame_callbacks:
            callback()

    @staticmethod
    def _refuse_close(*_args, **_kwargs) -> bool:
        # A resident must never reach the desktop; technicians use SSH or the
        # technician screen. Returning True tells Kivy the request was handled.
        log.info("window close request ignored (kiosk mode)")
        return True

    def _activity(self, *_args) -> None:
        self.model.user_activity()

    # Model → Kivy ------------------------------------------------------------

    def screen(self, name: str):
        return self.root_widget.ids.screens.get_screen(name)

    def _sync_all(self) -> None:
        for topic in ("language", "theme", "speech", "catalogue", "screen", "timeout", "online"):
            self._on_model_change(topic)

    def _on_model_change(self, topic: str) -> None:
        model = self.model
        if topic == "language":
            self.lang = model.language
            self.rtl = model.translator.right_to_left
            self.city_name = model.city_name()  # the city gives its name in each language
            self._refresh_screens()
        elif topic == "theme":
            self.palette = model.theme.palette
            self.font_scale = model.theme.font_scale * display_scale(*Window.size)
            self.compact = Window.height < COMPACT_HEIGHT
            self.high_contrast = model.theme.high_contrast
            self.large_text = model.theme.large_text
            self._refresh_screens()
        elif topic == "speech":
            self.speech_on = model.speech_on
        elif topic == "catalogue":
            self.city_name = model.city_name()
            self._refresh_screens()
        elif topic == "search":
            # Only the home screen lists search results; typing must stay cheap.
            self.screen(HOME).refresh()
        elif topic == "screen":
            self.screen(model.screen).refresh()
            self.root_widget.ids.screens.current = model.screen
        elif topic in ("timeout", "timeout_countdown"):
            self._sync_timeout_warning()
        elif topic == "online":
            self._sync_connection()
            if model.screen == "confirmation":
                self.screen(model.screen).refresh()
        elif topic in SCREEN_TOPICS or topic in model.flows:
            self.screen(model.screen).refresh()
        elif topic == "identity":
            self.screen(HOME).refresh_identity()
        self.session_active = model.session.active

    def _refresh_screens(self) -> None:
        for screen in self.root_widget.ids.screens.screens:
            screen.refresh()
        self._sync_timeout_warning()
        self._sync_connection()

    def _sync_connection(self) -> None:
        self.online = bool(self.model.online)
        self.connection_text = self.model.connection_text()

    def _sync_timeout_warning(self) -> None:
        warning = self.timeout_warning
        if warning is None:
            return
        if self.model.session.warning:
            warning.refresh()
            if not warning.showing:
                warning.open(animation=False)
        elif warning.showing:
            warning.dismiss(animation=False)

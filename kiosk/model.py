"""The kiosk's brain, free of Kivy: screens show its state and forward intents.

Every intent (start, search, switch language, toggle speech...) is a method here,
and every change is announced to subscribers by topic. The Kivy layer subscribes
and redraws; tests drive this class directly, with a fake clock, no display.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.card_sign_in import CardSignIn
from kiosk.catalogue import Catalogue, CatalogueError, Service
from kiosk.config import Config
from kiosk.flows import FLOW_CLASSES
from kiosk.flows.base import Flow
from kiosk.i18n import LANGUAGE_NAMES, N_, Translator, pick
from kiosk.payment_flow import PAYMENT_SCREENS, PaymentFlow
from kiosk.portal_client import PortalClient, PortalError, PortalUnavailable
from kiosk.receipt_flow import CONTACT_HELP, RECEIPT_CHOICE, RECEIPT_CONTACT, ReceiptFlow
from kiosk.session import ResidentSession, TimeoutEvent
from kiosk.speech import SilentSpeaker, Speaker
from kiosk.submissions import CONFIRMATION, Submissions
from kiosk.survey import QUESTIONS, SurveyForm
from kiosk.theme import Theme

log = logging.getLogger(__name__)

ATTRACT, HOME, HELP, COMING_SOON = "attract", "home", "help", "coming_soon"
SURVEY = "survey"
# Services with a screen of their own at this kiosk; the rest are honest about it.
BUILT_SERVICES = {"survey": SURVEY}
CATALOGUE_CACHE_KEY = "catalogue"
CATALOGUE_REFRESH_S = 300

Background = Callable[[Callable[[], object], Callable[[object, Exception | None], None]], None]


def run_in_thread(call_soon: Callable[[Callable[[], None]], None]) -> Background:
    """Run work off the UI thread and deliver its result back through call_soon."""

    def background(work, done):
        def runner():
            try:
                result, error = work(), None
            except Exception as exc:  # delivered to done(), which decides
                result, error = None, exc
            call_soon(lambda: done(result, error))

        threading.Thread(target=runner, name="kiosk-work", daemon=True).start()

    return background


def run_now(work, done) -> None:
    """Synchronous stand-in for run_in_thread, for tests and tools."""
    try:
        result, error = work(), None
    except Exception as exc:
        result, error = None, exc
    done(result, error)


@dataclass
class CatalogueStatus:
    state: str = "loading"  # loading | ready | unavailable
    from_cache: bool = False
    loaded_at: float | None = None
    error: str = ""


class KioskModel(CardSignIn, Submissions, ReceiptFlow, PaymentFlow):
    def __init__(
        self,
        config: Config,
        *,
        portal: PortalClient | None = None,
        speaker: Speaker | None = None,
        cache=None,
        outbox=None,
        alerts=None,
        sync=None,
        print_jobs=None,
        printing=None,
        payment_desk=None,
        clock: Callable[[], float] = time.monotonic,
        background: Background = run_now,
        call_soon: Callable[[Callable[[], None]], None] | None = None,
    ):
        self.config = config
        self.portal = portal
        self.speaker = speaker or SilentSpeaker()
        self.cache = cache
        self.outbox = outbox
        self.alerts = alerts
        self.sync = sync
        # offline.print_jobs.PrintJobs on this (the UI thread's) connection, and the
        # kiosk.printing.PrintWorker that prints them; None: this kiosk prints nothing.
        self.print_jobs = print_jobs
        self.printing = printing
        self.printer_status = None  # drivers.printer.interface.PrinterStatus, once known
        # kiosk.payments.PaymentDesk; None: this kiosk takes no payments.
        self.payment_desk = payment_desk
        # Runs a function on the UI thread; the payment's progress arrives through it.
        self._notify = call_soon or (lambda function: function())
        self._clock = clock
        self._background = self._noting_outages(background)
        self.languages: tuple[str, ...] = config.get("kiosk", "languages")
        self.translator = Translator(config.get("kiosk", "default_language"))
        self.session = ResidentSession(
            default_language=config.get("kiosk", "default_language"),
            inactivity_timeout_s=config.get("session", "inactivity_timeout_s"),
            warning_s=config.get("session", "warning_s"),
            default_volume=config.get("speech", "default_volume"),
            clock=clock,
        )
        self.screen = ATTRACT
        self._return_screen = HOME
        self.selected_service: Service | None = None
        self.search_query = ""
        self.catalogue: Catalogue | None = None
        self.catalogue_status = CatalogueStatus()
        self.online: bool | None = None
        self.queued_count = 0
        self.unavailable_reason: str | None = None
        self.survey = SurveyForm()
        self.last_submission = None  # offline.outbox.QueuedItem of this session
        self.submission_state = ""
        self._reset_receipt()
        self._reset_payment()
        # Untranslated message about the card just used (unsupported, expired...).
        self.card_notice: str | None = None
        # Demo kiosks only: (label, insert) for each demo card, and taking it out.
        self.demo_cards: list[tuple[str, Callable[[], None]]] = []
        self.remove_demo_card: Callable[[], None] | None = None
        # Demo kiosks only: make the simulated printer run out of paper, and back.
        self.demo_set_printer_status: Callable[[object], None] | None = None
        # Demo kiosks only: the card terminal simulator (drivers.payment.zvt.simulator).
        self.demo_terminal = None
        self._observers: list[Callable[[str], None]] = []
        # Last: a flow's reset() may read the model's other attributes.
        self.flows: dict[str, Flow] = {cls.name: cls(self) for cls in FLOW_CLASSES}

    def _noting_outages(self, background: Background) -> Background:
        """Any portal call that finds the portal unreachable makes the kiosk offline at
        once, so what is submitted next says "queued" (on screen and on its receipt)
        without waiting for the sync worker's next probe, which brings it back online."""

        def run(work, done) -> None:
            def finished(result, error: Exception | None) -> None:
                if isinstance(error, PortalUnavailable) and self.online is not False:
                    self.online = False
                    self._changed("online")
                done(result, error)

            background(work, finished)

        return run

    # Observation -------------------------------------------------------------

    def subscribe(self, observer: Callable[[str], None]) -> None:
        self._observers.append(observer)

    def _changed(self, *topics: str) -> None:
        for topic in topics:
            for observer in list(self._observers):
                observer(topic)

    # Reading state -----------------------------------------------------------

    def _(self, message: str) -> str:
        return self.translator.gettext(message)

    @property
    def language(self) -> str:
        return self.session.preferences.language

    @property
    def theme(self) -> Theme:
        return self.session.preferences.theme

    @property
    def speech_on(self) -> bool:
        return self.session.preferences.speech

    @property
    def demo(self) -> bool:
        return self.config.demo

    def city_name(self) -> str:
        if self.catalogue:
            return pick(self.catalogue.city_name, self.language)
        return self.config.get("kiosk", "city_name")

    def help_contact(self) -> str:
        phone = self.config.get("kiosk", "help_phone")
        if self.catalogue and pick(self.catalogue.help_contact, self.language):
            return pick(self.catalogue.help_contact, self.language)
        if phone:
            return self._("Call {phone} for help.").format(phone=phone)
        return ""

    def visible_groups(self) -> list[tuple[str, list[Service]]]:
        if not self.catalogue:
            return []
        services = self.catalogue.search(self.search_query, self.language)
        return [
            (pick(category.title, self.language), members)
            for category, members in self.catalogue.grouped(services)
        ]

    def service_title(self, service: Service) -> str:
        return pick(service.title, self.language)

    def service_summary(self, service: Service) -> str:
        return pick(service.summary, self.language)

    # Intents -----------------------------------------------------------------

    def start_session(self) -> None:
        if not self.session.active:
            self.session.start()
        self._go(HOME)

    def user_activity(self) -> None:
        self.session.record_activity()

    def choose_language(self, language: str) -> None:
        if language not in self.languages:
            raise ValueError(f"language {language!r} is not offered at this kiosk")
        self._ensure_session()
        self.session.preferences.language = language
        self.translator.set_language(language)
        self._changed("language")
        self._speak_screen()

    def choose_language_and_start(self, language: str) -> None:
        self.choose_language(language)
        self.start_session()

    def toggle_large_text(self) -> None:
        self._set_theme(self.theme.toggled(large_text=True))

    def toggle_high_contrast(self) -> None:
        self._set_theme(self.theme.toggled(high_contrast=True))

    def _set_theme(self, theme: Theme) -> None:
        self._ensure_session()
        self.session.preferences.theme = theme
        self._changed("theme")

    def toggle_speech(self) -> None:
        self._ensure_session()
        preferences = self.session.preferences
        preferences.speech = not preferences.speech
        if preferences.speech:
            self.speaker.set_volume(preferences.volume)
            self._speak_screen()
        else:
            self.speaker.stop()
        self._changed("speech")

    def repeat_speech(self) -> None:
        if self.speech_on:
            self._speak_screen()

    def set_search(self, query: str) -> None:
        self.session.record_activity()
        if query != self.search_query:
            self.search_query = query
            self.session.remember("home.search", query)
            self._changed("search")

    def open_service(self, service_id: str) -> None:
        service = self.catalogue.service(service_id) if self.catalogue else None
        if service is None:
            raise KeyError(service_id)
        self.selected_service = service
        flow = self._flow_for_service(service_id)
        # Refused up front when the kiosk could not record a charge.
        takes_payment = flow is not None and flow.takes_payment
        self.unavailable_reason = self.payment_refusal() if takes_payment else None
        if self.unavailable_reason:
            self._go(COMING_SOON)
            return
        if takes_payment and self._needs_receipt_choice(service_id):
            self._go(RECEIPT_CHOICE)
            return
        self._enter_service(service_id)

    def _enter_service(self, service_id: str) -> None:
        flow = self._flow_for_service(service_id)
        if flow is not None:
            flow.open(service_id)
            return
        if service_id == "survey":
            self.survey = self._remembered_survey()
        self._go(BUILT_SERVICES.get(service_id, COMING_SOON))

    def open_help(self) -> None:
        self._ensure_session()
        if self.screen != HELP:
            self._return_screen = self.screen if self.screen != ATTRACT else HOME
        self._go(HELP)

    def close_help(self) -> None:
        self._go(self._return_screen)

    def go_home(self) -> None:
        self.selected_service = None
        self._go(HOME)

    def cancel_service(self) -> None:
        """The resident gave up on what they were doing: forget it, back to the services."""
        flow = self._flow_for_screen(self.screen)
        if flow is not None:
            flow.reset()
        self._cancel_payment_order()  # on a payment screen: the flow that asked forgets
        self.go_home()

    def _flow_for_service(self, service_id: str) -> Flow | None:
        return next((f for f in self.flows.values() if service_id in f.service_ids), None)

    def _flow_for_screen(self, screen: str) -> Flow | None:
        return next((f for f in self.flows.values() if screen in f.screens), None)

    def more_time(self) -> None:
        self.session.extend()
        self._changed("timeout")
        self._speak_screen()

    def end_session(self, reason: str = "finished") -> None:
        """Wipe everything personal and return to the attract screen."""
        log.info("session ended (%s) after %d extension(s)", reason, self.session.extensions)
        self.speaker.stop()
        self.session.wipe()
        self.speaker.set_volume(self.session.preferences.volume)
        self.translator.set_language(self.session.preferences.language)
        self.search_query = ""
        self.selected_service = None
        self.unavailable_reason = None
        self.survey = SurveyForm()
        self.last_submission = None
        self.submission_state = ""
        self._abandon_receipt()
        self._reset_receipt()
        self._reset_payment()
        self.card_notice = None
        for flow in self.flows.values():
            flow.reset()
        self._return_screen = HOME
        self.screen = ATTRACT
        self._changed("language", "theme", "speech", "search", "timeout", "identity", "screen")
        self._refresh_catalogue_if_stale()

    def tick(self) -> None:
        event = self.session.tick()
        if event is TimeoutEvent.WARN:
            self._changed("timeout")
            self._say(self.timeout_warning_text())
        elif event is TimeoutEvent.EXPIRE:
            self.end_session("timeout")
        elif self.session.warning:
            self._changed("timeout_countdown")

    def _ensure_session(self) -> None:
        if not self.session.active:
            self.session.start()

    def _go(self, screen: str) -> None:
        self.session.record_activity()
        self.screen = screen
        self._changed("screen")
        self._speak_screen()

    # Catalogue ---------------------------------------------------------------

    def load_catalogue(self) -> None:
        if self.portal is None:
            self._use_cached_catalogue("no portal configured")
            return
        self._background(self.portal.catalogue, self._catalogue_arrived)

    def _catalogue_arrived(self, document, error: Exception | None) -> None:
        if error is None:
            try:
                self.catalogue = Catalogue.from_portal(document)
            except CatalogueError as bad:
                error = bad
        if error is not None:
            if isinstance(error, PortalError | CatalogueError):
                log.warning("catalogue not loaded from the portal: %s", error)
            else:
                # A bug here must not take the kiosk down for every resident.
                log.error("catalogue load failed unexpectedly", exc_info=error)
            # A portal that answered, even with nonsense, is reachable.
            self.online = not isinstance(error, PortalUnavailable)
            self._use_cached_catalogue(str(error))
        else:
            self.online = True
            if self.cache is not None:
                self.cache.keep(CATALOGUE_CACHE_KEY, document)
            self.catalogue_status = CatalogueStatus("ready", loaded_at=self._clock())
        self._changed("catalogue", "online")

    def _use_cached_catalogue(self, reason: str) -> None:
        cached = self.cache.get(CATALOGUE_CACHE_KEY) if self.cache is not None else None
        if cached is not None:
            try:
                self.catalogue = Catalogue.from_portal(cached.value)
                self.catalogue_status = CatalogueStatus(
                    "ready", from_cache=True, loaded_at=self._clock(), error=reason
                )
                return
            except CatalogueError as error:
                log.error("cached catalogue unusable: %s", error)
        if self.catalogue is None:
            self.catalogue_status = CatalogueStatus("unavailable", error=reason)

    def _refresh_catalogue_if_stale(self) -> None:
        status = self.catalogue_status
        stale = status.loaded_at is None or self._clock() - status.loaded_at > CATALOGUE_REFRESH_S
        if status.state != "loading" and (stale or status.from_cache):
            self.load_catalogue()

    # Speech ------------------------------------------------------------------

    def _say(self, text: str) -> None:
        if self.speech_on and text:
            self.speaker.say(text, self.language)

    def _speak_screen(self) -> None:
        self._say(self.describe())

    def describe(self) -> str:
        """The current screen as one spoken text, in the resident's language."""
        _ = self._
        if self.session.warning:
            return self.timeout_warning_text()
        flow = self._flow_for_screen(self.screen)
        if flow is not None:
            return flow.describe(self.screen)
        if self.screen == ATTRACT:
            languages = ", ".join(LANGUAGE_NAMES[code] for code in self.languages)
            return " ".join(
                [
                    self.city_name() + ".",
                    _("Touch the screen to start."),
                    _("Languages:"),
                    languages,
                ]
            )
        if self.screen == HOME:
            news = self.flows["news"].headline() if "news" in self.flows else ""
            parts = [self.welcome_text(), self.card_notice_text(), _("Choose a service."), news]
            parts = [part for part in parts if part]
            for category, services in self.visible_groups():
                titles = ", ".join(self.service_title(s) for s in services)
                parts.append(f"{category}: {titles}.")
            if not self.visible_groups():
                parts.append(self.empty_catalogue_text())
            parts.append(_("You can search by typing a word."))
            return " ".join(parts)
        if self.screen == COMING_SOON and self.selected_service:
            return " ".join(
                [self.service_title(self.selected_service) + ".", self.unavailable_text()]
            )
        if self.screen == SURVEY:
            parts = [_("Tell us what you think. Every question is optional.")]
            for question in QUESTIONS:
                choices = ", ".join(_(label) for _key, label in question.choices)
                parts.append(f"{_(question.text)} {choices}.")
            return " ".join(parts)
        if self.screen == CONFIRMATION:
            parts = [*self.confirmation_lines(), self.receipt_status_text()]
            return " ".join([*parts, self.survey_offer_text()])
        if self.screen == RECEIPT_CHOICE:
            return " ".join(
                [
                    self.printer_problem_text(),
                    _("How would you like your receipt?"),
                    _("By email or text message"),
                    _("No receipt"),
                ]
            )
        if self.screen == RECEIPT_CONTACT:
            return " ".join(
                part
                for part in (
                    _("Where should we send your receipt?"),
                    _(CONTACT_HELP),
                    _(self.receipt_contact_error) if self.receipt_contact_error else "",
                )
                if part
            )
        if self.screen in PAYMENT_SCREENS:
            return self.describe_payment(self.screen)
        return ""

    def unavailable_title(self) -> str:
        if self.unavailable_reason:
            return self._("Not available right now")
        return self._("Not available here yet")

    def unavailable_text(self) -> str:
        return self._(self.unavailable_reason or COMING_SOON_TEXT)

    def empty_catalogue_text(self) -> str:
        if self.catalogue_status.state == "loading":
            return self._("Loading services…")
        if self.catalogue is None:
            return self._("Services are not available right now. Please ask staff for help.")
        return self._("No service matches your search. Try another word.")

    def timeout_countdown_text(self) -> str:
        seconds = round(self.session.seconds_left())
        return self.translator.ngettext(
            "This session will end in {n} second.",
            "This session will end in {n} seconds.",
            seconds,
        ).format(n=seconds)

    def timeout_warning_text(self) -> str:
        return " ".join(
            [
                self._("Do you need more time?"),
                self.timeout_countdown_text(),
                self._("Touch More time to continue."),
            ]
        )


COMING_SOON_TEXT = N_(
    "This service is not available at this kiosk yet. You can use it on the city's website, "
    "or ask staff at the front desk."
)

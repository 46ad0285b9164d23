"""Report a problem to the city (Open311 GeoReport v2).

Steps: choose a group, then a service (services.json); answer the service's extra
questions (services/{code}.json, a dynamic form); say where (an address from the
portal's address list, "near this kiosk", or the address as typed); describe it, with
an optional email or phone for updates; review; send. Sending queues a
``service_request`` item (the sync batch's JSON twin of the Open311 form) through
``model.submit``, so it is on disk with its receipt before the confirmation shows, and
is delivered exactly once whenever the portal answers.

Service lists and definitions are public: every copy fetched is kept in the offline
cache, per language, so the flow works offline for services seen before. A language
switch fetches the new language's texts; what the resident entered is kept by code.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from kiosk.config import separate_open311
from kiosk.flows.base import Flow
from kiosk.flows.report_loading import ReportLoading
from kiosk.flows.report_texts import (
    ADDRESS_TOO_SHORT,
    CHOOSE_LOCATION,
    CONTACT,
    CONTACT_HINT,
    CONTACT_LABEL,
    DESCRIPTION,
    DESCRIPTION_HINT,
    DESCRIPTION_LABEL,
    REPORT_DESCRIPTION,
    REPORT_DETAILS,
    REPORT_LOCATION,
    REPORT_REVIEW,
    REPORT_SERVICES,
    ReportTexts,
)
from kiosk.forms import STRING, TEXT, FieldError, FormDefinition, FormField
from kiosk.open311_client import SERVICE_REQUEST_KIND, Open311Client
from kiosk.receipt_flow import ContactError, parse_contact

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 1000
MIN_TYPED_ADDRESS = 3


@dataclass(frozen=True)
class ReportLocation:
    kind: str  # address (from the portal's list) | kiosk | typed
    text: str
    address_id: str | None = None
    lat: float | None = None
    long: float | None = None


class ReportFlow(ReportLoading, ReportTexts, Flow):
    name = "report"
    service_ids = ("report_problem",)
    screens = (REPORT_SERVICES, REPORT_DETAILS, REPORT_LOCATION, REPORT_DESCRIPTION, REPORT_REVIEW)

    def __init__(self, model):
        super().__init__(model)
        self._client: Open311Client | None = None
        model.subscribe(self._model_changed)

    def reset(self) -> None:
        # Answers from the portal that arrive after this are for a visit that is over.
        self._visit = getattr(self, "_visit", 0) + 1
        self.services_by_language: dict = {}  # language -> ServiceList
        self.services_state = ""  # "" | loading | ready | error
        self.group_member: str | None = None  # a service code of the chosen group
        self.service_code: str | None = None
        self.definitions: dict = {}  # language -> ServiceDefinition of the chosen service
        self.definition_state = ""  # "" | loading | ready | error
        self.answers: dict[str, object] = {}
        self.notes: dict[str, object] = {DESCRIPTION: "", CONTACT: ""}
        self.errors: dict[str, FieldError] = {}  # the current step's, by field code
        self.location: ReportLocation | None = None
        self.location_problem = ""  # untranslated
        self.address_query = ""
        self.address_state = ""  # "" | searching | found | none | error
        self.addresses: tuple[dict, ...] = ()
        self._editing = False  # came from the review: Next goes back there

    # Starting ----------------------------------------------------------------------

    def open(self, service_id: str) -> None:
        self.go(REPORT_SERVICES)
        self._load_services()
        if self.service_code is not None:
            self._load_definition()

    def retry_loading(self) -> None:
        if self.model.screen == REPORT_DETAILS:
            self._load_definition()
        else:
            self._load_services()

    # Step 1: group and service ------------------------------------------------------

    def choose_group(self, member_code: str) -> None:
        self.group_member = member_code
        self.session.record_activity()
        self.changed()
        self.say(self.describe(REPORT_SERVICES))

    def back_to_groups(self) -> None:
        self.group_member = None
        self.changed()
        self.say(self.describe(REPORT_SERVICES))

    def choose_service(self, code: str) -> None:
        service = self.service_list().service(code) if self.service_list() else None
        if service is None:
            raise KeyError(code)
        if code != self.service_code:
            self.service_code, self.definitions, self.definition_state = code, {}, ""
            self.answers = {}
        self.errors = {}
        if service.metadata:
            self._load_definition()
            self.go(REPORT_DETAILS)
        else:
            self.go(REPORT_REVIEW if self._editing else REPORT_LOCATION)

    # Step 2: the service's questions ------------------------------------------------

    def form(self) -> FormDefinition | None:
        """The service's questions, with texts in every language loaded so far."""
        if not self.definitions:
            return None
        order = sorted(self.definitions, key=lambda language: language != self.model.language)
        return FormDefinition.from_open311(
            {language: self.definitions[language] for language in order}
        )

    def has_questions(self) -> bool:
        service = self.chosen_service()
        return bool(service and service.metadata)

    def answer(self, code: str, value: object) -> None:
        form = self.form()
        if form is not None and form.answer_into(self.answers, self.errors, code, value):
            self.session.record_activity()
            self.changed()

    # Step 3: where ------------------------------------------------------------------

    def type_address(self, text: str) -> None:
        if text != self.address_query:
            self.address_query = text
            self.address_state, self.addresses = "", ()
            self.location_problem = ""
            self.session.record_activity()
            self.changed()

    def search_addresses(self) -> None:
        query = self.address_query.strip()
        if not query or self.portal is None:
            return
        self.address_state = "searching"
        visit = self._visit
        self.changed()

        def done(found, error: Exception | None) -> None:
            if visit != self._visit or query != self.address_query.strip():
                return
            if error is not None:
                log.warning("address search failed: %s", error)
                self.address_state, self.addresses = "error", ()
            else:
                self.address_state = "found" if found else "none"
                self.addresses = tuple(found)
            self.changed()
            self.say(self.address_status_text())

        self.model._background(lambda: self.portal.addresses(query), done)

    def choose_address(self, address_id: str) -> None:
        found = next((a for a in self.addresses if a["id"] == address_id), None)
        if found is None:
            raise KeyError(address_id)
        self._located(
            ReportLocation(
                "address", found["address"], found["id"], found.get("lat"), found.get("long")
            )
        )

    def kiosk_location(self) -> ReportLocation | None:
        config = self.model.config
        lat, long = config.get("kiosk", "latitude"), config.get("kiosk", "longitude")
        text = config.get("kiosk", "location")
        if lat is None and not text:
            return None
        return ReportLocation("kiosk", text or self.model.city_name(), None, lat, long)

    def choose_near_kiosk(self) -> None:
        if self.kiosk_location() is not None:
            self._located(self.kiosk_location())

    def use_typed_address(self) -> None:
        text = " ".join(self.address_query.split())
        if len(text) < MIN_TYPED_ADDRESS:
            self.location_problem = ADDRESS_TOO_SHORT
            self.changed()
            self.say(self._(ADDRESS_TOO_SHORT))
            return
        self._located(ReportLocation("typed", text))

    def _located(self, location: ReportLocation) -> None:
        self.location, self.location_problem = location, ""
        self.go(REPORT_REVIEW if self._editing else REPORT_DESCRIPTION)

    # Step 4: description and contact ------------------------------------------------

    def notes_form(self) -> FormDefinition:
        """Kiosk-made fields: their labels are this kiosk's messages, in today's language."""
        language, _ = self.model.language, self._
        return FormDefinition(
            (
                FormField(
                    DESCRIPTION,
                    TEXT,
                    {language: _(DESCRIPTION_LABEL)},
                    {language: _(DESCRIPTION_HINT)},
                    # Without questions, the words are all the city gets.
                    required=not self.has_questions(),
                    max_length=MAX_DESCRIPTION,
                ),
                FormField(
                    CONTACT, STRING, {language: _(CONTACT_LABEL)}, {language: _(CONTACT_HINT)}
                ),
            )
        )

    def note(self, code: str, value: str) -> None:
        if value != self.notes.get(code):
            self.notes[code] = value
            self.errors.pop(code, None)
            self.session.record_activity()
            self.changed()

    def contact(self):
        """kiosk.receipt_flow.ReceiptContact, or None; only once validated."""
        text = str(self.notes[CONTACT]).strip()
        return parse_contact(text) if text else None

    def _notes_errors(self) -> dict[str, FieldError]:
        errors = self.notes_form().validate(self.notes, self._now())
        try:
            self.contact()
        except ContactError as problem:
            errors[CONTACT] = FieldError(str(problem))
        return errors

    # Moving between steps -----------------------------------------------------------

    def next(self) -> None:
        screen = self.model.screen
        if screen == REPORT_DETAILS:
            form = self.form()
            if form is None:
                return
            self.errors = form.validate(self.answers, self._now())
            target = REPORT_LOCATION
        elif screen == REPORT_LOCATION:
            if self.location is None:
                self.location_problem = CHOOSE_LOCATION
                self.changed()
                self.say(self._(CHOOSE_LOCATION))
                return
            target = REPORT_DESCRIPTION
        elif screen == REPORT_DESCRIPTION:
            self.errors = self._notes_errors()
            target = REPORT_REVIEW
        else:
            return
        if self.errors:
            self.changed()
            self.say(self.errors_text())
            return
        self.go(REPORT_REVIEW if self._editing else target)

    def back(self) -> None:
        screen = self.model.screen
        self.errors = {}
        if screen == REPORT_DETAILS:
            self.go(REPORT_SERVICES)
        elif screen == REPORT_LOCATION:
            self.go(REPORT_DETAILS if self.has_questions() else REPORT_SERVICES)
        elif screen == REPORT_DESCRIPTION:
            self.go(REPORT_LOCATION)
        elif screen == REPORT_REVIEW:
            self._editing = False
            self.go(REPORT_DESCRIPTION)
        elif self.group_member is not None:
            self.back_to_groups()

    def change(self, screen: str) -> None:
        """From the review: change one part, then come straight back."""
        if screen in self.screens and screen != REPORT_REVIEW:
            self._editing = True
            self.errors = {}
            self.go(screen)

    # Sending ------------------------------------------------------------------------

    def send(self) -> None:
        service, form = self.chosen_service(), self.form()
        now = self._now()
        if service is None or self.location is None or (service.metadata and form is None):
            return
        if (form and form.validate(self.answers, now)) or self._notes_errors():
            return  # every step checked its part; nothing sends half a report
        identity = self.session.identity
        receipt = {"service": self._("Problem report"), "details": self.receipt_details(now)}
        self.model.submit(
            SERVICE_REQUEST_KIND,
            self.payload(now),
            order_key=f"resident:{identity.id_hash}" if identity else None,
            receipt=receipt,
        )
        self.reset()

    def payload(self, now: datetime.datetime) -> dict:
        service, form, location = self.chosen_service(), self.form(), self.location
        payload: dict = {
            "service_code": service.service_code,
            "attributes": form.wire_values(self.answers, now) if form else {},
            "address_string": location.text,
            "locale": self.model.language,
        }
        # An address id and a card's identity are the reference portal's to resolve; a
        # city's own Open311 endpoint gets the address and the coordinates only.
        portal_route = not separate_open311(self.model.config)
        if location.address_id and portal_route:
            payload["address_id"] = location.address_id
        identity = self.session.identity
        if identity is not None and portal_route:
            # So the report is the resident's under "my requests" (the portal links
            # the card to their account); never the card's own number.
            payload["resident"] = {"profile": identity.profile, "id_hash": identity.id_hash}
        if location.lat is not None and location.long is not None:
            payload["lat"], payload["long"] = location.lat, location.long
        description = " ".join(str(self.notes[DESCRIPTION]).split())
        if description:
            payload["description"] = description
        contact = self.contact()
        if contact is not None:
            payload["email" if contact.channel == "email" else "phone"] = contact.address
        return payload

    @staticmethod
    def _now() -> datetime.datetime:
        return datetime.datetime.now().astimezone()

"""How the report flow gets what the city offers: its list of services and each
service's questions, per language, kept in the offline cache for the next time.

A mixin of :class:`kiosk.flows.report.ReportFlow`. The copy kept from an earlier visit
shows at once; the portal's replaces it when it arrives. Answers for a visit that is
over (the flow was reset meanwhile) are dropped.
"""

from __future__ import annotations

from kiosk.config import open311_url
from kiosk.flows.fetching import Fetched, fetch_kept
from kiosk.flows.report_texts import QUESTIONS_UNAVAILABLE, SERVICES_UNAVAILABLE
from kiosk.open311_client import Open311Client, parse_service_definition, parse_services


class ReportLoading:
    @property
    def client(self) -> Open311Client | None:
        if self._client is None and self.portal is not None:
            self._client = Open311Client(self.portal, open311_url(self.model.config))
        return self._client

    def _load_services(self) -> None:
        language = self.model.language
        if language in self.services_by_language:
            return
        if not self.services_by_language:
            self.services_state = "loading"
        self._fetch(
            f"open311.services.{language}",
            lambda: self.client.services_document(locale=language),
            parse_services,
            lambda found: self._services_arrived(language, found),
            self._services_failed,
        )

    def _services_arrived(self, language: str, found) -> None:
        if self.services_by_language.get(language) == found:
            return  # the portal's copy is the one kept: nothing to redraw under a finger
        self.services_by_language[language] = found
        self.services_state = "ready"
        self.changed()

    def _services_failed(self) -> None:
        if not self.services_by_language:
            self.services_state = "error"
            self.changed()
            self.say(self._(SERVICES_UNAVAILABLE))

    def _load_definition(self) -> None:
        code, language = self.service_code, self.model.language
        if code is None or language in self.definitions:
            return
        if not self.definitions:
            self.definition_state = "loading"
        self._fetch(
            f"open311.definition.{code}.{language}",
            lambda: self.client.service_definition_document(code, locale=language),
            lambda document: parse_service_definition(document, code),
            lambda found: self._definition_arrived(code, language, found),
            lambda: self._definition_failed(code),
        )

    def _definition_arrived(self, code: str, language: str, found) -> None:
        if code == self.service_code and self.definitions.get(language) != found:
            self.definitions[language] = found
            self.definition_state = "ready"
            self.changed()

    def _definition_failed(self, code: str) -> None:
        if code == self.service_code and not self.definitions:
            self.definition_state = "error"
            self.changed()
            self.say(self._(QUESTIONS_UNAVAILABLE))

    def _fetch(self, cache_key, fetch, parse, arrived, failed) -> None:
        """The copy kept from an earlier visit at once, if there is one; then the
        portal's, which is kept in turn."""
        visit = self._visit

        def done(fetched: Fetched) -> None:
            if fetched.value is None:
                failed()
            else:
                arrived(fetched.value)

        fetch_kept(self.model, cache_key, fetch, done, parse=parse, what=cache_key,
                   copy_first=True, current=lambda: visit == self._visit)  # fmt: skip

    def _model_changed(self, topic: str) -> None:
        # New language: the city's texts in it, for what is on screen.
        if topic == "language" and self.services_state:
            self._load_services()
            self._load_definition()

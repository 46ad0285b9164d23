"""How the permits flow gets the city's forms and the resident's permits.

A mixin of :class:`kiosk.flows.permits.PermitsFlow`. The portal's answer is used and a
copy kept in the offline cache (offline/cache.py); when the portal cannot be reached,
the copy kept from an earlier visit is used, with the time it was fetched, so the
list works offline once loaded. A form the city removed (404) or a question it refused
is never answered from the cache. Answers for a visit that is over are dropped.
"""

from __future__ import annotations

import datetime

from kiosk.flows.fetching import Fetched, fetch_kept
from kiosk.permit_forms import parse_form, parse_form_list, parse_permits

FORMS_CACHE_KEY = "permits.forms"


class PermitLoading:
    def _load_forms(self) -> None:
        if not self.forms:
            self.forms_state = "loading"
        self._fetch(FORMS_CACHE_KEY, lambda: self.portal.permit_forms(), parse_form_list,
                    self._forms_arrived, self._forms_failed)  # fmt: skip

    def _forms_arrived(self, forms, cached_at: datetime.datetime | None) -> None:
        self.forms, self.forms_cached_at, self.forms_state = forms, cached_at, "ready"
        self.changed()
        if self.model.screen == "permits":
            self.say(self.describe("permits"))

    def _forms_failed(self) -> None:
        if not self.forms:
            self.forms_state = "error"
            self.changed()
            self.say(self.list_status_text())

    def _load_renewals(self) -> None:
        identity = self.session.identity
        if identity is None or self._renewals_for == identity.id_hash:
            return
        self._renewals_for = identity.id_hash
        self.renewals_state = "loading"
        self._fetch(
            f"permits.mine.{identity.profile}.{identity.id_hash}",
            lambda: self.portal.my_permits(identity.profile, identity.id_hash),
            parse_permits,
            self._renewals_arrived,
            self._renewals_failed,
        )

    def _renewals_arrived(self, permits, _cached_at) -> None:
        self.permits = permits
        self.renewals_state = "ready"
        self.changed()

    def _renewals_failed(self) -> None:
        self.renewals_state = "error"
        self.changed()

    def _load_form(self) -> None:
        form_id = self.form_id
        if form_id is None:
            return
        self.form_state = "loading"
        self._fetch(
            f"permits.form.{form_id}",
            lambda: self.portal.permit_form(form_id),
            parse_form,
            lambda form, cached_at: self._form_arrived(form_id, form, cached_at),
            lambda: self._form_failed(form_id),
        )

    def _form_failed(self, form_id: str) -> None:
        if form_id == self.form_id and self.form is None:
            self.form_state = "error"
            self.changed()
            self.say(self.form_status_text())

    def retry_loading(self) -> None:
        if self.model.screen == "permit_form":
            self._load_form()
        else:
            self._load_forms()
            self._renewals_for = None
            self._load_renewals()
        self.changed()

    def _fetch(self, cache_key: str, fetch, parse, arrived, failed) -> None:
        """The portal's answer (kept in the cache), or else the copy kept before."""
        visit = self._visit

        def done(fetched: Fetched) -> None:
            if fetched.value is None:
                failed()
            else:
                arrived(fetched.value, fetched.fetched_at)

        # The name only: a resident's key holds the hash of their card.
        what = "permit " + cache_key.split(".")[1]
        fetch_kept(self.model, cache_key, fetch, done, parse=parse, what=what,
                   current=lambda: visit == self._visit)  # fmt: skip

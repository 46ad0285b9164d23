"""What the report flow shows and says: lists, statuses, the review, speech.

A mixin of :class:`kiosk.flows.report.ReportFlow`, kept apart so each file stays about
one thing; every text is translated when asked for, so a language switch re-reads it.
"""

from __future__ import annotations

import datetime

from kiosk.i18n import N_

REPORT_SERVICES, REPORT_DETAILS = "report_services", "report_details"
REPORT_LOCATION, REPORT_DESCRIPTION, REPORT_REVIEW = (
    "report_location",
    "report_description",
    "report_review",
)
DESCRIPTION, CONTACT = "description", "contact"
MAX_RECEIPT_DESCRIPTION = 300


class ReportTexts:
    # -- the city's list --

    def service_list(self):
        """kiosk.open311_client.ServiceList in the session's language, or the one
        loaded before a language switch while the new one arrives."""
        lists = self.services_by_language
        return lists.get(self.model.language) or next(iter(lists.values()), None)

    def groups(self) -> list[tuple[str, str, list]]:
        """(member code, title, services) of each group, in the city's order."""
        found = self.service_list()
        if found is None:
            return []
        groups = []
        for name in found.groups:
            members = [s for s in found.services if s.group == name]
            groups.append((members[0].service_code, name or self._(OTHER_GROUP), members))
        return groups

    def chosen_group(self) -> tuple[str, str, list] | None:
        if self.group_member is None:
            return None
        return next(
            (
                group
                for group in self.groups()
                if any(s.service_code == self.group_member for s in group[2])
            ),
            None,
        )

    def chosen_service(self):
        found = self.service_list()
        return found.service(self.service_code) if found and self.service_code else None

    def services_status_text(self) -> str:
        if self.services_state == "loading":
            return self._("Loading the list of problems…")
        if self.services_state == "error":
            return self._(SERVICES_UNAVAILABLE)
        if self.chosen_group() is not None:
            return self._("Which problem is it?")
        return self._("What kind of problem is it?")

    def details_status_text(self) -> str:
        if self.definition_state == "error" and not self.definitions:
            return self._(QUESTIONS_UNAVAILABLE)
        if not self.definitions:
            return self._("Loading the questions…")
        return self._("Please answer the questions. Questions marked * are required.")

    # -- where --

    def address_status_text(self) -> str:
        _ = self._
        if self.location_problem:
            return _(self.location_problem)
        state = self.address_state
        if state == "searching":
            return _("Looking for the address…")
        if state == "found":
            return self.ngettext(
                "We found {n} address. Touch it to choose it.",
                "We found {n} addresses. Touch one to choose it.",
                len(self.addresses),
            ).format(n=len(self.addresses))
        if state == "none":
            return _("We found no address like this. You can use it as you typed it.")
        if state == "error":
            return _(ADDRESS_SEARCH_FAILED)
        return _("Type a street address and touch Find, or choose Near this kiosk.")

    def near_kiosk_text(self) -> str:
        place = self.kiosk_location()
        if place is None:
            return ""
        return self._("Near this kiosk: {place}").format(place=place.text)

    def location_text(self) -> str:
        if self.location is None:
            return ""
        if self.location.kind == "kiosk":
            return self.near_kiosk_text()
        return self.location.text

    # -- problems and the review --

    def errors_text(self) -> str:
        """Every error of the current step, for speech, in the order of the form."""
        return " ".join(error.text(self._) for error in self.errors.values())

    def review_lines(self, now: datetime.datetime) -> list[tuple[str, str, str]]:
        """(step to change it on, label, value) of everything the report says."""
        _ = self._
        service = self.chosen_service()
        lines = [(REPORT_SERVICES, _("Problem"), service.service_name if service else "")]
        form = self.form()
        if form is not None:
            for label, value in form.summary(self.answers, self.model.language, _, now):
                lines.append((REPORT_DETAILS, label, value))
        lines.append((REPORT_LOCATION, _("Where"), self.location_text()))
        description = " ".join(str(self.notes[DESCRIPTION]).split())
        lines.append((REPORT_DESCRIPTION, _("Description"), description or _("(none)")))
        contact = self.contact()
        updates = contact.masked() if contact else _("No updates, as you chose.")
        lines.append((REPORT_DESCRIPTION, _("Updates"), updates))
        return lines

    def receipt_details(self, now: datetime.datetime) -> list[tuple[str, str]]:
        details = [
            (label, value[:MAX_RECEIPT_DESCRIPTION])
            for screen, label, value in self.review_lines(now)
            if screen != REPORT_DESCRIPTION or label == self._("Description")
        ]
        return [(label, value) for label, value in details if value]

    def describe(self, screen: str) -> str:
        _ = self._
        if screen == REPORT_SERVICES:
            parts = [_("Report a problem."), self.services_status_text()]
            group = self.chosen_group()
            if group is not None:
                parts.append(f"{group[1]}: " + ", ".join(s.service_name for s in group[2]) + ".")
            else:
                parts += [f"{title}." for _member, title, _services in self.groups()]
            return " ".join(parts)
        if screen == REPORT_DETAILS:
            service = self.chosen_service()
            parts = [(service.service_name + ".") if service else "", self.details_status_text()]
            form = self.form()
            for question in form.fields if form else ():
                parts.append(question.label_in(self.model.language))
                if question.code in self.errors:
                    parts.append(self.errors[question.code].text(_))
            return " ".join(part for part in parts if part)
        if screen == REPORT_LOCATION:
            parts = [_("Where is the problem?"), self.address_status_text()]
            if self.location is not None:
                parts.append(_("Chosen: {place}").format(place=self.location_text()))
            return " ".join(parts)
        if screen == REPORT_DESCRIPTION:
            parts = [_("Describe the problem."), _(DESCRIPTION_LABEL), _(CONTACT_LABEL)]
            return " ".join([*parts, self.errors_text()]).strip()
        if screen == REPORT_REVIEW:
            lines = [f"{label}: {value}." for _step, label, value in self.review_lines(self._now())]
            return " ".join([_("Check your report."), *lines, _("Touch Send report.")])
        return ""


OTHER_GROUP = N_("Other problems")
SERVICES_UNAVAILABLE = N_(
    "The list of problems is not available right now. Please try again in a moment, or ask staff."
)
QUESTIONS_UNAVAILABLE = N_(
    "The questions for this problem are not available right now. Please try again in a "
    "moment, or choose another problem."
)
ADDRESS_SEARCH_FAILED = N_(
    "We cannot search addresses right now. Choose Near this kiosk, or use the address "
    "as you typed it."
)
CHOOSE_LOCATION = N_("Please choose where the problem is.")
ADDRESS_TOO_SHORT = N_("Please type the address first, at least 3 letters.")
DESCRIPTION_LABEL = N_("What should the city know about the problem?")
DESCRIPTION_HINT = N_("For example: what you saw, and exactly where.")
CONTACT_LABEL = N_("Email or phone for updates (optional)")
CONTACT_HINT = N_("Only if you want the city to tell you about progress.")

"""Report a problem, step 1: the kind of problem (a group), then the problem itself."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.utils import escape_markup

from screens.base import KioskScreen
from screens.widgets import ListChoiceButton

Builder.load_file(str(Path(__file__).with_name("report_services.kv")))


class ReportServicesScreen(KioskScreen):
    status = StringProperty("")
    heading = StringProperty("")
    in_group = BooleanProperty(False)
    can_retry = BooleanProperty(False)

    @property
    def flow(self):
        return self.model.flows["report"]

    def refresh(self) -> None:
        flow, model = self.flow, self.model
        self.status = flow.services_status_text()
        group = flow.chosen_group()
        self.in_group = group is not None
        self.heading = group[1] if group else model._("Report a problem")
        self.can_retry = flow.services_state == "error"
        listing = self.ids.choices
        listing.clear_widgets()
        small = round(19 * App.get_running_app().font_scale)
        if group is not None:
            for service in group[2]:
                listing.add_widget(
                    self._choice(
                        service.service_name,
                        service.description,
                        f"report_service:{service.service_code}",
                        lambda code=service.service_code: flow.choose_service(code),
                        small,
                    )
                )
        else:
            for member, title, services in flow.groups():
                names = ", ".join(service.service_name for service in services)
                listing.add_widget(
                    self._choice(
                        title,
                        names,
                        f"report_group:{member}",
                        lambda member=member: flow.choose_group(member),
                        small,
                    )
                )
        self.ids.scroll.scroll_y = 1

    @staticmethod
    def _choice(title: str, detail: str, action: str, chosen, small: int) -> ListChoiceButton:
        text = f"[b]{escape_markup(title)}[/b]"
        if detail:
            text += f"\n[size={small}]{escape_markup(detail)}[/size]"
        button = ListChoiceButton(text=text, markup=True, action=action)
        button.bind(on_release=lambda _button: chosen())
        return button

"""Permits and licences, step 1: what to apply for, and what the resident may renew."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.utils import escape_markup

from screens.base import KioskScreen
from screens.widgets import ListChoiceButton

Builder.load_file(str(Path(__file__).with_name("permits.kv")))


class PermitsScreen(KioskScreen):
    status = StringProperty("")
    can_retry = BooleanProperty(False)

    @property
    def flow(self):
        return self.model.flows["permits"]

    def refresh(self) -> None:
        flow = self.flow
        self.status = flow.list_status_text()
        self.can_retry = flow.forms_state == "error" or flow.renewals_state == "error"
        listing = self.ids.choices
        listing.clear_widgets()
        small = round(19 * App.get_running_app().font_scale)
        for number, title, detail in flow.renewal_choices():
            listing.add_widget(
                _choice(title, detail, f"renew:{number}", lambda n=number: flow.choose_renewal(n),
                        small, primary=True)
            )  # fmt: skip
        for form_id, title, detail in flow.form_choices():
            listing.add_widget(
                _choice(title, detail, f"permit:{form_id}", lambda f=form_id: flow.choose_form(f),
                        small)
            )  # fmt: skip
        self.ids.scroll.scroll_y = 1


def _choice(title: str, detail: str, action: str, chosen, small: int, primary=False):
    text = f"[b]{escape_markup(title)}[/b]"
    if detail:
        text += f"\n[size={small}]{escape_markup(detail)}[/size]"
    button = ListChoiceButton(text=text, markup=True, action=action, primary=primary)
    button.bind(on_release=lambda _button: chosen())
    return button

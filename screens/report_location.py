"""Report a problem: where it is. An address from the city's list, found by typing
part of it; "near this kiosk"; or, when the list has nothing (or is out of reach),
the address as typed."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KeyboardFieldScreen
from screens.keyboard import OnScreenKeyboard  # noqa: F401 - used in the .kv
from screens.widgets import ListChoiceButton

Builder.load_file(str(Path(__file__).with_name("report_location.kv")))


class ReportLocationScreen(KeyboardFieldScreen):
    keyboard_field = "address"
    status = StringProperty("")
    near_text = StringProperty("")
    chosen = StringProperty("")
    searching = BooleanProperty(False)
    can_find = BooleanProperty(False)
    can_use_typed = BooleanProperty(False)
    # The keyboard and the addresses found share the space beside the field; the field
    # brings the keyboard, a search the addresses.
    results_shown = BooleanProperty(False)
    _shown_state = ""

    @property
    def flow(self):
        return self.model.flows["report"]

    def refresh(self) -> None:
        flow, _ = self.flow, self.model._
        field = self.ids.address
        if field.text != flow.address_query:
            field.text = flow.address_query
            field.cursor = field.get_cursor_from_index(len(field.text))
        self.status = flow.address_status_text()
        self.near_text = flow.near_kiosk_text()
        self.searching = flow.address_state == "searching"
        self.can_find = self.can_use_typed = bool(flow.address_query.strip()) and not self.searching
        place = flow.location_text()
        self.chosen = _("Chosen: {place}").format(place=place) if place else ""
        if flow.address_state != self._shown_state:
            # Addresses found (or not): show them where the keyboard was.
            if flow.address_state not in ("", "searching"):
                self.hide_keyboard()
            self._shown_state = flow.address_state
        self.results_shown = flow.address_state not in ("", "searching")
        self._fill(flow.addresses if flow.address_state == "found" else ())

    def _fill(self, addresses) -> None:
        listing = self.ids.addresses
        listing.clear_widgets()
        for address in addresses:
            button = ListChoiceButton(text=address["address"], action=f"address:{address['id']}")
            button.bind(
                on_release=lambda _b, chosen=address["id"]: self.flow.choose_address(chosen)
            )
            listing.add_widget(button)
        self.ids.results.scroll_y = 1

    def on_address_text(self, text: str) -> None:
        if text != self.flow.address_query:
            self.flow.type_address(text)

    def on_address_focus(self, focus: bool) -> None:
        if focus:
            self.keyboard_shown = True

    def hide_keyboard(self) -> None:
        self.keyboard_shown = False
        self.ids.address.focus = False

    def find(self) -> None:
        self.flow.search_addresses()

    def on_leave(self, *_args) -> None:
        super().on_leave()
        field = self.ids.address
        field.cancel_selection()
        field.reset_undo()

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.utils import escape_markup

from screens.base import KioskScreen
from screens.keyboard import OnScreenKeyboard, apply_key  # noqa: F401 - used in the .kv
from screens.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_name("pay_bill.kv")))


class BillButton(KioskButton):
    bill_id = StringProperty("")


class PayBillScreen(KioskScreen):
    """Find a bill by the number printed on it: typed on the on-screen keyboard, or
    scanned (a barcode scanner is a keyboard: it types into the focused field and
    presses Enter)."""

    status = StringProperty("")
    searching = BooleanProperty(False)
    can_find = BooleanProperty(False)
    # The keyboard and the bills found share the space under the field.
    keyboard_shown = BooleanProperty(True)
    _shown_state = ""

    def refresh(self) -> None:
        model = self.model
        search = model.bill_search
        field = self.ids.number
        if field.text != search.number:
            field.text = search.number
            field.cursor = field.get_cursor_from_index(len(field.text))
        self.status = model.bill_search_text()
        self.searching = search.state == "searching"
        self.can_find = bool(search.number) and not self.searching
        if search.state != self._shown_state:
            # Bills found: show them where the keyboard was; typing again brings it back.
            self.keyboard_shown = search.state != "found"
            self._shown_state = search.state
        self._fill_bills(search.bills if search.state == "found" else ())

    def _fill_bills(self, bills) -> None:
        listing = self.ids.bills
        listing.clear_widgets()
        model = self.model
        detail_size = round(20 * model.theme.font_scale)
        for bill in bills:
            amount = escape_markup(model.money(bill["amount_due_cents"], bill.get("currency")))
            number = escape_markup(bill.get("number", ""))
            description = escape_markup(model.bill_description(bill))
            button = BillButton(
                text=f"[b]{amount}[/b]   {number}\n[size={detail_size}]{description}[/size]",
                markup=True,
                bill_id=bill["id"],
                action=f"bill:{bill['id']}",
            )
            button.bind(on_release=lambda b: self.model.choose_bill(b.bill_id))
            listing.add_widget(button)
        # A new list starts at its top, whatever the last one was scrolled to.
        self.ids.bill_scroll.scroll_y = 1

    def on_number_text(self, text: str) -> None:
        if text != self.model.bill_search.number:
            self.model.type_bill_number(text)

    def on_key(self, key: str) -> None:
        field = self.ids.number
        field.text = apply_key(field.text, key)

    def find(self) -> None:
        self.model.find_bills()

    def toggle_keyboard(self) -> None:
        self.keyboard_shown = not self.keyboard_shown

    def on_enter(self, *_args) -> None:
        # Focused, so that a scanner's keystrokes land in the field without a tap.
        self.ids.number.focus = True

    def on_touch_up(self, touch):
        handled = super().on_touch_up(touch)
        # A tap on a key or a button takes the focus from the field; it comes back, so
        # that a scan after some typing on the screen still lands in the field.
        Clock.schedule_once(self._keep_focus)
        return handled

    def _keep_focus(self, _dt) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.ids.number.focus = True

    def on_leave(self, *_args) -> None:
        field = self.ids.number
        field.focus = False
        field.cancel_selection()
        field.reset_undo()

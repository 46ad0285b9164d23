from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.utils import escape_markup

from kiosk.i18n import N_
from screens.base import ScannerFieldScreen
from screens.keypad import NumericKeypad, apply_key  # noqa: F401 - NumericKeypad: the .kv
from screens.widgets import KioskButton

Builder.load_file(str(Path(__file__).with_name("pay_bill.kv")))
ADD = N_("Add")


class BillRow(BoxLayout):
    """One bill: what is due and what of it is in the basket; Add or Remove, and
    Change amount for a bill that may be paid in part."""

    text = StringProperty("")
    in_basket = BooleanProperty(False)


class PayBillScreen(ScannerFieldScreen):
    """Find bills (the card's, or by a number typed on the keypad or scanned: a barcode
    scanner is a keyboard, typing into the focused field and pressing Enter), put them in
    a basket, and pay. The keypad and the bills found share the screen."""

    status = StringProperty("")
    basket = StringProperty("")
    entering = BooleanProperty(True)
    searching = BooleanProperty(False)
    can_find = BooleanProperty(False)
    can_pay = BooleanProperty(False)
    has_bills = BooleanProperty(False)
    problem = BooleanProperty(False)
    _shown: tuple = ()

    def on_kv_post(self, _base_widget) -> None:
        # Only the part in use is in the widget tree: a hidden part would still take
        # touches, and speak to tests that read what is on screen.
        # The widgets themselves: ids are weak references, and a part out of the tree
        # would be collected.
        self._parts = {True: self.ids.entry.__self__, False: self.ids.results.__self__}
        self.ids.body.remove_widget(self._parts[False])

    def on_entering(self, _screen, entering: bool) -> None:
        body = self.ids.body
        body.remove_widget(self._parts[not entering])
        if self._parts[entering].parent is None:
            body.add_widget(self._parts[entering])

    @property
    def flow(self):
        return self.model.flows["pay_bill"]

    def refresh(self) -> None:
        flow = self.flow
        field = self.ids.number
        if field.text != flow.number:
            field.text = flow.number
            field.cursor = field.get_cursor_from_index(len(field.text))
        self.status = flow.status_text()
        self.problem = flow.problem is not None or flow.search.state == "error"
        self.searching = flow.search.state == "searching" or flow.checking
        self.can_find = bool(flow.number) and not self.searching
        self.entering = flow.entering_number
        bills = flow.shown_bills()
        self.has_bills = bool(bills)
        self.basket = flow.basket_text()
        self.can_pay = flow.can_checkout()
        self._fill_bills(bills)

    def _fill_bills(self, bills) -> None:
        listing = self.ids.bills
        listing.clear_widgets()
        flow = self.flow
        detail_size = round(20 * App.get_running_app().font_scale)
        for bill in bills:
            due, what, state = (escape_markup(part) for part in flow.bill_text(bill))
            in_basket = bill["id"] in flow.basket
            detail = f"\n[size={detail_size}]{state}[/size]" if state else ""
            row = BillRow(text=f"[b]{due}[/b]   {what}{detail}", in_basket=in_basket)
            if in_basket and bill.get("allows_partial"):
                row.add_widget(
                    self._button(
                        f"amount:{bill['id']}", N_("Change amount"), flow.edit_amount, bill
                    )
                )
            label = N_("Remove") if in_basket else ADD
            row.add_widget(self._button(f"basket:{bill['id']}", label, flow.toggle_bill, bill))
            listing.add_widget(row)
        shown = tuple(bill["id"] for bill in bills)
        if shown != self._shown:
            # A new list starts at its top, whatever the last one was scrolled to.
            self._shown = shown
            self.ids.bill_scroll.scroll_y = 1

    def _button(self, action: str, label: str, intent, bill) -> KioskButton:
        button = KioskButton(
            action=action,
            text=self.model._(label),
            size_hint_x=0.24,
            primary=action.startswith("basket:") and label == ADD,
        )
        bill_id = bill["id"]
        button.bind(on_release=lambda _button: intent(bill_id))
        return button

    def on_number_text(self, text: str) -> None:
        if text != self.flow.number:
            self.flow.type_number(text)

    def on_key(self, key: str) -> None:
        field = self.ids.number
        field.text = apply_key(field.text, key)

    def find(self) -> None:
        self.flow.find_bills()

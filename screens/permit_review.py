"""Permits and licences, step 3: the answers (those filled in from the resident's
permit say so, each with Change), the documents to bring and the fee; then send, or
pay. An application saved but not paid says so here, with a way to pay again."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.utils import escape_markup

from kiosk.i18n import N_
from screens.base import KioskScreen
from screens.widgets import KioskButton, ReviewLine

Builder.load_file(str(Path(__file__).with_name("permit_review.kv")))


class PermitReviewScreen(KioskScreen):
    heading = StringProperty("")
    banner = StringProperty("")
    documents = StringProperty("")
    fee = StringProperty("")
    submit_text = StringProperty("")
    saved = BooleanProperty(False)

    @property
    def flow(self):
        return self.model.flows["permits"]

    def refresh(self) -> None:
        flow, _ = self.flow, self.model._
        self.heading = flow.review_heading_text()
        self.banner = flow.review_banner_text()
        self.saved = flow.saved is not None
        self.submit_text = flow.submit_text()
        self.fee = flow.review_fee_text()
        documents = flow.documents_to_bring()
        self.documents = (
            "\n".join([_("Documents to bring:"), *(f"• {name}" for name in documents)])
            if documents
            else ""
        )
        listing = self.ids.lines
        listing.clear_widgets()
        for code, label, value, kept in flow.review_lines(flow._now()):
            # "How many people will come?" needs no colon after its question mark.
            label = label if label[-1:] in "?:.!" else label + ":"
            text = f"[b]{escape_markup(label)}[/b] {escape_markup(value)}"
            if kept:
                from_permit = _(FROM_YOUR_PERMIT)
                text += f"  [i]({escape_markup(from_permit)})[/i]"
            line = ReviewLine(text=text, change_column=not self.saved)
            if not self.saved:
                button = KioskButton(text=_("Change"), action=f"change:{code}")
                button.bind(on_release=lambda _b, code=code: self.flow.change(code))
                line.ids.change.add_widget(button)
            listing.add_widget(line)
        self.ids.scroll.scroll_y = 1


# Outside any f-string, where the message extractor could not see it.
FROM_YOUR_PERMIT = N_("from your permit")

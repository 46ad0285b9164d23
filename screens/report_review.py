"""Report a problem: everything it says, each part with a way to change it, then Send."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.utils import escape_markup

from screens.base import KioskScreen
from screens.widgets import KioskButton, ReviewLine

Builder.load_file(str(Path(__file__).with_name("report_review.kv")))


class ReportReviewScreen(KioskScreen):
    @property
    def flow(self):
        return self.model.flows["report"]

    def refresh(self) -> None:
        flow, _ = self.flow, self.model._
        listing = self.ids.lines
        listing.clear_widgets()
        if flow.chosen_service() is None or flow.location is None:
            return  # between visits: nothing to review
        offered = set()
        for step, label, value in flow.review_lines(flow._now()):
            # "What is wrong?" needs no colon after its question mark.
            label = label if label[-1:] in "?:.!" else label + ":"
            line = ReviewLine(text=f"[b]{escape_markup(label)}[/b] {escape_markup(value)}")
            if step not in offered:
                # One Change per step, on its first line.
                offered.add(step)
                button = KioskButton(text=_("Change"), action=f"change:{step}")
                button.bind(on_release=lambda _b, screen=step: self.flow.change(screen))
                line.ids.change.add_widget(button)
            listing.add_widget(line)
        self.ids.scroll.scroll_y = 1

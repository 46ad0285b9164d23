"""What every resident service has in common, free of Kivy.

The model owns one instance of each flow. A flow keeps what the resident entered in
its own attributes (never in widgets), so a language switch, which only re-reads
texts, loses nothing; ``reset()`` forgets all of it, and the model calls it when
the visit ends (Finish, timeout, card taken out) and when the resident cancels.

Screens call the flow's intents (``app.model.flows["report"].choose_service(...)``)
and redraw when the model announces the flow's ``topic``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.model import KioskModel


class Flow:
    # The flow's name in ``model.flows``, and the topic it announces changes under.
    name: str = ""
    # Catalogue services that open this flow.
    service_ids: tuple[str, ...] = ()
    # Screens this flow shows; the model asks the flow to describe them for speech.
    screens: tuple[str, ...] = ()
    # Takes money: refused up front when the kiosk could not record a charge.
    takes_payment = False

    def __init__(self, model: KioskModel):
        self.model = model
        self.reset()

    # To override ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything the resident entered or was shown."""

    def open(self, service_id: str) -> None:
        """The resident chose one of ``service_ids`` on the home screen."""
        raise NotImplementedError

    def describe(self, screen: str) -> str:
        """``screen`` (one of ``screens``) as one spoken text, in the session's language."""
        return ""

    # Shared helpers --------------------------------------------------------------

    @property
    def portal(self):
        return self.model.portal

    @property
    def session(self):
        return self.model.session

    def _(self, message: str) -> str:
        return self.model._(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.model.translator.ngettext(singular, plural, n)

    def changed(self) -> None:
        self.model._changed(self.name)

    def go(self, screen: str) -> None:
        self.model._go(screen)

    def say(self, text: str) -> None:
        self.model._say(text)

    def remember(self, key: str, value) -> None:
        """Keep a value for this visit only (wiped with the session)."""
        self.session.remember(f"{self.name}.{key}", value)

    def recall(self, key: str, default=None):
        return self.session.recall(f"{self.name}.{key}", default)

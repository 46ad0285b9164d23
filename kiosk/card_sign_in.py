"""Card sign-in: what the model does with card reader events.

A mixin of :class:`kiosk.model.KioskModel`, kept apart so each file stays about one
thing; it uses the model's session, config, portal, background runner and screens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivers.card.interface import (
    UNSUPPORTED_CARD,
    CardData,
    CardEvent,
    CardRead,
    CardRemoved,
    ReadFailed,
)
from kiosk.i18n import N_
from kiosk.identity import ResidentIdentity, identity_hash

log = logging.getLogger(__name__)


class CardSignIn:
    # Demo kiosks only: (label, insert) for each demo card, and taking it out.
    demo_cards: list[tuple[str, Callable[[], None]]]
    remove_demo_card: Callable[[], None] | None
    # Untranslated message about the card just used (unsupported, expired...).
    card_notice: str | None

    def card_event(self, event: CardEvent) -> None:
        """A card reader event, delivered on the UI thread."""
        if isinstance(event, CardRead):
            self._signed_in_with(event.card)
        elif isinstance(event, ReadFailed):
            self._ensure_session()
            self.card_notice = (
                CARD_UNSUPPORTED_TEXT if event.reason == UNSUPPORTED_CARD else CARD_UNREADABLE_TEXT
            )
            log.info("card not used: %s", event.reason)
            self._show_card_result()
        elif isinstance(event, CardRemoved) and self.session.identity is not None:
            # The card is the resident's key: taking it out ends the visit.
            self.end_session("card removed")

    def _signed_in_with(self, card: CardData) -> None:
        salt = self.config.get("portal", "identity_salt")
        id_hash = identity_hash(salt, card.profile, card.identifier)
        self._ensure_session()
        self.session.identity = ResidentIdentity(
            card.profile, id_hash, expired=card.expired, card_name=card.display_name
        )
        self.card_notice = CARD_EXPIRED_TEXT if card.expired else None
        log.info("resident identified by a %s card", card.profile)
        self._show_card_result()
        if self.portal is not None:
            self._background(
                lambda: self.portal.resident(card.profile, id_hash),
                lambda found, error: self._resident_found(id_hash, found, error),
            )

    def _resident_found(self, id_hash: str, found, error: Exception | None) -> None:
        identity = self.session.identity
        if identity is None or identity.id_hash != id_hash:
            return  # the card was removed, or another came, while we asked the portal
        if error is not None:
            log.warning("resident look-up failed: %s", error)
            self.card_notice = self.card_notice or CARD_LOOKUP_OFFLINE_TEXT
        elif found is None:
            self.card_notice = self.card_notice or CARD_NO_ACCOUNT_TEXT
        else:
            self.session.identity = ResidentIdentity(
                identity.profile,
                id_hash,
                found["display_name"],
                identity.expired,
                card_name=identity.card_name,
            )
        self._changed("identity")

    def _show_card_result(self) -> None:
        if self.screen == "attract":
            self._go("home")
        self._changed("identity")

    def demo_insert_card(self, index: int) -> None:
        """Demo kiosks: what inserting a real card would do, with a pretend one."""
        _label, insert = self.demo_cards[index]
        if self.remove_demo_card is not None:
            self.remove_demo_card()  # one slot: the previous demo card comes out first
        insert()

    def demo_remove_card(self) -> None:
        if self.remove_demo_card is not None:
            self.remove_demo_card()
            if self.session.identity is None and self.card_notice:
                self.card_notice = None
                self._changed("identity")

    def welcome_text(self) -> str:
        identity = self.session.identity
        if identity is None:
            return ""
        if identity.display_name:
            return self._("Welcome, {name}.").format(name=identity.display_name)
        return self._("Welcome. Your card has been read.")

    def card_notice_text(self) -> str:
        return self._(self.card_notice) if self.card_notice else ""


CARD_UNSUPPORTED_TEXT = N_(
    "This card is not supported here. You can use every service without a card."
)
CARD_UNREADABLE_TEXT = N_(
    "We could not read this card. Take it out and try again, or continue without a card."
)
CARD_EXPIRED_TEXT = N_("This card has expired. Some services may ask for a valid card.")
CARD_NO_ACCOUNT_TEXT = N_(
    "No city account is linked to this card. You can still use every service."
)
CARD_LOOKUP_OFFLINE_TEXT = N_(
    "We cannot look up your account right now. You can still use every service."
)

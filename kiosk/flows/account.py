"""Create an eCitizen account, for residents without home internet.

Only with an identified card: the resident confirms the name the card gives, may add a
phone number or an email address, and the account request is queued like any other
submission, so it works offline and is never doubled. The activation code is made
here, not by the portal, because it must be on the receipt even while the portal is
out of reach; the portal keeps only its hash. The portal gets the card's salted hash
and profile, never its number.
"""

from __future__ import annotations

import logging
import secrets

from kiosk.flows.base import Flow
from kiosk.i18n import N_
from kiosk.receipt_flow import PAPER, ContactError, parse_contact

log = logging.getLogger(__name__)

ACCOUNT_START, ACCOUNT_NAME, ACCOUNT_CONTACT = "account_start", "account_name", "account_contact"
ACCOUNT_KIND = "account_creation"
# As the portal expects (portal/accounts.py): no 0/O, 1/I/L or U/V look-alikes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
MAX_CONTACT_LENGTH = 254

START_MESSAGES = {
    "need_card": N_(
        "To create an account, please insert your ID card in the card reader. "
        "We use it to confirm who you are."
    ),
    "expired": N_("Your ID card has expired. Please use a valid ID card, or ask staff for help."),
    "no_name": N_(
        "Your card does not show your name, so we cannot create an account with it here. "
        "Please ask staff at the front desk."
    ),
    "checking": N_("Checking whether you already have an account…"),
    "exists": N_(
        "You already have a city account linked to this card. You do not need a new one. "
        "If you cannot sign in, ask staff at the front desk."
    ),
    "just_created": N_("You have just created your account. Please take your receipt."),
    "name_wrong": N_(
        "We can only use the name on your ID card. If it is wrong, please ask staff "
        "at the front desk."
    ),
    "no_printer": N_(
        "The receipt printer is not working, and your activation code must be printed. "
        "Please try again later or ask staff."
    ),
}
EMAIL_INVALID = N_("This is not an email address. It should look like name@example.com.")
PHONE_INVALID = N_("This is not a phone number. Please type 7 to 15 digits.")
HOW_TO_ACTIVATE = N_(
    "On the city's website choose Activate account and type this code within 30 days."
)


def new_activation_code() -> str:
    """Ten characters in two groups of five: about 48 random bits, easy to type."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


class AccountFlow(Flow):
    name = "account"
    service_ids = ("create_account",)
    screens = (ACCOUNT_START, ACCOUNT_NAME, ACCOUNT_CONTACT)

    def __init__(self, model):
        super().__init__(model)
        model.subscribe(self._on_topic)

    def reset(self) -> None:
        self.state = ""  # a key of START_MESSAGES, or ""
        self.phone = ""
        self.email = ""
        self.errors: dict[str, str] = {}  # field -> untranslated message
        self._checking_for: str | None = None

    def open(self, service_id: str) -> None:
        self._begin()

    def _on_topic(self, topic: str) -> None:
        # A card inserted while we ask for one: go on, without another tap.
        waiting = self.model.screen == ACCOUNT_START and self.state == "need_card"
        if topic == "identity" and waiting and self.session.identity is not None:
            self._begin()

    def _begin(self) -> None:
        identity = self.session.identity
        if self.recall("created"):
            self._stop("just_created")
        elif identity is None:
            self._stop("need_card")
        elif identity.expired:
            self._stop("expired")
        elif not identity.card_name.strip():
            self._stop("no_name")
        elif not self.model.printer_ready():
            self._stop("no_printer")
        elif self.portal is None:
            self._looked_up(identity.id_hash, None, None)
        else:
            self._stop("checking")
            self._checking_for = identity.id_hash
            self.model._background(
                lambda: self.portal.resident(identity.profile, identity.id_hash),
                lambda found, error: self._looked_up(identity.id_hash, found, error),
            )

    def _looked_up(self, id_hash: str, found, error) -> None:
        identity = self.session.identity
        if identity is None or identity.id_hash != id_hash or self._checking_for != id_hash:
            return  # the card came out, or the resident left this service
        self._checking_for = None
        if error is None and found is not None:
            self._stop("exists")
            return
        if error is not None:
            # Offline is fine: the request waits in the queue, and the portal refuses
            # it then if this card already has an account.
            log.info("account look-up not possible now: %s", error)
        self.state = ""
        self.go(ACCOUNT_NAME)

    def _stop(self, state: str) -> None:
        self.state = state
        self.go(ACCOUNT_START)
        self.changed()

    # -- intents --

    def confirm_name(self, correct: bool) -> None:
        if correct:
            self.go(ACCOUNT_CONTACT)
        else:
            self._stop("name_wrong")

    def type_phone(self, text: str) -> None:
        self._type("phone", text)

    def type_email(self, text: str) -> None:
        self._type("email", text)

    def _type(self, field: str, text: str) -> None:
        self.session.record_activity()
        text = text[:MAX_CONTACT_LENGTH]
        if text != getattr(self, field):
            setattr(self, field, text)
            self.errors.pop(field, None)
            self.remember(field, text)
            self.changed()

    def create(self) -> None:
        identity = self.session.identity
        if identity is None or self.recall("created") or self.model.screen != ACCOUNT_CONTACT:
            return
        phone, email = self._checked_contact()
        if self.errors:
            self.changed()
            self.say(" ".join(self._(message) for message in self.errors.values()))
            return
        code = new_activation_code()
        payload = {
            "profile": identity.profile,
            "id_hash": identity.id_hash,
            "display_name": self.card_name(),
            "activation_code": code,
            "locale": self.model.language,
            **({"phone": phone} if phone else {}),
            **({"email": email} if email else {}),
        }
        _ = self._
        receipt = {
            "service": _("eCitizen account"),
            "details": [
                (_("Name"), self.card_name()),
                (_("Activation code"), code),
                (_("How to activate"), _(HOW_TO_ACTIVATE)),
            ],
        }
        # The code exists only on paper: this receipt is printed even if the resident
        # chose another way for this visit's receipts.
        self.model.submit(
            ACCOUNT_KIND,
            payload,
            order_key=f"resident:{identity.id_hash}",
            receipt=receipt,
            delivery=PAPER,
        )
        # Queued: what was typed is forgotten, and a second tap cannot make another.
        self.reset()
        self.remember("created", True)

    def _checked_contact(self) -> tuple[str | None, str | None]:
        self.errors = {}
        phone = email = None
        if self.phone.strip():
            phone = self._contact(self.phone, "sms", "phone", PHONE_INVALID)
        if self.email.strip():
            email = self._contact(self.email, "email", "email", EMAIL_INVALID)
        return phone, email

    def _contact(self, text: str, channel: str, field: str, problem: str) -> str | None:
        try:
            contact = parse_contact(text)
        except ContactError:
            contact = None
        if contact is None or contact.channel != channel:
            self.errors[field] = problem
            return None
        return contact.address

    # -- reading --

    def start_text(self) -> str:
        return self._(START_MESSAGES[self.state]) if self.state in START_MESSAGES else ""

    def card_name(self) -> str:
        identity = self.session.identity
        return identity.card_name.strip() if identity else ""

    def error_text(self, field: str) -> str:
        return self._(self.errors[field]) if field in self.errors else ""

    def describe(self, screen: str) -> str:
        _ = self._
        if screen == ACCOUNT_START:
            return " ".join([_("Create an eCitizen account."), self.start_text()])
        if screen == ACCOUNT_NAME:
            return " ".join(
                [
                    _("Is this your name?"),
                    self.card_name() + ".",
                    _("Touch Yes, this is me, or No."),
                ]
            )
        if screen == ACCOUNT_CONTACT:
            parts = [
                _("Add a phone number or an email address, if you want. Both are optional."),
                self.error_text("phone"),
                self.error_text("email"),
                _("Touch Create my account when you are ready."),
            ]
            return " ".join(part for part in parts if part)
        return ""

"""Identity of a resident as the kiosk may share it: a profile name and a salted hash.

The raw identifier (card number, national number, card UID) never leaves the device;
the portal only ever sees ``identity_hash(salt, profile, identifier)``. The salt is
per city (handed out at enrollment) so every kiosk of a city maps a card to the
same account.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PROFILES = ("beid", "piv", "uid")


def identity_hash(salt: str, profile: str, identifier: str) -> str:
    """Keyed hash: HMAC stops anyone holding the portal's table from brute-forcing
    short identifiers such as card UIDs without also holding the city's salt."""
    if profile not in PROFILES:
        raise ValueError(f"unknown card profile {profile!r}")
    message = f"{profile}:{identifier.strip()}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ResidentIdentity:
    """What the session keeps about an identified resident: nothing that identifies
    them outside this city's portal."""

    profile: str
    id_hash: str
    display_name: str = ""
    expired: bool = False
    # The name printed on the card, for the resident to confirm (account creation);
    # display_name is what the portal greets them with, once it knows them.
    card_name: str = ""

"""Translations through gettext. Every user-facing string goes through ``_``.

Catalogues live in kiosk/locale/<lang>/LC_MESSAGES/civickiosk.po; ``make`` builds the
.mo files. Strings defined at import time are marked with ``N_`` and translated
when shown, so a language switch re-translates them.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Callable
from pathlib import Path

DOMAIN = "civickiosk"
LOCALE_DIR = Path(__file__).with_name("locale")
# Endonyms: each language is offered in its own words, never translated.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur"})

log = logging.getLogger(__name__)


def is_right_to_left(language: str) -> bool:
    """For "ar" and regional codes alike ("ar_EG")."""
    return language.split("_")[0] in RIGHT_TO_LEFT


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return message


class MissingCatalogue(RuntimeError):
    pass


class Translator:
    """The current language and its catalogue; observers hear about switches."""

    def __init__(self, language: str = "en", *, strict: bool = True):
        self._strict = strict
        self._catalogues: dict[str, gettext.NullTranslations] = {}
        self._observers: list[Callable[[str], None]] = []
        self.language = ""
        self.set_language(language)

    def _catalogue(self, language: str) -> gettext.NullTranslations:
        if language not in self._catalogues:
            try:
                self._catalogues[language] = gettext.translation(
                    DOMAIN, LOCALE_DIR, languages=[language], fallback=language == "en"
                )
            except FileNotFoundError:
                # A missing .mo means the build step did not run: showing English
                # to a Spanish speaker silently would hide that.
                if self._strict:
                    raise MissingCatalogue(
                        f"no compiled catalogue for {language!r} in {LOCALE_DIR}; run make"
                    ) from None
                log.error("no compiled catalogue for %s; showing English", language)
                self._catalogues[language] = gettext.NullTranslations()
        return self._catalogues[language]

    def set_language(self, language: str) -> None:
        self._current = self._catalogue(language)
        changed = language != self.language
        self.language = language
        if changed:
            for observer in list(self._observers):
                observer(language)

    def gettext(self, message: str) -> str:
        return self._current.gettext(message) if message else message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self._current.ngettext(singular, plural, count)

    def subscribe(self, observer: Callable[[str], None]) -> None:
        self._observers.append(observer)

    @property
    def right_to_left(self) -> bool:
        return is_right_to_left(self.language)


def pick(translations: dict[str, str] | None, language: str, fallback: str = "en") -> str:
    """Choose a portal-supplied translation, falling back to English, then anything."""
    if not translations:
        return ""
    return (
        translations.get(language)
        or translations.get(fallback)
        or next(iter(translations.values()))
    )

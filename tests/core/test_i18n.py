import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from kiosk.i18n import LOCALE_DIR, Translator, pick

REPO = Path(__file__).resolve().parents[2]


def test_spanish_catalogue_is_compiled_and_used():
    translator = Translator("es")
    assert translator.gettext("Touch to start") == "Toque para empezar"
    assert translator.ngettext(
        "This session will end in {n} second.", "This session will end in {n} seconds.", 5
    ).startswith("Esta sesión")


def test_switch_notifies_and_falls_back_to_english_text():
    translator = Translator("en")
    heard = []
    translator.subscribe(heard.append)
    translator.set_language("es")
    translator.set_language("es")
    translator.set_language("en")
    assert heard == ["es", "en"]
    assert translator.gettext("Touch to start") == "Touch to start"


def test_every_message_in_the_code_is_translated(tmp_path):
    """Fails when someone adds user-facing text without running `make messages`
    and translating it."""
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        in_code = {m.id for m in read_po(handle) if m.id}
    assert len(in_code) > 30
    for po_path in LOCALE_DIR.glob("*/LC_MESSAGES/civickiosk.po"):
        with po_path.open("rb") as handle:
            catalogue = read_po(handle)
        untranslated = sorted(
            str(m.id)
            for m in catalogue
            if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
        )
        missing = sorted(str(i) for i in in_code - {m.id for m in catalogue})
        assert not missing, f"{po_path}: run `make messages` and translate: {missing}"
        assert not untranslated, f"{po_path}: untranslated: {untranslated}"


def test_pick_prefers_language_then_english():
    assert pick({"en": "Bill", "es": "Factura"}, "es") == "Factura"
    assert pick({"en": "Bill"}, "es") == "Bill"
    assert pick({"fr": "Facture"}, "es") == "Facture"
    assert pick({}, "es") == ""


def test_catalogue_headers_keep_charset_and_plural_forms():
    """Without its header gettext reads a catalogue as ASCII and guesses plurals."""
    for po_path in LOCALE_DIR.glob("*/LC_MESSAGES/civickiosk.po"):
        text = po_path.read_text(encoding="utf-8")
        assert "charset=utf-8" in text, po_path
        assert "Plural-Forms:" in text, po_path

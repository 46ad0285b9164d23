"""The real app, offscreen, driven by taps the way a resident would."""

from kivy.core.window import Window

from kiosk.theme import HIGH_CONTRAST


def test_attract_shows_city_start_and_languages(kiosk):
    texts = kiosk.texts()
    assert "City of Lindenfield" in texts
    assert "Touch to start" in texts
    assert {"English", "Español"} <= set(texts)
    assert any("DEMO" in text for text in texts)


def test_the_city_is_named_in_the_language_chosen_on_the_attract_screen(kiosk):
    kiosk.model.choose_language("es")
    kiosk.pump()
    assert kiosk.screen == "attract"
    assert "Ciudad de Lindenfield" in kiosk.texts()
    kiosk.model.end_session("back to the default language")
    kiosk.pump()
    assert "City of Lindenfield" in kiosk.texts()


def test_attract_to_home_and_search_filters_as_you_type(kiosk):
    kiosk.tap_action("start")
    assert kiosk.screen == "home"
    all_services = _service_ids(kiosk)
    assert {
        "pay_bill",
        "report_problem",
        "permits",
        "records",
        "track_request",
        "help",
    } <= all_services
    kiosk.tap_action("keyboard")
    for letter in "WATER":
        kiosk.tap_action(f"key:{letter}")
    assert kiosk.app.screen("home").ids.search.text == "water"
    assert _service_ids(kiosk) == {"pay_bill"}
    kiosk.tap_action("key:clear")
    assert _service_ids(kiosk) == all_services


def test_a_service_opens_and_cancel_goes_back(kiosk):
    # Every demo service has its screens now; an unbuilt one is in tests/core/test_model.py.
    kiosk.tap_action("start")
    kiosk.tap_action("service:permits")
    assert kiosk.screen == "permits"
    kiosk.tap_action("cancel")
    assert kiosk.screen == "home"


def test_language_switch_changes_visible_text_and_keeps_input(kiosk):
    kiosk.tap_action("start")
    kiosk.tap_action("keyboard")
    for letter in "AGUA":
        kiosk.tap_action(f"key:{letter}")
    kiosk.tap_action("language:es")
    texts = kiosk.texts()
    assert "¿Cómo podemos ayudarle hoy?" in texts
    assert "Ayuda" in texts and "Help" not in texts
    assert kiosk.app.screen("home").ids.search.text == "agua"
    assert _service_ids(kiosk) == {"pay_bill"}
    assert any("Pagar una factura" in text for text in texts)
    kiosk.tap_action("language:en")
    assert "How can we help you today?" in kiosk.texts()


def test_timeout_warning_more_time_then_expiry_wipes(kiosk):
    kiosk.tap_action("language:es")
    kiosk.tap_action("high_contrast")
    kiosk.tap_action("start")
    kiosk.tap_action("keyboard")
    kiosk.tap_action("key:A")
    kiosk.clock.now += 61
    kiosk.model.tick()
    kiosk.pump()
    assert kiosk.app.timeout_warning in Window.children
    assert any("29 segundos" in text for text in kiosk.texts())
    kiosk.tap_action("more_time")
    assert kiosk.app.timeout_warning not in Window.children
    assert kiosk.screen == "home" and kiosk.app.screen("home").ids.search.text == "a"

    kiosk.clock.now += 61
    kiosk.model.tick()
    kiosk.pump()
    assert kiosk.app.timeout_warning in Window.children
    kiosk.clock.now += 30
    kiosk.model.tick()
    kiosk.pump()
    assert kiosk.app.timeout_warning not in Window.children
    assert kiosk.screen == "attract"
    assert "Touch to start" in kiosk.texts()  # back to the default language
    assert kiosk.app.palette is not HIGH_CONTRAST
    assert kiosk.app.screen("home").ids.search.text == ""


def test_high_contrast_really_renders_dark(kiosk, tmp_path):
    from PIL import Image

    kiosk.tap_action("high_contrast")
    kiosk.pump(3)
    shot = Window.screenshot(name=str(tmp_path / "contrast.png"))
    with Image.open(shot) as image:
        # Top-left corner under the demo banner: plain background.
        red, green, blue = image.convert("RGB").getpixel((5, 200))
    assert (red, green, blue) == (0, 0, 0)


def test_help_is_on_every_screen_and_returns(kiosk):
    kiosk.tap_action("help")
    assert kiosk.screen == "help"
    kiosk.tap_action("back")
    assert kiosk.screen == "home"
    kiosk.tap_action("service:pay_bill")
    kiosk.tap_action("help")
    kiosk.tap_action("back")
    assert kiosk.screen == "pay_bill"


def test_escape_and_close_requests_do_not_exit(kiosk):
    from kivy.base import EventLoop

    kiosk.tap_action("start")
    Window.dispatch("on_key_down", 27, 41, None, [])
    Window.dispatch("on_keyboard", 27, 41, None, [])
    kiosk.pump()
    assert Window.dispatch("on_request_close") is True
    kiosk.pump()
    assert EventLoop.status == "started" and not EventLoop.quit
    assert kiosk.app.root_widget in Window.children
    assert kiosk.screen == "home"


def test_speech_describes_the_new_screen(kiosk):
    kiosk.tap_action("speech")
    kiosk.tap_action("start")
    spoken = kiosk.model.speaker.spoken
    assert spoken and spoken[-1].text.startswith("Choose a service.")
    kiosk.tap_action("language:es")
    assert spoken[-1].language == "es" and spoken[-1].text.startswith("Elija un servicio.")


def test_finish_ends_the_session(kiosk):
    kiosk.tap_action("start")
    kiosk.tap_action("large_text")
    kiosk.tap_action("finish")
    assert kiosk.screen == "attract"
    assert kiosk.app.font_scale == 1


def _service_ids(kiosk):
    home = kiosk.app.screen("home")
    return {w.service_id for w in home.ids.services.walk() if hasattr(w, "service_id")}

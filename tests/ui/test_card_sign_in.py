"""Card sign-in with the simulated reader, as a demo visitor or a resident sees it."""

from __future__ import annotations


def welcome(kiosk) -> str:
    return kiosk.app.screen("home").ids.welcome.text


def test_inserting_a_card_on_the_attract_screen_signs_the_resident_in(kiosk):
    labels = [label for label, _insert in kiosk.model.demo_cards]
    index = next(i for i, label in enumerate(labels) if "(beid)" in label)
    kiosk.tap_action(f"demo_card:{index}")

    kiosk.wait_until(lambda: kiosk.screen == "home", "the home screen")
    kiosk.wait_until(lambda: welcome(kiosk) == "Welcome, María José Van den Brûle.", "the welcome")
    identity = kiosk.model.session.identity
    assert identity.profile == "beid" and len(identity.id_hash) == 64
    assert "92051212329" not in repr(identity)

    kiosk.tap_action("demo_remove_card")  # taking the card out ends the visit
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the attract screen")
    assert kiosk.model.session.identity is None


def test_a_card_inserted_on_the_home_screen_signs_in_and_keeps_the_search(kiosk):
    kiosk.tap_action("start")
    kiosk.model.set_search("water")
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.model.demo_insert_card(next(i for i, label in enumerate(labels) if "(uid)" in label))

    kiosk.wait_until(lambda: welcome(kiosk) == "Welcome, Maria Lopez.", "the welcome")
    assert kiosk.screen == "home"
    assert kiosk.app.screen("home").ids.search.text == "water"
    kiosk.model.demo_remove_card()
    kiosk.wait_until(lambda: kiosk.screen == "attract", "the attract screen")


def test_an_unsupported_card_is_explained_and_the_kiosk_stays_usable(kiosk):
    labels = [label for label, _insert in kiosk.model.demo_cards]
    kiosk.tap_action(f"demo_card:{labels.index('unsupported')}")

    kiosk.wait_until(lambda: "not supported" in welcome(kiosk), "the unsupported-card notice")
    assert kiosk.screen == "home" and kiosk.model.session.identity is None
    kiosk.tap_action("language:es")
    assert "no es compatible" in welcome(kiosk)
    kiosk.tap_action("demo_remove_card")
    kiosk.wait_until(lambda: welcome(kiosk) == "", "the notice to clear")
    assert kiosk.screen == "home"  # a guest session goes on without the card

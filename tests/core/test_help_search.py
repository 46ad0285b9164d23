"""The help search reads the answers through once per keystroke, however often the
screen asks for what it found, and again only when the words, the language or the
answers change."""

from __future__ import annotations

import pytest

from tests.core.content_kiosk import ContentKiosk

CASH_QUESTION = "Can I pay with cash at this kiosk?"


class CountedEntries(list):
    """The portal's entries as loaded, counting how often a search reads them through."""

    def __init__(self, entries):
        super().__init__(entries)
        self.searches = 0

    def __iter__(self):
        self.searches += 1
        return super().__iter__()


@pytest.fixture
def kiosk(tmp_path, clock, portal):
    kiosk = ContentKiosk(tmp_path, clock, portal)
    yield kiosk
    kiosk.close()


@pytest.fixture
def counted(kiosk):
    """The help flow on screen, with its loaded answers counted, and what a redraw of
    the help screen reads after each change: the notice, the questions, the words."""
    model = kiosk.model
    model.open_service("help")
    flow = model.flows["help"]
    assert flow.content_state == "ready"
    faq, glossary = CountedEntries(flow.content["faq"]), CountedEntries(flow.content["glossary"])
    flow.content = {"faq": faq, "glossary": glossary}
    redraws = []

    def redraw(topic: str) -> None:
        if topic == "help":
            redraws.append((flow.content_text(), flow.questions(), flow.glossary()))

    model.subscribe(redraw)
    return flow, faq, glossary, redraws


def test_each_keystroke_searches_the_answers_once(counted):
    flow, faq, glossary, redraws = counted

    for typed in ("c", "ca", "cas", "cash"):
        flow.search(typed)

    assert len(redraws) == 4
    assert [question for question, _answer in redraws[-1][1]] == [CASH_QUESTION]
    assert (faq.searches, glossary.searches) == (4, 4)


def test_a_new_language_searches_again_and_the_same_words_do_not(counted):
    flow, faq, glossary, redraws = counted
    flow.search("efectivo")
    flow.search("efectivo")
    flow.model.describe()
    assert (faq.searches, glossary.searches) == (1, 1)

    flow.model.choose_language("es")

    assert flow.questions()[0][0] == "¿Puedo pagar en efectivo en este quiosco?"
    assert (faq.searches, glossary.searches) == (2, 2)


def test_answers_arriving_after_the_words_were_typed_are_searched(tmp_path, clock, portal):
    kiosk = ContentKiosk(tmp_path, clock, portal, up=False)
    try:
        kiosk.model.open_help()  # the bar's button: there is no catalogue either
        flow = kiosk.model.flows["help"]
        flow.search("cash")
        assert flow.content_state == "unavailable" and flow.questions() == []

        kiosk.portal_up()
        flow.load()

        assert [question for question, _answer in flow.questions()] == [CASH_QUESTION]
    finally:
        kiosk.close()

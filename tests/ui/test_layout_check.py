"""The layout check the tour runs on every picture finds what it is meant to find."""

from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from screens.layout_check import inspect_layout


def _check(kiosk, *widgets):
    layer = FloatLayout()
    for widget in widgets:
        layer.add_widget(widget)
    view = ModalView(size_hint=(1, 1), auto_dismiss=False)
    view.add_widget(layer)
    view.open(animation=False)
    kiosk.pump(3)
    try:
        return inspect_layout()
    finally:
        view.dismiss(animation=False)
        kiosk.pump(2)


def _kinds(report):
    return sorted((problem.kind, problem.what) for problem in report.problems)


def test_a_clean_layout_has_no_problems(kiosk):
    report = _check(
        kiosk,
        Button(text="OK", size_hint=(None, None), size=(120, 64), pos=(10, 10)),
        Label(text="Hello", size_hint=(None, None), size=(200, 60), pos=(10, 100)),
    )
    assert report.problems == []
    assert report.targets == 1
    assert report.smallest_target == (120, 64)


def test_small_targets_cut_off_text_overlap_and_off_screen_are_found(kiosk):
    long_text = "A sentence far too long for its little box, so it is cut off " * 3
    report = _check(
        kiosk,
        Button(text="x", size_hint=(None, None), size=(30, 64), pos=(10, 10)),
        Label(text=long_text, size_hint=(None, None), size=(100, 30), pos=(10, 200)),
        Label(text="first", size_hint=(None, None), size=(100, 40), pos=(300, 300)),
        Label(text="second", size_hint=(None, None), size=(100, 40), pos=(320, 310)),
        Button(text="gone", size_hint=(None, None), size=(100, 64), pos=(-80, 400)),
    )
    kinds = _kinds(report)
    assert ("small_target", "Button('x')") in kinds
    assert any(kind == "cut_off" and "A sentence" in what for kind, what in kinds)
    assert ("overlap", "Label('first') / Label('second')") in kinds
    assert ("off_screen", "Button('gone')") in kinds


def test_a_word_wider_than_its_wrapping_label_is_found_but_cjk_text_is_not(kiosk):
    def wrapping(text, width, y):
        label = Label(text=text, size_hint=(None, None), size=(width, 120), pos=(10, y))
        label.text_size = (width, None)
        return label

    report = _check(
        kiosk,
        wrapping("Cancelar", 40, 10),
        wrapping("[b]Pay[/b] a bill today", 200, 150),
        wrapping("取消付款并返回主页面", 40, 300),
    )
    (split,) = [problem for problem in report.problems if problem.kind == "word_split"]
    assert split.what == "Label('Cancelar')"
    assert split.detail.startswith("'Cancelar' is ") and split.detail.endswith(" 40 px wide line")

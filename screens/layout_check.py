"""What a resident would see wrong on the screen shown now, found by measuring widgets.

The tour records this for every picture (``layout.json`` beside the PNGs) and a test
reads it, so a screen that only breaks at 800x480 or with large text fails a test
instead of waiting for someone to notice it in a picture:

- touch targets smaller than 44 x 44 px (WCAG 2.5.5; kiosk-requirements);
- text cut off: a label whose text is taller or wider than its box, or a widget
  that ends outside the window where nothing can scroll it into view;
- text on top of other text: two visible text widgets whose boxes overlap;
- a word split across lines ("Busca/r"): a word wider than its wrapping label,
  which Kivy breaks wherever the width runs out.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
from kivy.uix.checkbox import CheckBox
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import ScreenManager
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput

MIN_TARGET_PX = 44
_MARKUP_TAG = re.compile(r"\[/?[a-z_]+(?:=[^\]]*)?\]")
_MARKUP_ENTITIES = (("&bl;", "["), ("&br;", "]"), ("&amp;", "&"))
# Chinese and Japanese lines break between any two characters: no word to split.
_UNSPACED_SCRIPT = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Sub-pixel rounding and anti-aliased edges are not problems a resident sees.
SLACK_PX = 2


@dataclass
class Problem:
    kind: str  # small_target | cut_off | off_screen | overlap | word_split
    what: str
    detail: str


@dataclass
class LayoutReport:
    targets: int = 0
    smallest_target: tuple[int, int] | None = None
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


Rect = tuple[float, float, float, float]  # x, y, right, top in window pixels


def _rect(widget) -> Rect:
    x, y = widget.to_window(widget.x, widget.y)
    return (x, y, x + widget.width, y + widget.height)


def _intersection(a: Rect, b: Rect) -> Rect | None:
    x, y, right, top = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x, y, right, top) if right > x and top > y else None


def _name(widget) -> str:
    action = getattr(widget, "action", "")
    text = getattr(widget, "text", "")
    label = action or (text[:40] if isinstance(text, str) else "")
    return f"{type(widget).__name__}({label!r})"


def _shown(widget) -> bool:
    """False if the widget or an ancestor is hidden, or sits on a screen not shown."""
    node = widget
    while node is not None and node is not Window:
        if getattr(node, "opacity", 1) == 0 or node.width <= 0 or node.height <= 0:
            return False
        parent = node.parent
        if isinstance(parent, ScreenManager) and parent.current_screen is not node:
            return False
        node = parent
    return True


def _visible_area(widget) -> Rect | None:
    """The part of the widget not scrolled away, or None when nothing of it shows."""
    area = _rect(widget)
    node = widget.parent
    while node is not None and node is not Window:
        if isinstance(node, ScrollView):
            area = _intersection(area, _rect(node))
            if area is None:
                return None
        node = node.parent
    return area


def _inside_scroll_view(widget) -> bool:
    node = widget.parent
    while node is not None and node is not Window:
        if isinstance(node, ScrollView):
            return True
        node = node.parent
    return False


def _is_target(widget) -> bool:
    return isinstance(widget, ButtonBehavior | ToggleButtonBehavior | CheckBox | TextInput)


def _has_text(widget) -> bool:
    return isinstance(widget, Label | TextInput) and bool(str(widget.text).strip())


def _top_layer():
    """A modal covers everything under it; only what is on it can be seen or touched."""
    children = list(Window.children)
    for child in children:  # Window.children: topmost first
        if isinstance(child, ModalView):
            return child
    return children[-1] if children else None


def inspect_layout() -> LayoutReport:
    report = LayoutReport()
    top = _top_layer()
    if top is None:
        return report
    window = (0.0, 0.0, float(Window.width), float(Window.height))
    texts: list[tuple[object, Rect]] = []
    for widget in top.walk(restrict=True):
        if not _shown(widget):
            continue
        area = _visible_area(widget)
        if area is None:
            continue
        if _is_target(widget):
            _check_target(widget, report)
        if _has_text(widget):
            _check_text_fits(widget, report)
            texts.append((widget, area))
        cut_by_window = _intersection(_rect(widget), window) != _rect(widget)
        seen = _has_text(widget) or _is_target(widget)
        if seen and cut_by_window and not _inside_scroll_view(widget):
            report.problems.append(
                Problem("off_screen", _name(widget), f"box {_rounded(_rect(widget))}")
            )
    _check_overlaps(texts, report)
    return report


def _check_target(widget, report: LayoutReport) -> None:
    size = (round(widget.width), round(widget.height))
    report.targets += 1
    smallest = report.smallest_target
    if smallest is None or min(size) < min(smallest):
        report.smallest_target = size
    if min(size) < MIN_TARGET_PX:
        report.problems.append(Problem("small_target", _name(widget), f"{size[0]}x{size[1]} px"))


def _check_text_fits(widget, report: LayoutReport) -> None:
    if isinstance(widget, TextInput):
        return  # a field scrolls its own text
    text_width, text_height = widget.texture_size
    too_tall = text_height > widget.height + SLACK_PX
    wraps = widget.text_size[0] is not None
    too_wide = not wraps and text_width > widget.width + SLACK_PX
    if too_tall or too_wide:
        report.problems.append(
            Problem(
                "cut_off",
                _name(widget),
                f"text {round(text_width)}x{round(text_height)} in box "
                f"{round(widget.width)}x{round(widget.height)}",
            )
        )
    if wraps:
        _check_words_fit(widget, report)


def _words(widget) -> set[str]:
    text = str(widget.text)
    if widget.markup:
        text = _MARKUP_TAG.sub(" ", text)
        for entity, character in _MARKUP_ENTITIES:
            text = text.replace(entity, character)
    return {word for word in text.split() if not _UNSPACED_SCRIPT.search(word)}


def _check_words_fit(widget, report: LayoutReport) -> None:
    width = widget.text_size[0]
    measure = widget._label.get_extents  # the label's own font, size and style
    for word in sorted(_words(widget), key=len, reverse=True):
        word_width = measure(word)[0]
        if word_width > width + SLACK_PX:
            report.problems.append(
                Problem(
                    "word_split",
                    _name(widget),
                    f"{word!r} is {round(word_width)} px in a {round(width)} px wide line",
                )
            )
            return


def _related(a, b) -> bool:
    node = a.parent
    while node is not None and node is not Window:
        if node is b:
            return True
        node = node.parent
    node = b.parent
    while node is not None and node is not Window:
        if node is a:
            return True
        node = node.parent
    return False


def _check_overlaps(texts: list[tuple[object, Rect]], report: LayoutReport) -> None:
    for index, (first, first_area) in enumerate(texts):
        for second, second_area in texts[index + 1 :]:
            shared = _intersection(first_area, second_area)
            if shared is None:
                continue
            width, height = shared[2] - shared[0], shared[3] - shared[1]
            if width > SLACK_PX and height > SLACK_PX and not _related(first, second):
                report.problems.append(
                    Problem(
                        "overlap",
                        f"{_name(first)} / {_name(second)}",
                        f"{round(width)}x{round(height)} px shared",
                    )
                )


def _rounded(rect: Rect) -> tuple[int, ...]:
    return tuple(round(value) for value in rect)

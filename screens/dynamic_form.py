"""A form drawn from a kiosk.forms.FormDefinition, each error beside its own field.

Reusable by any flow whose questions a portal defines (reports, permits): the screen
gives it the definition, the answers and the errors it holds, and hears each change as
``on_answer(code, value)``; the widget keeps nothing the flow does not also have.
Typed answers use the kiosk's keyboards, in a :class:`FormKeyboard` the screen places
(beside the form on a short panel, under it on a tall one): letters for text, the
numeric keypad for numbers, dates and times. A day is chosen by touch (today,
yesterday, another day) and a time typed as four digits.

Widgets are rebuilt only when the questions or their language change; answers and
errors are updated in place, so typing stays cheap and the focus stays where it is.
"""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput

from kiosk import forms
from kiosk.forms import WhenAnswer
from kiosk.i18n import N_
from screens import keyboard as letters
from screens import keypad
from screens.keyboard import OnScreenKeyboard  # noqa: F401 - used in the .kv
from screens.keypad import NumericKeypad  # noqa: F401 - used in the .kv
from screens.widgets import KioskButton, KioskTextInput

Builder.load_file(str(Path(__file__).with_name("dynamic_form.kv")))

LETTERS, DIGITS = "letters", "digits"
DATE_PART, TIME_PART = "date", "time"


class FormTextInput(KioskTextInput):
    action = StringProperty("")
    code = StringProperty("")
    part = StringProperty("")  # "" or, in a datetime, DATE_PART / TIME_PART
    keypad = StringProperty(LETTERS)
    hidden = BooleanProperty(False)


class ChoiceButton(KioskButton):
    chosen = BooleanProperty(False)


class FieldBlock(BoxLayout):
    """One question: its label, its hint, its input, and its error right under it."""

    code = StringProperty("")
    label = StringProperty("")
    hint = StringProperty("")
    error = StringProperty("")
    information = BooleanProperty(False)  # Open311 variable=false: text to read


class FormKeyboard(BoxLayout):
    """Letters or digits, whichever the field being typed in needs; "" hides it."""

    __events__ = ("on_key",)
    kind = StringProperty("")

    def on_key(self, key: str) -> None:
        pass


class DynamicForm(ScrollView):
    __events__ = ("on_answer",)
    keyboard = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._signature = None
        self._blocks: dict[str, FieldBlock] = {}
        self._answers: dict = {}
        self._active: FormTextInput | None = None

    def on_keyboard(self, _form, keyboard) -> None:
        if keyboard is not None:
            keyboard.bind(on_key=lambda _k, key: self._key(key))

    def on_answer(self, code: str, value: object) -> None:
        pass

    # Showing -----------------------------------------------------------------------

    def show(self, form, answers, errors, language: str, gettext) -> None:
        """Draw ``form`` (a kiosk.forms.FormDefinition, or None for nothing yet) with
        ``answers`` and ``errors`` (kiosk.forms.FieldError by code)."""
        fields = form.fields if form else ()
        signature = tuple(
            (f.code, f.datatype, f.label_in(language), f.hint_in(language), f.required, f.asks)
            + tuple((c.key, f.choice_label(c.key, language)) for c in f.choices)
            for f in fields
        ) + (language,)
        if signature != self._signature:
            self._build(fields, language, gettext)
            self._signature = signature
        self._answers = dict(answers)
        for question in fields:
            block = self._blocks[question.code]
            error = errors.get(question.code)
            block.error = error.text(gettext) if error else ""
            self._update(block, question, answers.get(question.code))

    def _build(self, fields, language: str, gettext) -> None:
        self.hide_keyboard()
        grid = self.ids.fields
        grid.clear_widgets()
        self._blocks = {}
        for question in fields:
            label = question.label_in(language)
            block = FieldBlock(
                code=question.code,
                label=label + (" *" if question.required else ""),
                hint=question.hint_in(language),
                information=not question.asks,
            )
            if question.asks:
                block.ids.inputs.add_widget(self._inputs(question, language, gettext))
            self._blocks[question.code] = block
            grid.add_widget(block)
        self.scroll_y = 1

    def _inputs(self, question, language: str, gettext):
        code, datatype = question.code, question.datatype
        if datatype in (forms.STRING, forms.TEXT, forms.NUMBER):
            return self._text_input(
                code, "", DIGITS if datatype == forms.NUMBER else LETTERS, datatype == forms.TEXT
            )
        if datatype in forms.WHEN:
            return self._when_inputs(question, gettext)
        grid = GridLayout(cols=2, spacing=10, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        if datatype == forms.CONFIRM:
            grid.cols = 1
            grid.add_widget(self._choice(code, "yes", gettext("Yes, I have it")))
        for choice in question.choices:
            grid.add_widget(
                self._choice(code, choice.key, question.choice_label(choice.key, language))
            )
        return grid

    def _when_inputs(self, question, gettext):
        box = BoxLayout(orientation="vertical", spacing=10, size_hint_y=None)
        box.bind(minimum_height=box.setter("height"))
        days = GridLayout(cols=3, spacing=10, size_hint_y=None)
        days.bind(minimum_height=days.setter("height"))
        for key, label in forms.DAY_CHOICES:
            days.add_widget(self._choice(question.code, key, gettext(label), prefix="day"))
        box.add_widget(days)
        box.add_widget(
            self._text_input(question.code, DATE_PART, DIGITS, False, gettext(DATE_HINT))
        )
        if question.datatype == forms.DATETIME:
            box.add_widget(
                self._text_input(question.code, TIME_PART, DIGITS, False, gettext(TIME_HINT))
            )
        return box

    def _text_input(self, code, part, keypad_kind, multiline, hint_text="") -> FormTextInput:
        field = FormTextInput(
            code=code,
            part=part,
            keypad=keypad_kind,
            multiline=multiline,
            hint_text=hint_text,
            action=f"field:{code}" + (f":{part}" if part else ""),
        )
        field.bind(text=self._typed, focus=self._focused)
        return field

    def _choice(self, code: str, key: str, text: str, prefix: str = "choice") -> ChoiceButton:
        button = ChoiceButton(text=text, action=f"{prefix}:{code}:{key}")
        button.plain_text = text
        button.bind(on_release=lambda _b: self._chose(code, key, prefix == "day"))
        return button

    def _update(self, block: FieldBlock, question, value) -> None:
        for widget in block.ids.inputs.walk(restrict=True):
            if isinstance(widget, FormTextInput):
                if widget.part == DATE_PART:
                    text = value.date if isinstance(value, WhenAnswer) else ""
                    # The date is typed only for another day than today or yesterday.
                    widget.hidden = not (
                        isinstance(value, WhenAnswer) and value.day == forms.OTHER_DAY
                    )
                elif widget.part == TIME_PART:
                    text = value.time if isinstance(value, WhenAnswer) else ""
                else:
                    text = "" if value is None else str(value)
                if widget.text != text:
                    widget.text = text
                    widget.cursor = widget.get_cursor_from_index(len(text))
            elif isinstance(widget, ChoiceButton):
                key = widget.action.rsplit(":", 1)[1]
                widget.chosen = _chosen(question.datatype, value, key)
                # Words, not only colour, say what is chosen.
                widget.text = ("• " if widget.chosen else "") + widget.plain_text

    # Answering ---------------------------------------------------------------------

    def _chose(self, code: str, key: str, day: bool) -> None:
        question_value = self._answers.get(code)
        if day:
            when = question_value if isinstance(question_value, WhenAnswer) else WhenAnswer()
            value = WhenAnswer("" if when.day == key else key, when.date, when.time)
        else:
            value = _toggled(self._datatype(code), question_value, key)
        self.dispatch("on_answer", code, value)

    def _typed(self, field: FormTextInput, text: str) -> None:
        if field.part:
            when = self._answers.get(field.code)
            when = when if isinstance(when, WhenAnswer) else WhenAnswer()
            value = (
                WhenAnswer(when.day, text, when.time)
                if field.part == DATE_PART
                else WhenAnswer(when.day, when.date, text)
            )
        else:
            value = text
        if value != self._answers.get(field.code):
            self._answers[field.code] = value
            self.dispatch("on_answer", field.code, value)

    def _datatype(self, code: str) -> str:
        for question_code, datatype, *_rest in self._signature[:-1]:
            if question_code == code:
                return datatype
        raise KeyError(code)

    # The keyboard ------------------------------------------------------------------

    def _focused(self, field: FormTextInput, focus: bool) -> None:
        if focus:
            self._active = field
            if self.keyboard is not None:
                self.keyboard.kind = field.keypad
            Clock.schedule_once(lambda _dt: self._scroll_to(field), 0.05)

    def _scroll_to(self, field) -> None:
        if field.parent is not None and field.get_root_window() is not None:
            self.scroll_to(field, padding=20, animate=False)

    def _key(self, key: str) -> None:
        field = self._active
        if field is None:
            return
        if field.keypad == DIGITS:
            field.text = keypad.apply_key(field.text, key, ".")
        else:
            field.text = letters.apply_key(field.text, key)
        # A tap on a key took the focus; give it back for a physical keyboard or scanner.
        Clock.schedule_once(lambda _dt: setattr(field, "focus", True))

    def hide_keyboard(self) -> None:
        if self._active is not None:
            self._active.focus = False
        self._active = None
        if self.keyboard is not None:
            self.keyboard.kind = ""

    def release(self) -> None:
        """Leaving the screen: no focus, no undo history of what was typed."""
        for widget in self.ids.fields.walk(restrict=True):
            if isinstance(widget, TextInput):
                widget.focus = False
                widget.cancel_selection()
                widget.reset_undo()
        self.hide_keyboard()


def _chosen(datatype: str, value, key: str) -> bool:
    if isinstance(value, WhenAnswer):
        return value.day == key
    if datatype == forms.MULTI_CHOICE:
        return key in (value or ())
    if datatype == forms.CONFIRM:
        return value is True
    return value == key


def _toggled(datatype: str, value, key: str):
    """A second touch on a chosen answer clears it."""
    if datatype == forms.MULTI_CHOICE:
        keys = tuple(value or ())
        return tuple(k for k in keys if k != key) if key in keys else (*keys, key)
    if datatype == forms.CONFIRM:
        return value is not True
    return "" if value == key else key


DATE_HINT = N_("Date: year, month, day")
TIME_HINT = N_("Time, 24-hour clock, like 21:30")

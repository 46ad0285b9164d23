import dataclasses

import pytest

from kiosk.theme import HIGH_CONTRAST, STANDARD, Theme, contrast_ratio

TEXT_PAIRS = [
    ("text", "background"),
    ("text", "surface"),
    ("muted_text", "background"),
    ("button_text", "button"),
    ("accent_text", "accent"),
    ("warning_text", "warning"),
    ("demo_banner_text", "demo_banner"),
]


@pytest.mark.parametrize("palette", [STANDARD, HIGH_CONTRAST], ids=["standard", "high-contrast"])
@pytest.mark.parametrize(("foreground", "background"), TEXT_PAIRS)
def test_text_contrast_meets_wcag_aa(palette, foreground, background):
    ratio = contrast_ratio(getattr(palette, foreground), getattr(palette, background))
    assert ratio >= 4.5, f"{foreground} on {background}: {ratio:.2f}"


@pytest.mark.parametrize("palette", [STANDARD, HIGH_CONTRAST], ids=["standard", "high-contrast"])
def test_focus_indicator_is_visible(palette):
    assert contrast_ratio(palette.focus, palette.background) >= 3


def test_high_contrast_is_stronger_than_standard():
    assert contrast_ratio(HIGH_CONTRAST.text, HIGH_CONTRAST.background) >= 15
    assert contrast_ratio(STANDARD.text, STANDARD.background) >= 7


def test_contrast_formula_known_values():
    black, white = (0, 0, 0, 1), (1, 1, 1, 1)
    assert contrast_ratio(black, white) == pytest.approx(21)
    assert contrast_ratio(white, white) == pytest.approx(1)


def test_toggles_are_independent():
    theme = Theme().toggled(large_text=True)
    assert theme.font_scale > 1 and theme.palette is STANDARD
    theme = theme.toggled(high_contrast=True).toggled(large_text=True)
    assert theme.font_scale == 1 and theme.palette is HIGH_CONTRAST
    assert dataclasses.replace(theme) == theme

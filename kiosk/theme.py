"""The single theme object: text size and contrast, as plain data.

Screens read colours and sizes from here (through the app), so the large-text and
high-contrast modes change every screen at once. Contrast ratios follow WCAG 2.2
and are checked by tests, not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

Colour = tuple[float, float, float, float]


def _hex(code: str) -> Colour:
    code = code.lstrip("#")
    return tuple(int(code[i : i + 2], 16) / 255 for i in (0, 2, 4)) + (1.0,)


@dataclass(frozen=True)
class Palette:
    background: Colour
    surface: Colour  # cards and bars
    text: Colour
    muted_text: Colour
    button: Colour
    button_text: Colour
    accent: Colour  # primary action
    accent_text: Colour
    focus: Colour
    warning: Colour
    warning_text: Colour
    demo_banner: Colour
    demo_banner_text: Colour


STANDARD = Palette(
    background=_hex("#F4F6F8"),
    surface=_hex("#FFFFFF"),
    text=_hex("#1B1F24"),
    muted_text=_hex("#4A5563"),
    button=_hex("#E3E8EF"),
    button_text=_hex("#1B1F24"),
    accent=_hex("#0B5CAD"),
    accent_text=_hex("#FFFFFF"),
    focus=_hex("#C2410C"),
    warning=_hex("#FFF4D6"),
    warning_text=_hex("#5C3B00"),
    demo_banner=_hex("#7A2E8E"),
    demo_banner_text=_hex("#FFFFFF"),
)

HIGH_CONTRAST = Palette(
    background=_hex("#000000"),
    surface=_hex("#000000"),
    text=_hex("#FFFFFF"),
    muted_text=_hex("#FFFFFF"),
    button=_hex("#1A1A1A"),
    button_text=_hex("#FFFF00"),
    accent=_hex("#FFFF00"),
    accent_text=_hex("#000000"),
    focus=_hex("#00FFFF"),
    warning=_hex("#FFFF00"),
    warning_text=_hex("#000000"),
    demo_banner=_hex("#FFFFFF"),
    demo_banner_text=_hex("#000000"),
)

LARGE_TEXT_SCALE = 1.4
# 44 px is the WCAG/ADA minimum; kiosks are used standing, often in a hurry.
MIN_TOUCH_TARGET_PX = 64


def relative_luminance(colour: Colour) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: Colour, second: Colour) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class Theme:
    large_text: bool = False
    high_contrast: bool = False

    @property
    def palette(self) -> Palette:
        return HIGH_CONTRAST if self.high_contrast else STANDARD

    @property
    def font_scale(self) -> float:
        return LARGE_TEXT_SCALE if self.large_text else 1.0

    def font_size(self, base_px: float) -> float:
        return round(base_px * self.font_scale)

    def toggled(self, *, large_text: bool = False, high_contrast: bool = False) -> Theme:
        return replace(
            self,
            large_text=self.large_text ^ large_text,
            high_contrast=self.high_contrast ^ high_contrast,
        )

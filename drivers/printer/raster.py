"""Receipt lines the printer cannot print as text, drawn as raster images (GS v 0).

A receipt printer's text mode prints one glyph per byte from a single-byte code page,
left to right. A line goes as text only when that prints it correctly: every character
is in one of the code pages python-escpos would use for this printer (its profile, or
the one encoding forced on it), and nothing in it needs shaping or reordering. Arabic
and Hebrew are in code pages (CP720, CP864, CP862) but would come out unjoined and
backwards, and combining marks would each take a cell of their own, so those lines are
drawn too; so is anything in Chinese and the other scripts no code page has.

Drawn lines are laid out with Pillow's raqm layout (FriBiDi for the order, HarfBuzz for
the shaping) in a font chosen for the line's script from a short list of Debian fonts
(:data:`FACES`). Each line keeps its bold, double size, alignment and trailing text;
a line wider than the paper wraps (between words, or between CJK characters), shrinks
when a single word is still too wide, and is broken between characters as a last resort,
so nothing is ever cut off. Characters no font here has (emoji, private use) print as
"?". Consecutive drawn lines go to the printer as one image, as wide as the paper, so
it prints where it was laid out whatever a printer does with ESC a alignment.
"""

from __future__ import annotations

import bisect
import functools
import logging
import struct
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fontTools.ttLib import TTFont, TTLibError
from PIL import Image, ImageDraw, ImageFont, features

if TYPE_CHECKING:
    from drivers.printer.interface import ReceiptDocument, ReceiptLine

logger = logging.getLogger(__name__)
_LAYOUT_LOCK = threading.Lock()

DOTS_PER_COLUMN = 12  # Font A
PITCH = 30  # dots per normal row: what a text line advances at the default spacing
BASELINE = 22  # from a row's top: room above for Arabic ascenders, below for descenders
GAP = DOTS_PER_COLUMN  # at least one column between a line's text and its trailing text
MIN_SCALE = 0.7  # a word too wide for the paper shrinks to no less than this
MAX_IMAGE_ROWS = 960  # rows per GS v 0 command, as python-escpos splits images
REPLACEMENTS = ("?", "\u061f")  # the Arabic one for fonts without the Latin one
PICTOGRAPHS = (0x1F000, 0x1FAFF)  # emoji, flags, skin tones, playing cards...

_NOTO = "/usr/share/fonts/truetype/noto"
_DEJAVU = "/usr/share/fonts/truetype/dejavu"


@dataclass(frozen=True)
class Face:
    """A font for one script: its files, its pixel size on a normal (24-dot) row, and
    the OpenType language its shaping uses."""

    name: str
    regular: str
    bold: str | None
    size: int
    language: str | None = None


def _noto_ui(name: str, stem: str, language: str, size: int = 22) -> Face:
    return Face(name, f"{_NOTO}/{stem}-Regular.ttf", f"{_NOTO}/{stem}-Bold.ttf", size, language)


# Debian packages: fonts-noto-ui-core, fonts-wqy-microhei, fonts-dejavu-core (Makefile).
LATIN = Face("latin", f"{_DEJAVU}/DejaVuSans.ttf", f"{_DEJAVU}/DejaVuSans-Bold.ttf", 20)
CJK = Face("cjk", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None, 24, "zh-Hans")
FACES: tuple[Face, ...] = (
    _noto_ui("arabic", "NotoSansArabicUI", "ar", size=24),
    CJK,
    _noto_ui("thai", "NotoSansThaiUI", "th"),
    _noto_ui("lao", "NotoSansLaoUI", "lo"),
    _noto_ui("khmer", "NotoSansKhmerUI", "km"),
    _noto_ui("myanmar", "NotoSansMyanmarUI", "my"),
    _noto_ui("devanagari", "NotoSansDevanagariUI", "hi"),
    _noto_ui("bengali", "NotoSansBengaliUI", "bn"),
    _noto_ui("gurmukhi", "NotoSansGurmukhiUI", "pa"),
    _noto_ui("gujarati", "NotoSansGujaratiUI", "gu"),
    _noto_ui("oriya", "NotoSansOriyaUI", "or"),
    _noto_ui("tamil", "NotoSansTamilUI", "ta"),
    _noto_ui("telugu", "NotoSansTeluguUI", "te"),
    _noto_ui("kannada", "NotoSansKannadaUI", "kn"),
    _noto_ui("malayalam", "NotoSansMalayalamUI", "ml"),
    _noto_ui("sinhala", "NotoSansSinhalaUI", "si"),
    # DejaVu Sans: Latin, Greek, Cyrillic, Hebrew, Armenian, Georgian and more.
    LATIN,
)
_FACE = {face.name: face for face in FACES}
# Tried after the faces of the line's own scripts, for what those fonts lack.
_FALLBACKS = (LATIN, CJK)

# Unicode blocks -> the face drawn for them; anything else is tried in the fallbacks.
_SCRIPT_BLOCKS = sorted(
    [
        (0x0600, 0x06FF, "arabic"),
        (0x0750, 0x077F, "arabic"),
        (0x0870, 0x08FF, "arabic"),
        (0xFB50, 0xFDFF, "arabic"),
        (0xFE70, 0xFEFF, "arabic"),
        (0x0900, 0x097F, "devanagari"),
        (0x0980, 0x09FF, "bengali"),
        (0x0A00, 0x0A7F, "gurmukhi"),
        (0x0A80, 0x0AFF, "gujarati"),
        (0x0B00, 0x0B7F, "oriya"),
        (0x0B80, 0x0BFF, "tamil"),
        (0x0C00, 0x0C7F, "telugu"),
        (0x0C80, 0x0CFF, "kannada"),
        (0x0D00, 0x0D7F, "malayalam"),
        (0x0D80, 0x0DFF, "sinhala"),
        (0x0E00, 0x0E7F, "thai"),
        (0x0E80, 0x0EFF, "lao"),
        (0x1000, 0x109F, "myanmar"),
        (0x1100, 0x11FF, "cjk"),
        (0x1780, 0x17FF, "khmer"),
        (0x2E80, 0x2FDF, "cjk"),
        (0x3000, 0x4DBF, "cjk"),
        (0x4E00, 0x9FFF, "cjk"),
        (0xA960, 0xA97F, "cjk"),
        (0xAC00, 0xD7AF, "cjk"),
        (0xF900, 0xFAFF, "cjk"),
        (0xFE30, 0xFE4F, "cjk"),
        (0xFF00, 0xFFEF, "cjk"),
        (0x20000, 0x3FFFF, "cjk"),
    ]
)
_BLOCK_STARTS = [start for start, _, _ in _SCRIPT_BLOCKS]

# Default-ignorable code points (Unicode DerivedCoreProperties): HarfBuzz draws nothing
# for them, so a font need not have them (joiners, direction marks, variation selectors).
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_ZWJ = "\u200d"
# Kinsoku: CJK punctuation that may not start a row, and brackets that may not end one.
_NO_BREAK_BEFORE = set("、。，．：；！？）」』】〕〉》”’ー…・%％")
_NO_BREAK_AFTER = set("（「『【〔〈《“‘")


# --- text or picture -----------------------------------------------------------------


def text_encodable(printer: Any) -> Callable[[str], bool]:
    """Whether the printer's text mode can print a character: ASCII, or in a code page
    python-escpos would switch this printer to (only the forced one when it is fixed)."""
    magic = printer.magic
    encoder = magic.encoder
    pages = [magic.encoding] if magic.disabled else list(encoder.codepages)
    known: dict[str, bool] = {}

    def encodable(char: str) -> bool:
        if char < "\x80":
            return True
        found = known.get(char)
        if found is None:
            found = known[char] = any(encoder.can_encode(page, char) for page in pages)
        return found

    return encodable


def prints_as_text(line: ReceiptLine, encodable: Callable[[str], bool]) -> bool:
    """Whether ``line`` can go as text: every character encodable, none right-to-left
    (text mode prints unshaped and left to right) and no combining marks (each would
    take a cell of its own)."""
    for char in line.text + line.trailing:
        if char < "\x80" or char in _DIRECTION_MARKS:
            continue
        if _right_to_left(char) or unicodedata.category(char) in ("Mn", "Mc", "Me"):
            return False
        if not encodable(char):
            return False
    return True


# An amount in an Arabic receipt ("\u200f42.50 US$") carries a right-to-left mark for
# screens; text mode prints left to right anyway, and has no glyph for the mark.
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")


def without_controls(text: str) -> str:
    """``text`` safe for text mode: control characters (ESC, GS, LF...) become spaces,
    so what a resident typed can never become a printer command; direction marks go."""
    if text.isprintable():
        return text
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if c not in _DIRECTION_MARKS
    )


# --- fonts -------------------------------------------------------------------------


@functools.cache
def coverage(path: str) -> frozenset[int]:
    """The code points ``path``'s Unicode cmap maps to a glyph; empty when the file is
    missing or unreadable (the face is then not used)."""
    try:
        # fontNumber: the first face of a collection (.ttc), as Pillow opens it.
        cmap = TTFont(path, fontNumber=0, lazy=True).getBestCmap() or {}
    except (OSError, TTLibError, struct.error, ValueError, KeyError):
        return frozenset()
    # Pictographs count as missing even where DejaVu has a few: an emoji prints as
    # "?" and never moves its line to another font.
    low, high = PICTOGRAPHS
    return frozenset(
        code for code, glyph in cmap.items() if glyph != ".notdef" and not low <= code <= high
    )


@functools.cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    layout = ImageFont.Layout.RAQM if _raqm() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, layout_engine=layout)


@functools.cache
def _raqm() -> bool:
    if features.check("raqm"):
        return True
    # Pillow's wheels load FriBiDi from the system (Debian libfribidi0).
    logger.warning("Pillow has no raqm layout: right-to-left text prints unshaped, reversed")
    return False


def _options(direction: str, language: str | None) -> dict[str, Any]:
    """Pillow's layout options; its basic layout refuses them (and cannot use them)."""
    if not _raqm():
        return {}
    return {"direction": direction, "language": language}


def _script_face(char: str) -> Face | None:
    code = ord(char)
    index = bisect.bisect_right(_BLOCK_STARTS, code) - 1
    if index >= 0:
        start, end, name = _SCRIPT_BLOCKS[index]
        if start <= code <= end:
            return _FACE[name]
    return None


def _ignorable(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _IGNORABLE)


def _regional(char: str) -> bool:
    """A regional indicator letter: two of them make a flag."""
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _right_to_left(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def _has(face: Face, char: str) -> bool:
    return ord(char) in coverage(face.regular)


def _replacement(face: Face) -> str:
    """What ``face`` draws for a character no font has: "?", the Arabic "؟" in fonts
    without the Latin one, or nothing."""
    return next((char for char in REPLACEMENTS if _has(face, char)), "")


def _needs_glyph(char: str) -> bool:
    category = unicodedata.category(char)
    return category not in ("Cc", "Zl", "Zp", "Zs") and not _ignorable(char)


def pick_face(text: str) -> Face | None:
    """The face for ``text``: its most frequent script's first, then the fallbacks; the
    first that has every character wins, else the one that has the most."""
    scripts = Counter(face for char in text if (face := _script_face(char)) is not None)
    candidates = [face for face, _ in scripts.most_common()]
    candidates += [face for face in _FALLBACKS if face not in candidates]
    needed = {ord(char) for char in text if _needs_glyph(char)}
    best, best_count = None, -1
    for face in candidates:
        cmap = coverage(face.regular)
        if not cmap:
            continue
        count = len(needed & cmap)
        if count == len(needed):
            return face
        if count > best_count:
            best, best_count = face, count
    return best


def drawable(text: str, face: Face) -> str:
    """``text`` with what ``face`` cannot draw replaced: a replacement character for a
    missing one (one for a whole emoji sequence), nothing for a missing combining mark,
    a space for control characters and line breaks."""
    cmap = coverage(face.regular)
    replacement = _replacement(face)
    out: list[str] = []
    replaced = joined = flag = False
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")
            replaced = joined = flag = False
            continue
        if replaced and (
            joined
            or category in ("Mn", "Mc", "Me", "Sk")
            or _ignorable(char)
            or (flag and _regional(char))
        ):
            # Part of the character just replaced: its marks, skin tone, variation
            # selector, the second letter of a flag, or what a joiner glues to it.
            joined = char == _ZWJ
            flag = False
            continue
        replaced = joined = False
        flag = _regional(char)
        if ord(char) in cmap or _ignorable(char):
            out.append(char)
        elif category == "Zs":
            out.append(" ")
        elif category not in ("Mn", "Mc", "Me"):
            out.append(replacement)
            replaced = True
    return "".join(out)


def _clusters(text: str) -> list[str]:
    """``text`` in pieces never split or given different fonts: a character with its
    marks, joiners, variation selectors and emoji modifiers."""
    clusters: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if (
            clusters
            and category not in ("Cc", "Zl", "Zp")
            and (
                category in ("Mn", "Mc", "Me")
                or _ignorable(char)
                or 0x1F3FB <= ord(char) <= 0x1F3FF
                or clusters[-1].endswith(_ZWJ)
                or (_regional(char) and len(clusters[-1]) == 1 and _regional(clusters[-1]))
            )
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


Unit = tuple[str, Face]
"""A cluster as drawn, and the face that draws it."""


def units(text: str) -> list[Unit]:
    """``text`` ready to draw: in clusters, each with its face and with what no font has
    replaced. Text with right-to-left characters gets one face for all of it: raqm
    orders and shapes one run of one font. Other text changes face where its face lacks
    a character (a Thai font without digits, a Latin one without Devanagari)."""
    primary = pick_face(text)
    if primary is None:
        return []
    if any(_right_to_left(char) for char in text):
        return [(cluster, primary) for cluster in _clusters(drawable(text, primary))]
    out: list[Unit] = []
    current = primary
    for cluster in _clusters(text):
        base = unicodedata.category(cluster[0])
        if base in ("Cc", "Zl", "Zp", "Zs"):
            cluster = " "
        face = next(
            (
                face
                for face in (current, primary, _script_face(cluster[0]), *_FALLBACKS, *FACES)
                if face is not None and _has(face, cluster[0])
            ),
            None,
        )
        if face is None and cluster == " ":
            face = current
        if face is None:
            face = next((f for f in (current, *_FALLBACKS, *FACES) if _replacement(f)), None)
            if face is None:
                continue
            out.append((_replacement(face), face))
        else:
            out.append((drawable(cluster, face), face))
        current = face
    return out


def _text(row: Sequence[Unit]) -> str:
    return "".join(cluster for cluster, _ in row)


def _strip(row: Sequence[Unit]) -> Sequence[Unit]:
    start, end = 0, len(row)
    while start < end and not row[start][0].strip():
        start += 1
    while end > start and not row[end - 1][0].strip():
        end -= 1
    return row[start:end]


# --- layout ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setting:
    scale: int  # 2 for double size
    factor: float  # below 1 when a word too wide for the paper shrank the line
    bold: bool
    direction: str

    def size(self, face: Face) -> int:
        return max(6, round(face.size * self.scale * self.factor))

    def path(self, face: Face) -> str:
        if self.bold and face.bold and coverage(face.bold):
            return face.bold
        return face.regular

    def fake_bold(self, face: Face) -> int:
        return 1 if self.bold and self.path(face) == face.regular else 0

    def shrunk(self, factor: float) -> _Setting:
        return _Setting(self.scale, factor, self.bold, self.direction)


@functools.lru_cache(maxsize=8192)
def _metrics(
    text: str, path: str, size: int, direction: str, language: str | None
) -> tuple[float, tuple[int, int, int, int]]:
    font = _font(path, size)
    options = _options(direction, language)
    return font.getlength(text, **options), font.getbbox(text, anchor="ls", **options)


@dataclass
class _Layout:
    """A row's runs of one face each, with the x of each run's origin, and the ink box
    of them all around the baseline (None when nothing is inked)."""

    runs: list[tuple[Face, str, float]]
    direction: str
    box: tuple[int, int, int, int] | None

    @property
    def width(self) -> int:
        return 0 if self.box is None else self.box[2] - self.box[0]


def _layout(row: Sequence[Unit], setting: _Setting) -> _Layout:
    runs: list[tuple[Face, str]] = []
    for cluster, face in _strip(row):
        if runs and runs[-1][0] == face:
            runs[-1] = (face, runs[-1][1] + cluster)
        else:
            runs.append((face, cluster))
    # Several runs only come from text without right-to-left characters: left to right.
    direction = setting.direction if len(runs) == 1 else "ltr"
    placed: list[tuple[Face, str, float]] = []
    box: tuple[int, int, int, int] | None = None
    x = 0.0
    for face, text in runs:
        advance, (left, top, right, bottom) = _metrics(
            text, setting.path(face), setting.size(face), direction, face.language
        )
        placed.append((face, text, x))
        if right > left:
            right += setting.fake_bold(face)
            run_box = (round(x) + left, top, round(x) + right, bottom)
            box = run_box if box is None else _union(box, run_box)
        x += advance
    return _Layout(placed, direction, box)


Box = tuple[int, int, int, int]


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _width(row: Sequence[Unit], setting: _Setting) -> int:
    return _layout(row, setting).width


@dataclass
class _Piece:
    """One row of drawn text: ``image`` black on white, with the baseline ``ascent``
    dots below its top."""

    image: Image.Image
    ascent: int


def _draw(row: Sequence[Unit], setting: _Setting) -> _Piece:
    """One row, cropped to its ink sideways; never cropped top or bottom."""
    baseline, pitch = BASELINE * setting.scale, PITCH * setting.scale
    layout = _layout(row, setting)
    if layout.box is None:
        return _Piece(Image.new("L", (0, pitch), 255), baseline)
    left, top, right, bottom = layout.box
    ascent = max(baseline, -top)
    height = max(pitch, ascent + max(pitch - baseline, bottom))
    image = Image.new("L", (right - left, height), 255)
    draw = ImageDraw.Draw(image)
    for face, text, x in layout.runs:
        font = _font(setting.path(face), setting.size(face))
        for dx in range(setting.fake_bold(face) + 1):
            # Bold as the printer does it: the same dots again, one dot to the right.
            draw.text(
                (round(x) - left + dx, ascent),
                text,
                font=font,
                fill=0,
                anchor="ls",
                **_options(layout.direction, face.language),
            )
    return _Piece(image, ascent)


def _segments(row: Sequence[Unit]) -> list[list[Unit]]:
    """``row`` cut where a line may break: after spaces, and around CJK characters."""
    segments: list[list[Unit]] = []
    for unit in row:
        if segments and not _break_between(segments[-1][-1][0], unit[0]):
            segments[-1].append(unit)
        else:
            segments.append([unit])
    return segments


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _break_between(before: str, after: str) -> bool:
    if not before or not after:
        return False
    last, first = before[-1], after[0]
    if first == " ":
        return False
    if last == " ":
        return True
    if first in _NO_BREAK_BEFORE or last in _NO_BREAK_AFTER:
        return False
    return _wide(last) or _wide(first)


def _fill(segments: Sequence[Sequence[Unit]], setting: _Setting, width: int) -> list[list[Unit]]:
    rows: list[list[Unit]] = []
    current: list[Unit] = []
    for segment in segments:
        candidate = current + list(segment)
        if _text(current).strip() and _width(candidate, setting) > width:
            rows.append(current)
            current = list(segment)
        else:
            current = candidate
    if _text(current).strip() or not rows:
        rows.append(current)
    return rows


def wrap(row: Sequence[Unit], setting: _Setting, width: int) -> tuple[list[list[Unit]], _Setting]:
    """``row`` in rows no wider than ``width`` dots, and the setting they fit in: words
    wrap; a word wider than the paper shrinks the line, down to MIN_SCALE, and is then
    broken between clusters."""
    segments = _segments(row)
    widest = max(segments, key=lambda segment: _width(segment, setting), default=[])
    fitted = setting
    factor = 1.0
    while _width(widest, fitted) > width and factor > MIN_SCALE:
        factor = max(MIN_SCALE, factor - 0.05)
        fitted = setting.shrunk(factor)
    if any(_width(segment, fitted) > width for segment in segments):
        segments = [
            part
            for segment in segments
            for part in (
                [[unit] for unit in segment] if _width(segment, fitted) > width else [segment]
            )
        ]
    return _fill(segments, fitted, width), fitted


def _fit(piece: _Piece, width: int) -> _Piece:
    """Last resort: a row still wider than the paper (a lone glyph wider than it) shrinks
    to fit rather than be cut off."""
    if piece.image.width <= width:
        return piece
    ratio = width / piece.image.width
    size = (width, max(1, round(piece.image.height * ratio)))
    return _Piece(piece.image.resize(size, Image.Resampling.LANCZOS), round(piece.ascent * ratio))


def _row(pieces: Sequence[tuple[_Piece, int]], width: int) -> Image.Image:
    """Pieces at their x positions, on a common baseline."""
    ascent = max(piece.ascent for piece, _ in pieces)
    descent = max(piece.image.height - piece.ascent for piece, _ in pieces)
    row = Image.new("L", (width, ascent + descent), 255)
    for piece, x in pieces:
        if piece.image.width:
            row.paste(piece.image, (x, ascent - piece.ascent))
    return row


def _place(align: str, used: int, width: int) -> int:
    return {"left": 0, "center": (width - used) // 2, "right": width - used}[align]


def line_direction(line: ReceiptLine, doc: ReceiptDocument) -> str:
    """RTL in a right-to-left document, else by the line's first strong character."""
    if doc.right_to_left:
        return "rtl"
    for char in line.text + line.trailing:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def paper_width(doc: ReceiptDocument) -> int:
    """The image width in dots: the document's columns of Font A, in whole bytes."""
    return max(8, doc.columns * DOTS_PER_COLUMN // 8 * 8)


def line_image(line: ReceiptLine, doc: ReceiptDocument) -> Image.Image:
    """``line`` drawn across the paper, black on white, ``paper_width(doc)`` wide."""
    width = paper_width(doc)
    setting = _Setting(2 if line.double else 1, 1.0, line.bold, line_direction(line, doc))
    near, far = ("right", "left") if doc.right_to_left else ("left", "right")
    text = units(line.text)
    trailing = units(line.trailing) if line.trailing.strip() else []
    rows: list[list[tuple[_Piece, int]]] = []

    def add_rows(value: Sequence[Unit], room: int, align: str) -> None:
        wrapped, fitted = wrap(value, setting, room)
        for row_units in wrapped:
            piece = _fit(_draw(row_units, fitted), width)
            rows.append([(piece, _place(align, piece.image.width, width))])

    trailing_width = _width(trailing, setting)
    room = width - trailing_width - GAP * setting.scale
    if not _text(trailing).strip():
        add_rows(text, width, line.align)
    elif room >= width // 3:
        add_rows(text, room, near)
        amount = _draw(trailing, setting)
        rows[0].append((amount, _place(far, amount.image.width, width)))
    else:
        if _text(text).strip():
            add_rows(text, width, near)
        add_rows(trailing, width, far)
    return _stack([_row(pieces, width) for pieces in rows], width)


def _stack(images: Sequence[Image.Image], width: int) -> Image.Image:
    stacked = Image.new("L", (width, sum(image.height for image in images)), 255)
    y = 0
    for image in images:
        stacked.paste(image, (0, y))
        y += image.height
    return stacked


def lines_image(lines: Sequence[ReceiptLine], doc: ReceiptDocument) -> Image.Image:
    """Consecutive drawn lines as one black-and-white image (mode "1"), paper wide."""
    # The cached fonts are FreeType faces, which two threads must not use at once.
    with _LAYOUT_LOCK:
        stacked = _stack([line_image(line, doc) for line in lines], paper_width(doc))
    # Thermal dots are on or off; half-inked edges of anti-aliased glyphs count as ink.
    return stacked.point(lambda value: 0 if value < 128 else 255, mode="1")


def raster_bytes(image: Image.Image) -> bytes:
    """GS v 0 commands printing a mode "1" image (black = 0), in bands of at most
    :data:`MAX_IMAGE_ROWS` rows: printers cap the height of one raster image."""
    width_bytes = (image.width + 7) // 8
    out = bytearray()
    for top in range(0, image.height, MAX_IMAGE_ROWS):
        band = image.crop((0, top, width_bytes * 8, min(image.height, top + MAX_IMAGE_ROWS)))
        # Printer bits are 1 for ink; Pillow's "1" bits are 1 for white.
        ink = band.convert("L").point(lambda value: 255 if value < 128 else 0, mode="1")
        out += b"\x1dv0\x00" + struct.pack("<HH", width_bytes, band.height) + ink.tobytes()
    return bytes(out)


def print_lines(lines: Sequence[ReceiptLine], doc: ReceiptDocument, printer: Any) -> None:
    """Send ``lines`` to a python-escpos printer as raster images."""
    if not lines:
        return
    # GS v 0 follows ESC a: left, so a full-width image lands where it was laid out.
    printer.set(align="left")
    # Straight to the transport: printer.image() would print a warning on stdout for
    # every image when the profile does not know its paper width (most do not).
    printer._raw(raster_bytes(lines_image(lines, doc)))

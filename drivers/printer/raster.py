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
"?". Consecutive drawn lines go to the printer as one image, full paper width.
"""

from __future__ import annotations

import bisect
import functools
import logging
import struct
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont, features

if TYPE_CHECKING:
    from drivers.printer.interface import ReceiptDocument, ReceiptLine

logger = logging.getLogger(__name__)

DOTS_PER_COLUMN = 12  # Font A
PITCH = 30  # dots per normal row: what a text line advances at the default spacing
BASELINE = 22  # from a row's top: room above for Arabic ascenders, below for descenders
GAP = DOTS_PER_COLUMN  # at least one column between a line's text and its trailing text
MIN_SCALE = 0.7  # a word too wide for the paper shrinks to no less than this
MAX_IMAGE_ROWS = 960  # rows per GS v 0 command, as python-escpos splits images
REPLACEMENT = "?"

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


def _noto_ui(name: str, stem: str, language: str) -> Face:
    return Face(name, f"{_NOTO}/{stem}-Regular.ttf", f"{_NOTO}/{stem}-Bold.ttf", 22, language)


# Debian packages: fonts-noto-ui-core, fonts-wqy-microhei, fonts-dejavu-core (Makefile).
LATIN = Face("latin", f"{_DEJAVU}/DejaVuSans.ttf", f"{_DEJAVU}/DejaVuSans-Bold.ttf", 20)
CJK = Face("cjk", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None, 24, "zh-Hans")
FACES: tuple[Face, ...] = (
    _noto_ui("arabic", "NotoSansArabicUI", "ar"),
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
        if char < "\x80":
            continue
        if unicodedata.bidirectional(char) in ("R", "AL") or unicodedata.combining(char):
            return False
        if not encodable(char):
            return False
    return True


def without_controls(text: str) -> str:
    """``text`` safe for text mode: control characters (ESC, GS, LF...) become spaces,
    so what a resident typed can never become a printer command."""
    if text.isprintable():
        return text
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


# --- fonts -------------------------------------------------------------------------


@functools.cache
def coverage(path: str) -> frozenset[int]:
    """The code points ``path``'s Unicode cmap maps to a glyph; empty when the file is
    missing or unreadable (the face is then not used)."""
    try:
        data = Path(path).read_bytes()
        return frozenset(_cmap_code_points(data))
    except (OSError, struct.error, ValueError, KeyError):
        return frozenset()


def _cmap_code_points(data: bytes) -> Iterator[int]:
    base = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
    (tables,) = struct.unpack_from(">H", data, base + 4)
    offsets = {}
    for index in range(tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, base + 12 + 16 * index)
        offsets[tag] = offset
    cmap = offsets[b"cmap"]
    (subtables,) = struct.unpack_from(">H", data, cmap + 2)
    by_format: dict[int, int] = {}
    for index in range(subtables):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * index)
        if platform == 0 or (platform == 3 and encoding in (1, 10)):
            (fmt,) = struct.unpack_from(">H", data, cmap + offset)
            by_format.setdefault(fmt, cmap + offset)
    if 12 in by_format:
        yield from _cmap_format_12(data, by_format[12])
    elif 4 in by_format:
        yield from _cmap_format_4(data, by_format[4])


def _cmap_format_4(data: bytes, table: int) -> Iterator[int]:
    (seg_x2,) = struct.unpack_from(">H", data, table + 6)
    segments = seg_x2 // 2
    ends_at = table + 14
    starts_at = ends_at + seg_x2 + 2
    deltas_at = starts_at + seg_x2
    range_offsets_at = deltas_at + seg_x2
    ends = struct.unpack_from(f">{segments}H", data, ends_at)
    starts = struct.unpack_from(f">{segments}H", data, starts_at)
    deltas = struct.unpack_from(f">{segments}H", data, deltas_at)
    range_offsets = struct.unpack_from(f">{segments}H", data, range_offsets_at)
    for index, (start, end, delta, range_offset) in enumerate(
        zip(starts, ends, deltas, range_offsets, strict=True)
    ):
        if start == 0xFFFF:
            continue
        for code in range(start, end + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = range_offsets_at + 2 * index + range_offset + 2 * (code - start)
                (glyph,) = struct.unpack_from(">H", data, at)
            if glyph:
                yield code


def _cmap_format_12(data: bytes, table: int) -> Iterator[int]:
    (groups,) = struct.unpack_from(">I", data, table + 12)
    for index in range(groups):
        start, end, glyph = struct.unpack_from(">III", data, table + 16 + 12 * index)
        yield from range(start + (glyph == 0), min(end, 0x10FFFF) + 1)


@functools.cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


@functools.cache
def _check_layout() -> None:
    if not features.check("raqm"):
        # Pillow's wheels load FriBiDi from the system (Debian libfribidi0).
        logger.warning("Pillow has no raqm layout: Arabic and Hebrew print unshaped")


def _available(face: Face) -> bool:
    return bool(coverage(face.regular))


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


def _needs_glyph(char: str) -> bool:
    return (
        char != " "
        and unicodedata.category(char) not in ("Cc", "Zl", "Zp", "Zs")
        and (not _ignorable(char))
    )


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


def drawable(text: str, cmap: frozenset[int]) -> str:
    """``text`` with what the font cannot draw replaced: "?" for a missing character
    (one for a whole emoji sequence), nothing for a missing combining mark, a space for
    control characters and line breaks."""
    out: list[str] = []
    replaced = joined = False
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")
            replaced = joined = False
            continue
        if replaced and (joined or category in ("Mn", "Mc", "Me", "Sk") or _ignorable(char)):
            # Part of the character just replaced: its marks, skin tone, variation
            # selector, or what a zero-width joiner glues to it.
            joined = char == _ZWJ
            continue
        replaced = joined = False
        if ord(char) in cmap or _ignorable(char):
            out.append(char)
        elif category == "Zs":
            out.append(" ")
        elif category not in ("Mn", "Mc", "Me"):
            out.append(REPLACEMENT)
            replaced = True
    return "".join(out)


# --- layout ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    face: Face
    size: int
    bold: bool  # drawn bold; ``fake_bold`` when the face has no bold file
    direction: str
    language: str | None

    @property
    def path(self) -> str:
        if self.bold and self.face.bold and coverage(self.face.bold):
            return self.face.bold
        return self.face.regular

    @property
    def fake_bold(self) -> int:
        return 1 if self.bold and self.path == self.face.regular else 0

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return _font(self.path, self.size)

    def width(self, text: str) -> int:
        if not text.strip():
            return 0
        left, _, right, _ = self.font.getbbox(
            text, anchor="ls", direction=self.direction, language=self.language
        )
        return max(0, right - left) + self.fake_bold

    def scaled(self, size: int) -> _Style:
        return _Style(self.face, size, self.bold, self.direction, self.language)


@dataclass
class _Piece:
    """One row of drawn text: ``image`` black on white, with the baseline ``ascent``
    dots below its top."""

    image: Image.Image
    ascent: int


def line_direction(line: ReceiptLine, doc: ReceiptDocument) -> str:
    """RTL for a right-to-left document, else by the first strong character."""
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


def _style_for(text: str, line: ReceiptLine, direction: str) -> tuple[_Style, str] | None:
    face = pick_face(text)
    if face is None:
        return None
    scale = 2 if line.double else 1
    style = _Style(face, face.size * scale, line.bold, direction, face.language)
    return style, drawable(text, coverage(face.regular))


def _segments(text: str) -> list[str]:
    """``text`` cut where a row may end: after spaces, and around CJK characters."""
    segments: list[str] = []
    current = ""
    for char in text:
        if current and _break_between(current[-1], char):
            segments.append(current)
            current = ""
        current += char
    if current:
        segments.append(current)
    return segments


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _break_between(before: str, after: str) -> bool:
    if after == " " or unicodedata.combining(after) or _ignorable(after) or _ignorable(before):
        return False
    if unicodedata.category(after) in ("Mc", "Me", "Mn"):
        return False
    if before == " ":
        return True
    if after in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER:
        return False
    return _wide(before) or _wide(after)


def _clusters(text: str) -> list[str]:
    """``text`` in pieces that are never split: a character with its marks and joiners."""
    clusters: list[str] = []
    for char in text:
        if clusters and (
            unicodedata.category(char) in ("Mn", "Mc", "Me")
            or _ignorable(char)
            or clusters[-1].endswith(_ZWJ)
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _fill(segments: Sequence[str], style: _Style, width: int) -> list[str]:
    rows: list[str] = []
    current = ""
    for segment in segments:
        candidate = current + segment
        if current.strip() and style.width(candidate.rstrip()) > width:
            rows.append(current.rstrip())
            current = segment.lstrip(" ")
        else:
            current = candidate
    if current.strip() or not rows:
        rows.append(current.rstrip())
    return rows


def wrap(text: str, style: _Style, width: int) -> tuple[list[str], _Style]:
    """Rows of ``text`` no wider than ``width`` dots, and the style they fit in."""
    segments = _segments(text)
    widest = max(segments, key=lambda s: style.width(s.strip()), default="")
    fitted = style
    min_size = max(6, round(style.size * MIN_SCALE))
    while fitted.width(widest.strip()) > width and fitted.size > min_size:
        fitted = fitted.scaled(fitted.size - 1)
    if any(fitted.width(s.strip()) > width for s in segments):
        # Still too wide: break those words between characters.
        broken: list[str] = []
        for segment in segments:
            if fitted.width(segment.strip()) > width:
                broken.extend(_clusters(segment))
            else:
                broken.append(segment)
        segments = broken
    return _fill(segments, fitted, width), fitted


def _draw(text: str, style: _Style, scale: int) -> _Piece:
    """One row, cropped to its ink sideways; never cropped top or bottom."""
    baseline, pitch = BASELINE * scale, PITCH * scale
    if not text.strip():
        return _Piece(Image.new("L", (0, pitch), 255), baseline)
    options = {"anchor": "ls", "direction": style.direction, "language": style.language}
    left, top, right, bottom = style.font.getbbox(text, **options)
    ascent = max(baseline, -top)
    height = max(pitch, ascent + max(pitch - baseline, bottom))
    image = Image.new("L", (max(1, right - left + style.fake_bold), height), 255)
    draw = ImageDraw.Draw(image)
    for dx in range(style.fake_bold + 1):
        # Bold as the printer does it: the same dots again, one dot to the right.
        draw.text((dx - left, ascent), text, font=style.font, fill=0, **options)
    return _Piece(image, ascent)


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


def line_image(line: ReceiptLine, doc: ReceiptDocument) -> Image.Image:
    """``line`` drawn across the paper: rows black on white, ``paper_width(doc)`` wide."""
    width = paper_width(doc)
    scale = 2 if line.double else 1
    direction = line_direction(line, doc)
    near, far = ("right", "left") if doc.right_to_left else ("left", "right")
    text = _style_for(line.text, line, direction)
    if text is None:
        # No TrueType font at all: nothing sensible to draw, but keep the line's room.
        return Image.new("L", (width, PITCH * scale), 255)
    text_style, text_value = text
    trailing = _style_for(line.trailing, line, direction) if line.trailing.strip() else None

    rows: list[list[tuple[_Piece, int]]] = []

    def add_rows(value: str, style: _Style, room: int, align: str) -> None:
        wrapped, fitted = wrap(value, style, room)
        for row_text in wrapped:
            piece = _fit(_draw(row_text, fitted, scale), width)
            rows.append([(piece, _place(align, piece.image.width, width))])

    if trailing is None:
        add_rows(text_value, text_style, width, line.align)
    else:
        trailing_style, trailing_value = trailing
        trailing_width = trailing_style.width(trailing_value)
        room = width - trailing_width - GAP * scale
        if trailing_width <= width and room >= width // 3:
            add_rows(text_value, text_style, room, near)
            amount = _fit(_draw(trailing_value, trailing_style, scale), width)
            rows[0].append((amount, _place(far, amount.image.width, width)))
        else:
            if text_value.strip():
                add_rows(text_value, text_style, width, near)
            add_rows(trailing_value, trailing_style, width, far)
    images = [_row(pieces, width) for pieces in rows]
    return _stack(images, width)


def _stack(images: Sequence[Image.Image], width: int) -> Image.Image:
    stacked = Image.new("L", (width, sum(image.height for image in images)), 255)
    y = 0
    for image in images:
        stacked.paste(image, (0, y))
        y += image.height
    return stacked


def lines_image(lines: Sequence[ReceiptLine], doc: ReceiptDocument) -> Image.Image:
    """Consecutive drawn lines as one black-and-white image (mode "1"), paper wide."""
    _check_layout()
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

"""A picture of the paper: turns captured ESC/POS bytes into an image.

The renderer emulates a 203 dpi thermal receipt printer in standard mode, enough to
review what the kiosk prints without a printer: text in the selected code page (ESC t),
bold, underline, reverse, double and larger sizes, fonts A (12x24 dots) and B (9x17),
alignment, line spacing, tabs, feeds, cuts (a dashed line), native QR codes (redrawn
with ``qrcode``), raster images (GS v 0, GS ( L) and column images (ESC *). Barcodes are
drawn as a labelled box. Commands it does not know are skipped with their parameters
where the command's length is known.

Nothing in the bytes makes it raise: it renders what it can, stops at a truncated
command and says so in :attr:`Rendering.notes`. :class:`RenderError` is only for bad
arguments (a paper width it cannot draw).

    from drivers.printer.render import render_png, save_png
    image = render_png(captured_bytes)                   # 80 mm, 576 dots wide
    save_png(captured_bytes, "receipt.png", width_px=384)  # 58 mm
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.exceptions
from PIL import Image, ImageChops, ImageDraw, ImageFont

PAPER_WIDTH_PX = {80: 576, 58: 384}
"""Printable dots per line at 203 dpi for each paper width in mm."""

DEFAULT_WIDTH_PX = PAPER_WIDTH_PX[80]
MAX_WIDTH_PX = 4096
DEFAULT_MAX_HEIGHT_PX = 40_000  # about 5 m of paper; stops runaway feeds in bad input

FONT_A = (12, 24)  # cell in dots: 48 columns on 80 mm paper, 32 on 58 mm
FONT_B = (9, 17)
DEFAULT_LINE_SPACING = 30  # dots, as on 203 dpi printers (TM-T20 class)
DEFAULT_TAB_COLUMNS = tuple(range(8, 256, 8))
CUT_BAND_PX = 16

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, HT, CR, FF, CAN = 0x0A, 0x09, 0x0D, 0x0C, 0x18

# ESC t n -> Python codec, for the Epson standard code page numbers.
CODE_PAGES: dict[int, str] = {
    0: "cp437",
    1: "cp932",  # Katakana: the half-width katakana of 0xA1-0xDF
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    13: "cp857",
    14: "cp737",
    15: "iso8859_7",  # python-escpos uses it for the euro sign
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
    21: "cp874",
    32: "cp720",
    33: "cp775",
    34: "cp855",
    35: "cp861",
    36: "cp862",
    37: "cp864",
    38: "cp869",
    39: "iso8859_2",
    40: "iso8859_15",
    44: "cp1125",
    45: "cp1250",
    46: "cp1251",
    47: "cp1253",
    48: "cp1254",
    49: "cp1255",
    50: "cp1256",
    51: "cp1257",
    52: "cp1258",
    53: "kz1048",
}

ALIGNMENTS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}

QR_ERROR_CORRECTION = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}

BARCODE_TYPES = {
    0: "UPC-A",
    1: "UPC-E",
    2: "EAN13",
    3: "EAN8",
    4: "CODE39",
    5: "ITF",
    6: "CODABAR",
    65: "UPC-A",
    66: "UPC-E",
    67: "EAN13",
    68: "EAN8",
    69: "CODE39",
    70: "ITF",
    71: "CODABAR",
    72: "CODE93",
    73: "CODE128",
    74: "GS1-128",
    75: "GS1 DataBar Omnidirectional",
    76: "GS1 DataBar Truncated",
    77: "GS1 DataBar Limited",
    78: "GS1 DataBar Expanded",
    79: "CODE128 auto",
}

# Commands whose parameters are a fixed number of bytes and that the picture ignores.
_ESC_SKIP = {
    0x0C: 0,  # ESC FF  print page mode data
    ord("%"): 1,  # user-defined character set on/off
    ord("="): 1,  # select peripheral device
    ord("?"): 1,  # cancel user-defined character
    ord("<"): 0,  # return home
    ord("K"): 1,  # print and reverse feed (dots)
    ord("L"): 0,  # page mode
    ord("S"): 0,  # standard mode
    ord("T"): 1,  # page mode print direction
    ord("U"): 1,  # unidirectional printing
    ord("W"): 8,  # page mode print area
    ord("c"): 2,  # ESC c 0/1/3/4/5 n: paper sensors, panel buttons
    ord("e"): 1,  # print and reverse feed (lines)
    ord("p"): 3,  # cash drawer pulse
    ord("r"): 1,  # print colour
    ord("u"): 1,  # transmit peripheral status
    ord("v"): 0,  # transmit paper status
}
_GS_SKIP = {
    ord("$"): 2,  # page mode vertical position
    ord("/"): 1,  # print downloaded bit image
    ord(":"): 0,  # macro definition start/end
    ord("E"): 1,  # print density / head energy
    ord("I"): 1,  # transmit printer ID
    ord("P"): 2,  # motion units
    ord("T"): 1,  # set print position to beginning of line
    ord("\\"): 2,  # page mode relative vertical position
    ord("^"): 3,  # execute macro
    ord("a"): 1,  # automatic status back
    ord("b"): 1,  # smoothing
    ord("c"): 0,  # print counter
    ord("f"): 1,  # HRI font
    ord("g"): 4,  # maintenance counters
    ord("j"): 1,  # ink status back
    ord("r"): 1,  # transmit status
    ord("z"): 3,  # online recovery wait time
}
_FS_SKIP = {
    ord("!"): 1,  # Kanji print mode
    ord("&"): 0,  # Kanji mode on
    ord("."): 0,  # Kanji mode off
    ord("-"): 1,  # Kanji underline
    ord("2"): 74,  # define user Kanji character: c1 c2 and 72 bytes
    ord("C"): 1,  # Kanji code system
    ord("S"): 2,  # Kanji spacing
    ord("W"): 1,  # Kanji quadruple size
    ord("?"): 2,  # cancel user Kanji character
    ord("p"): 2,  # print NV bit image
}
_DLE_DC4_PARAMS = {1: 2, 2: 2, 3: 2, 7: 1, 8: 7}


class RenderError(ValueError):
    """The renderer was asked for something it cannot draw (a bad paper width)."""


@dataclass
class Rendering:
    """A rendered receipt and what the renderer learned on the way."""

    image: Image.Image
    """Mode "L", black ink (0) on white paper (255), ``width_px`` wide."""
    lines: list[str] = field(default_factory=list)
    """The text of each printed line, decoded from its code page."""
    qr_codes: list[bytes] = field(default_factory=list)
    """The data of each QR code drawn, in print order."""
    cuts: list[int] = field(default_factory=list)
    """The y of each cut line."""
    notes: list[str] = field(default_factory=list)
    """Commands skipped or approximated, and where the input stopped if truncated."""
    font: str = ""
    """The font used for text: a TTF path, or "Pillow default"."""


def render(
    data: bytes | bytearray | memoryview,
    *,
    width_px: int = DEFAULT_WIDTH_PX,
    max_height_px: int = DEFAULT_MAX_HEIGHT_PX,
) -> Rendering:
    """Interpret ESC/POS ``data`` and draw the paper it would print."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    if isinstance(width_px, bool) or not isinstance(width_px, int):
        raise RenderError(f"width_px must be an int, got {width_px!r}")
    if not FONT_A[0] <= width_px <= MAX_WIDTH_PX:
        raise RenderError(f"width_px must be {FONT_A[0]}..{MAX_WIDTH_PX}, got {width_px}")
    if max_height_px < 1:
        raise RenderError(f"max_height_px must be positive, got {max_height_px}")
    return _Printer(bytes(data), width_px, max_height_px).run()


def render_png(
    data: bytes | bytearray | memoryview, *, width_px: int = DEFAULT_WIDTH_PX
) -> Image.Image:
    """The paper ``data`` prints, as a black-and-white image ``width_px`` wide."""
    return render(data, width_px=width_px).image


def save_png(
    data: bytes | bytearray | memoryview,
    path: str | PathLike[str],
    *,
    width_px: int = DEFAULT_WIDTH_PX,
) -> Rendering:
    """Render ``data`` and write it to ``path`` as a 1-bit PNG; returns the rendering."""
    rendering = render(data, width_px=width_px)
    # The image only holds 0 and 255, so no dithering is needed (or wanted).
    rendering.image.convert("1", dither=Image.Dither.NONE).save(Path(path), format="PNG")
    return rendering


# --- fonts -------------------------------------------------------------------------


def _package_file(package: str, *parts: str) -> Path | None:
    """A file inside an installed package, found without importing it (Kivy's import
    has side effects)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location).joinpath(*parts)
        if candidate.is_file():
            return candidate
    return None


def _font_candidates() -> Iterator[Path | None]:
    # python-barcode (a python-escpos dependency) ships DejaVu Sans Mono, so the font
    # travels with the virtualenv and renderings match from machine to machine.
    yield _package_file("barcode", "fonts", "DejaVuSansMono.ttf")
    for directory in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
        yield Path(directory) / "DejaVuSansMono.ttf"
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(
                [fc_match, "-f", "%{file}", "monospace"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        yield Path(found) if found.lower().endswith((".ttf", ".otf")) else None
    yield _package_file("kivy", "data", "fonts", "RobotoMono-Regular.ttf")


@functools.cache
def font_path() -> str | None:
    """The monospace TTF used for text, or None when only Pillow's default font is left."""
    for candidate in _font_candidates():
        if candidate is None or not candidate.is_file():
            continue
        try:
            ImageFont.truetype(str(candidate), 20)
        except OSError:
            continue
        return str(candidate)
    return None


@functools.cache
def _cell_font(cell_w: int, cell_h: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest size of the font whose glyphs fit a ``cell_w`` x ``cell_h`` cell."""
    path = font_path()
    if path is None:
        return ImageFont.load_default_imagefont()
    best = ImageFont.truetype(path, 6)
    for size in range(7, 4 * cell_h):
        font = ImageFont.truetype(path, size)
        ascent, descent = font.getmetrics()
        if font.getlength("M") > cell_w + 0.1 or ascent + descent > cell_h:
            break
        best = font
    return best


@functools.cache
def _glyph(char: str, cell_w: int, cell_h: int, bold: bool) -> Image.Image:
    """One character in its cell, black on white, drawn without anti-aliasing."""
    font = _cell_font(cell_w, cell_h)
    if isinstance(font, ImageFont.FreeTypeFont):
        cell = Image.new("L", (cell_w, cell_h), 255)
        draw = ImageDraw.Draw(cell)
        draw.fontmode = "1"
        ascent, _ = font.getmetrics()
        x = max(0, (cell_w - round(font.getlength(char))) // 2)
        for dx in (0, 1) if bold else (0,):
            # Bold as the printer does it: the same dots again, one dot to the right.
            draw.text((x + dx, ascent), char, font=font, fill=0, anchor="ls")
        return cell
    # Pillow's bitmap font: draw at its own size, then scale up to the cell.
    left, top, right, bottom = font.getbbox("M")
    native = Image.new("L", (max(1, right), max(1, bottom)), 255)
    draw = ImageDraw.Draw(native)
    draw.fontmode = "1"
    draw.text((0, 0), char, font=font, fill=0)
    if bold:
        draw.text((1, 0), char, font=font, fill=0)
    return native.resize((cell_w, cell_h), Image.Resampling.NEAREST)


@functools.cache
def _decode_byte(code_page: int, value: int) -> str:
    if value < 0x80:
        char = chr(value)
    else:
        codec = CODE_PAGES.get(code_page)
        if codec is None:
            return "?"
        try:
            char = bytes([value]).decode(codec)
        except UnicodeDecodeError:
            return "?"
    if len(char) != 1 or unicodedata.category(char) in ("Cc", "Co", "Cs"):
        return " "
    return char


# --- the printer ---------------------------------------------------------------------


class _Truncated(Exception):
    pass


class _PaperLimit(Exception):
    pass


@dataclass
class _Piece:
    x: int
    image: Image.Image


class _Printer:
    def __init__(self, data: bytes, width_px: int, max_height_px: int) -> None:
        self.data = data
        self.pos = 0
        self.paper_width = width_px
        self.max_height = max_height_px
        self.placements: list[tuple[int, int, Image.Image]] = []
        self.result = Rendering(image=Image.new("L", (width_px, 1), 255))
        self._notes: dict[str, None] = {}
        self.y = 0
        self.qr_data = b""
        self.graphics: Image.Image | None = None
        self.reset()

    # state

    def reset(self) -> None:
        """ESC @: settings back to power-on values; unprinted data is discarded."""
        self.bold = False
        self.double_strike = False
        self.underline = 0
        self.reverse = False
        self.font_b = False
        self.width_mult = 1
        self.height_mult = 1
        self.char_spacing = 0
        self.line_spacing = DEFAULT_LINE_SPACING
        self.align = "left"
        self.code_page = 0
        self.tab_columns: tuple[int, ...] = DEFAULT_TAB_COLUMNS
        self.left_margin = 0
        self.area_width = self.paper_width
        self.barcode_height = 162
        self.barcode_module = 3
        self.barcode_hri = 0
        self.qr_model = 50
        self.qr_module = 3
        self.qr_error = 48
        self.line: list[_Piece] = []
        self.line_text: list[str] = []
        self.x = 0

    def note(self, message: str) -> None:
        self._notes.setdefault(message, None)

    @property
    def cell(self) -> tuple[int, int]:
        return FONT_B if self.font_b else FONT_A

    @property
    def usable_width(self) -> int:
        return max(1, min(self.area_width, self.paper_width - self.left_margin))

    # input

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _Truncated
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        low, high = self.take(2)
        return low | high << 8

    # main loop

    def run(self) -> Rendering:
        command_start = 0
        try:
            try:
                while self.pos < len(self.data):
                    command_start = self.pos
                    self.step()
            except _Truncated:
                self.note(f"input ends inside a command at byte {command_start}")
            # A line without its LF stays in a real printer's buffer; show it anyway.
            if self.line:
                self.feed_lines(1)
        except _PaperLimit:
            self.note(f"stopped at byte {command_start}: longer than {self.max_height} px")
        self.compose()
        return self.result

    def step(self) -> None:
        value = self.byte()
        if value == ESC:
            self.esc(self.byte())
        elif value == GS:
            self.gs(self.byte())
        elif value == FS:
            self.fs(self.byte())
        elif value == DLE:
            self.dle()
        elif value == LF:
            self.feed_lines(1)
        elif value == HT:
            self.tab()
        elif value >= 0x20:
            self.char(_decode_byte(self.code_page, value))
        # CR (no automatic line feed), FF, CAN and other control codes print nothing.

    def esc(self, command: int) -> None:
        c = chr(command)
        if c == "@":
            self.reset()
        elif c == "!":
            mode = self.byte()
            self.font_b = bool(mode & 0x01)
            self.bold = bool(mode & 0x08)
            self.height_mult = 2 if mode & 0x10 else 1
            self.width_mult = 2 if mode & 0x20 else 1
            self.underline = 1 if mode & 0x80 else 0
        elif c == "E":
            self.bold = bool(self.byte() & 1)
        elif c == "G":
            self.double_strike = bool(self.byte() & 1)
        elif c == "-":
            n = self.byte()
            if n in (0, 1, 2, 48, 49, 50):
                self.underline = n & 0x03
        elif c == "M":
            n = self.byte()
            if n in (0, 1, 48, 49):
                self.font_b = bool(n & 1)
            else:
                self.note(f"ESC M {n}: font not emulated, kept the current font")
        elif c == " ":
            self.char_spacing = self.byte()
        elif c == "2":
            self.line_spacing = DEFAULT_LINE_SPACING
        elif c == "3":
            self.line_spacing = self.byte()
        elif c == "a":
            alignment = ALIGNMENTS.get(self.byte())
            if alignment and not self.line:  # like the printer: only at a line's start
                self.align = alignment
        elif c == "d":
            self.feed_lines(self.byte())
        elif c == "J":
            self.feed_dots(self.byte())
        elif c == "t":
            n = self.byte()
            self.code_page = n
            if n not in CODE_PAGES:
                self.note(f"ESC t {n}: code page not supported, bytes 0x80+ drawn as '?'")
        elif c == "R":
            n = self.byte()
            if n:
                self.note(f"ESC R {n}: international character set not emulated")
        elif c == "{":
            if self.byte() & 1:
                self.note("ESC {: upside-down printing not emulated")
        elif c == "V":
            if self.byte() & 0x0F:
                self.note("ESC V: 90 degree rotation not emulated")
        elif c == "$":
            position = self.u16()
            if position <= self.usable_width:
                self.move_to(position)
        elif c == "\\":
            offset = self.u16()
            if offset >= 0x8000:
                offset -= 0x10000
            self.move_to(min(max(0, self.x + offset), self.usable_width))
        elif c == "D":
            self.set_tabs()
        elif c == "*":
            self.column_image()
        elif c == "&":
            self.skip_user_characters()
        elif c == "(":
            self.take(1)
            self.take(self.u16())
        elif c in "im":
            self.cut()
        elif command in _ESC_SKIP:
            self.take(_ESC_SKIP[command])
        else:
            self.note(f"unknown command ESC 0x{command:02x} skipped")

    def gs(self, command: int) -> None:
        c = chr(command)
        if c == "!":
            n = self.byte()
            if not n & 0x88:
                self.width_mult = (n >> 4) + 1
                self.height_mult = (n & 0x07) + 1
        elif c == "B":
            self.reverse = bool(self.byte() & 1)
        elif c == "V":
            mode = self.byte()
            if mode in (65, 66, 97, 98, 103, 104):
                feed = self.byte()
                if self.line:
                    self.feed_lines(1)
                self.advance(feed)
                self.cut()
            elif mode in (0, 1, 48, 49):
                self.cut()
            else:
                self.note(f"GS V {mode}: unknown cut mode, skipped")
        elif c == "(":
            function = self.byte()
            body = self.take(self.u16())
            if function == ord("k"):
                self.symbol(body)
            elif function == ord("L"):
                self.graphics_command(body)
        elif c == "8":
            function = self.byte()
            p1, p2, p3, p4 = self.take(4)
            body = self.take(p1 | p2 << 8 | p3 << 16 | p4 << 24)
            if function == ord("L"):
                self.graphics_command(body)
        elif c == "v":
            if self.data[self.pos : self.pos + 1] == b"0":
                self.pos += 1
                self.raster_image()
            else:
                self.note("unknown command GS v skipped")
        elif c == "k":
            self.barcode()
        elif c == "h":
            self.barcode_height = self.byte() or self.barcode_height
        elif c == "w":
            n = self.byte()
            if 1 <= n <= 6:
                self.barcode_module = n
        elif c == "H":
            self.barcode_hri = self.byte() & 0x03
        elif c == "L":
            margin = self.u16()
            if not self.line:
                self.left_margin = margin
        elif c == "W":
            width = self.u16()
            if not self.line:
                self.area_width = width or self.paper_width
        elif c == "*":
            x, y = self.take(2)
            self.take(x * y * 8)
        elif command in _GS_SKIP:
            self.take(_GS_SKIP[command])
        else:
            self.note(f"unknown command GS 0x{command:02x} skipped")

    def fs(self, command: int) -> None:
        if command == ord("("):
            self.take(1)
            self.take(self.u16())
        elif command == ord("q"):
            for _ in range(self.byte()):
                width_bytes, height = self.u16(), self.u16()
                self.take(width_bytes * height * 8)
        elif command == ord("g"):
            function = self.byte()
            if function == 1:
                self.take(5)
                self.take(self.u16())
            else:
                self.take(7)
        elif command in _FS_SKIP:
            if command in (ord("&"), ord("!")):
                self.note("Kanji mode not emulated")
            self.take(_FS_SKIP[command])
        else:
            self.note(f"unknown command FS 0x{command:02x} skipped")

    def dle(self) -> None:
        command = self.data[self.pos : self.pos + 1]
        if command == b"\x04":  # DLE EOT n: real-time status
            self.pos += 1
            if self.byte() in (7, 8):
                self.take(1)
        elif command == b"\x05":  # DLE ENQ n: real-time request
            self.pos += 1
            self.take(1)
        elif command == b"\x14":  # DLE DC4 fn ...: real-time commands
            self.pos += 1
            self.take(_DLE_DC4_PARAMS.get(self.byte(), 2))

    # text

    def char(self, char: str) -> None:
        cell_w, cell_h = self.cell
        width = (cell_w + self.char_spacing) * self.width_mult
        if self.line and self.x + width > self.usable_width:
            self.feed_lines(1)  # a full line prints by itself
        self.line.append(_Piece(self.x, self.char_image(char)))
        self.line_text.append(char)
        self.x += width

    def char_image(self, char: str) -> Image.Image:
        return _char_image(
            char,
            self.cell,
            self.bold or self.double_strike,
            self.width_mult,
            self.height_mult,
            self.char_spacing,
            self.underline,
            self.reverse,
        )

    def move_to(self, x: int) -> None:
        columns = (x - self.x) // FONT_A[0]
        if columns > 0:
            self.line_text.append(" " * columns)
        self.x = x

    def tab(self) -> None:
        column_width = self.cell[0] + self.char_spacing
        for column in self.tab_columns:
            target = column * column_width
            if target > self.x:
                if target <= self.usable_width:
                    self.move_to(target)
                return

    def set_tabs(self) -> None:
        columns: list[int] = []
        for _ in range(33):
            n = self.byte()
            if n == 0:
                break
            if not columns or n > columns[-1]:
                columns.append(n)
        self.tab_columns = tuple(columns)

    def skip_user_characters(self) -> None:
        height_bytes, first, last = self.take(3)
        for _ in range(max(0, last - first + 1)):
            self.take(height_bytes * self.byte())

    # paper movement

    def finish_line(self) -> int:
        """Print what is in the line buffer; returns its height (0 when empty)."""
        if not self.line:
            return 0
        height = max(piece.image.height for piece in self.line)
        used = max(piece.x + piece.image.width for piece in self.line)
        left = self.left_margin + self.aligned(used)
        for piece in self.line:
            self.place(left + piece.x, self.y + height - piece.image.height, piece.image)
        if self.line_text:
            self.result.lines.append("".join(self.line_text))
        self.line = []
        self.line_text = []
        self.x = 0
        return height

    def aligned(self, used: int) -> int:
        free = max(0, self.usable_width - used)
        return {"left": 0, "center": free // 2, "right": free}[self.align]

    def advance(self, dots: int) -> None:
        self.y += dots
        if self.y > self.max_height:
            raise _PaperLimit

    def feed_lines(self, lines: int) -> None:
        printed = self.finish_line()
        if lines == 0:
            self.advance(printed)
        else:
            self.advance(max(self.line_spacing, printed) + (lines - 1) * self.line_spacing)

    def feed_dots(self, dots: int) -> None:
        self.advance(max(dots, self.finish_line()))

    def cut(self) -> None:
        if self.line:
            self.feed_lines(1)
        self.result.cuts.append(self.y + CUT_BAND_PX // 2)
        self.advance(CUT_BAND_PX)

    # images

    def place(self, x: int, y: int, image: Image.Image) -> None:
        self.placements.append((max(0, x), y, image))

    def block(self, image: Image.Image, what: str) -> None:
        """Print ``image`` on its own, aligned like text, after any pending line."""
        if self.line:
            self.feed_lines(1)
        if image.width > self.usable_width:
            self.note(f"{what} wider than the paper: cut off at the right")
        self.place(self.left_margin + self.aligned(image.width), self.y, image)
        self.advance(image.height)

    def raster_image(self) -> None:
        mode = self.byte()
        width_bytes, height = self.u16(), self.u16()
        bits = self.take(width_bytes * height)
        if not width_bytes or not height:
            return
        image = _bitmap(width_bytes * 8, height, bits)
        scale_x = 2 if mode & 1 else 1
        scale_y = 2 if mode & 2 else 1
        if scale_x > 1 or scale_y > 1:
            size = (image.width * scale_x, image.height * scale_y)
            image = image.resize(size, Image.Resampling.NEAREST)
        self.block(image, "raster image")

    def graphics_command(self, body: bytes) -> None:
        """GS ( L / GS 8 L: store graphics data (fn 112) and print it (fn 50)."""
        if len(body) < 2 or body[0] != 0x30:
            return
        function = body[1]
        if function == 0x32:
            if self.graphics is not None:
                self.block(self.graphics, "graphics")
                self.graphics = None
        elif function == 0x70:
            if len(body) < 10:
                return
            _tone, scale_x, scale_y, _colour = body[2:6]
            width = body[6] | body[7] << 8
            height = body[8] | body[9] << 8
            bits = body[10:]
            if not width or not height or len(bits) < (width + 7) // 8 * height:
                return
            image = _bitmap((width + 7) // 8 * 8, height, bits).crop((0, 0, width, height))
            if scale_x == 2 or scale_y == 2:
                size = (width * (2 if scale_x == 2 else 1), height * (2 if scale_y == 2 else 1))
                image = image.resize(size, Image.Resampling.NEAREST)
            self.graphics = image

    def column_image(self) -> None:
        """ESC * m nL nH d: a band of 8 or 24 dots, placed in the line like text."""
        mode = self.byte()
        columns = self.u16()
        tall = mode in (32, 33)
        data = self.take(columns * (3 if tall else 1))
        if mode not in (0, 1, 32, 33) or not columns:
            return
        dots = 24 if tall else 8
        band = Image.new("L", (columns, dots), 255)
        pixels = band.load()
        per_column = dots // 8
        for column in range(columns):
            for row in range(dots):
                if data[column * per_column + row // 8] & (0x80 >> (row % 8)):
                    pixels[column, row] = 0
        # Single density doubles each dot's width; 8-dot modes print each dot 3 dots tall.
        scale_x = 1 if mode & 1 else 2
        scale_y = 1 if tall else 3
        band = band.resize((columns * scale_x, dots * scale_y), Image.Resampling.NEAREST)
        self.line.append(_Piece(self.x, band))
        self.x += band.width

    def symbol(self, body: bytes) -> None:
        """GS ( k: 2D symbols. QR (cn 49) is emulated, the others skipped."""
        if len(body) < 2:
            return
        symbol, function = body[0], body[1]
        if symbol != 0x31:
            self.note(f"GS ( k symbol {symbol}: not a QR code, skipped")
            return
        params = body[2:]
        if function == 0x41 and params:  # model
            self.qr_model = params[0]
        elif function == 0x43 and params:  # module size
            if 1 <= params[0] <= 16:
                self.qr_module = params[0]
        elif function == 0x45 and params:  # error correction
            if params[0] in QR_ERROR_CORRECTION:
                self.qr_error = params[0]
        elif function == 0x50 and params:  # store data
            self.qr_data = bytes(params[1:])
        elif function == 0x51:  # print
            self.print_qr()

    def print_qr(self) -> None:
        if not self.qr_data:
            return
        if self.qr_model != 50:
            self.note(f"QR model {self.qr_model} drawn as model 2")
        code = qrcode.QRCode(
            error_correction=QR_ERROR_CORRECTION[self.qr_error],
            box_size=1,
            border=0,
        )
        try:
            code.add_data(self.qr_data)
            code.make(fit=True)
        except (qrcode.exceptions.DataOverflowError, ValueError):
            self.note("QR data too long for a QR code: not printed")
            return
        modules = code.get_matrix()
        size = len(modules) * self.qr_module
        if size > self.usable_width:
            self.note("QR code wider than the paper: not printed")
            return
        image = Image.new("L", (len(modules), len(modules)), 255)
        image.putdata([0 if dark else 255 for row in modules for dark in row])
        image = image.resize((size, size), Image.Resampling.NEAREST)
        self.result.qr_codes.append(self.qr_data)
        self.block(image, "QR code")

    def barcode(self) -> None:
        kind = self.byte()
        if kind <= 6:
            end = self.data.find(b"\x00", self.pos)
            if end < 0:
                raise _Truncated
            content = self.take(end - self.pos)
            self.take(1)
        elif 65 <= kind <= 79:
            content = self.take(self.byte())
        else:
            self.note(f"GS k {kind}: unknown barcode system, skipped")
            return
        name = BARCODE_TYPES[kind]
        self.note(f"{name} barcode drawn as a labelled box, not as bars")
        label = content.decode("latin-1")
        self.block(self.barcode_box(name, label), "barcode")

    def barcode_box(self, name: str, label: str) -> Image.Image:
        modules = 11 * len(label) + 35
        width = max(FONT_A[0] * 12, min(self.usable_width, modules * self.barcode_module))
        height = self.barcode_height
        text_rows = (self.barcode_hri & 1) + (self.barcode_hri >> 1 & 1)
        image = Image.new("L", (width, height + text_rows * FONT_A[1]), 255)
        draw = ImageDraw.Draw(image)
        top = FONT_A[1] if self.barcode_hri & 1 else 0
        draw.rectangle((0, top, width - 1, top + height - 1), outline=0, width=2)
        for x in range(4, width - 4, 8):
            draw.line((x, top + 4, x, top + height - 5), fill=0)
        caption = _text_strip(f" {name} ", width)
        box_y = top + max(0, (height - caption.height) // 2)
        image.paste(caption, ((width - caption.width) // 2, box_y))
        hri = _text_strip(label, width)
        if self.barcode_hri & 1:
            image.paste(hri, ((width - hri.width) // 2, 0))
        if self.barcode_hri & 2:
            image.paste(hri, ((width - hri.width) // 2, top + height))
        return image

    # output

    def compose(self) -> None:
        height = max(1, min(self.y, self.max_height))
        paper = Image.new("L", (self.paper_width, height), 255)
        for x, y, image in self.placements:
            if y >= height or x >= self.paper_width:
                continue
            # Ink only: overlapping pieces add their dots, as on paper.
            paper.paste(0, (x, y), ImageChops.invert(image))
        draw = ImageDraw.Draw(paper)
        for y in self.result.cuts:
            if y + 1 < height:
                for x in range(0, self.paper_width, 16):
                    draw.rectangle((x, y - 1, x + 9, y), fill=0)
        self.result.image = paper
        self.result.notes = list(self._notes)
        self.result.font = font_path() or "Pillow default"


@functools.lru_cache(maxsize=4096)
def _char_image(
    char: str,
    cell: tuple[int, int],
    bold: bool,
    width_mult: int,
    height_mult: int,
    spacing: int,
    underline: int,
    reverse: bool,
) -> Image.Image:
    cell_w, cell_h = cell
    glyph = _glyph(char, cell_w, cell_h, bold)
    if spacing:
        spaced = Image.new("L", (cell_w + spacing, cell_h), 255)
        spaced.paste(glyph, (0, 0))
        glyph = spaced
    if width_mult > 1 or height_mult > 1:
        size = (glyph.width * width_mult, glyph.height * height_mult)
        glyph = glyph.resize(size, Image.Resampling.NEAREST)
    if reverse:
        return ImageChops.invert(glyph)
    if underline:
        glyph = glyph.copy()
        ImageDraw.Draw(glyph).rectangle(
            (0, glyph.height - underline, glyph.width - 1, glyph.height - 1), fill=0
        )
    return glyph


def _text_strip(text: str, max_width: int) -> Image.Image:
    cell_w, cell_h = FONT_A
    # Barcode data is raw bytes: control characters would make the text layout fail.
    text = "".join(char if char.isprintable() else "?" for char in text)
    text = text[: max(1, max_width // cell_w)]
    strip = Image.new("L", (cell_w * len(text), cell_h), 255)
    for index, char in enumerate(text):
        strip.paste(_glyph(char, cell_w, cell_h, False), (index * cell_w, 0))
    return strip


def _bitmap(width: int, height: int, bits: bytes) -> Image.Image:
    """Row-major, 1 bit per dot, most significant bit leftmost, 1 = black."""
    size = width // 8 * height
    image = Image.frombytes("1", (width, height), bytes(bits[:size]), "raw", "1;I")
    return image.convert("L")

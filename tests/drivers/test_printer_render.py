"""The ESC/POS renderer: pictures of receipts printed through render_escpos.

The reference PNGs in tests/drivers/reference/ are regenerated (and then looked at!) with

    PYTHONPATH=. .venv/bin/python tests/drivers/test_printer_render.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import qrcode
import qrcode.constants
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from drivers.printer.interface import ReceiptDocument, ReceiptLine, render_escpos
from drivers.printer.render import (
    PAPER_WIDTH_PX,
    RenderError,
    Rendering,
    render,
    render_png,
    save_png,
)

REPO = Path(__file__).resolve().parents[2]
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
QR_DATA = "https://city.example/r/abc123"
LINES = (
    ReceiptLine("AYUNTAMIENTO", bold=True, double=True, align="center"),
    ReceiptLine("Plaza Mayor 1, Madrid", align="center"),
    ReceiptLine("María Pérez Núñez"),
    ReceiptLine("Permiso de aparcamiento 2025"),
    ReceiptLine("Total 12,50 €", bold=True, align="right"),
)
AYUNTAMIENTO, PLAZA, MARIA, PERMISO, TOTAL, QR, LOGO, CUT = range(8)

fuzz_settings = settings(deadline=None, database=None, max_examples=150)


def logo() -> Image.Image:
    """48x24 and lopsided, so a flipped or shifted decode cannot match."""
    image = Image.new("1", (48, 24), 1)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 47, 23), outline=0, width=2)
    draw.polygon([(4, 4), (20, 4), (4, 18)], fill=0)
    draw.rectangle((30, 14, 42, 19), fill=0)
    return image


def sample_capture(image_impl: str = "bitImageRaster") -> bytes:
    printer = Dummy()
    render_escpos(ReceiptDocument(lines=LINES, qr_data=QR_DATA, cut=False), printer)
    printer.ln()
    printer.set(align="center")
    printer.image(logo(), impl=image_impl)
    printer.set(align="left")
    printer.cut()
    return printer.output


def capture(*lines: ReceiptLine) -> bytes:
    printer = Dummy()
    render_escpos(ReceiptDocument(lines=lines, cut=False), printer)
    return printer.output


def ink(image: Image.Image) -> Image.Image:
    """Ink as white on black, so getbbox() and histogram() count the printed dots."""
    return ImageChops.invert(image.convert("L"))


def ink_dots(image: Image.Image) -> int:
    return ink(image).histogram()[255]


def ink_bbox(image: Image.Image) -> tuple[int, int, int, int]:
    box = ink(image).getbbox()
    assert box is not None, "nothing printed"
    return box


def bands(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of the runs of rows that carry ink, top to bottom."""
    inked = ink(image)
    rows = [
        inked.crop((0, y, image.width, y + 1)).getbbox() is not None for y in range(image.height)
    ]
    found = []
    y = 0
    while y < len(rows):
        if rows[y]:
            end = y
            while end < len(rows) and rows[end]:
                end += 1
            left, _, right, _ = inked.crop((0, y, image.width, end)).getbbox()
            found.append((left, y, right, end))
            y = end
        else:
            y += 1
    return found


def qr_reference(data: str, module: int) -> Image.Image:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_L, box_size=module, border=0
    )
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    image = Image.new("L", (len(matrix), len(matrix)), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    return image.resize((len(matrix) * module, len(matrix) * module), Image.Resampling.NEAREST)


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    if a.size != b.size:
        return False
    return ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


@pytest.fixture(scope="module", params=[80, 58], ids=["80mm", "58mm"])
def receipt(request) -> tuple[int, Rendering]:
    return request.param, render(sample_capture(), width_px=PAPER_WIDTH_PX[request.param])


# --- the sample receipt --------------------------------------------------------------


def test_render_paper_width(receipt):
    mm, rendering = receipt

    assert rendering.image.width == {80: 576, 58: 384}[mm]
    assert rendering.image.mode == "L"
    histogram = rendering.image.histogram()
    assert {value for value, count in enumerate(histogram) if count} == {0, 255}


def test_render_text_decodes_spanish_and_euro(receipt):
    _, rendering = receipt

    assert rendering.lines == [line.text for line in LINES]
    assert rendering.notes == []


def test_render_lays_out_lines_qr_logo_and_cut(receipt):
    _, rendering = receipt

    found = bands(rendering.image)

    assert len(found) == 8, found
    assert [top for _, top, _, _ in found] == sorted(top for _, top, _, _ in found)
    # The cut is the last thing on the paper, a dashed line across it.
    left, top, right, bottom = found[CUT]
    assert rendering.cuts == [top + 1]
    assert left < 16 and right > rendering.image.width - 16 and bottom - top == 2


def test_render_centred_text_ink_is_centred(receipt):
    _, rendering = receipt
    width = rendering.image.width

    for index in (AYUNTAMIENTO, PLAZA):
        left, _, right, _ = bands(rendering.image)[index]
        assert left > 30
        assert abs(left - (width - right)) <= 12, (index, left, right)


def test_render_left_and_right_alignment(receipt):
    _, rendering = receipt
    found = bands(rendering.image)

    assert found[MARIA][0] <= 2
    assert found[PERMISO][0] <= 2
    assert rendering.image.width - found[TOTAL][2] <= 3
    assert found[TOTAL][0] > rendering.image.width / 2


def test_render_double_line_is_taller_than_normal_ones(receipt):
    _, rendering = receipt
    found = bands(rendering.image)

    def height(index):
        return found[index][3] - found[index][1]

    assert height(AYUNTAMIENTO) > 1.3 * max(height(PLAZA), height(MARIA), height(PERMISO))


def test_render_qr_matches_a_qrcode_reference(receipt):
    _, rendering = receipt
    left, top, right, bottom = bands(rendering.image)[QR]

    drawn = rendering.image.crop((left, top, right, bottom))

    # render_escpos asks for module size 6 and python-escpos for error correction L.
    assert same_picture(drawn, qr_reference(QR_DATA, module=6))
    assert abs(left - (rendering.image.width - right)) <= 1
    assert rendering.qr_codes == [QR_DATA.encode()]


def test_render_raster_image_is_pasted_dot_for_dot(receipt):
    _, rendering = receipt
    left, top, right, bottom = bands(rendering.image)[LOGO]

    assert same_picture(rendering.image.crop((left, top, right, bottom)), logo())
    assert left == (rendering.image.width - 48) // 2


@pytest.mark.parametrize("mm", [80, 58])
def test_render_matches_reference_png(mm):
    rendered = render_png(sample_capture(), width_px=PAPER_WIDTH_PX[mm])
    reference = Image.open(REFERENCE_DIR / f"receipt-{mm}mm.png").convert("L")

    assert rendered.size == reference.size
    differing = ink(ImageChops.difference(rendered, reference)).histogram()[0]
    assert differing / (rendered.width * rendered.height) < 0.01


@pytest.mark.parametrize("impl", ["bitImageColumn", "graphics"])
def test_render_other_image_commands_draw_the_same_logo(impl):
    image = render_png(sample_capture(image_impl=impl))
    left, top, right, bottom = bands(image)[LOGO]

    assert same_picture(image.crop((left, top, right, bottom)), logo())


# --- text properties -----------------------------------------------------------------


def test_render_double_size_is_twice_as_tall_and_wide():
    normal = ink_bbox(render_png(capture(ReceiptLine("HOLA"))))
    double = ink_bbox(render_png(capture(ReceiptLine("HOLA", double=True))))

    normal_w, normal_h = normal[2] - normal[0], normal[3] - normal[1]
    double_w, double_h = double[2] - double[0], double[3] - double[1]
    assert 1.8 * normal_h <= double_h <= 2.2 * normal_h
    assert 1.8 * normal_w <= double_w <= 2.2 * normal_w


def test_render_bold_has_more_ink_than_regular():
    regular = render_png(capture(ReceiptLine("Permiso 2025")))
    bold = render_png(capture(ReceiptLine("Permiso 2025", bold=True)))

    assert ink_dots(bold) > 1.3 * ink_dots(regular)
    assert ink_bbox(bold)[1::2] == ink_bbox(regular)[1::2]  # same rows


def test_render_columns_match_the_paper():
    line = "0123456789" * 4 + "ABCDEFGH"  # 48 characters

    wide = render(capture(ReceiptLine(line)), width_px=PAPER_WIDTH_PX[80])
    narrow = render(capture(ReceiptLine(line)), width_px=PAPER_WIDTH_PX[58])

    assert wide.lines == [line]
    assert ink_bbox(wide.image)[2] > 576 - 12
    assert narrow.lines == [line[:32], line[32:]]


def test_render_accent_only_changes_its_own_cell():
    plain = render_png(capture(ReceiptLine("Perez")))
    accented = render_png(capture(ReceiptLine("Pérez")))

    left, _, right, _ = ImageChops.difference(plain, accented).getbbox()
    assert left >= 12 and right <= 24  # the second 12-dot column


@pytest.mark.parametrize(
    ("char", "page", "code"),
    [
        ("ñ", 0, 0xA4),  # CP437
        ("ñ", 2, 0xA4),  # CP850
        ("ñ", 19, 0xA4),  # CP858
        ("ñ", 16, 0xF1),  # CP1252
        ("€", 19, 0xD5),  # CP858
        ("€", 16, 0x80),  # CP1252
        ("€", 40, 0xA4),  # ISO 8859-15
        ("É", 2, 0x90),  # CP850
    ],
)
def test_render_code_pages_draw_the_same_character(char, page, code):
    printer = Dummy()
    printer.hw("INIT")
    printer.textln(char)  # python-escpos picks its own code page
    by_escpos = render(printer.output)
    by_page = render(b"\x1b@\x1bt" + bytes([page, code]) + b"\n")

    assert by_page.lines == by_escpos.lines == [char]
    assert same_picture(by_page.image, by_escpos.image)
    assert ink_dots(by_page.image) > 0


@fuzz_settings
@given(st.text(alphabet="abcxyzAEN áéíóúÁÉÍÓÚñÑüÜ¿¡çÇàèâêôäöãõ€ßº°½", max_size=48))
def test_render_text_round_trips_through_python_escpos_code_pages(text):
    printer = Dummy()
    printer.hw("INIT")
    printer.textln(text)

    expected = [text] if text else []
    assert render(printer.output).lines == expected


# --- commands it only skips ----------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        b"\x1b-0",  # underline off
        b"\x1bG0",  # double strike off
        b"\x1dB0",  # reverse off
        b"\x1dH2",  # HRI below
        b"\x1dhP",  # barcode height 80
        b"\x1dw2",  # barcode module width
        b"\x1dk\x02123456789012\x00",  # EAN13, NUL-terminated form
        b"\x1dkI\x07{B12345",  # CODE128, counted form
        b"\x1bp022",  # cash drawer
        b"\x1bc50",  # panel buttons
        b"\x1b3A",  # line spacing 65
        b"\x1d(k\x05\x000A0XY",  # PDF417 data: not a QR, skipped
        b"\x1d(E\x03\x00ABC",  # user setup commands
        b"\x1b(A\x04\x000ABC",  # beeper
        b"\x1c(L\x02\x00AB",  # FS ( L
        b"\x10\x04\x01",  # real-time status
        b"\x1dP00",  # motion units
        b"\x1bRA",  # international character set
    ],
)
def test_render_skips_commands_with_their_parameters(command):
    rendering = render(b"\x1b@A\n" + command + b"B\n")

    assert rendering.lines == ["A", "B"]


def test_render_barcode_is_drawn_as_a_labelled_box():
    printer = Dummy()
    printer.hw("INIT")
    printer.barcode("123456789012", "EAN13")
    printer.textln("after")

    rendering = render(printer.output)

    assert rendering.lines == ["after"]
    assert len(bands(rendering.image)) >= 2
    assert any("barcode" in note for note in rendering.notes)


def test_render_empty_input_is_blank_paper():
    image = render_png(b"")

    assert image.width == 576 and ink_dots(image) == 0


@pytest.mark.parametrize("width", [0, -1, 5, 10_000])
def test_render_rejects_bad_widths(width):
    with pytest.raises(RenderError):
        render(b"hello\n", width_px=width)


# --- truncated and garbage input -----------------------------------------------------


def test_render_every_truncation_of_the_sample_renders():
    data = sample_capture()
    qr_store = data.index(b"1P0")

    for end in range(len(data)):
        rendering = render(data[:end])
        assert rendering.image.width == 576

    cut_in_qr = render(data[: qr_store + 5])
    assert cut_in_qr.lines == [line.text for line in LINES]
    assert cut_in_qr.qr_codes == []
    assert any("ends inside a command" in note for note in cut_in_qr.notes)


PARAMETER_TAILS = [
    b"",
    b"\x00" * 8,
    b"\xff" * 8,
    b"\x30\x31\x32\x33\x34\x35",
    b"\x03\x00\x31\x50\x30",
    b"\x02\x01\n\r\x1c\x1d\x1e\x85\x00",
]


def test_render_every_command_byte_with_assorted_parameters():
    for prefix in (b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x1dk", b"\x1d(k\x06\x00", b"\x1d(L"):
        for command in range(256):
            for tail in PARAMETER_TAILS:
                data = b"A\n" + prefix + bytes([command]) + tail + b"\nB\n"
                rendering = render(data, width_px=384)
                assert rendering.image.width == 384, data


def test_render_stops_runaway_feeds():
    rendering = render(b"\x1bd\xff" * 10_000, width_px=384)

    assert rendering.image.size == (384, 40_000)
    assert any("longer than" in note for note in rendering.notes)


@fuzz_settings
@given(st.binary(max_size=600))
def test_render_arbitrary_bytes_never_raise(data):
    # Stricter than "only RenderError": bytes alone never make it raise at all.
    rendering = render(data, width_px=384)

    assert rendering.image.width == 384


COMMAND_PREFIXES = [
    b"\x1b",
    b"\x1d",
    b"\x1c",
    b"\x10",
    b"\n",
    b"\x1b@",
    b"\x1b!",
    b"\x1bt",
    b"\x1ba",
    b"\x1bd",
    b"\x1bJ",
    b"\x1b*",
    b"\x1b*!",
    b"\x1bD",
    b"\x1b&",
    b"\x1b$",
    b"\x1b\\",
    b"\x1d!",
    b"\x1dV",
    b"\x1dVA",
    b"\x1dv0",
    b"\x1dv0\x00",
    b"\x1dk",
    b"\x1dkI",
    b"\x1d(k",
    b"\x1d(k\x03\x001C",
    b"\x1d(k\x03\x001Q0",
    b"\x1d(k\x08\x001P0hello",
    b"\x1d(L",
    b"\x1d(L\x02\x0002",
    b"\x1d8L",
    b"\x1dL",
    b"\x1dW",
    b"\x1c(",
    b"\x1cq",
    b"\x1cg1",
    b"\x10\x14",
]


@fuzz_settings
@given(
    st.lists(
        st.one_of(
            st.tuples(st.sampled_from(COMMAND_PREFIXES), st.binary(max_size=6)).map(b"".join),
            st.binary(max_size=6),
        ),
        max_size=40,
    ).map(b"".join)
)
def test_render_command_shaped_garbage_never_raises(data):
    rendering = render(data, width_px=576, max_height_px=5000)

    assert rendering.image.width == 576
    assert rendering.image.height <= 5000


# --- files and the command line ------------------------------------------------------


def test_save_png_writes_a_one_bit_png(tmp_path):
    path = tmp_path / "receipt.png"

    rendering = save_png(sample_capture(), path, width_px=384)

    with Image.open(path) as saved:
        assert saved.format == "PNG" and saved.mode == "1"
        assert same_picture(saved, rendering.image)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drivers.printer", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_render_writes_png(tmp_path):
    capture_path = tmp_path / "job.bin"
    capture_path.write_bytes(sample_capture())
    out = tmp_path / "job.png"

    result = run_cli("render", str(capture_path), "--png", str(out), "--width", "58")

    assert result.returncode == 0, result.stderr
    assert "384x" in result.stdout
    with Image.open(out) as image:
        assert same_picture(image, render_png(sample_capture(), width_px=384))


def test_cli_render_missing_capture(tmp_path):
    out = tmp_path / "out.png"

    result = run_cli("render", str(tmp_path / "nope.bin"), "--png", str(out))

    assert result.returncode == 3
    assert "capture file not found" in result.stderr and "nope.bin" in result.stderr
    assert not out.exists()


def test_cli_render_unwritable_png(tmp_path):
    capture_path = tmp_path / "job.bin"
    capture_path.write_bytes(b"hello\n")

    result = run_cli("render", str(capture_path), "--png", str(tmp_path / "no" / "out.png"))

    assert result.returncode == 4
    assert "cannot write" in result.stderr


def test_cli_render_notes_truncation(tmp_path):
    capture_path = tmp_path / "job.bin"
    capture_path.write_bytes(b"\x1b@hello\n\x1d(k\x40\x00")
    out = tmp_path / "out.png"

    result = run_cli("render", str(capture_path), "--png", str(out))

    assert result.returncode == 0
    assert "note: input ends inside a command" in result.stderr
    assert out.exists()


def test_cli_render_rejects_unknown_paper_width(tmp_path):
    result = run_cli("render", "x.bin", "--png", str(tmp_path / "x.png"), "--width", "70")

    assert result.returncode == 2
    assert "--width" in result.stderr


def regenerate_references() -> None:
    REFERENCE_DIR.mkdir(exist_ok=True)
    for mm, width in sorted(PAPER_WIDTH_PX.items()):
        path = REFERENCE_DIR / f"receipt-{mm}mm.png"
        save_png(sample_capture(), path, width_px=width)
        print(f"wrote {path}")


if __name__ == "__main__":
    regenerate_references()


def test_every_receipt_selects_its_code_page_again_after_init():
    from escpos.printer import Dummy

    from drivers.printer.interface import ReceiptDocument, ReceiptLine, render_escpos
    from drivers.printer.render import render

    printer = Dummy()
    document = ReceiptDocument([ReceiptLine("Total 12,50 €")], cut=True)
    render_escpos(document, printer)
    first = printer.output
    render_escpos(document, printer)
    second = printer.output[len(first) :]

    assert render(second).lines[0] == "Total 12,50 €"

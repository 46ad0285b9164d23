"""Receipts in scripts the printer's code pages lack: lines printed as raster images.

Real bytes from python-escpos's Dummy printer and from the SimulatedPrinter, drawn by
drivers/printer/render.py. The reference PNGs in tests/drivers/reference/ are
regenerated (and then looked at!) with

    PYTHONPATH=. .venv/bin/python tests/drivers/test_printer_raster.py
"""

from __future__ import annotations

import struct

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops
from test_printer_render import REFERENCE_DIR, bands, ink, ink_bbox, ink_dots

from drivers.printer import raster
from drivers.printer.interface import (
    ReceiptDocument,
    ReceiptLine,
    line_text,
    render_escpos,
)
from drivers.printer.render import PAPER_WIDTH_PX, Rendering, render, save_png
from drivers.printer.simulator import SimulatedPrinter

COLUMNS = {80: 48, 58: 32}
QR_DATA = "https://city.example/t/TR-2025-004512"

fuzz_settings = settings(deadline=None, database=None, max_examples=150)


def arabic_receipt(columns: int) -> ReceiptDocument:
    rule = ReceiptLine("-" * columns)
    return ReceiptDocument(
        (
            ReceiptLine("بلدية المدينة", bold=True, double=True, align="center"),
            ReceiptLine("قاعة المدينة، الطابق الأرضي", align="center"),
            ReceiptLine("الكشك K-07", align="center"),
            ReceiptLine("2025-11-22 14:05", align="center"),
            rule,
            ReceiptLine("دفع فاتورة المياه", bold=True, align="right"),
            ReceiptLine("رقم المرجع", align="right"),
            ReceiptLine("K-ABCD-1234", align="left"),
            ReceiptLine("رقم التتبع", align="right", trailing="TR-2025-004512"),
            rule,
            ReceiptLine("فاتورة المياه - نوفمبر", align="right"),
            ReceiptLine("32.50 USD", align="left"),
            ReceiptLine("رسوم جمع النفايات - الربع الرابع", align="right"),
            ReceiptLine("12.50 USD", align="left"),
            ReceiptLine("المجموع المدفوع", bold=True, align="right", trailing="45.00 USD"),
            rule,
            ReceiptLine("تم حفظ الدفع وسيُرسل عند عودة الاتصال بالشبكة.", bold=True, align="right"),
            ReceiptLine("امسح الرمز لمتابعة طلبك:", align="center"),
            rule,
            ReceiptLine("للمساعدة اتصل بالرقم 311", align="center"),
            ReceiptLine("احتفظ بهذا الإيصال.", align="center"),
        ),
        qr_data=QR_DATA,
        columns=columns,
        right_to_left=True,
    )


def chinese_receipt(columns: int) -> ReceiptDocument:
    rule = ReceiptLine("-" * columns)
    return ReceiptDocument(
        (
            ReceiptLine("市政府", bold=True, double=True, align="center"),
            ReceiptLine("市政厅一楼大厅", align="center"),
            ReceiptLine("自助服务机 K-07", align="center"),
            ReceiptLine("2025-11-22 14:05", align="center"),
            rule,
            ReceiptLine("缴纳水费", bold=True),
            ReceiptLine("参考编号"),
            ReceiptLine("K-ABCD-1234", align="right"),
            ReceiptLine("跟踪编号", trailing="TR-2025-004512"),
            rule,
            ReceiptLine("水费 - 十一月"),
            ReceiptLine("32.50 USD", align="right"),
            ReceiptLine("垃圾处理费 - 第四季度"),
            ReceiptLine("12.50 USD", align="right"),
            ReceiptLine("实付总额", bold=True, trailing="45.00 USD"),
            rule,
            ReceiptLine("付款已保存，网络恢复后将自动发送至市政府。", bold=True),
            ReceiptLine("扫描二维码查询办理进度：", align="center"),
            rule,
            ReceiptLine("如需帮助，请拨打 311", align="center"),
            ReceiptLine("请保留此收据。", align="center"),
        ),
        qr_data=QR_DATA,
        columns=columns,
    )


RECEIPTS = {"ar": arabic_receipt, "zh": chinese_receipt}


def capture(doc: ReceiptDocument) -> bytes:
    printer = Dummy()
    render_escpos(doc, printer)
    return printer.output


def simulate(doc: ReceiptDocument) -> bytes:
    printer = SimulatedPrinter()
    printer.start()
    printer.print_document(doc)
    return printer.jobs[-1]


def draw(doc: ReceiptDocument) -> Rendering:
    return render(simulate(doc), width_px=raster.paper_width(doc))


def raster_images(data: bytes) -> list[tuple[int, int]]:
    """(width, height) in dots of each GS v 0 image, walking over each one's data."""
    found = []
    position = data.find(b"\x1dv0")
    while position >= 0:
        width_bytes, height = struct.unpack_from("<HH", data, position + 4)
        found.append((width_bytes * 8, height))
        position = data.find(b"\x1dv0", position + 8 + width_bytes * height)
    return found


def line_picture(line: ReceiptLine, *, columns: int = 48, rtl: bool = False) -> Image.Image:
    """One line printed through render_escpos and drawn, cropped to its paper."""
    doc = ReceiptDocument((line,), cut=False, columns=columns, right_to_left=rtl)
    data = capture(doc)
    assert raster_images(data), "the line was printed as text"
    return render(data, width_px=raster.paper_width(doc)).image


def ink_columns(image: Image.Image) -> list[tuple[int, int]]:
    """Runs of columns that carry ink, left to right, as (first, end)."""
    inked = ink(image)
    columns = [
        inked.crop((x, 0, x + 1, image.height)).getbbox() is not None for x in range(image.width)
    ]
    runs: list[tuple[int, int]] = []
    for x, has_ink in enumerate(columns):
        if has_ink and runs and runs[-1][1] == x:
            runs[-1] = (runs[-1][0], x + 1)
        elif has_ink:
            runs.append((x, x + 1))
    return runs


def groups(runs: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Column runs merged where less than ``gap`` blank columns separate them."""
    merged: list[tuple[int, int]] = []
    for first, end in runs:
        if merged and first - merged[-1][1] < gap:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((first, end))
    return merged


# --- text or picture -----------------------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "zh"])
@pytest.mark.parametrize("mm", [80, 58])
def test_script_lines_are_pictures_and_latin_lines_stay_text(language, mm):
    doc = RECEIPTS[language](COLUMNS[mm])
    data = simulate(doc)
    rendering = render(data, width_px=PAPER_WIDTH_PX[mm])

    text_lines = [line_text(line, doc) for line in doc.lines if line.text.isascii()]
    assert rendering.lines == text_lines
    assert "K-ABCD-1234" in rendering.lines and "32.50 USD" in rendering.lines
    # One image per run of consecutive pictured lines, each the paper's width.
    runs = sum(
        1
        for index, line in enumerate(doc.lines)
        if not line.text.isascii() and (index == 0 or doc.lines[index - 1].text.isascii())
    )
    images = raster_images(data)
    assert len(images) == runs
    assert all(width == PAPER_WIDTH_PX[mm] for width, _ in images)
    assert rendering.notes == []
    assert rendering.qr_codes == [QR_DATA.encode()]
    for line in doc.lines:
        if not line.text.isascii():
            assert line.text.encode("utf-8") not in data
            assert line.text.encode("gb18030") not in data  # python-escpos's Chinese shortcut


def test_the_simulator_prints_the_same_bytes_as_a_python_escpos_printer():
    doc = arabic_receipt(48)

    assert simulate(doc) == capture(doc)


def test_a_text_receipt_prints_exactly_what_python_escpos_text_calls_print():
    lines = (
        ReceiptLine("AYUNTAMIENTO", bold=True, double=True, align="center"),
        ReceiptLine("Pago de la factura del agua", bold=True),
        ReceiptLine("Referencia", trailing="K-ABCD-1234"),
        ReceiptLine("Total pagado 45,00 €", bold=True, align="right"),
        ReceiptLine("Guarde este recibo, señora Núñez.", align="center"),
    )
    doc = ReceiptDocument(lines, qr_data=QR_DATA)
    expected = Dummy()
    expected.hw("INIT")
    expected.magic.encoding = None
    for line in lines:
        expected.set(
            align=line.align,
            bold=line.bold,
            normal_textsize=not line.double,
            double_width=line.double,
            double_height=line.double,
        )
        expected.textln(line_text(line, doc))
    expected.set(align="left", bold=False, normal_textsize=True)
    expected.set(align="center")
    expected.qr(QR_DATA, native=True, size=6)
    expected.set(align="left")
    expected.cut()

    assert capture(doc) == expected.output
    assert raster_images(capture(doc)) == []


@pytest.mark.parametrize(
    "text",
    [
        "שלום",  # Hebrew: CP862 has it, but text mode would print it backwards
        "مرحبا",  # Arabic: CP720 and CP864 have it, unjoined
        "Nguyễn Văn A\u0301",  # a combining mark would take a cell of its own
        "ค่าธรรมเนียม",  # CP874 has Thai, but its tone marks would each take a cell
        "你好",
        "Straße 🧾",  # an emoji no code page has
    ],
)
def test_lines_text_mode_cannot_print_correctly_become_pictures(text):
    data = capture(ReceiptDocument((ReceiptLine(text),), cut=False))

    assert len(raster_images(data)) == 1
    assert text.encode("utf-8") not in data


def test_control_characters_in_text_lines_never_reach_the_printer():
    data = capture(ReceiptDocument((ReceiptLine("Ana\x1bp\x00\x19\x7f\x1dV\x00 Ruiz"),), cut=False))

    assert b"\x1bp" not in data and b"\x1dV" not in data
    assert render(data).lines == ["Ana p    V  Ruiz"]


def test_the_fonts_are_installed():
    # make installs them (Makefile APT_PACKAGES); without them every line is "?".
    for face in (raster.FACES[0], raster.CJK, raster.LATIN):
        assert raster.coverage(face.regular), face.regular
    assert 0x0627 in raster.coverage(raster.FACES[0].regular)  # alef
    assert 0x4E2D in raster.coverage(raster.CJK.regular)  # 中
    assert 0x5D0 in raster.coverage(raster.LATIN.regular)  # alef, Hebrew


# --- right to left and shaping -------------------------------------------------------


@pytest.mark.parametrize("mm", [80, 58])
def test_rtl_line_starts_at_the_right_edge_and_its_trailing_text_is_on_the_left(mm):
    columns = COLUMNS[mm]
    full = line_picture(ReceiptLine("رقم التتبع", trailing="TR-2025"), columns=columns, rtl=True)
    label = line_picture(ReceiptLine("رقم التتبع", align="right"), columns=columns, rtl=True)
    width = full.width

    pieces = groups(ink_columns(full), gap=raster.GAP)
    assert len(pieces) == 2, pieces
    (trailing_left, trailing_end), (label_left, label_end) = pieces
    assert trailing_left <= 3  # the trailing text at the far (left) end
    assert label_end >= width - 3  # the text starts at the right edge
    # The right-hand piece is the label itself, dot for dot.
    assert (
        ImageChops.difference(
            full.crop((label_left, 0, width, full.height)),
            label.crop((label_left, 0, width, label.height)),
        ).getbbox()
        is None
    )


def test_ltr_line_keeps_its_trailing_text_on_the_right():
    full = line_picture(ReceiptLine("跟踪编号", trailing="TR-2025"))

    (label_left, _), (_, trailing_end) = groups(ink_columns(full), gap=raster.GAP)
    assert label_left <= 3 and trailing_end >= full.width - 3


@pytest.mark.parametrize("rtl", [False, True])
def test_alignment_is_physical_as_in_text_mode(rtl):
    left = ink_bbox(line_picture(ReceiptLine("مرحبا", align="left"), rtl=rtl))
    centre = ink_bbox(line_picture(ReceiptLine("مرحبا", align="center"), rtl=rtl))
    right = ink_bbox(line_picture(ReceiptLine("مرحبا", align="right"), rtl=rtl))

    assert left[0] <= 3
    assert abs(centre[0] - (576 - centre[2])) <= 3
    assert right[2] >= 576 - 3


def test_arabic_is_shaped_joined_letters_not_isolated_forms():
    word = "بلبل"  # every letter joins both sides: one connected stroke when shaped
    shaped = line_picture(ReceiptLine(word), rtl=True)
    isolated = [line_picture(ReceiptLine(letter), rtl=True) for letter in word]

    assert len(ink_columns(shaped)) == 1  # no blank column anywhere in the word
    shaped_width = ink_bbox(shaped)[2] - ink_bbox(shaped)[0]
    isolated_width = sum(ink_bbox(image)[2] - ink_bbox(image)[0] for image in isolated)
    assert shaped_width < 0.75 * isolated_width


def test_arabic_reads_right_to_left():
    # Alef (tall, narrow) is the first letter: it must be the right-hand piece.
    image = line_picture(ReceiptLine("ا ب"), rtl=False)

    left_piece, right_piece = groups(ink_columns(image), gap=3)
    heights = []
    for first, end in (left_piece, right_piece):
        _, top, _, bottom = ink(image.crop((first, 0, end, image.height))).getbbox()
        heights.append((bottom - top) / (end - first))
    assert heights[1] > 2 > heights[0]  # alef taller than wide, beh wider than tall


# --- bold, double, wrapping ----------------------------------------------------------


@pytest.mark.parametrize("text", ["المجموع المدفوع", "实付总额"])
def test_bold_pictures_carry_more_ink(text):
    regular = line_picture(ReceiptLine(text))
    bold = line_picture(ReceiptLine(text, bold=True))

    assert ink_dots(bold) > 1.2 * ink_dots(regular)


@pytest.mark.parametrize("text", ["المجموع المدفوع", "实付总额"])
def test_double_pictures_are_twice_as_tall_and_wide(text):
    normal = ink_bbox(line_picture(ReceiptLine(text)))
    double = ink_bbox(line_picture(ReceiptLine(text, double=True)))

    normal_w, normal_h = normal[2] - normal[0], normal[3] - normal[1]
    double_w, double_h = double[2] - double[0], double[3] - double[1]
    assert 1.8 * normal_h <= double_h <= 2.2 * normal_h
    assert 1.8 * normal_w <= double_w <= 2.2 * normal_w


def test_a_double_row_is_48_dots_of_type_and_a_normal_one_24():
    normal = line_picture(ReceiptLine("中"))
    double = line_picture(ReceiptLine("中", double=True))

    assert 20 <= ink_bbox(normal)[3] - ink_bbox(normal)[1] <= 24
    assert 40 <= ink_bbox(double)[3] - ink_bbox(double)[1] <= 48


LONG_ARABIC = (
    "نرجو من جميع المواطنين الاحتفاظ بهذا الإيصال حتى اكتمال معالجة الطلب، "
    "وفي حال وجود أي استفسار يمكنكم التواصل مع مركز خدمة المواطنين في أي وقت"
)
LONG_CHINESE = (
    "请妥善保管本收据直至申请处理完毕，如有任何疑问，请随时联系市民服务中心，"
    "我们将竭诚为您服务，感谢您对市政工作的理解与支持。"
)


@pytest.mark.parametrize("double", [False, True])
@pytest.mark.parametrize("text", [LONG_ARABIC, LONG_CHINESE])
@pytest.mark.parametrize("mm", [80, 58])
def test_long_lines_wrap_within_the_paper_and_lose_nothing(mm, text, double):
    doc = ReceiptDocument((ReceiptLine(text, double=double),), cut=False, columns=COLUMNS[mm])
    data = capture(doc)
    rendering = render(data, width_px=PAPER_WIDTH_PX[mm])

    assert [width for width, _ in raster_images(data)] == [PAPER_WIDTH_PX[mm]]
    assert rendering.notes == []
    assert len(bands(rendering.image)) >= 3
    # Wrapped, not cut: as much ink as the same line on paper wide enough for it.
    wide = ReceiptDocument((), columns=1000)
    unwrapped = raster.lines_image([ReceiptLine(text, double=double)], wide).convert("L")
    assert len(bands(unwrapped)) == 1
    assert abs(ink_dots(rendering.image) - ink_dots(unwrapped)) < 0.03 * ink_dots(unwrapped)


@pytest.mark.parametrize("trailing", ["", "45.00 USD", "TR-2025-004512-0001-0002-0003"])
@pytest.mark.parametrize("text", [LONG_ARABIC, LONG_CHINESE, "ب" * 150, "市" * 150])
@pytest.mark.parametrize("mm", [80, 58])
def test_long_lines_and_words_never_leave_the_paper(mm, text, trailing):
    for double in (False, True):
        line = ReceiptLine(text, double=double, bold=True, trailing=trailing)
        doc = ReceiptDocument((line,), cut=False, columns=COLUMNS[mm], right_to_left=True)
        data = capture(doc)
        rendering = render(data, width_px=PAPER_WIDTH_PX[mm])

        images = raster_images(data)
        assert images and all(width == PAPER_WIDTH_PX[mm] for width, _ in images)
        assert rendering.notes == []
        assert len(bands(rendering.image)) >= 3


@pytest.mark.parametrize(
    ("with_emoji", "with_replacement"),
    [
        ("مرحبا 😀 بكم 👨‍👩‍👧", "مرحبا ؟ بكم ؟"),  # the Arabic font's own question mark
        ("你好 👍🏽 🇫🇷 再见", "你好 ? ? 再见"),
        ("Straße 🧾 ok 🏳️‍🌈", "Straße ? ok ?"),
    ],
)
def test_emoji_print_as_a_question_mark(with_emoji, with_replacement):
    doc = ReceiptDocument((), right_to_left=with_emoji[0] == "م")

    drawn = raster.line_image(ReceiptLine(with_emoji), doc)
    expected = raster.line_image(ReceiptLine(with_replacement), doc)

    assert ImageChops.difference(drawn, expected).getbbox() is None
    assert raster_images(capture(ReceiptDocument((ReceiptLine(with_emoji),))))


# --- the sample receipts, against their reference pictures ---------------------------


def reference_path(language: str, mm: int):
    return REFERENCE_DIR / f"receipt-{language}-{mm}mm.png"


def differing_dots_by_band(rendered: Image.Image, reference: Image.Image) -> list[float]:
    """For each inked band of the reference, the share of its ink dots that differ."""
    difference = ImageChops.difference(rendered, reference)
    shares = []
    for _, top, _, bottom in bands(reference):
        box = (0, top, reference.width, bottom)
        inked = ink_dots(reference.crop(box))
        shares.append(difference.crop(box).histogram()[255] / max(1, inked))
    return shares


@pytest.mark.parametrize("language", ["ar", "zh"])
@pytest.mark.parametrize("mm", [80, 58])
def test_sample_receipt_matches_its_reference_picture(language, mm):
    rendered = draw(RECEIPTS[language](COLUMNS[mm])).image
    reference = Image.open(reference_path(language, mm)).convert("L")

    assert rendered.size == reference.size
    # Glyph edges thresholded a little differently (another FreeType) change up to
    # about 15% of a band's ink; a changed, moved, reordered or unshaped word changes
    # 60% or more of it. Unshaped text also wraps differently: another size.
    assert max(differing_dots_by_band(rendered, reference)) < 0.3


# --- anything at all -----------------------------------------------------------------


@fuzz_settings
@given(
    text=st.text(max_size=200),
    trailing=st.text(max_size=20),
    bold=st.booleans(),
    double=st.booleans(),
    align=st.sampled_from(["left", "center", "right"]),
    rtl=st.booleans(),
    mm=st.sampled_from([80, 58]),
)
def test_any_text_prints_and_never_wider_than_the_paper(
    text, trailing, bold, double, align, rtl, mm
):
    line = ReceiptLine(text, bold=bold, double=double, align=align, trailing=trailing)
    doc = ReceiptDocument((line,), cut=False, columns=COLUMNS[mm], right_to_left=rtl)

    data = capture(doc)

    assert all(width <= PAPER_WIDTH_PX[mm] for width, _ in raster_images(data))
    rendering = render(data, width_px=PAPER_WIDTH_PX[mm])
    assert not any("wider than the paper" in note for note in rendering.notes)


def regenerate_references() -> None:
    REFERENCE_DIR.mkdir(exist_ok=True)
    for language, receipt in sorted(RECEIPTS.items()):
        for mm in sorted(COLUMNS):
            path = reference_path(language, mm)
            save_png(simulate(receipt(COLUMNS[mm])), path, width_px=PAPER_WIDTH_PX[mm])
            print(f"wrote {path}")


if __name__ == "__main__":
    regenerate_references()


def test_an_amount_marked_right_to_left_still_prints_as_text_without_the_mark():
    amount = ReceiptLine("\u200f42.50\u00a0US$", align="left")
    assert raster.prints_as_text(amount, lambda _char: True)
    assert raster.without_controls(amount.text) == "42.50\u00a0US$"
    # An Arabic word is a picture, mark or no mark; an ESC typed by a resident is a space.
    assert not raster.prints_as_text(ReceiptLine("\u200fالمبلغ"), lambda _char: True)
    assert raster.without_controls("a\x1bb\u200e") == "a b"

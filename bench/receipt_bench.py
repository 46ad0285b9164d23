"""Receipt benchmark: building a receipt's ESC/POS bytes, in text and as pictures.

Figures, not a timed test. Everything is measured in this one run, with python-escpos's
Dummy printer (bytes kept in memory, no transport), and each time is the median of
several runs:

1. the time render_escpos takes to build a receipt's bytes: English and Spanish
   (every line text, in the printer's code pages) and Arabic and Simplified Chinese
   (their lines drawn as GS v 0 raster images), at 80 mm (48 columns) and 58 mm (32);
2. the baseline, measured the same way: python-escpos's plain textln of the same lines,
   without our layer (then the same QR code and cut), and the ratio ours / baseline.
   For Arabic and Chinese the baseline is no receipt at all: python-escpos sends Arabic
   in CP720, unjoined and left to right, and Chinese as GB18030 bytes most receipt
   printers print as garbage;
3. bytes per receipt, and how long those bytes take on a serial line at 9600, 19200,
   38400 and 115200 baud (8N1: 10 bits a byte). USB and network printers take them
   about as fast as they print.

Each run prints a different receipt (reference, tracking number, amounts and time
change), as a kiosk does, so only the labels repeat. The first receipt of each
language, when fonts are opened and read, is shown apart ("first").

Targets (medians): text receipt < 20 ms, raster receipt < 150 ms.

Usage: python bench/receipt_bench.py [--quick] [--check] [--runs N]
  --quick  5 runs, for a smoke run (figures are then only indicative)
  --check  exit 1 when a target is missed (otherwise always 0)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from escpos.printer import Dummy  # noqa: E402
from PIL import features  # noqa: E402

from drivers.printer.interface import (  # noqa: E402
    ReceiptDocument,
    ReceiptLine,
    line_text,
    render_escpos,
)

TEXT_TARGET_MS = 20.0
RASTER_TARGET_MS = 150.0
BAUD_RATES = (9600, 19200, 38400, 115200)
BITS_PER_BYTE = 10  # 8N1: a start bit, 8 data bits, a stop bit
PAPER = {80: 48, 58: 32}  # mm -> columns of Font A

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "city": "CITY OF SPRINGFIELD",
        "location": "City Hall, ground floor",
        "kiosk": "Kiosk {}",
        "service": "Water bill payment",
        "reference": "Reference",
        "tracking": "Tracking number",
        "bill_1": "Water - November",
        "bill_2": "Waste collection - Q4",
        "total": "Total paid",
        "queued": "Saved: it will be sent when the network is back.",
        "scan": "Scan to follow your request:",
        "help": "Help: call 311",
        "keep": "Keep this receipt.",
        "currency": "{} USD",
    },
    "es": {
        "city": "AYUNTAMIENTO DE VILLAVERDE",
        "location": "Plaza Mayor 1, planta baja",
        "kiosk": "Quiosco {}",
        "service": "Pago del recibo del agua",
        "reference": "Referencia",
        "tracking": "Nº de seguimiento",
        "bill_1": "Agua - noviembre",
        "bill_2": "Recogida de basuras - 4.º trim.",
        "total": "Total pagado",
        "queued": "Guardado: se enviará cuando vuelva la conexión.",
        "scan": "Escanee para seguir su solicitud:",
        "help": "Ayuda: llame al 311",
        "keep": "Guarde este recibo.",
        "currency": "{} €",
    },
    "ar": {
        "city": "بلدية المدينة",
        "location": "قاعة المدينة، الطابق الأرضي",
        "kiosk": "الكشك {}",
        "service": "دفع فاتورة المياه",
        "reference": "رقم المرجع",
        "tracking": "رقم التتبع",
        "bill_1": "فاتورة المياه - نوفمبر",
        "bill_2": "رسوم جمع النفايات - الربع الرابع",
        "total": "المجموع المدفوع",
        "queued": "تم حفظ الدفع وسيُرسل عند عودة الاتصال بالشبكة.",
        "scan": "امسح الرمز لمتابعة طلبك:",
        "help": "للمساعدة اتصل بالرقم 311",
        "keep": "احتفظ بهذا الإيصال.",
        "currency": "{} USD",
    },
    "zh": {
        "city": "市政府",
        "location": "市政厅一楼大厅",
        "kiosk": "自助服务机 {}",
        "service": "缴纳水费",
        "reference": "参考编号",
        "tracking": "跟踪编号",
        "bill_1": "水费 - 十一月",
        "bill_2": "垃圾处理费 - 第四季度",
        "total": "实付总额",
        "queued": "付款已保存，网络恢复后将自动发送。",
        "scan": "扫描二维码查询办理进度：",
        "help": "如需帮助，请拨打 311",
        "keep": "请保留此收据。",
        "currency": "{} USD",
    },
}
TEXT_LANGUAGES = ("en", "es")
RASTER_LANGUAGES = ("ar", "zh")
RIGHT_TO_LEFT = ("ar",)


def columns_of(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def receipt(language: str, columns: int, n: int) -> ReceiptDocument:
    """A paid water bill, queued while offline: receipt number ``n`` of the day."""
    labels = LABELS[language]
    rtl = language in RIGHT_TO_LEFT
    start, end = ("right", "left") if rtl else ("left", "right")
    comma = language == "es"

    def money(cents: int) -> str:
        amount = f"{cents / 100:.2f}"
        return labels["currency"].format(amount.replace(".", ",") if comma else amount)

    first, second = 2000 + n % 997, 1250 + n % 89
    when = datetime.datetime(2025, 11, 22, 9, 0) + datetime.timedelta(minutes=7 * n)
    tracking = f"TR-2025-{4512 + n:06d}"
    rule = ReceiptLine("-" * columns)
    lines = [
        ReceiptLine(labels["city"], bold=True, double=True, align="center"),
        ReceiptLine(labels["location"], align="center"),
        ReceiptLine(labels["kiosk"].format("K-07"), align="center"),
        ReceiptLine(when.strftime("%Y-%m-%d %H:%M"), align="center"),
        rule,
        ReceiptLine(labels["service"], bold=True, align=start),
    ]

    def pair(label: str, value: str, bold: bool = False) -> None:
        # As the kiosk's template does: beside each other when they fit, else stacked.
        if columns_of(label) + columns_of(value) < columns:
            lines.append(ReceiptLine(label, bold=bold, align=start, trailing=value))
        else:
            lines.append(ReceiptLine(label, bold=bold, align=start))
            lines.append(ReceiptLine(value, bold=bold, align=end))

    pair(labels["reference"], f"K-{0xABCD + n:04X}-{1234 + n:04d}")
    pair(labels["tracking"], tracking)
    lines.append(rule)
    pair(labels["bill_1"], money(first))
    pair(labels["bill_2"], money(second))
    pair(labels["total"], money(first + second), bold=True)
    lines += [
        rule,
        ReceiptLine(labels["queued"], bold=True, align=start),
        ReceiptLine(labels["scan"], align="center"),
        rule,
        ReceiptLine(labels["help"], align="center"),
        ReceiptLine(labels["keep"], align="center"),
    ]
    url = f"https://city.example/t/{tracking}"
    return ReceiptDocument(lines, qr_data=url, columns=columns, right_to_left=rtl)


def ours(doc: ReceiptDocument) -> bytes:
    printer = Dummy()
    render_escpos(doc, printer)
    return printer.output


def baseline(doc: ReceiptDocument) -> bytes:
    """The same lines through python-escpos's textln alone, then the same QR and cut."""
    printer = Dummy()
    printer.hw("INIT")
    for line in doc.lines:
        printer.textln(line_text(line, doc))
    printer.set(align="center")
    printer.qr(doc.qr_data, native=True, size=6)
    printer.cut()
    return printer.output


def timed(build: Callable[[ReceiptDocument], bytes], doc: ReceiptDocument) -> tuple[float, int]:
    started = time.perf_counter()
    data = build(doc)
    return time.perf_counter() - started, len(data)


def raster_share(data: bytes) -> int:
    """Bytes of GS v 0 image commands in ``data``."""
    total, position = 0, data.find(b"\x1dv0")
    while position >= 0:
        width_bytes = data[position + 4] | data[position + 5] << 8
        height = data[position + 6] | data[position + 7] << 8
        size = 8 + width_bytes * height
        total += size
        position = data.find(b"\x1dv0", position + size)
    return total


def print_machine() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"python {platform.python_version()}, python-escpos {metadata.version('python-escpos')},"
        f" Pillow {metadata.version('pillow')} (raqm {features.version('raqm')},"
        f" FriBiDi {features.version('fribidi')}, HarfBuzz {features.version('harfbuzz')})"
    )


def run(runs: int, quick: bool) -> bool:
    print_machine()
    print(
        f"\n1-2. build a receipt's bytes with the Dummy printer: median of {runs} runs,"
        " a different receipt each run\n"
    )
    header = (
        f"  {'receipt':22s} {'first':>8s} {'ours':>8s} {'baseline':>9s} {'ours/base':>9s}"
        f" {'bytes':>7s} {'image':>7s} {'baseline':>9s}  target"
    )
    print(header)
    print(
        f"  {'':22s} {'ms':>8s} {'ms':>8s} {'ms':>9s} {'':>9s} {'':>7s} {'bytes':>7s} {'bytes':>9s}"
    )
    results = {}
    ok = True
    for language in TEXT_LANGUAGES + RASTER_LANGUAGES:
        for mm, columns in PAPER.items():
            first_s, _ = timed(ours, receipt(language, columns, 0))
            ours_s, base_s, sizes, base_sizes = [], [], [], []
            for n in range(1, runs + 1):
                doc = receipt(language, columns, n)
                seconds, size = timed(ours, doc)
                ours_s.append(seconds)
                sizes.append(size)
                seconds, size = timed(baseline, doc)
                base_s.append(seconds)
                base_sizes.append(size)
            image_bytes = raster_share(ours(receipt(language, columns, 1)))
            median_ms = statistics.median(ours_s) * 1000
            base_ms = statistics.median(base_s) * 1000
            target = RASTER_TARGET_MS if language in RASTER_LANGUAGES else TEXT_TARGET_MS
            verdict = "PASS" if median_ms < target else "MISS"
            ok = ok and median_ms < target
            size = int(statistics.median(sizes))
            results[(language, mm)] = size
            name = f"{language} {'raster' if language in RASTER_LANGUAGES else 'text'}, {mm} mm"
            print(
                f"  {name:22s} {first_s * 1000:8.1f} {median_ms:8.1f} {base_ms:9.2f}"
                f" {median_ms / base_ms:8.1f}x {size:7d} {image_bytes:7d}"
                f" {int(statistics.median(base_sizes)):9d}  < {target:g} ms {verdict}"
            )

    print(f"\n3. transmission at serial speeds (8N1, {BITS_PER_BYTE} bits a byte), seconds\n")
    print(f"  {'receipt':22s} {'bytes':>7s}" + "".join(f" {rate:>8d}" for rate in BAUD_RATES))
    for (language, mm), size in results.items():
        kind = "raster" if language in RASTER_LANGUAGES else "text"
        seconds = [size * BITS_PER_BYTE / rate for rate in BAUD_RATES]
        print(
            f"  {f'{language} {kind}, {mm} mm':22s} {size:7d}"
            + "".join(f" {value:8.2f}" for value in seconds)
        )
    if quick:
        print("  (--quick: few runs, times are only indicative)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs, for a smoke run")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--runs", type=int, default=50, help="runs per receipt (default 50)")
    args = parser.parse_args()
    runs = 5 if args.quick else max(1, args.runs)
    ok = run(runs, args.quick)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())

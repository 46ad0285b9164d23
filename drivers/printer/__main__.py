"""Receipt printer tools.

    python -m drivers.printer render CAPTURE.bin --png OUT.png [--width 58|80]

``render`` draws the paper that captured ESC/POS bytes (a simulator job, a file saved
from a print server) would print. CAPTURE.bin may be ``-`` for standard input. What the
renderer skipped or approximated is listed on standard error.

Exit codes: 0 done, 2 usage, 3 the capture cannot be read, 4 the PNG cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drivers.printer.render import PAPER_WIDTH_PX, save_png

EXIT_OK = 0
EXIT_BAD_INPUT = 3
EXIT_BAD_OUTPUT = 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.printer", description="Receipt printer tools."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    render = commands.add_parser(
        "render",
        help="draw captured ESC/POS bytes as a PNG of the paper",
        description="Draw captured ESC/POS bytes as a PNG of the paper.",
    )
    render.add_argument("capture", metavar="CAPTURE.bin", help="captured bytes, or - for stdin")
    render.add_argument("--png", required=True, metavar="OUT.png", help="where to write the PNG")
    render.add_argument(
        "--width",
        type=int,
        choices=sorted(PAPER_WIDTH_PX),
        default=80,
        help="paper width in mm (default 80: 576 dots, 48 columns; 58: 384 dots, 32 columns)",
    )
    return parser


def render_command(args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if args.capture == "-" else Path(args.capture).read_bytes()
    except FileNotFoundError:
        print(f"error: capture file not found: {args.capture}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except IsADirectoryError:
        print(f"error: capture is a directory, not a file: {args.capture}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"error: cannot read capture {args.capture}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        rendering = save_png(data, args.png, width_px=PAPER_WIDTH_PX[args.width])
    except OSError as exc:
        print(f"error: cannot write {args.png}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_OUTPUT
    for note in rendering.notes:
        print(f"note: {note}", file=sys.stderr)
    width, height = rendering.image.size
    print(f"wrote {args.png}: {width}x{height} px, {args.width} mm paper, {len(data)} bytes")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "render":
        return render_command(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())

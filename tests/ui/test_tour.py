"""`python main.py --tour DIR` as a resident-free walk through every screen, at the two
display sizes kiosks ship with: a 7-inch 800x480 panel and a 1920x1080 screen."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

pytestmark = pytest.mark.long_running  # see tests/conftest.py

REPO = Path(__file__).resolve().parents[2]
SIZES = ((800, 480), (1920, 1080))
# Every screen of every flow, by the end of its picture's name.
SCREENS = (
    "attract",
    "home",
    "home-search",
    "home-large-high-contrast",
    "timeout-warning",
    "coming-soon",
    "receipt-choice",
    "receipt-contact",
    # Pay a bill
    "pay-bill-keyboard",
    "pay-bill",
    "pay-amount",
    "pay-confirm",
    "pay-outcome",
    "paying",
    "paid-confirmation",
    # Report a problem
    "report-services",
    "report-services-group",
    "report-details",
    "report-details-keypad",
    "report-location",
    "report-location-found",
    "report-description",
    "report-description-errors",
    "report-review",
    "report-confirmation",
    # Permits and licences
    "permits",
    "permit-form-errors",
    "permit-form-large-text",
    "permit-review",
    "permit-pay-confirm",
    "permit-unpaid",
    "permit-confirmation",
    "permits-renew",
    "permit-renewal-form",
    "permit-renewal-review",
    # Track a request
    "track",
    "track-result",
    "track-foreign",
    "track-mine",
    "track-mine-result",
    # Create an account
    "account-insert-card",
    "account-name",
    "account-contact-errors",
    "account-exists",
    # Records and meetings, news
    "home-news",
    "news",
    "meetings",
    "records-search",
    "records-none",
    "record",
    "record-large-text",
    "record-printed",
    "record-not-found",
    # Help and surveys
    "help",
    "help-search",
    "help-no-match",
    "help-called",
    "survey",
    "confirmation",
    "survey-after-service",
    "survey-thanks",
)


@pytest.fixture(scope="module")
def tours(tmp_path_factory):
    """Both tours at once: two processes, one per core."""
    running = {}
    for width, height in SIZES:
        out = tmp_path_factory.mktemp(f"tour-{width}x{height}")
        command = [sys.executable, "main.py", "--tour", str(out), "--size", f"{width}x{height}"]
        running[(width, height)] = (
            out,
            subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True),
        )
    finished = {}
    try:
        for size, (out, process) in running.items():
            _, stderr = process.communicate(timeout=600)
            finished[size] = (out, process.returncode, stderr)
    finally:
        for _out, process in running.values():  # one that timed out must not outlive us
            if process.poll() is None:
                process.kill()
                process.wait()
    return finished


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_tour_pictures_every_screen_legibly_in_each_language(tours, size):
    out, returncode, stderr = tours[size]
    assert returncode == 0, stderr[-3000:]
    assert "first frame" in stderr
    pictures = sorted(out.glob("*.png"))
    names = [picture.stem for picture in pictures]
    for language in ("en", "es"):
        for screen in SCREENS:
            assert any(n.startswith(language) and n.endswith(screen) for n in names), (
                language,
                screen,
            )
    for picture in pictures:
        with Image.open(picture) as image:
            assert image.size == size
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            # A blank or unrendered frame has a handful of colours; text has hundreds.
            assert colours is None or len(colours) > 50, picture.name
    with Image.open(out / "en-01-attract.png") as en, Image.open(out / "es-01-attract.png") as es:
        assert ImageChops.difference(en.convert("RGB"), es.convert("RGB")).getbbox() is not None


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_no_screen_has_small_targets_or_cut_off_or_overlapping_text(tours, size):
    out, returncode, _stderr = tours[size]
    assert returncode == 0
    layouts = json.loads((out / "layout.json").read_text("utf-8"))
    assert set(layouts) == {picture.stem for picture in out.glob("*.png")}
    # The check looked at real screens: every picture but the attract screen's has
    # buttons, and the smallest one is measured.
    assert all(layout["targets"] > 0 for layout in layouts.values())
    problems = [
        f"{name}: {problem['kind']} {problem['what']} ({problem['detail']})"
        for name, layout in sorted(layouts.items())
        for problem in layout["problems"]
    ]
    assert not problems, "\n".join(problems[:40])
    smallest = min(min(layout["smallest_target"]) for layout in layouts.values())
    assert smallest >= 44

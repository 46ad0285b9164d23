"""`python main.py --tour DIR` as a resident-free walk through every screen."""

import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageChops

REPO = Path(__file__).resolve().parents[2]


def test_tour_writes_a_legible_picture_of_every_screen_in_each_language(tmp_path):
    result = subprocess.run(
        [sys.executable, "main.py", "--tour", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pictures = sorted(tmp_path.glob("*.png"))
    names = [p.stem for p in pictures]
    assert len(pictures) >= 18, names
    for language in ("en", "es"):
        for screen in (
            "attract",
            "home",
            "home-search",
            "coming-soon",
            "help",
            "survey",
            "confirmation",
            "timeout-warning",
            "pay-bill",
            "pay-confirm",
            "paying",
            "pay-outcome",
        ):
            assert any(n.startswith(language) and n.endswith(screen) for n in names), (
                language,
                screen,
            )
    for picture in pictures:
        with Image.open(picture) as image:
            assert image.size == (1280, 800)
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            # A blank or unrendered frame has a handful of colours; text has hundreds.
            assert colours is None or len(colours) > 50, picture.name
    with (
        Image.open(tmp_path / "en-01-attract.png") as en,
        Image.open(tmp_path / "es-01-attract.png") as es,
    ):
        assert ImageChops.difference(en.convert("RGB"), es.convert("RGB")).getbbox() is not None
    assert "first frame" in result.stderr

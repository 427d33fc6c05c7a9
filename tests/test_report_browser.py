# The HTML report in a real browser: Debian's Chromium renders it headless and takes a
# screenshot, which must be a non-blank PNG of the window size. Runs only where
# /usr/bin/chromium exists (.ci/run installs it).
from __future__ import annotations

import io
import os
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest

from conftest import FIXTURES
from edi_hit.report import write_report
from edi_hit.x835 import read_835

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is not installed (apt-get install chromium)")
WIDTH, HEIGHT = 1200, 1600


def screenshot(page: Path, shot: Path, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={shot}",
         f"--window-size={WIDTH},{HEIGHT}", page.as_uri()],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(profile)})


def test_report_renders_in_headless_chromium(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    paths = [FIXTURES / "scenarios" / f"{n}.835" for n in
             ("wrong_place_of_service", "same_category_same_day", "worked_example")]
    page = tmp_path / "report.html"
    with open(page, "w", encoding="utf-8") as out:
        write_report((r for p in paths for r in read_835(p)), out, generated=date(2026, 6, 1),
                     sources=[p.name for p in paths])
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    proc = screenshot(page, shot, profile)
    assert shot.exists(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    img = Image.open(io.BytesIO(data)).convert("RGB")
    raw = img.resize((120, 160)).tobytes()
    pixels = [raw[i:i + 3] for i in range(0, len(raw), 3)]
    not_white = sum(1 for p in pixels if min(p) < 235)
    assert not_white > len(pixels) * 0.05          # text, tables and the chart: not blank
    colors = img.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50
    # the chart's bar colours are on the page (paid green, denied red)
    rgb = {c for _, c in colors}
    assert (0x1f, 0x6f, 0x4a) in rgb and (0xb3, 0x26, 0x1e) in rgb

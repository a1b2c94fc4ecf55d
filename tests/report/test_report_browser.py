"""End to end: a generated report opened in headless Chromium renders every section and figure
with no console errors. Skipped only when Chromium is absent."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.report import build_report
from neurovariety.report.build import SECTIONS

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
]


def _chromium(page: Path, tmp: Path, *args: str) -> tuple[str, list[str]]:
    """(stdout, console lines) of headless Chromium on ``page`` with a fresh profile."""
    profile = tmp / f"chromium-profile-{len(list(tmp.glob('chromium-profile-*')))}"
    assert CHROMIUM is not None
    proc = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    return proc.stdout, console


def _rendered(dom: str) -> tuple[int, int]:
    m = re.search(r'data-rendered="(\d+)/(\d+)"', dom)
    assert m, "the page's load handler did not run"
    return int(m.group(1)), int(m.group(2))


def test_the_checks_catch_a_broken_page(tmp_path: Path) -> None:
    # negative control: a broken image and a script error must be seen by the same checks
    from neurovariety.report.html import CHECK_SCRIPT

    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA">'
        f"<script>{CHECK_SCRIPT}</script><script>missingFunction();</script></body></html>"
    )
    dom, console = _chromium(bad, tmp_path, "--dump-dom")
    assert _rendered(dom) == (0, 1)
    assert any("missingFunction" in ln for ln in console)


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    r = build_report(parse_architecture("mlp 2-1-1 x^2"), tmp_path / "report", budget=10)
    page = Path(r.path)
    html = page.read_text()
    n_images = html.count("<img ")
    assert n_images == len(r.figures) >= 2
    dom, console = _chromium(page, tmp_path, "--dump-dom")
    assert console == []
    for s in SECTIONS:
        assert f'data-section="{s}"' in dom, s
    assert _rendered(dom) == (n_images, n_images)
    assert f"{n_images} of {n_images} figures rendered" in dom

    shot = tmp_path / "report.png"
    _, console = _chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,3000")
    assert console == []
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] == 3000 and pixels.shape[1] == 1280
    assert float(np.std(pixels[..., :3])) > 0.05  # not a blank page

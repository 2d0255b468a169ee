"""Screenshots for the README, made from a scan of the demo recordings (``make screenshots``).

- ``docs/img/summary.png``: the terminal summary, recorded by rich (as SVG) and rendered to PNG
  by headless Chromium;
- ``docs/img/report.png``: the top of the HTML report, as Chromium lays it out.

Usage: python docs/screenshots.py REPORT_DIR [IMG_DIR]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console

from streamcheck.report.parquet import read_results
from streamcheck.report.summary import render_summary

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests/browser.py
from tests.browser import browser

WIDTH = 1480
REPORT_HEIGHT = 1150  # the summary and the first sections: what a reader sees first


def main(report_dir: Path, img_dir: Path) -> None:
    img_dir.mkdir(parents=True, exist_ok=True)
    console = Console(
        record=True, width=175, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    render_summary(console, read_results(report_dir))
    svg = img_dir / "summary.svg"
    svg.write_text(console.export_svg(title="streamcheck scan demo-recordings"))
    html = report_dir / "report.html"
    with browser() as b:
        page = b.new_page(viewport={"width": WIDTH, "height": 600}, device_scale_factor=1)
        page.goto(svg.resolve().as_uri())
        page.locator("svg").first.screenshot(path=str(img_dir / "summary.png"))
        page.set_viewport_size({"width": WIDTH, "height": REPORT_HEIGHT})
        page.goto(html.resolve().as_uri())
        page.screenshot(path=str(img_dir / "report.png"))
    svg.unlink()
    for name in ("summary.png", "report.png"):
        print(img_dir / name)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "docs/img"))

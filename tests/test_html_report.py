"""The HTML report, as a real browser lays it out (headless Debian Chromium via Playwright).

The page is checked for what a person sees: the summary, a section per file in worst-first
order, timeline marks where defects.parquet puts the findings, plots drawn, thumbnails decoded,
closed sections closed, and no request leaving the file.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from streamcheck.model import Severity, Status
from streamcheck.report.html import OPEN_WORST, PLOT_POINTS, write_html
from streamcheck.report.parquet import read_results, write_reports
from tests.browser import browser, chromium_path
from tests.cli import run

if chromium_path() is None:
    if os.environ.get("STREAMCHECK_REQUIRE_BROWSER"):
        pytest.fail("chromium is required here (apt-get install chromium)", pytrace=False)
    pytest.skip("chromium not installed (apt-get install chromium)", allow_module_level=True)


# each test takes a few seconds; a browser that stops answering fails the test, not the run
pytestmark = pytest.mark.timeout(120)

ODD_NAME = 'it\'s <b>not & "media".mp4'  # must show as text, not as markup


@pytest.fixture(scope="module")
def scanned(media_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("html_in")
    for name in ("h264_aac_mp4.mp4", "neg_cuts_loud_pcm.mov", "letterbox_mp4.mp4"):
        shutil.copy(media_dir / name, src)
    (src / ODD_NAME).write_text("not a video\n")
    out = tmp_path_factory.mktemp("html_out")
    r = run("scan", str(src), "-o", str(out), "--html", "-q")
    assert r.returncode == 3, r.stderr  # one file could not be analysed
    assert (out / "report.html").is_file()
    return out


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture
def page_of(chromium):
    """Opens pages for one test and closes them after it (fewer live renderers at a time)."""
    pages = []

    def open_page(path: Path):
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.goto(path.as_uri())
        page.requests = requests
        pages.append(page)
        return page

    yield open_page
    for p in pages:
        p.close()


def _box(locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, "not laid out"
    return box


def test_summary_and_worst_first_sections(scanned: Path, page_of):
    page = page_of(scanned / "report.html")
    files = pq.read_table(scanned / "files.parquet").to_pylist()
    assert page.locator(".card[data-card='files'] b").inner_text() == str(len(files))
    assert page.locator(".card[data-card='files']").is_visible()
    order = page.locator("details.file").evaluate_all("els => els.map(e => e.dataset.path)")
    assert sorted(order) == sorted(f["path"] for f in files)
    by_path = {f["path"]: f for f in files}
    # the file that could not be analysed first, then by worst severity, clean ones last
    assert by_path[order[0]]["status"] == "error"
    ranks = [
        Severity(by_path[p]["worst_severity"]).rank if by_path[p]["worst_severity"] else 0
        for p in order[1:]
    ]
    assert ranks == sorted(ranks, reverse=True) and ranks[-1] == 0
    broken = page.locator("details.file").first
    assert broken.locator("summary .name").inner_text() == ODD_NAME
    assert broken.locator("summary b").count() == 0  # the name's <b> stayed text
    assert broken.locator(".reason").is_visible()
    assert broken.locator(".reason").inner_text() == by_path[order[0]]["error"]
    # nothing but the file itself and its inline data was asked for
    assert page.requests and all(u.startswith(("file:", "data:")) for u in page.requests)


def test_timeline_marks_sit_where_the_findings_are(scanned: Path, page_of):
    page = page_of(scanned / "report.html")
    rows = [
        x
        for x in pq.read_table(scanned / "defects.parquet").to_pylist()
        if x["path"].endswith("h264_aac_mp4.mp4")
    ]
    duration = next(
        f["duration_s"]
        for f in pq.read_table(scanned / "files.parquet").to_pylist()
        if f["path"] == rows[0]["path"]
    )
    section = page.locator(f"details.file[data-path='{rows[0]['path']}']")
    track = _box(section.locator("summary svg.timeline .track"))
    assert track["width"] > 300  # a real bar, not a sliver
    for row in rows:
        mark = _box(
            section.locator(f"summary svg.timeline .mark[data-detector='{row['detector']}']")
        )
        left = (mark["x"] - track["x"]) / track["width"]
        width = mark["width"] / track["width"]
        assert left == pytest.approx(row["start_s"] / duration, abs=0.004), row["detector"]
        assert width == pytest.approx(max(row["duration_s"] / duration, 0.002), abs=0.004)
    colour = section.locator("summary .mark[data-detector='black']").evaluate(
        "e => getComputedStyle(e).fill"
    )
    assert colour == "rgb(214, 39, 40)"  # black is an error: red


def test_open_section_shows_plots_and_loaded_thumbnails(scanned: Path, page_of):
    page = page_of(scanned / "report.html")
    rows = pq.read_table(scanned / "defects.parquet").to_pylist()
    path = next(x["path"] for x in rows if x["path"].endswith("h264_aac_mp4.mp4"))
    section = page.locator(f"details.file[data-path='{path}']")
    assert section.evaluate("e => e.open")
    plots = section.locator(".plot")
    assert plots.evaluate_all("els => els.map(e => e.dataset.metric)") == [
        "luma_mean",
        "motion",
        "momentary_lufs",
    ]
    for i in range(3):
        chart = _box(plots.nth(i).locator("svg.chart"))
        lines = [_box(p) for p in plots.nth(i).locator("polyline").all()]
        # the line runs from the middle of the first second to the middle of the last one
        left = min(b["x"] for b in lines) - chart["x"]
        right = chart["x"] + chart["width"] - max(b["x"] + b["width"] for b in lines)
        assert chart["width"] > 600 and chart["height"] >= 40
        assert left == pytest.approx(0.05 * chart["width"], abs=3)
        assert right == pytest.approx(0.05 * chart["width"], abs=3)
    images = section.locator("table.findings img")
    wanted = sum(
        bool(x["thumbnail"]) + bool(x["thumbnail_middle"]) for x in rows if x["path"] == path
    )
    assert wanted >= 2 and images.count() == wanted
    for i in range(wanted):
        img = images.nth(i)
        assert img.is_visible()
        assert img.evaluate("e => e.complete && e.naturalWidth") == 160  # decoded JPEG
    assert section.locator("tr.finding[data-detector='black']").is_visible()


def test_clean_sections_start_closed_and_open_on_click(scanned: Path, page_of):
    page = page_of(scanned / "report.html")
    section = page.locator("details.file").last
    assert "neg_cuts_loud_pcm" in section.get_attribute("data-path")
    assert not section.evaluate("e => e.open")
    assert section.locator("summary svg.timeline").is_visible()
    assert not section.locator(".plot").first.is_visible()
    section.locator("summary").click()
    assert section.evaluate("e => e.open")
    assert section.locator(".plot").first.is_visible()


def test_a_thousand_files_stay_readable(scanned: Path, page_of, tmp_path: Path):
    """1000 files: one small page, only the worst few sections opened, worst first."""
    base = read_results(scanned)
    metrics = pq.read_table(scanned / "metrics.parquet").to_pylist()
    for r in base:
        mine = [m for m in metrics if m["path"] == r.path]
        r.metrics = {k: [m[k] for m in mine] for k in (mine[0] if mine else {}) if k != "path"}
    results = []
    for i in range(1000):
        r = base[i % len(base)]
        info = dataclasses.replace(r.info, path=f"/archive/{i:04d}/{Path(r.path).name}")
        results.append(dataclasses.replace(r, info=info))
    write_reports(results, tmp_path, {"version": "test"})
    html = write_html(tmp_path)
    assert html.stat().st_size < 4_000_000
    page = page_of(html)
    sections = page.locator("details.file")
    assert sections.count() == 1000
    opened = sections.evaluate_all("els => els.filter(e => e.open).length")
    assert opened == OPEN_WORST
    failed = sum(r.status is not Status.OK for r in results)
    classes = sections.evaluate_all("els => els.map(e => e.className)")
    assert all("failed" in c for c in classes[:failed])
    assert "worst-none" in classes[-1]
    assert _box(sections.nth(999).locator("summary svg.timeline"))["width"] > 300


def test_long_metrics_are_merged_to_a_bounded_number_of_points():
    import numpy as np

    from streamcheck.report.html import _downsample, chart_svg

    t = np.arange(36_000, dtype=float)  # ten hours of seconds
    v = np.sin(t / 600)
    v[5000:5100] = np.nan
    ts, vs = _downsample(t, v, "max")
    assert len(ts) == PLOT_POINTS and np.nanmax(vs) == pytest.approx(1.0, abs=1e-3)
    svg = chart_svg(ts, vs, 36_000.0, -1.0, 1.0, [])
    assert svg.count(",") <= PLOT_POINTS + 4
    v[: len(v) // 2] = np.nan  # a first half without values stays a gap when averaged
    ts, vs = _downsample(t, v, "mean")
    assert np.isnan(vs[: PLOT_POINTS // 2]).all() and not np.isnan(vs[PLOT_POINTS // 2 :]).any()


def test_a_run_of_only_broken_files_still_gets_a_page(tmp_path: Path, page_of):
    src = tmp_path / "in"
    src.mkdir()
    (src / "empty.mkv").write_bytes(b"")
    out = tmp_path / "out"
    r = run("scan", str(src), "-o", str(out), "-q")
    assert r.returncode == 3
    r = run("report", str(out), "--html")
    assert r.returncode == 0 and "report.html" in r.stderr
    page = page_of(out / "report.html")
    assert page.locator("details.file .reason").is_visible()  # the one section is opened
    assert "empty" in page.locator("details.file .reason").inner_text()

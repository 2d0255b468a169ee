"""Configuration files and profiles, and the machine outputs (JSON lines, JUnit XML)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from streamcheck.config import PROFILES, load_config
from streamcheck.errors import ParameterError
from tests.cli import run


@pytest.fixture()
def two(media_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(media_dir / "h264_aac_mp4.mp4", d)
    shutil.copy(media_dir / "neg_cuts_loud_pcm.mov", d)
    return d


def test_jsonl_and_junit(two: Path, tmp_path: Path):
    out, junit = tmp_path / "rep", tmp_path / "junit.xml"
    r = run("scan", str(two), "-o", str(out), "--format", "jsonl", "--junit", str(junit))
    assert r.returncode == 1
    records = [json.loads(line) for line in r.stdout.splitlines()]
    lines = [x for x in records if x["type"] == "finding"]
    assert [x["type"] for x in records].count("file") == 2
    assert len(lines) == pq.read_table(out / "defects.parquet").num_rows == 4
    assert {x["detector"] for x in lines} == {"black", "freeze", "silence", "clipping"}
    assert "Total:" in r.stderr  # the summary went to stderr
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    failing = [c for c in suite if c.find("failure") is not None]
    assert failing[0].get("name").endswith("h264_aac_mp4.mp4")
    assert "black error" in failing[0].find("failure").text
    run("scan", str(two), "-o", str(out), "--junit", str(junit), "--fail-on", "never")
    assert ET.parse(junit).getroot().get("failures") == "0"


def test_profiles(two: Path, tmp_path: Path):
    r = run(
        "scan",
        str(two),
        "-o",
        str(tmp_path / "rep"),
        "--profile",
        "broadcast-ebu",
        "--format",
        "jsonl",
    )
    records = [json.loads(line) for line in r.stdout.splitlines()]
    detectors = {x["detector"] for x in records if x["type"] == "finding"}
    assert "loudness" in detectors  # both files are far louder than −23 LUFS
    r = run("scan", str(two), "--profile", "loud")
    assert r.returncode == 2 and "broadcast-ebu" in r.stderr
    r = run("detectors", "--profile", "atsc")
    assert r.returncode == 0 and "atsc" in r.stdout
    archive = load_config(profile="archive")
    assert archive.params_for("black").severity == "info"
    assert set(PROFILES) >= {"default", "broadcast-ebu", "atsc", "streaming", "archive"}


def test_config_file_and_its_errors(two: Path, tmp_path: Path):
    cfg = tmp_path / "qc.toml"
    cfg.write_text('profile = "default"\n[black]\nmin_duration_s = 3\n')
    r = run(
        "scan", str(two), "-o", str(tmp_path / "rep"), "--config", str(cfg), "--format", "jsonl"
    )
    records = [json.loads(line) for line in r.stdout.splitlines()]
    detectors = [x["detector"] for x in records if x["type"] == "finding"]
    assert "black" not in detectors and "freeze" in detectors  # 2.4 s of black < 3 s
    (tmp_path / "streamcheck.toml").write_text('detectors = ["silence"]\n')
    r = run("scan", str(two), "-o", str(tmp_path / "rep2"), "--format", "jsonl", cwd=tmp_path)
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert {x["detector"] for x in records if x["type"] == "finding"} == {"silence"}
    cfg.write_text("[black]\nmin_duration = 3\n")
    r = run("scan", str(two), "--config", str(cfg))
    assert r.returncode == 2 and "black.min_duration" in r.stderr and "min_duration_s" in r.stderr
    cfg.write_text("[black\n")
    r = run("scan", str(two), "--config", str(cfg))
    assert r.returncode == 2 and "not valid TOML" in r.stderr
    with pytest.raises(ParameterError, match="expected a"):
        cfg.write_text("black = 3\n")
        load_config(cfg)


def test_report_rerenders_an_earlier_run_with_timelines(two: Path, tmp_path: Path):
    out = tmp_path / "rep"
    first = run("scan", str(two), "-o", str(out))
    again = run("report", str(out))
    assert again.returncode == 0
    for name in ("h264_aac_mp4.mp4", "neg_cuts_loud_pcm.mov", "00:00:02.000", "black"):
        assert name in again.stdout
    # the same table as the scan printed (the run's own time line aside)
    assert again.stdout.split("Total:")[0] == first.stdout.split("Total:")[0]
    assert "█" in again.stdout and "─" in again.stdout
    missing = run("report", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no streamcheck report" in missing.stderr


def test_timeline_places_findings():
    from streamcheck.model import Event, FileInfo, FileResult, Severity
    from streamcheck.report.summary import timeline

    r = FileResult(
        info=FileInfo(path="x", duration_s=10.0),
        events=[
            Event("black", Severity.ERROR, 0.0, 2.5, "b"),
            Event("silence", Severity.WARNING, 5.0, 6.0, "s"),
            Event("loudness", Severity.ERROR, 0.0, 10.0, "file-level: not drawn"),
        ],
    )
    bar = timeline(r, width=10).plain
    assert bar == "███──▅────"


@pytest.mark.parametrize("columns", [60, 80, 100, 200])
def test_summary_fits_the_console_and_keeps_times_whole(columns: int):
    """CI logs and cron mail are 80 columns: the timeline shrinks or goes, times stay whole."""
    import io

    from rich.console import Console

    from streamcheck.model import Event, FileInfo, FileResult, Severity
    from streamcheck.report.summary import TIMELINE_WIDTH, render_summary

    long_name = "/recordings/2026-11-23/studio_b/evening_news_take_03.mxf"
    results = [
        FileResult(
            info=FileInfo(path=long_name, duration_s=3725.5),
            events=[Event("black", Severity.ERROR, 10.0, 12.0, "b")],
        ),
        FileResult(info=FileInfo(path="/recordings/x.mp4", duration_s=5.0)),
    ]
    out = io.StringIO()
    render_summary(Console(file=out, width=columns, color_system=None), results)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= columns
    table = "\n".join(lines[: lines.index(next(x for x in lines if x.startswith("└")))])
    assert "01:02:05.500" in table and "00:00:05.000" in table
    bar_cells = max(line.count("─") for line in lines if "│" in line)
    if columns >= 200:
        assert "timeline" in table and bar_cells == TIMELINE_WIDTH
    if columns <= 80:
        assert "timeline" not in table and "worst" in table


def test_expected_events_are_kept_and_never_fail(two: Path, tmp_path: Path):
    out = tmp_path / "rep"
    cfg = tmp_path / "qc.toml"
    cfg.write_text(
        '[[expected]]\ndetector = "black"\nstart_s = 2\nend_s = 4.4\npath = "h264_*"\n'
        'note = "planned black"\n'
        '[[expected]]\ndetector = "freeze"\nstart_s = 6\nend_s = 8.6\n'
    )
    # the sidecar declares the rest: silence and clipping
    (two / "h264_aac_mp4.streamcheck.toml").write_text("[[expected]]\nstart_s = 1.5\nend_s = 7.6\n")
    r = run(
        "scan",
        str(two),
        "-o",
        str(out),
        "--config",
        str(cfg),
        "--format",
        "jsonl",
        "--fail-on",
        "info",
    )
    assert r.returncode == 0, r.stderr  # every finding is expected: nothing fails
    rows = pq.read_table(out / "defects.parquet").to_pylist()
    assert len(rows) == 4 and all(x["expected"] for x in rows)
    black = next(x for x in rows if x["detector"] == "black")
    assert "(expected: planned black)" in black["detail"]
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert all(x["expected"] for x in records if x["type"] == "finding")
    files = {Path(x["path"]).name: x for x in pq.read_table(out / "files.parquet").to_pylist()}
    assert files["h264_aac_mp4.mp4"]["worst_severity"] is None
    cfg.write_text('[[expected]]\ndetector = "blak"\nstart_s = 0\nend_s = 1\n')
    bad = run("scan", str(two), "--config", str(cfg))
    assert bad.returncode == 2 and "blak" in bad.stderr


def test_thumbnails_show_the_first_picture_of_video_findings(two: Path, tmp_path: Path):
    import av
    import cv2
    import numpy as np

    out = tmp_path / "rep"
    run("scan", str(two), "-o", str(out), "--thumbnails")
    rows = pq.read_table(out / "defects.parquet").to_pylist()
    video = [x for x in rows if x["frame_start"] is not None]
    assert {x["detector"] for x in video} == {"black", "freeze"}
    assert all(x["thumbnail"] is None for x in rows if x["frame_start"] is None)
    pictures = {}
    for x in video:
        img = cv2.imread(str(out / x["thumbnail"]), cv2.IMREAD_GRAYSCALE)
        assert img is not None and img.shape == (120, 160)
        pictures[x["detector"]] = img
    assert pictures["black"].mean() < 30  # the black stretch's first picture is black
    # the freeze's first picture is frame 150: the thumbnail is that picture, not another one
    with av.open(str(two / "h264_aac_mp4.mp4")) as c:
        frames = {
            i: f.to_ndarray(format="gray")
            for i, f in enumerate(c.decode(video=0))
            if i in (100, 150, 220)
        }

    def distance(i: int) -> float:
        ref = cv2.resize(frames[i], (160, 120), interpolation=cv2.INTER_AREA).astype(int)
        return float(np.abs(ref - pictures["freeze"].astype(int)).mean())

    assert distance(150) < 0.5 * min(distance(100), distance(220))
    plain = tmp_path / "plain"
    run("scan", str(two), "-o", str(plain))
    assert not (plain / "thumbs").exists()
    assert all(x["thumbnail"] is None for x in pq.read_table(plain / "defects.parquet").to_pylist())


def test_long_findings_get_a_middle_picture_from_the_same_pass(media_dir: Path, tmp_path: Path):
    """The letterbox of letterbox_mp4 lasts the whole file while the picture moves: its
    middle thumbnail must be the picture at 5 s, not its first one."""
    import av
    import cv2
    import numpy as np

    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(media_dir / "letterbox_mp4.mp4", d)
    out = tmp_path / "rep"
    run("scan", str(d), "-o", str(out), "--thumbnails")
    box = next(
        x
        for x in pq.read_table(out / "defects.parquet").to_pylist()
        if x["detector"] == "letterbox"
    )
    assert box["duration_s"] > 9
    first = cv2.imread(str(out / box["thumbnail"]), cv2.IMREAD_GRAYSCALE)
    middle = cv2.imread(str(out / box["thumbnail_middle"]), cv2.IMREAD_GRAYSCALE)
    mid_t = (box["start_s"] + box["end_s"]) / 2
    with av.open(str(d / "letterbox_mp4.mp4")) as c:
        frames = [(f.time, f.to_ndarray(format="gray")) for f in c.decode(video=0)]
    h, w = first.shape

    def distance(img, t: float) -> float:
        ref = min(frames, key=lambda f: abs(f[0] - t))[1]
        ref = cv2.resize(ref, (w, h), interpolation=cv2.INTER_AREA).astype(int)
        return float(np.abs(ref - img.astype(int)).mean())

    # the decoded picture the middle thumbnail looks most like sits within 1/16 of the run of
    # its middle (the subsample the thumbnail is made from differs from a resize of the full
    # picture on fine texture, so the test looks for the best match, not an exact one)
    best_t = min(frames, key=lambda f: distance(middle, f[0]))[0]
    assert abs(best_t - mid_t) <= box["duration_s"] / 16
    assert min(frames, key=lambda f: distance(first, f[0]))[0] <= box["start_s"] + 0.1


def test_middle_picture_of_a_closed_run_is_kept_after_the_ring_forgets_it():
    """A 30 s run closes long after its middle left the 10 s ring; the sampler kept it."""
    import numpy as np

    from streamcheck.model import Event, Severity, VideoFrame
    from streamcheck.thumbs import ThumbnailKeeper

    class Detector:  # what the keeper reads of a detector: where its open run started
        open_start_s: float | None = None

    keeper = ThumbnailKeeper("x.mp4")
    det = Detector()
    for i in range(60 * 25):  # 60 s at 25 fps; every picture is a flat grey of its own level
        t = i / 25
        det.open_start_s = 10.0 if 10.0 <= t < 40.0 else None
        level = np.full((90, 160), i % 250, np.uint8)
        frame = VideoFrame(i, t, 0.04, level, level, 1, 16, 235, 255)
        keeper.update(frame, [det])
    ev = Event("freeze", Severity.WARNING, 10.0, 40.0, "", frame_start=250, frame_end=1000)
    (out,), images = keeper.attach([ev])
    assert out.thumbnail and out.thumbnail_middle and len(images) == 2
    import cv2

    def level_of(name: str) -> float:
        return float(cv2.imdecode(np.frombuffer(images[name], np.uint8), 0).mean())

    assert abs(level_of(out.thumbnail) - 250 % 250) <= 1  # frame 250, the first
    middle_index = int(out.thumbnail_middle.rsplit("_", 1)[1].split(".")[0])
    assert abs(middle_index / 25 - 25.0) <= 30 / 16  # within 1/16 of the run of 25 s
    assert abs(level_of(out.thumbnail_middle) - middle_index % 250) <= 1

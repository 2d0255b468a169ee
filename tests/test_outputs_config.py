"""Configuration files and profiles, and the machine outputs (JSON lines, JUnit XML)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from streamcheck.config import PROFILES, load_config
from streamcheck.errors import ParameterError


def run(*args: str, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "streamcheck", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "250"},
    )


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
    lines = [json.loads(line) for line in r.stdout.splitlines()]
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
    detectors = {json.loads(line)["detector"] for line in r.stdout.splitlines()}
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
    detectors = [json.loads(line)["detector"] for line in r.stdout.splitlines()]
    assert "black" not in detectors and "freeze" in detectors  # 2.4 s of black < 3 s
    (tmp_path / "streamcheck.toml").write_text('detectors = ["silence"]\n')
    r = run("scan", str(two), "-o", str(tmp_path / "rep2"), "--format", "jsonl", cwd=tmp_path)
    assert {json.loads(line)["detector"] for line in r.stdout.splitlines()} == {"silence"}
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
    assert all(json.loads(line)["expected"] for line in r.stdout.splitlines())
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

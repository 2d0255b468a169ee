"""The command line, run as a user runs it (a subprocess): exit codes, outputs, stdin."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from streamcheck.report import schema
from streamcheck.report.parquet import read_run_meta
from tests.cli import run


@pytest.fixture()
def clean_dir(media_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "clean"
    d.mkdir()
    for name in ("neg_dark_quietspeech.mp4", "neg_cuts_loud_pcm.mov"):
        shutil.copy(media_dir / name, d / name)
    return d


@pytest.fixture()
def defect_file(media_dir: Path) -> Path:
    return media_dir / "h264_aac_mp4.mp4"


def test_version_names_pyav_and_ffmpeg():
    r = run("--version")
    assert r.returncode == 0
    assert "streamcheck" in r.stdout and "PyAV" in r.stdout and "FFmpeg" in r.stdout


def test_detectors_lists_every_parameter_with_default():
    from streamcheck.detectors import REGISTRY

    r = run("detectors")
    assert r.returncode == 0
    for name in REGISTRY:
        assert name in r.stdout
    assert "min_duration_s" in r.stdout and "picture_black_ratio" in r.stdout
    assert "0.98" in r.stdout and "-60" in r.stdout


def test_exit_0_on_clean_files_and_reports_written(clean_dir: Path, tmp_path: Path):
    out = tmp_path / "rep"
    r = run("scan", str(clean_dir), "--out", str(out), "--jobs", "2")
    assert r.returncode == 0, r.stderr
    files = pq.read_table(out / "files.parquet")
    assert files.schema.remove_metadata() == schema.FILES
    assert files.num_rows == 2
    assert set(files.column("status").to_pylist()) == {"ok"}
    defects = pq.read_table(out / "defects.parquet")
    assert defects.num_rows == 0 and defects.schema.remove_metadata() == schema.DEFECTS
    metrics = pq.read_table(out / "metrics.parquet")
    assert metrics.schema.remove_metadata() == schema.METRICS
    assert metrics.num_rows >= 20  # two 10 s files, one row per second
    meta = read_run_meta(out / "files.parquet")
    assert meta["version"] and meta["ffmpeg_version"] and meta["run_id"]
    assert '"black"' in meta["config"] and meta["started_at"] <= meta["finished_at"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left over


def test_exit_1_on_findings_and_fail_on(defect_file: Path, tmp_path: Path):
    out = tmp_path / "rep"
    r = run("scan", str(defect_file), "--out", str(out))
    assert r.returncode == 1, r.stderr
    defects = pq.read_table(out / "defects.parquet").to_pylist()
    assert {d["detector"] for d in defects} == {"black", "freeze", "silence", "clipping"}
    assert all(d["path"] == str(defect_file) for d in defects)
    # findings listed with jump-to times
    assert "00:00:02.000" in r.stdout and "black" in r.stdout
    # only warnings left (silence, clipping) -> exit 0 with the default --fail-on error
    r = run("scan", str(defect_file), "-o", str(out), "--detectors", "silence,clipping")
    assert r.returncode == 0, r.stderr
    r = run(
        "scan", str(defect_file), "-o", str(out), "--detectors", "silence", "--fail-on", "warning"
    )
    assert r.returncode == 1
    r = run("scan", str(defect_file), "-o", str(out), "--fail-on", "never")
    assert r.returncode == 0


def test_exit_3_when_a_file_cannot_be_analysed(clean_dir: Path, defect_file: Path, tmp_path: Path):
    (clean_dir / "notes.mp4").write_text("this is not a video\n")
    (clean_dir / "empty.mkv").write_bytes(b"")
    shutil.copy(defect_file, clean_dir / "defects.mp4")
    out = tmp_path / "rep"
    r = run("scan", str(clean_dir), "-o", str(out))
    assert r.returncode == 3, r.stderr  # takes precedence over the findings' exit 1
    assert "Traceback" not in r.stderr + r.stdout
    rows = {Path(x["path"]).name: x for x in pq.read_table(out / "files.parquet").to_pylist()}
    assert set(rows) == {
        "notes.mp4",
        "empty.mkv",
        "defects.mp4",
        "neg_dark_quietspeech.mp4",
        "neg_cuts_loud_pcm.mov",
    }
    assert (
        rows["notes.mp4"]["status"] == "error" and "not a media file" in rows["notes.mp4"]["error"]
    )
    assert rows["empty.mkv"]["status"] == "error" and "empty" in rows["empty.mkv"]["error"]
    assert rows["defects.mp4"]["status"] == "ok" and rows["defects.mp4"]["defects"] == 4
    assert rows["defects.mp4"]["worst_severity"] == "error"


def test_exit_2_usage_errors(tmp_path: Path, clean_dir: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("scan", str(empty), "-o", str(tmp_path / "rep"))
    assert r.returncode == 2 and "no media files found" in r.stderr
    r = run("scan", str(tmp_path / "missing.mp4"))
    assert r.returncode == 2 and "missing.mp4" in r.stderr
    r = run("scan", str(clean_dir), "--detectors", "black,nonsense")
    assert r.returncode == 2 and "nonsense" in r.stderr and "freeze" in r.stderr
    r = run("scan", str(clean_dir), "--set", "black.min_duration=3")
    assert r.returncode == 2 and "min_duration_s" in r.stderr
    r = run("scan", str(clean_dir), "--set", "black.min_duration_s=abc")
    assert r.returncode == 2 and "float" in r.stderr
    r = run("scan", str(clean_dir), "--fail-on", "sometimes")
    assert r.returncode == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = run("scan", str(clean_dir), "-o", str(blocker / "rep"))
    assert r.returncode == 2 and "not writable" in r.stderr
    assert "Traceback" not in r.stderr


def test_paths_from_stdin(clean_dir: Path, tmp_path: Path):
    paths = "\n".join(str(p) for p in sorted(clean_dir.iterdir())) + "\n"
    out = tmp_path / "rep"
    r = run("scan", "-", "-o", str(out), stdin=paths)
    assert r.returncode == 0, r.stderr
    assert pq.read_table(out / "files.parquet").num_rows == 2


def test_quiet_prints_nothing_on_success(clean_dir: Path, tmp_path: Path):
    r = run("scan", str(clean_dir), "-o", str(tmp_path / "rep"), "-q")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""


def test_interrupt_writes_finished_files_and_exits_130(media_dir: Path, tmp_path: Path):
    files = sorted(p for p in media_dir.iterdir() if p.suffix != ".json")
    out = tmp_path / "rep"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamcheck",
            "scan",
            *map(str, files),
            "-o",
            str(out),
            "--jobs",
            "1",
            "-v",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first finished file's log line
    assert first.startswith("[1/")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "not done" in stderr
    done = pq.read_table(out / "files.parquet").num_rows
    assert 1 <= done < len(files)

"""Every file gets a verdict: crashes, hangs, memory, bad names, vanishing files, interrupted
and resumed runs, and fuzzed input. Workers are real processes, killed for real."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from streamcheck.config import Config
from streamcheck.report.store import PARTS_DIR
from streamcheck.runner import scan_files
from streamcheck.testmedia.fuzz import make_variants
from tests.cli import run

CLEAN = ("h264_aac_mp4.mp4", "pcm_wav.wav", "neg_cuts_loud_pcm.mov", "hevc_opus_mkv.mkv")


def rows(out: Path, name: str = "files") -> list[dict]:
    return pq.read_table(out / f"{name}.parquet").to_pylist()


def by_name(out: Path) -> dict[str, dict]:
    return {Path(r["path"]).name: r for r in rows(out)}


def findings(out: Path, name: str) -> list[tuple]:
    return [
        (d["detector"], round(d["start_s"], 6), round(d["end_s"], 6))
        for d in rows(out, "defects")
        if Path(d["path"]).name == name
    ]


@pytest.fixture()
def folder(media_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for name in CLEAN:
        shutil.copy(media_dir / name, d / name)
    return d


@pytest.fixture()
def clean_run(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / "clean-report"
    assert run("scan", str(folder), "-o", str(out), "--fail-on", "never").returncode == 0
    return out


def test_a_killed_worker_costs_only_its_file(folder: Path, clean_run: Path, tmp_path: Path):
    out = tmp_path / "rep"
    r = run(
        "scan",
        str(folder),
        "-o",
        str(out),
        "-j",
        "2",
        env={"STREAMCHECK_TEST_CRASH_ON": "pcm_wav.wav"},
    )
    assert r.returncode == 3 and "Traceback" not in r.stderr
    got = by_name(out)
    assert set(got) == set(CLEAN)
    assert got["pcm_wav.wav"]["status"] == "crashed"
    assert "SIGKILL" in got["pcm_wav.wav"]["error"]
    for name in CLEAN:
        if name != "pcm_wav.wav":
            assert got[name]["status"] == "ok"
            assert findings(out, name) == findings(clean_run, name)


def test_a_hanging_file_times_out(folder: Path, tmp_path: Path):
    out = tmp_path / "rep"
    r = run(
        "scan",
        str(folder),
        "-o",
        str(out),
        "-j",
        "2",
        "--file-timeout",
        "4",
        env={"STREAMCHECK_TEST_HANG_ON": "neg_cuts_loud_pcm.mov"},
    )
    assert r.returncode == 3
    got = by_name(out)
    assert got["neg_cuts_loud_pcm.mov"]["status"] == "timeout"
    assert "time limit" in got["neg_cuts_loud_pcm.mov"]["error"]
    assert all(got[n]["status"] == "ok" for n in CLEAN if n != "neg_cuts_loud_pcm.mov")


def test_memory_limit_gives_an_error_row(folder: Path, tmp_path: Path):
    out = tmp_path / "rep"
    r = run(
        "scan",
        str(folder),
        "-o",
        str(out),
        "--max-memory",
        "2G",
        env={"STREAMCHECK_TEST_HOG_ON": "h264_aac_mp4.mp4"},
    )
    assert r.returncode == 3
    got = by_name(out)
    assert got["h264_aac_mp4.mp4"]["status"] == "error"
    assert "out of memory" in got["h264_aac_mp4.mp4"]["error"]
    assert all(got[n]["status"] == "ok" for n in CLEAN if n != "h264_aac_mp4.mp4")
    bad = run("scan", str(folder), "-o", str(out), "--max-memory", "lots")
    assert bad.returncode == 2 and "--max-memory" in bad.stderr


def test_odd_names_duplicates_and_a_vanishing_file(media_dir: Path, tmp_path: Path):
    d = tmp_path / "odd"
    d.mkdir()
    names = ["with space.mp4", "ünïcødé ✓.mp4", "new\nline.mp4"]
    for n in names:
        shutil.copy(media_dir / "neg_cuts_loud_pcm.mov", d / n)
    out = tmp_path / "rep"
    r = run("scan", str(d), str(d / names[0]), str(d / names[0]), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(Path(x["path"]).name for x in rows(out)) == sorted(names)
    gone = d / "gone.mp4"
    shutil.copy(media_dir / "neg_cuts_loud_pcm.mov", gone)
    files = sorted(str(p) for p in d.iterdir())
    gone.unlink()  # disappears between discovery and analysis
    results = {Path(x.path).name: x for x in scan_files(files, Config(), jobs=2)}
    assert results["gone.mp4"].status.value == "error"
    assert "not found" in results["gone.mp4"].error


def test_still_image_and_no_stream(tmp_path: Path):
    import cv2
    import numpy as np

    img = tmp_path / "photo.png"
    cv2.imwrite(str(img), np.zeros((32, 32, 3), np.uint8))
    shutil.move(img, tmp_path / "photo.mp4")
    out = tmp_path / "rep"
    r = run("scan", str(tmp_path / "photo.mp4"), "-o", str(out))
    assert r.returncode == 3
    (row,) = rows(out)
    assert row["status"] == "error" and "still image" in row["error"]


def test_incremental_skips_unchanged_and_redoes_changed(folder: Path, tmp_path: Path):
    out = tmp_path / "rep"
    assert run("scan", str(folder), "-o", str(out), "--fail-on", "never").returncode == 0
    first = by_name(out)
    r = run("scan", str(folder), "-o", str(out), "--incremental", "-v", "--fail-on", "never")
    assert r.returncode == 0 and "[1/" not in r.stderr  # nothing analysed again
    assert f"{len(CLEAN)} unchanged" in r.stderr
    assert by_name(out) == first  # rows kept as they were
    os.utime(folder / "pcm_wav.wav")  # changed
    (folder / "hevc_opus_mkv.mkv").unlink()  # gone: dropped from the report
    r = run("scan", str(folder), "-o", str(out), "--incremental", "-v", "--fail-on", "never")
    assert r.stderr.count("[1/1] ok: ") == 1 and "pcm_wav.wav" in r.stderr
    now = by_name(out)
    assert set(now) == set(CLEAN) - {"hevc_opus_mkv.mkv"}
    assert now["h264_aac_mp4.mp4"] == first["h264_aac_mp4.mp4"]
    assert findings(out, "h264_aac_mp4.mp4")  # its defect rows were kept too
    # another configuration: everything again
    r = run(
        "scan",
        str(folder),
        "-o",
        str(out),
        "--incremental",
        "-v",
        "--fail-on",
        "never",
        "--set",
        "black.min_duration_s=1",
    )
    assert r.stderr.count(" ok: ") == 3


def test_a_killed_run_resumes_where_it_stopped(folder: Path, tmp_path: Path):
    out = tmp_path / "rep"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamcheck", "scan", str(folder), "-o", str(out), "-j", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "STREAMCHECK_TEST_HANG_ON": "pcm_wav.wav"},  # sorts last
    )
    parts = out / PARTS_DIR
    deadline = time.time() + 120
    while time.time() < deadline:
        if len(list(parts.glob("*.files.parquet"))) >= 1:
            done = sum(pq.read_table(p).num_rows for p in parts.glob("*.files.parquet"))
            if done == len(CLEAN) - 1:
                break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9 the whole run, workers included
    proc.wait()
    assert not (out / "files.parquet").exists()
    r = run("scan", str(folder), "-o", str(out), "--incremental", "-v", "--fail-on", "never")
    assert r.returncode == 0, r.stderr
    assert "[1/1] ok: " in r.stderr and "pcm_wav.wav" in r.stderr  # only the unfinished one
    assert set(by_name(out)) == set(CLEAN)
    assert not parts.exists()


def test_fuzzed_files_each_get_a_verdict(
    media_dir: Path, folder: Path, clean_run: Path, tmp_path: Path
):
    sources = [
        media_dir / n
        for n in (
            "h264_aac_mp4.mp4",
            "hevc_opus_mkv.mkv",
            "mpeg2_aac_ts.ts",
            "pcm_wav.wav",
            "vp9_opus_webm.webm",
        )
    ]
    variants = make_variants(sources, folder, 36, seed=7)
    out = tmp_path / "rep"
    r = run("scan", str(folder), "-o", str(out), "-j", "2", "--file-timeout", "60")
    assert r.returncode in (1, 3), r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    got = by_name(out)
    assert len(got) == len(CLEAN) + len(variants)
    for row in got.values():
        assert row["status"] in ("ok", "error", "timeout", "crashed")
        assert (row["status"] == "ok") == (row["error"] is None), row
        if row["error"]:
            assert "\n" not in row["error"] and len(row["error"]) < 400
    for name in CLEAN:  # the good files' results are the same as in a clean run
        assert got[name]["status"] == "ok"
        assert findings(out, name) == findings(clean_run, name)

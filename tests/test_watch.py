"""A hot folder (issue 21 §1): ``streamcheck watch DIR --out OUT`` run as a real child
process while files appear, grow slowly, are replaced and deleted, and SIGTERM arrives in
the middle of a file. Settle times are short here (1 s) to keep the tests quick."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import streamcheck
from tests.cli import run
from tests.smallmedia import BLACK, SILENCE, clip

SETTLE = "1"


class Watcher:
    """``streamcheck watch`` in a child process, its stderr (the log) in a file."""

    def __init__(self, folder: Path, out: Path, *args: str) -> None:
        self.out = out
        self.log_path = out.parent / f"{out.name}.log"
        self.log_file = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamcheck", "watch", str(folder), "--out", str(out),
             "--settle", SETTLE, "-j", "2", *args],
            stdout=subprocess.DEVNULL,
            stderr=self.log_file,
            env={**os.environ, "COLUMNS": "250"},
        )  # fmt: skip

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def rows(self) -> dict[str, dict]:
        """files.parquet rows by file name ({} before the first report)."""
        try:
            files = streamcheck.read_report(self.out).files.to_pylist()
        except (FileNotFoundError, OSError):
            return {}
        return {Path(r["path"]).name: r for r in files}

    def wait_for(self, what: Callable[[], object], timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if what():
                return
            assert self.proc.poll() is None, f"watch ended early:\n{self.log}"
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting; log:\n{self.log}")

    def stop(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.log_file.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(*args: str, folder: Path | None = None) -> Watcher:
        w = Watcher(folder or tmp_path / "in", tmp_path / f"out{len(started)}", *args)
        started.append(w)
        return w

    yield start
    for w in started:
        w.kill()


def old(path: Path) -> Path:
    """Give ``path`` an mtime an hour ago: complete at first sight."""
    t = time.time() - 3600
    os.utime(path, (t, t))
    return path


def test_files_appearing_growing_replaced_and_deleted(tmp_path, watcher):
    src = tmp_path / "src"
    folder = tmp_path / "in"
    old(clip(folder, "a", BLACK))
    w = watcher()
    w.wait_for(lambda: "a.mp4" in w.rows())
    assert w.rows()["a.mp4"]["defects"] == 1

    # appears: copied in one go (a hidden temporary renamed into place, as rsync does)
    b = clip(src, "b", SILENCE)
    shutil.copy(b, folder / ".b.mp4.tmp")
    os.replace(folder / ".b.mp4.tmp", folder / "b.mp4")
    w.wait_for(lambda: "b.mp4" in w.rows())
    assert w.rows()["b.mp4"]["worst_severity"] == "warning"

    # grows slowly: 12 writes 0.25 s apart (3 s), never 1 s unchanged → analysed once, whole
    data = clip(src, "g", duration_s=6).read_bytes()
    with (folder / "g.mp4").open("wb") as f:
        for i in range(12):
            f.write(data[i * len(data) // 12 : (i + 1) * len(data) // 12])
            f.flush()
            time.sleep(0.25)
            assert "g.mp4" not in w.rows(), "analysed before it settled"
    assert "g.mp4" not in w.log
    w.wait_for(lambda: "g.mp4" in w.rows() and "ok: " + str(folder / "g.mp4") in w.log)
    g = w.rows()["g.mp4"]
    assert g["status"] == "ok" and g["size_bytes"] == len(data)
    assert g["duration_s"] == pytest.approx(6.0, abs=0.1)
    assert w.log.count("analysing: ") == 3 and w.log.count("/g.mp4") == 2  # analysing, ok

    # replaced: a's black is gone in the new version
    clip(src, "a", seed=3)
    os.replace(src / "a.mp4", folder / "a.mp4")
    w.wait_for(lambda: w.rows()["a.mp4"]["defects"] == 0)
    report = streamcheck.read_report(w.out)
    assert not [p for p in report.defects.column("path").to_pylist() if p.endswith("a.mp4")]

    # deleted: leaves the reports
    (folder / "b.mp4").unlink()
    w.wait_for(lambda: "b.mp4" not in w.rows() and "removed from the reports (deleted)" in w.log)
    assert set(w.rows()) == {"a.mp4", "g.mp4"}

    assert w.stop() == 0
    assert "stopped: 4 file(s) analysed, 1 removed" in w.log
    assert not (w.out / ".streamcheck.lock").exists()


def test_sigterm_in_the_middle_of_a_file_hands_it_back(tmp_path, watcher):
    folder = tmp_path / "in"
    old(clip(folder, "short", SILENCE))
    w = watcher()
    w.wait_for(lambda: "short.mp4" in w.rows())
    long = clip(tmp_path / "src", "long", duration_s=40)
    os.replace(long, folder / "long.mp4")
    w.wait_for(lambda: "analysing: " + str(folder / "long.mp4") in w.log)
    t0 = time.monotonic()
    assert w.stop() == 0
    assert time.monotonic() - t0 < 20  # the worker is stopped, not waited for (40 s of media)
    assert "1 in progress handed back" in w.log
    assert set(w.rows()) == {"short.mp4"}  # the reports of the finished file are intact
    assert not (w.out / ".streamcheck.lock").exists()
    # the next start (here a cron run) analyses the file handed back, and only it
    again = run("watch", str(folder), "--out", str(w.out), "--once", "--settle", SETTLE)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("analysing: ") == 1 and "long.mp4" in again.stderr
    assert set(w.rows()) == {"short.mp4", "long.mp4"}


def test_once_analyses_complete_files_and_leaves_changing_ones(tmp_path):
    folder = tmp_path / "in"
    old(clip(folder, "a", BLACK))
    old(clip(folder / "sub", "w", SILENCE, container="wav"))
    clip(folder, "fresh")  # written just now: not settled for 10 minutes
    out = tmp_path / "out"
    prom = tmp_path / "qc.prom"
    args = ("watch", str(folder), "--out", str(out), "--once", "--settle", "600")
    r = run(*args, "--prometheus", str(prom))
    assert r.returncode == 1, r.stderr  # a's black is an error
    rows = {Path(x["path"]).name for x in streamcheck.read_report(out).files.to_pylist()}
    assert rows == {"a.mp4", "w.wav"}
    assert "1 file(s) still changing, left for the next run" in r.stderr
    assert 'streamcheck_files{status="ok"} 2.0' in prom.read_text()
    # the next run: nothing new is complete, nothing analysed again → exit 0
    again = run(*args)
    assert again.returncode == 0 and "analysing" not in again.stderr, again.stderr
    old(folder / "fresh.mp4")
    last = run(*args, "-q")
    assert last.returncode == 0 and last.stderr == "", last.stderr
    rows = {Path(x["path"]).name for x in streamcheck.read_report(out).files.to_pylist()}
    assert rows == {"a.mp4", "w.wav", "fresh.mp4"}


def test_a_marker_file_says_when_a_file_is_complete(tmp_path):
    folder = tmp_path / "in"
    old(clip(folder, "a"))
    old(clip(folder, "b"))
    (folder / "b.mp4.done").touch()
    out = tmp_path / "out"
    r = run("watch", str(folder), "--out", str(out), "--once", "--marker", ".done")
    assert r.returncode == 0, r.stderr
    assert [Path(x["path"]).name for x in streamcheck.read_report(out).files.to_pylist()] == [
        "b.mp4"
    ]
    (folder / "a.done").touch()  # NAME.done works as well as NAME.EXT.done
    run("watch", str(folder), "--out", str(out), "--once", "--marker", ".done", "--fast")
    report = streamcheck.read_report(out)
    assert report.files.num_rows == 2
    assert report.meta["fast"] == "true" and "blockiness" in report.meta["left_out"]


def test_polling_for_network_file_systems(tmp_path, watcher):
    folder = tmp_path / "in"
    folder.mkdir()
    w = watcher("--poll")
    w.wait_for(lambda: "watching" in w.log)
    clip(tmp_path / "src", "p", BLACK)
    os.replace(tmp_path / "src" / "p.mp4", folder / "p.mp4")
    w.wait_for(lambda: "p.mp4" in w.rows())
    assert w.stop() == 0


def test_watch_refuses_what_it_cannot_do(tmp_path):
    r = run("watch", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--once")
    assert r.returncode == 2 and "is not a folder" in r.stderr
    (tmp_path / "in").mkdir()
    r = run("watch", str(tmp_path / "in"), "-o", str(tmp_path / "o"), "--once", "--marker", "")
    assert r.returncode == 2 and "marker" in r.stderr


def test_reports_inside_the_watched_folder_are_not_taken_for_media(tmp_path):
    folder = tmp_path / "in"
    old(clip(folder, "a", BLACK))
    prom = folder / "qc.prom"
    w = Watcher(folder, folder / "qc", "--prometheus", str(prom), "--html")
    try:
        w.wait_for(lambda: "a.mp4" in w.rows())
        time.sleep(3)  # its own writes (reports, thumbnails, page, .prom) wake it: nothing to do
        assert w.log.count("analysing: ") == 1
        written = prom.stat().st_mtime_ns
        time.sleep(2)
        assert prom.stat().st_mtime_ns == written  # not rewritten while nothing happens
        assert set(w.rows()) == {"a.mp4"}
        assert w.stop() == 0
    finally:
        w.kill()

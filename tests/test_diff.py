"""Run-to-run comparison (issue 21 §2): ``streamcheck diff OLD NEW`` and ``scan --baseline``,
on real scans of small clips re-scanned after their defects were changed, and the matching
rules on findings made by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import streamcheck
from streamcheck.model import Event, Severity
from streamcheck.report.diff import Kind, Tolerance, match_findings, pair_files
from streamcheck.testmedia import Defect
from tests.cli import run
from tests.smallmedia import BLACK, SILENCE, clip


def ev(detector: str, start: float, end: float, **kw: object) -> Event:
    severity = kw.pop("severity", Severity.ERROR)
    return Event(detector, severity, start, end, f"{detector} {start}-{end}", **kw)  # type: ignore[arg-type]


# ---- matching rules ---------------------------------------------------------------------------


def test_findings_match_by_detector_and_overlapping_time():
    old = [ev("black", 1, 3), ev("silence", 5, 6)]
    new = [ev("black", 1.2, 3.1), ev("freeze", 5, 6)]
    kinds = {(c.kind, c.detector) for c in match_findings(old, new)}
    assert kinds == {(Kind.SAME, "black"), (Kind.RESOLVED, "silence"), (Kind.NEW, "freeze")}


def test_time_tolerance_decides_whether_nearby_spans_are_one_finding():
    old, new = [ev("black", 1, 2)], [ev("black", 2.8, 4)]
    assert {c.kind for c in match_findings(old, new, Tolerance(time_s=0.5))} == {
        Kind.NEW,
        Kind.RESOLVED,
    }
    assert [c.kind for c in match_findings(old, new, Tolerance(time_s=1.0))] == [Kind.SAME]


def test_matching_is_one_to_one_and_prefers_the_same_stream_and_channel():
    old = [ev("silence", 0, 4, stream_index=1, channel=0), ev("silence", 0, 4, stream_index=2)]
    new = [ev("silence", 0, 4, stream_index=2), ev("silence", 0, 4, stream_index=1, channel=0)]
    changes = match_findings(old, new)
    assert [c.kind for c in changes] == [Kind.SAME, Kind.SAME]
    assert all(c.old is not None and c.new is not None for c in changes)
    assert all(c.old.stream_index == c.new.stream_index for c in changes)  # type: ignore[union-attr]
    # three new against one old: one is matched, two are new
    many = match_findings(old[:1], [ev("silence", 0, 1), ev("silence", 1, 2), ev("silence", 2, 4)])
    assert sorted(c.kind.value for c in many) == ["new", "new", "same"]


def test_changed_means_another_severity_or_a_value_beyond_the_tolerance():
    loud = ev("loudness", 0, 60, value=-23.0, unit="LUFS")
    assert match_findings([loud], [ev("loudness", 0, 60, value=-23.4, unit="LUFS")])[0].kind is (
        Kind.SAME
    )
    moved = match_findings([loud], [ev("loudness", 0, 60, value=-25.0, unit="LUFS")])[0]
    assert moved.kind is Kind.CHANGED and "-23 → -25 LUFS" in moved.what()
    rel = match_findings([ev("black", 0, 3, value=3.0)], [ev("black", 0, 3.1, value=3.1)])[0]
    assert rel.kind is Kind.SAME  # within 5 %
    worse = match_findings([ev("silence", 0, 3, severity=Severity.WARNING)], [ev("silence", 0, 3)])
    assert worse[0].kind is Kind.CHANGED and worse[0].worse
    assert "severity warning → error" in worse[0].what()


def test_files_pair_by_path_then_relative_path_then_unique_name():
    old = ["/qc/a/x.mp4", "/qc/b/x.mp4", "/qc/gone.mxf"]
    new = ["/mnt/qc/a/x.mp4", "/mnt/qc/b/x.mp4", "/mnt/qc/added.mxf"]
    assert set(pair_files(old, new)) == {
        ("/qc/a/x.mp4", "/mnt/qc/a/x.mp4"),  # same path below each run's common folder
        ("/qc/b/x.mp4", "/mnt/qc/b/x.mp4"),
        ("/qc/gone.mxf", None),
        (None, "/mnt/qc/added.mxf"),
    }
    # another layout: paired by name where the name is unique in both runs
    old = ["/a/1/y.mov", "/a/1/x.mov", "/a/2/x.mov"]
    new = ["/b/2/3/y.mov", "/b/x.mov", "/b/4/x.mov"]
    pairs = set(pair_files(old, new))
    assert ("/a/1/y.mov", "/b/2/3/y.mov") in pairs
    assert (None, "/b/x.mov") in pairs and ("/a/2/x.mov", None) in pairs  # ambiguous names
    assert set(pair_files(["/x/a.mp4"], ["/x/a.mp4"])) == {("/x/a.mp4", "/x/a.mp4")}


def test_tolerance_is_checked():
    with pytest.raises(ValueError, match="time_s"):
        Tolerance(time_s=-1)


# ---- real runs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three clips scanned, their defects changed, scanned again: ``old`` and ``new`` reports.

    a: black 0.5–3.5 s, then clean (resolved); b: silence 0.5–3.5 s, then 0.5–2.8 s (value
    changed); c: clean, then black (new, an error); d: silence in both (same)."""
    root = tmp_path_factory.mktemp("diff")
    media = root / "media"
    clip(media, "a", BLACK)
    clip(media, "b", SILENCE)
    clip(media, "c")
    clip(media, "d", SILENCE, container="wav")
    first = run("scan", str(media), "--out", str(root / "old"), "-q", "-j", "2")
    assert first.returncode == 1, first.stderr
    clip(media, "a", seed=2)
    clip(media, "b", Defect("silence", 0.5, 2.8))
    clip(media, "c", BLACK)
    second = run("scan", str(media), "--out", str(root / "new"), "-q", "-j", "2")
    assert second.returncode == 1, second.stderr
    return {"root": root, "media": media, "old": root / "old", "new": root / "new"}


def test_diff_lists_new_resolved_and_changed_findings_and_fails_on_new_errors(runs):
    r = run("diff", str(runs["old"]), str(runs["new"]), env={"COLUMNS": "80"})
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    # a table of counts per file fits 80 columns: file, new, resolved, changed, same, status
    table = {ln.split()[0]: ln.split()[1:] for ln in lines if ln.startswith(" ") and ".mp4" in ln}
    assert table == {
        "a.mp4": ["0", "1", "0", "0", "ok"],
        "b.mp4": ["0", "0", "1", "0", "ok"],
        "c.mp4": ["1", "0", "0", "0", "ok"],
    }
    assert all(len(ln) <= 80 for ln in lines if not ln.startswith(("/", "  ")))
    # each file's full path is on a line of its own, its changes below it
    row = {name: lines[lines.index(str(runs["media"] / f"{name}.mp4")) + 1] for name in "abc"}
    assert row["a"].split()[:2] == ["resolved", "00:00:00.520"] and "black" in row["a"]
    assert row["b"].split()[0] == "changed" and "silence" in row["b"]
    assert "value 2.998 → 2.2" in row["b"] and row["b"].endswith(" s")
    assert row["c"].split()[0] == "new" and "black" in row["c"] and "error" in row["c"]
    assert not any("d.wav" in line for line in lines)  # unchanged: not listed by default
    assert "1 new · 1 resolved · 1 changed · 1 unchanged findings in 4 files" in r.stdout
    # only a new error fails: a warning gate still fails, a gate that never fails passes
    assert run("diff", str(runs["old"]), str(runs["new"]), "--fail-on", "never").returncode == 0
    # nothing new the other way round: c's black is resolved, a's is new again (an error)
    back = run("diff", str(runs["new"]), str(runs["old"]), "--fail-on", "error")
    assert back.returncode == 1
    same = run("diff", str(runs["new"]), str(runs["new"]))
    assert same.returncode == 0 and "no changes" in same.stdout
    with_unchanged = run("diff", str(runs["old"]), str(runs["new"]), "--unchanged")
    assert "d.wav" in with_unchanged.stdout and "same" in with_unchanged.stdout


def test_diff_as_json_lines(runs):
    r = run("diff", str(runs["old"]), str(runs["new"]), "--format", "jsonl")
    assert r.returncode == 1, r.stderr
    records = [json.loads(line) for line in r.stdout.splitlines()]
    files = {Path(x["path"]).name: x for x in records if x["type"] == "file"}
    assert set(files) == {"a.mp4", "b.mp4", "c.mp4", "d.wav"}
    assert files["a.mp4"]["resolved"] == 1 and files["c.mp4"]["new"] == 1
    assert files["d.wav"] == {**files["d.wav"], "same": 1, "new": 0, "presence": "both"}
    findings = {(Path(x["path"]).name, x["change"]): x for x in records if x["type"] == "finding"}
    assert set(findings) == {("a.mp4", "resolved"), ("b.mp4", "changed"), ("c.mp4", "new")}
    changed = findings[("b.mp4", "changed")]
    assert changed["detector"] == "silence" and changed["old_value"] == pytest.approx(3.0, abs=0.01)
    assert changed["value"] == pytest.approx(2.3, abs=0.05)
    new = findings[("c.mp4", "new")]
    assert new["severity"] == "error" and new["old_severity"] is None
    assert new["start_s"] == pytest.approx(0.5, abs=0.05)


def test_diff_time_tolerance_option(runs, tmp_path):
    media = tmp_path / "media"
    shutil.copytree(runs["media"], media)
    # c's black moves from 0.5-2.5 s to 5-7 s: 2.5 s apart
    clip(media, "c", Defect("black", 0.5, 2.5), duration_s=8)
    run("scan", str(media), "--out", str(tmp_path / "one"), "-q", "-j", "2")
    clip(media, "c", Defect("black", 5.0, 7.0), duration_s=8)
    run("scan", str(media), "--out", str(tmp_path / "two"), "-q", "-j", "2")
    tight = run("diff", str(tmp_path / "one"), str(tmp_path / "two"), "--format", "jsonl")
    kinds = {json.loads(x).get("change") for x in tight.stdout.splitlines()} - {None}
    assert kinds == {"new", "resolved"} and tight.returncode == 1
    loose = run(
        "diff", str(tmp_path / "one"), str(tmp_path / "two"), "--format", "jsonl",
        "--tolerance", "3",
    )  # fmt: skip
    kinds = {json.loads(x).get("change") for x in loose.stdout.splitlines()} - {None}
    assert kinds <= {"changed", "same"} and loose.returncode == 0


def test_diff_refuses_a_folder_without_a_report(runs, tmp_path):
    r = run("diff", str(runs["old"]), str(tmp_path))
    assert r.returncode == 2 and "no streamcheck report" in r.stderr


def test_scan_with_a_baseline_fails_only_on_what_is_not_in_it(runs, tmp_path):
    # the new clips against the old run: c's black is new → exit 1, and the summary says so
    r = run(
        "scan", str(runs["media"]), "--out", str(tmp_path / "gate"), "--baseline",
        str(runs["old"]), "-j", "2", env={"COLUMNS": "80"},
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert "Baseline" in r.stderr and "1 new finding(s) not in it" in r.stderr
    assert "only these set the exit code" in r.stderr
    assert f"new: {runs['media'] / 'c.mp4'} " in r.stderr
    # against the report of the same clips: their errors are accepted → exit 0
    ok = run(
        "scan", str(runs["media"]), "--out", str(tmp_path / "gate2"), "--baseline",
        str(runs["new"]), "-q", "-j", "2",
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    # without the baseline the same scan fails on the black in a and c
    assert run("report", str(tmp_path / "gate2")).returncode == 0
    assert (
        run("scan", str(runs["media"]), "--out", str(tmp_path / "g3"), "-q", "-j", "2").returncode
        == 1
    )
    bad = run("scan", str(runs["media"]), "--out", str(tmp_path / "g4"), "--baseline", "/nope")
    assert bad.returncode == 2 and "baseline" in bad.stderr


def test_library_compare_reports_and_run_with_a_baseline(runs, tmp_path):
    comparison = streamcheck.compare_reports(runs["old"], runs["new"])
    assert comparison.counts() == {"new": 1, "resolved": 1, "changed": 1, "same": 1}
    assert comparison.exit_code("error") == 1 and comparison.exit_code("never") == 0
    assert [Path(f.path).name for f, _ in comparison.failing("error")] == ["c.mp4"]
    outcome = streamcheck.run([str(runs["media"])], out=tmp_path / "lib", baseline=runs["new"])
    assert outcome.baseline is not None and outcome.exit_code("error") == 0
    assert outcome.baseline.counts()["new"] == 0

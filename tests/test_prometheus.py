"""Monitoring output (issue 21 §3): ``scan --prometheus FILE`` writes a node_exporter
textfile-collector file, read back here with the official client library's parser."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from streamcheck.model import Event, FileInfo, FileResult, Severity, Status
from streamcheck.report.prometheus import RunFigures, write_prometheus
from tests.cli import run
from tests.smallmedia import BLACK, SILENCE, clip


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) → value, for every sample of the file."""
    out = {}
    for family in text_string_to_metric_families(path.read_text()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_scan_writes_the_run_figures_for_the_textfile_collector(tmp_path):
    media = tmp_path / "media"
    clip(media, "a", BLACK)
    clip(media, "b", SILENCE)
    clip(media, "w", SILENCE, container="wav")
    (media / "broken.mp4").write_bytes(b"\x00" * 1000)
    prom = tmp_path / "textfile" / "streamcheck.prom"
    prom.parent.mkdir()
    before = time.time()
    r = run("scan", str(media), "--out", str(tmp_path / "out"), "--prometheus", str(prom), "-q")
    assert r.returncode == 3, r.stderr  # the broken file
    s = samples(prom)
    assert s[("streamcheck_files", (("status", "ok"),))] == 3
    assert s[("streamcheck_files", (("status", "error"),))] == 1
    assert s[("streamcheck_files", (("status", "timeout"),))] == 0
    assert s[("streamcheck_findings_total", (("detector", "black"), ("severity", "error")))] == 1
    key = ("streamcheck_findings_total", (("detector", "silence"), ("severity", "warning")))
    assert s[key] == 2
    assert s[("streamcheck_findings_total", (("detector", "black"), ("severity", "info")))] == 0
    assert s[("streamcheck_media_seconds_total", ())] == pytest.approx(12.0, abs=0.1)
    assert s[("streamcheck_cpu_seconds_total", ())] > 0
    assert s[("streamcheck_run_exit_code", ())] == 3
    assert s[("streamcheck_files_kept", ())] == 0
    assert before <= s[("streamcheck_run_end_timestamp_seconds", ())] <= time.time()
    assert 0 < s[("streamcheck_run_wall_seconds", ())] < time.time() - before
    assert [p.name for p in prom.parent.iterdir()] == ["streamcheck.prom"]  # no temporary left

    # an incremental run analyses nothing: the figures say so (kept, no findings)
    (media / "broken.mp4").unlink()
    again = run(
        "scan", str(media), "--out", str(tmp_path / "out"), "--prometheus", str(prom), "-q",
        "--incremental",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    s = samples(prom)
    assert s[("streamcheck_files_kept", ())] == 3
    assert s[("streamcheck_files", (("status", "ok"),))] == 0
    assert not any(name == "streamcheck_findings_total" for name, _ in s)
    assert s[("streamcheck_run_exit_code", ())] == 0


def test_prometheus_file_that_cannot_be_written_is_refused_before_any_work(tmp_path):
    media = tmp_path / "media"
    clip(media, "c")
    r = run("scan", str(media), "--out", str(tmp_path / "o"), "--prometheus", "/nonexistent/x.prom")
    assert r.returncode == 2 and "--prometheus" in r.stderr
    assert not (tmp_path / "o" / "files.parquet").exists()


def test_figures_count_every_file_and_leave_out_expected_findings(tmp_path):
    def result(status: Status, *events: Event) -> FileResult:
        info = FileInfo(path=str(tmp_path / f"{len(events)}.mp4"), duration_s=10.0)
        return FileResult(info=info, status=status, events=list(events), cpu_s=2.0)

    black = Event("black", Severity.ERROR, 0, 3, "black")
    bars = Event("bars_tone", Severity.INFO, 0, 10, "bars", expected=True)
    figures = RunFigures.of(
        [result(Status.OK, black, bars), result(Status.TIMEOUT)], exit_code=3, end_time=1e9
    )
    write_prometheus(tmp_path / "m.prom", figures)
    s = samples(tmp_path / "m.prom")
    assert s[("streamcheck_findings_total", (("detector", "black"), ("severity", "error")))] == 1
    assert not any(dict(labels).get("detector") == "bars_tone" for _, labels in s)
    assert s[("streamcheck_files", (("status", "timeout"),))] == 1
    assert s[("streamcheck_media_seconds_total", ())] == 10.0  # the timed-out file's not counted
    assert s[("streamcheck_cpu_seconds_total", ())] == 4.0
    assert s[("streamcheck_run_end_timestamp_seconds", ())] == 1e9
    assert s[("streamcheck_info", (("version", __import__("streamcheck").__version__),))] == 1

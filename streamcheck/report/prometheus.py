"""Monitoring output: a run's figures as a node_exporter textfile-collector file
(``scan --prometheus FILE``, ``watch --prometheus FILE``), written atomically by
``prometheus_client.write_to_textfile`` (a temporary file renamed into place), so the
collector never reads half a file.

Metrics (a scan: the files analysed by the run; a watch: every file since it started, the
counters growing as files finish)::

    streamcheck_files{status="ok"|"error"|"timeout"|"crashed"}   gauge
    streamcheck_files_kept                                        gauge (unchanged, not analysed)
    streamcheck_findings_total{detector="black",severity="error"} counter
    streamcheck_media_seconds_total                               counter
    streamcheck_cpu_seconds_total                                 counter
    streamcheck_run_wall_seconds                                  gauge
    streamcheck_run_exit_code                                     gauge
    streamcheck_run_end_timestamp_seconds                         gauge (Unix time)
    streamcheck_info{version="…"}                                 gauge, 1

Findings declared expected (``[[expected]]``) are not counted. Every status and severity is
present (0 when none), so an alert on ``streamcheck_files{status="error"} > 0`` never sees
a missing series.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .._version import __version__
from ..model import FileResult, Severity, Status


@dataclass
class RunFigures:
    """What the monitoring file says; :meth:`add` each finished file."""

    files: Counter[str] = field(default_factory=Counter)
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)
    media_s: float = 0.0
    cpu_s: float = 0.0
    kept: int = 0
    wall_s: float = 0.0
    exit_code: int | None = None
    end_time: float | None = None

    def add(self, result: FileResult) -> None:
        self.files[result.status.value] += 1
        for e in result.events:
            if not e.expected:
                self.findings[(e.detector, e.severity.value)] += 1
        if result.status is Status.OK:
            self.media_s += result.info.duration_s or 0.0
        self.cpu_s += result.cpu_s or 0.0

    @classmethod
    def of(cls, results: Iterable[FileResult], **kw: Any) -> RunFigures:
        figures = cls(**kw)
        for r in results:
            figures.add(r)
        return figures


class _Collector(Collector):
    def __init__(self, figures: RunFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        f = self.figures
        files = GaugeMetricFamily(
            "streamcheck_files", "Media files of the run by status.", labels=["status"]
        )
        for status in Status:
            files.add_metric([status.value], f.files.get(status.value, 0))
        yield files
        yield GaugeMetricFamily(
            "streamcheck_files_kept",
            "Files kept unchanged from earlier runs (--incremental), not analysed again.",
            value=f.kept,
        )
        findings = CounterMetricFamily(
            "streamcheck_findings",
            "Findings (not expected ones) by detector and severity.",
            labels=["detector", "severity"],
        )
        detectors = sorted({d for d, _ in f.findings})
        for detector in detectors:
            for severity in Severity:
                findings.add_metric(
                    [detector, severity.value], f.findings.get((detector, severity.value), 0)
                )
        yield findings
        yield CounterMetricFamily(
            "streamcheck_media_seconds",
            "Seconds of media analysed (files with status ok).",
            value=f.media_s,
        )
        yield CounterMetricFamily(
            "streamcheck_cpu_seconds", "CPU seconds the analyses took.", value=f.cpu_s
        )
        yield GaugeMetricFamily(
            "streamcheck_run_wall_seconds", "Wall-clock seconds of the run.", value=f.wall_s
        )
        if f.exit_code is not None:
            yield GaugeMetricFamily(
                "streamcheck_run_exit_code",
                "The run's exit code (0 clean, 1 findings, 3 files not analysed, 130 stopped).",
                value=f.exit_code,
            )
        yield GaugeMetricFamily(
            "streamcheck_run_end_timestamp_seconds",
            "When the run ended (a watch: when its last file finished), Unix time.",
            value=f.end_time if f.end_time is not None else time.time(),
        )
        info = GaugeMetricFamily(
            "streamcheck_info", "The streamcheck version that wrote this.", labels=["version"]
        )
        info.add_metric([__version__], 1)
        yield info


def write_prometheus(path: str | os.PathLike[str], figures: RunFigures) -> None:
    """Write ``figures`` to ``path`` in the text exposition format, atomically. OSError when
    it cannot be written."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(figures))
    write_to_textfile(os.fspath(path), registry)

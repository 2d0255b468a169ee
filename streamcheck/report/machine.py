"""Outputs for machines: JSON lines (one finding per line) and JUnit XML (a test case per
media file) for CI dashboards."""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from ..model import FileResult, Severity, Status
from .parquet import defect_row
from .summary import hms


def jsonl_lines(results: Iterable[FileResult]) -> Iterable[str]:
    """One JSON object per finding (the defects.parquet columns), files in path order."""
    for r in sorted(results, key=lambda r: r.path):
        for e in r.events:
            yield json.dumps(defect_row(r.path, e), ensure_ascii=False)


def write_junit(results: Iterable[FileResult], path: str | os.PathLike[str], fail_on: str) -> None:
    """JUnit XML: a test case per media file; it fails when the file has a finding at or above
    ``fail_on`` (or never), and errors when the file could not be analysed."""
    results = sorted(results, key=lambda r: r.path)
    limit = None if fail_on == "never" else Severity(fail_on).rank
    suite = ET.Element("testsuite", name="streamcheck", tests=str(len(results)))
    failures = errors = 0
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname="streamcheck", name=r.path, time=f"{r.wall_s:.3f}"
        )
        if r.status is not Status.OK:
            errors += 1
            ET.SubElement(case, "error", message=f"{r.status.value}: {r.error}")
            continue
        bad = [
            e for e in r.events if limit is not None and e.severity.rank >= limit and not e.expected
        ]
        if bad:
            failures += 1
            lines = [
                f"{hms(e.start_s)}-{hms(e.end_s)} {e.detector} {e.severity.value}: {e.detail}"
                for e in bad
            ]
            fail = ET.SubElement(
                case, "failure", message=f"{len(bad)} finding(s) at or above {fail_on}"
            )
            fail.text = "\n".join(lines)
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    os.close(fd)
    ET.ElementTree(suite).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)

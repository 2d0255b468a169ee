"""Outputs for machines: JSON lines (a record per media file and per finding) and JUnit XML
(a test case per media file) for CI dashboards. Names and messages from the files are made
safe for each format (valid UTF-8 for JSON, XML 1.0 characters only for JUnit)."""

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
from .text import path_text, xml_safe


def file_record(r: FileResult) -> dict[str, object]:
    """The JSON-lines record of one media file: what happened to it and what was found."""
    worst = r.worst_severity
    return {
        "type": "file",
        "path": path_text(r.path),
        "status": r.status.value,
        "error": r.error,
        "duration_s": r.info.duration_s,
        "findings": len(r.events),
        "worst_severity": worst.value if worst else None,
    }


def jsonl_lines(results: Iterable[FileResult]) -> Iterable[str]:
    """JSON lines, files in path order: one ``"type": "file"`` record per media file (every
    file, also those that could not be analysed), then one ``"type": "finding"`` record per
    finding (the defects.parquet columns)."""
    for r in sorted(results, key=lambda r: r.path):
        yield json.dumps(file_record(r), ensure_ascii=False)
        for e in r.events:
            yield json.dumps({"type": "finding", **defect_row(r.path, e)}, ensure_ascii=False)


def write_junit(results: Iterable[FileResult], path: str | os.PathLike[str], fail_on: str) -> None:
    """JUnit XML: a test case per media file; it fails when the file has a finding at or above
    ``fail_on`` (or never), and errors when the file could not be analysed."""
    results = sorted(results, key=lambda r: r.path)
    limit = None if fail_on == "never" else Severity(fail_on).rank
    suite = ET.Element("testsuite", name="streamcheck", tests=str(len(results)))
    failures = errors = 0
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="streamcheck",
            name=xml_safe(path_text(r.path)),
            time=f"{r.wall_s:.3f}",
        )
        if r.status is not Status.OK:
            errors += 1
            ET.SubElement(case, "error", message=xml_safe(f"{r.status.value}: {r.error}"))
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
            fail.text = xml_safe("\n".join(lines))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    os.close(fd)
    ET.ElementTree(suite).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)

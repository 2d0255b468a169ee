"""Two runs compared (:mod:`.diff`), for people (a rich table) and machines (JSON lines)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .diff import Change, Comparison, FileDiff, Kind
from .parquet import defect_row
from .summary import SEVERITY_STYLE, hms, middle_ellipsis
from .text import path_text, printable

FILE_WIDTH = 60  # cells of a file name in the table, at most (cut in the middle beyond)
MIN_FILE_WIDTH = 12
KIND_STYLE = {
    Kind.NEW: "bold red",
    Kind.RESOLVED: "green",
    Kind.CHANGED: "yellow",
    Kind.SAME: "dim",
}


def _severity(change: Change) -> Text:
    e = change.event
    text = Text(e.severity.value, style=SEVERITY_STYLE[e.severity])
    if change.kind is Kind.CHANGED and change.old and change.old.severity is not e.severity:
        text = Text(f"{change.old.severity.value}→", style="dim") + text
    return text


def _file_note(f: FileDiff) -> str | None:
    """What happened to the file itself, when something did."""
    if f.presence == "added":
        note = "only in the new run"
        return note + (f" (status {f.new_status})" if f.new_status != "ok" else "")
    if f.presence == "removed":
        return "only in the old run"
    if f.old_status != f.new_status:
        return f"status {f.old_status} → {f.new_status}"
    return None


def _display_names(paths: list[str]) -> dict[str, str]:
    """The path below the common folder of all (the name alone for one file)."""
    if len(paths) <= 1:
        return {p: printable(os.path.basename(p)) for p in paths}
    common = os.path.commonpath(paths)
    if common in paths:
        common = os.path.dirname(common)
    return {p: printable(os.path.relpath(p, common)) for p in paths}


def _render_table(console: Console, comparison: Comparison, unchanged: bool) -> None:
    """One row per file with something to say: its name (cut in the middle to fit, never
    broken over lines), the counts of new, resolved, changed and unchanged findings, and its
    status (``ok``, ``ok → error``, ``added``, ``removed``)."""
    shown = [
        f
        for f in comparison.files
        if _file_note(f) is not None or any(unchanged or c.kind is not Kind.SAME for c in f.changes)
    ]
    if not shown:
        return
    names = _display_names([f.path for f in comparison.files])
    counts = ("new", "resolved", "changed", "same")
    status = {
        f.path: (
            f.presence
            if f.presence != "both"
            else f.new_status
            if f.old_status == f.new_status
            else f"{f.old_status} → {f.new_status}"
        )
        or ""
        for f in shown
    }
    fixed = sum(len(c) + 3 for c in counts) + max(len("status"), *map(len, status.values())) + 4
    width = max(MIN_FILE_WIDTH, min(FILE_WIDTH, console.width - fixed - 2))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("file", no_wrap=True, overflow="ellipsis")
    for name in counts:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for f in shown:
        n = {k: f.count(Kind(k)) for k in counts}
        table.add_row(
            middle_ellipsis(names[f.path], width),
            Text(str(n["new"]), style=KIND_STYLE[Kind.NEW] if n["new"] else "dim"),
            str(n["resolved"]),
            str(n["changed"]),
            Text(str(n["same"]), style="dim"),
            Text(status[f.path], style="bold red" if f.newly_failed else ""),
        )
    console.print(table)


def render_diff(
    console: Console, comparison: Comparison, *, title: str = "changes", unchanged: bool = False
) -> None:
    """What changed, file by file: the file's full path on a line of its own (never broken,
    grep-able in a log), whether it was added, removed or is no longer analysed, then one line
    per new, resolved and changed finding (unchanged ones too with ``unchanged``): change,
    time span, detector, severity, and what changed (the finding's sentence for a new or
    resolved one); then one line of totals. Lines are not cut: a terminal wraps them."""
    console.print(Text(printable(title), style="bold"), soft_wrap=True)
    _render_table(console, comparison, unchanged)
    listed = 0
    for f in comparison.files:
        note = _file_note(f)
        shown = [c for c in f.changes if unchanged or c.kind is not Kind.SAME]
        if note is None and not shown:
            continue
        heading = Text(printable(f.path), style="bold")
        if note is not None:
            heading.append(f"  {note}", style="bold red" if f.newly_failed else "dim")
        console.print(heading, soft_wrap=True)
        for c in shown:
            e = c.event
            line = Text("  ")
            line.append(f"{c.kind.value:<9}", style=KIND_STYLE[c.kind])
            line.append(f"{hms(e.start_s)} – {hms(e.end_s)}  ")
            line.append(f"{e.detector:<18}", style="bold")
            severity = _severity(c)
            line.append_text(severity)
            line.append(" " * max(2, 9 - severity.cell_len))
            if e.channel is not None:
                line.append(f"ch{e.channel} ")
            line.append(c.what() if c.kind is Kind.CHANGED else printable(e.detail))
            console.print(line, soft_wrap=True)
        listed += 1
    if not listed:
        console.print("no changes")
    n = comparison.counts()
    files = {k: sum(1 for f in comparison.files if f.presence == k) for k in ("added", "removed")}
    tail = f" · {files['added']} file(s) added" if files["added"] else ""
    tail += f" · {files['removed']} file(s) removed" if files["removed"] else ""
    console.print(
        f"{n['new']} new · {n['resolved']} resolved · {n['changed']} changed · "
        f"{n['same']} unchanged findings in {len(comparison.files)} files{tail}",
        soft_wrap=True,
    )


def _file_record(f: FileDiff) -> dict[str, object]:
    return {
        "type": "file",
        "path": path_text(f.path),
        "old_path": path_text(f.old_path) if f.old_path is not None else None,
        "presence": f.presence,
        "old_status": f.old_status,
        "new_status": f.new_status,
        **{k.value: f.count(k) for k in Kind},
    }


def _change_record(f: FileDiff, c: Change) -> dict[str, object]:
    row = defect_row(f.path, c.event)
    row.pop("thumbnail", None)
    row.pop("thumbnail_middle", None)
    record: dict[str, object] = {"type": "finding", "change": c.kind.value, **row}
    old = c.old
    record["old_severity"] = old.severity.value if old else None
    record["old_start_s"] = old.start_s if old else None
    record["old_end_s"] = old.end_s if old else None
    record["old_value"] = old.value if old else None
    return record


def diff_lines(comparison: Comparison, *, unchanged: bool = False) -> Iterable[str]:
    """JSON lines: per file (path order) one ``"type": "file"`` record (presence, statuses,
    counts by kind of change), then one ``"type": "finding"`` record per new, resolved and
    changed finding (and unchanged ones with ``unchanged``): ``change``, the defects.parquet
    columns of the finding as it is now (as it was, for a resolved one), and its old
    severity, span and value."""
    for f in comparison.files:
        yield json.dumps(_file_record(f), ensure_ascii=False)
        for c in f.changes:
            if c.kind is Kind.SAME and not unchanged:
                continue
            yield json.dumps(_change_record(f, c), ensure_ascii=False)


MAX_LISTED = 20  # new findings listed under the baseline line of a scan


def baseline_line(comparison: Comparison, baseline: str, fail_on: str) -> Text:
    """What a scan with ``--baseline`` says under its summary: how many findings are new
    against the baseline, how many of them count for the exit code (at or above ``fail_on``)
    and were already there or resolved; then the failing ones, one line each (full path)."""
    n = comparison.counts()
    failing = comparison.failing(fail_on)
    known = n["same"] + n["changed"]
    text = Text(
        f"Baseline {printable(baseline)}: {n['new']} new finding(s) not in it, "
        f"{len(failing)} at or above --fail-on {fail_on} (only these set the exit code); "
        f"{known} already in the baseline, {n['resolved']} resolved since.",
    )
    for f, c in failing[:MAX_LISTED]:
        e = c.event
        text.append(
            f"\n  {c.kind.value}: {path_text(f.path)} {hms(e.start_s)}–{hms(e.end_s)} "
            f"{e.detector} {e.severity.value}"
        )
    if len(failing) > MAX_LISTED:
        text.append(f"\n  … and {len(failing) - MAX_LISTED} more (streamcheck diff lists all)")
    return text

"""The rich terminal summary of a run: one line per file, its findings with jump-to times,
then totals."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import Event, FileResult, Severity, Status

SEVERITY_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "bold red"}
STATUS_STYLE = {
    Status.OK: "green",
    Status.ERROR: "bold red",
    Status.TIMEOUT: "magenta",
    Status.CRASHED: "bold magenta",
}
MAX_FINDINGS_LISTED = 200
TIMELINE_WIDTH = 40  # characters of the per-file timeline bar
BAR = {Severity.INFO: "▂", Severity.WARNING: "▅", Severity.ERROR: "█"}


def has_place_in_time(e: Event) -> bool:
    """False for file-level findings (A/V offset, loudness…): a timeline has no place for
    them, they are listed instead."""
    from ..detectors import REGISTRY

    return not (e.detector in REGISTRY and REGISTRY[e.detector].kind == "file")


def timeline(result: FileResult, width: int = TIMELINE_WIDTH) -> Text:
    """A one-line bar over the file's duration: where its findings sit, by worst severity per
    cell (error █ red, warning ▅ yellow, info ▂ cyan; ─ nothing). File-level findings (A/V
    offset, loudness…) have no place in time and are left to the findings column."""
    duration = result.info.duration_s or 0.0
    cells: list[Severity | None] = [None] * width
    if duration > 0:
        for e in filter(has_place_in_time, result.events):
            first = min(width - 1, int(e.start_s / duration * width))
            last = min(width - 1, max(first, int((e.end_s - 1e-9) / duration * width)))
            for i in range(first, last + 1):
                if cells[i] is None or e.severity.rank > cells[i].rank:
                    cells[i] = e.severity
    bar = Text()
    for cell in cells:
        bar.append(BAR[cell] if cell else "─", style=SEVERITY_STYLE[cell] if cell else "dim")
    return bar


def hms(seconds: float | None) -> str:
    """``HH:MM:SS.mmm`` for a time in seconds (as players and editors show it)."""
    if seconds is None:
        return "-"
    ms = round(max(seconds, 0.0) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def display_paths(results: Sequence[FileResult]) -> dict[str, str]:
    """Paths shortened to what tells them apart (relative to their common folder)."""
    paths = [r.path for r in results]
    if len(paths) <= 1:
        return {p: os.path.basename(p) for p in paths}
    common = os.path.commonpath(paths)
    if common in paths:  # all the same file
        common = os.path.dirname(common)
    return {p: os.path.relpath(p, common) for p in paths}


def render_summary(
    console: Console, results: Sequence[FileResult], *, wall_s: float | None = None
) -> None:
    """Print the summary of ``results`` (any order; shown sorted by path)."""
    ordered = sorted(results, key=lambda r: r.path)
    names = display_paths(ordered)
    table = Table(title="streamcheck", title_justify="left", show_lines=False, expand=False)
    table.add_column("file", overflow="fold")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("findings")
    table.add_column("worst")
    table.add_column("timeline", no_wrap=True)
    for r in ordered:
        counts = Counter(e.detector for e in r.events)
        findings = ", ".join(f"{d}×{n}" for d, n in sorted(counts.items())) or "-"
        worst = r.worst_severity
        status = Text(r.status.value, style=STATUS_STYLE[r.status])
        if r.error:
            status.append(f": {r.error}", style="dim")
        table.add_row(
            names[r.path],
            status,
            hms(r.info.duration_s),
            findings,
            Text(worst.value, style=SEVERITY_STYLE[worst]) if worst else Text("-"),
            timeline(r),
        )
    console.print(table)

    listed = 0
    total_events = sum(len(r.events) for r in ordered)
    for r in ordered:
        if not r.events or listed >= MAX_FINDINGS_LISTED:
            continue
        console.print(Text(names[r.path], style="bold"))
        for e in r.events:
            if listed >= MAX_FINDINGS_LISTED:
                break
            line = Text("  ")
            line.append(f"{hms(e.start_s)} – {hms(e.end_s)}  ")
            line.append(f"{e.detector:<18}", style="bold")
            line.append(
                f"{e.severity.value:<8}", style="dim" if e.expected else SEVERITY_STYLE[e.severity]
            )
            if e.channel is not None:
                line.append(f"ch{e.channel} ")
            line.append(e.detail)
            console.print(line, soft_wrap=True)
            listed += 1
    if total_events > listed:
        console.print(f"… and {total_events - listed} more findings: see defects.parquet")

    statuses = Counter(r.status for r in ordered)
    sev = Counter(e.severity for r in ordered for e in r.events)
    media_s = sum(r.info.duration_s or 0.0 for r in ordered)
    parts = [f"{len(ordered)} files"]
    parts += [f"{n} {s.value}" for s, n in sorted(statuses.items(), key=lambda x: x[0].value)]
    parts.append(
        f"{total_events} findings ("
        + ", ".join(
            f"{sev.get(s, 0)} {s.value}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        )
        + ")"
    )
    parts.append(f"{hms(media_s)} of media")
    if wall_s is not None:
        parts.append(f"in {wall_s:.1f} s")
    console.print("Total: " + " · ".join(parts))

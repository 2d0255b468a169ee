"""The rich terminal summary of a run: one line per file, its findings with jump-to times,
then totals."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..detectors import is_file_level
from ..model import Event, FileResult, Severity, Status
from .text import printable

SEVERITY_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "bold red"}
STATUS_STYLE = {
    Status.OK: "green",
    Status.ERROR: "bold red",
    Status.TIMEOUT: "magenta",
    Status.CRASHED: "bold magenta",
}
MAX_FINDINGS_LISTED = 200
TIMELINE_WIDTH = 40  # characters of the per-file timeline bar, at most
MIN_TIMELINE_WIDTH = 12  # narrower than this it tells nothing: the column is left out
FILE_WIDTH_KEPT = 36  # characters of file name kept on one line before the timeline shrinks
MIN_FILE_WIDTH = 12  # a file name is cut (in its middle, "…") to no fewer characters than this
WRAP_KEPT = 12  # cells kept for the status and findings columns (they wrap) when room is short
# least widths of the file, status, duration, findings and worst columns: their headers
# never fold, times never do
MIN_WIDTHS = (len("file"), len("status"), len("00:00:00.000"), len("findings"), len("warning"))
BAR = {Severity.INFO: "▂", Severity.WARNING: "▅", Severity.ERROR: "█"}


def has_place_in_time(e: Event) -> bool:
    """False for file-level findings (A/V offset, loudness…: their detector's declared kind
    is ``file``): a timeline has no place for them, they are listed instead."""
    return not is_file_level(e.detector)


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
                cell = cells[i]
                if cell is None or e.severity.rank > cell.rank:
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
    """Paths shortened to what tells them apart (relative to their common folder), printable
    (control characters and undecodable bytes escaped, :func:`.text.printable`)."""
    paths = [r.path for r in results]
    if len(paths) <= 1:
        return {p: printable(os.path.basename(p)) for p in paths}
    common = os.path.commonpath(paths)
    if common in paths:  # all the same file
        common = os.path.dirname(common)
    return {p: printable(os.path.relpath(p, common)) for p in paths}


def timeline_width(console_width: int, rows: Sequence[Sequence[str]]) -> int:
    """Characters left for the timeline on a console ``console_width`` wide, once the other
    columns (``rows``: their plain text, file name first) have their natural width, the file
    name up to :data:`FILE_WIDTH_KEPT`. 0 when fewer than :data:`MIN_TIMELINE_WIDTH` remain:
    CI logs and cron mail are 80 columns, where a fixed 40-character bar used to squeeze file
    names into four characters per line."""
    widths = [max(cell_len(cell) for cell in column) for column in zip(*rows, strict=True)]
    widths[0] = min(widths[0], FILE_WIDTH_KEPT)
    for i, least in enumerate(MIN_WIDTHS):
        widths[i] = max(widths[i], least)
    columns = len(widths) + 1
    used = sum(widths) + 3 * columns + 1  # cell padding (2) and one border per column
    left = min(TIMELINE_WIDTH, console_width - used)
    return left if left >= MIN_TIMELINE_WIDTH else 0


def middle_ellipsis(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells: whole when it fits, else its start, "…"
    and its end (the end of a path, the file's own name, is worth more: two thirds of the
    room). A name cut this way is still one word, never broken over two lines."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head_room = (width - 1) // 3
    tail_room = width - 1 - head_room
    head = ""
    for ch in text:
        if cell_len(head + ch) > head_room:
            break
        head += ch
    tail = ""
    for ch in reversed(text):
        if cell_len(ch + tail) > tail_room:
            break
        tail = ch + tail
    return f"{head}…{tail}"


def column_widths(
    console_width: int, rows: Sequence[Sequence[str]], timeline: int
) -> tuple[int, int, int]:
    """Cells for the file, status and findings columns on a console ``console_width`` wide
    (``rows``: the plain text of file, status, duration, findings, worst), with a
    ``timeline`` column that wide (0: none). Names longer than their cells are cut in the
    middle (:func:`middle_ellipsis`): rich would otherwise fold them mid-word
    (``broth|er.mkv``), which breaks grep on a CI log. Status and findings wrap at their
    words: when room is short they keep up to :data:`WRAP_KEPT` cells (down to their headers' width
    on a very narrow console), the file name the rest."""
    natural = [max(cell_len(cell) for cell in column) for column in zip(*rows, strict=True)]
    name, status, duration, findings, worst = (
        max(w, least) for w, least in zip(natural, MIN_WIDTHS, strict=True)
    )
    columns = len(natural) + (1 if timeline else 0)
    room = console_width - duration - worst - timeline - (3 * columns + 1)  # padding, borders
    if name + status + findings <= room:
        return name, status, findings
    status_w, findings_w = min(status, WRAP_KEPT), min(findings, WRAP_KEPT)
    short = MIN_FILE_WIDTH - (room - status_w - findings_w)
    if short > 0:  # a narrow console: the wrapping columns give up room, down to their headers
        give = min(short, findings_w - MIN_WIDTHS[3])
        findings_w -= give
        status_w -= min(short - give, status_w - MIN_WIDTHS[1])
    name_w = max(MIN_WIDTHS[0], min(name, room - status_w - findings_w))
    spare = room - name_w - status_w - findings_w
    if spare > 0:  # a short name: the wrapping columns take what it leaves
        more = min(spare, status - status_w)
        status_w += more
        findings_w += min(spare - more, findings - findings_w)
    return name_w, status_w, findings_w


def fast_line(left_out: Sequence[str]) -> str:
    """The summary's last line after a ``--fast`` run: which detectors it left out."""
    if not left_out:
        return "Fast triage (--fast): every enabled detector ran."
    return (
        f"Fast triage (--fast): left out {', '.join(left_out)} (they need deblocked, "
        "full-resolution pictures); scan without --fast for them."
    )


def render_summary(
    console: Console,
    results: Sequence[FileResult],
    *,
    wall_s: float | None = None,
    fast_left_out: Sequence[str] | None = None,
) -> None:
    """Print the summary of ``results`` (any order; shown sorted by path). The timeline
    shrinks, then goes, on a narrow console; times keep their width and file names are never
    broken over lines (cut in the middle with "…" in the table; the findings list below it
    names each file by its full path, on one line whatever the width). ``fast_left_out``:
    the detectors a ``--fast`` run left out (None: not a fast run)."""
    ordered = sorted(results, key=lambda r: r.path)
    names = display_paths(ordered)
    rows = []
    for r in ordered:
        counts = Counter(e.detector for e in r.events)
        findings = ", ".join(f"{d}×{n}" for d, n in sorted(counts.items())) or "-"
        worst = r.worst_severity
        status = Text(r.status.value, style=STATUS_STYLE[r.status])
        if r.error:
            status.append(f": {printable(r.error)}", style="dim")
        worst_text = Text(worst.value, style=SEVERITY_STYLE[worst]) if worst else Text("-")
        rows.append((r, names[r.path], status, hms(r.info.duration_s), findings, worst_text))
    headers = ("file", "status", "duration", "findings", "worst")
    plain = [headers] + [(n, st.plain, d, f, w.plain) for _, n, st, d, f, w in rows]
    width = timeline_width(console.width, plain)
    name_width, status_width, findings_width = column_widths(console.width, plain, width)

    table = Table(title="streamcheck", title_justify="left", show_lines=False, expand=False)
    table.add_column("file", no_wrap=True, overflow="ellipsis")
    table.add_column("status", overflow="fold", max_width=status_width)
    table.add_column("duration", justify="right", no_wrap=True, min_width=MIN_WIDTHS[2])
    table.add_column("findings", overflow="fold", max_width=findings_width)
    table.add_column("worst", no_wrap=True, min_width=MIN_WIDTHS[4])
    if width:
        table.add_column("timeline", no_wrap=True)
    for r, name, status, duration, findings, worst_text in rows:
        extra = [timeline(r, width)] if width else []
        table.add_row(
            middle_ellipsis(name, name_width), status, duration, findings, worst_text, *extra
        )
    console.print(table)

    listed = 0
    total_events = sum(len(r.events) for r in ordered)
    for r in ordered:
        if not r.events or listed >= MAX_FINDINGS_LISTED:
            continue
        # the full path, on one line whatever the width (a terminal wraps it, a log keeps it)
        console.print(Text(printable(r.path), style="bold"), soft_wrap=True)
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
            line.append(printable(e.detail))
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
    if fast_left_out is not None:
        console.print(fast_line(fast_left_out), soft_wrap=True)

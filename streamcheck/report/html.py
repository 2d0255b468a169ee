"""The HTML report: one self-contained file built from a run's Parquet reports (``--html``).

Over 500 lines because the page is one streamed document whose parts share its scales and
escaping (header, per-file sections, SVG timelines, plots, thumbnails); the CSS and the
bounded-size helpers are what make it long, and splitting them would pass the same state
around.

Everything is inline: CSS, SVG timelines and plots, thumbnails as ``data:`` JPEGs. There is no
JavaScript at all; sections open and close with ``<details>``. The file is written as it is
built (one media file at a time), so a 1000-file run never holds its whole page in memory.

Layout: a summary on top (files by status, findings by severity and by detector, run facts),
then one collapsible section per media file, worst first (files that could not be analysed,
then by worst severity, then by number of findings). Its header line shows the status, the
worst severity, the findings by detector and a timeline bar over the file's duration with each
timed finding at its place, coloured by severity. Opened, it shows per-second plots of luma,
motion, momentary loudness and the A/V sync windows' offsets (from metrics.parquet) with the
findings shaded behind them, and the findings with their times and thumbnails.
"""

from __future__ import annotations

import base64
import html
import itertools
import math
import os
from collections import Counter
from pathlib import Path
from typing import TextIO

import numpy as np
import pyarrow.parquet as pq

from ..model import Event, FileResult, Severity, Status
from .parquet import FILES_FILE, METRICS_FILE, read_results, read_run_meta
from .summary import display_paths, has_place_in_time, hms

HTML_FILE = "report.html"
TIMELINE_UNITS = 1000  # SVG user units across a timeline or plot (the page scales them)
PLOT_POINTS = 400  # at most this many points per plotted series (seconds are merged above)
OPEN_ALL_UP_TO = 12  # in runs this small every section with findings is opened
OPEN_WORST = 5  # in larger runs the first (worst) sections with findings are opened
MIN_MARK = 2.0  # narrowest timeline mark (user units of 1000): one frame stays visible
MAX_FINDINGS_ROWS = 200  # findings listed per file (the rest: in defects.parquet)

SEVERITY_COLOUR = {Severity.ERROR: "#d62728", Severity.WARNING: "#e8a200", Severity.INFO: "#1f8fd6"}
STATUS_COLOUR = {
    Status.OK: "#2ca02c",
    Status.ERROR: "#d62728",
    Status.TIMEOUT: "#9467bd",
    Status.CRASHED: "#9467bd",
}
# (metrics column, label, unit, fixed range or None for 0..max, how seconds are merged)
PLOTS = (
    ("luma_mean", "luma", "0–1", (0.0, 1.0), "mean"),
    ("motion", "motion", "0–1", None, "max"),
    ("momentary_lufs", "momentary loudness", "LUFS", (-60.0, 0.0), "max"),
    # av_sync's windows (one every 5 s, drawn where measured): + is audio late
    ("sync_offset_s", "A/V sync", "s", (-0.5, 0.5), "mean"),
)

CSS = """
:root{--err:#d62728;--warn:#e8a200;--info:#1f8fd6;--ok:#2ca02c;--line:#ddd;--mute:#666}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
header{padding:16px 24px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0 0 4px}
.meta{color:var(--mute);font-size:12px}
main{padding:16px 24px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 14px;
min-width:110px}
.card b{display:block;font-size:22px}
.card span{color:var(--mute);font-size:12px}
table{border-collapse:collapse}
td,th{padding:3px 8px;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#444}
.bydet td:not(:first-child),.bydet th:not(:first-child){text-align:right}
details.file{background:#fff;border:1px solid var(--line);border-left:6px solid var(--ok);
border-radius:4px;margin:6px 0}
details.file.worst-error{border-left-color:var(--err)}
details.file.worst-warning{border-left-color:var(--warn)}
details.file.worst-info{border-left-color:var(--info)}
details.file.failed{border-left-color:#9467bd}
summary{display:grid;grid-template-columns:minmax(180px,28%) 90px 80px minmax(120px,1fr) 40%;
gap:10px;align-items:center;padding:6px 10px;cursor:pointer}
summary .name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:600}
summary .counts{color:#444;font-size:12px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.badge{justify-self:start;display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;
font-size:12px;
font-weight:600}
.sev-error{background:var(--err)}.sev-warning{background:var(--warn)}.sev-info{background:var(--info)}
.sev-none{background:#bbb}
svg.timeline{width:100%;height:14px;display:block}
.body{padding:6px 12px 12px;border-top:1px solid #eee}
.reason{color:var(--err);font-weight:600}
.facts{color:var(--mute);font-size:12px;margin-bottom:6px}
.plot{display:grid;grid-template-columns:110px 1fr;align-items:center;margin:2px 0}
.plot .label{font-size:12px;color:#444}
.plot .label small{display:block;color:var(--mute)}
svg.chart{width:100%;height:48px;display:block;background:#fcfcfc;border:1px solid #eee}
.axis{display:grid;grid-template-columns:110px 1fr;font-size:11px;color:var(--mute)}
.ticks{position:relative;height:14px}
.ticks span{position:absolute;transform:translateX(-50%)}
.ticks span:first-child{transform:none}
.ticks span:last-child:not(:first-child){transform:translateX(-100%)}
table.findings{margin-top:8px;width:100%}
table.findings td.time{white-space:nowrap;font-family:ui-monospace,monospace;font-size:12px}
table.findings img{height:72px;margin-right:4px;border:1px solid #ccc;display:inline-block}
tr.expected{color:var(--mute)}
.filelevel{font-size:12px;color:#444}
.key{margin-left:8px}
.key i{display:inline-block;width:10px;height:10px;margin-right:3px;vertical-align:-1px}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _rank(r: FileResult) -> tuple[bool, int, int, str]:
    """Sort key, worst first: not analysed, then worst severity, then most findings."""
    worst = r.worst_severity
    return (
        r.status is Status.OK,
        -(worst.rank if worst else 0),
        -sum(not e.expected for e in r.events),
        r.path,
    )


def _span(e: Event, duration: float) -> tuple[float, float]:
    """x and width in user units of a finding on a bar of TIMELINE_UNITS over ``duration``."""
    x = max(0.0, min(e.start_s, duration)) / duration * TIMELINE_UNITS
    w = max(MIN_MARK, (min(e.end_s, duration) - max(e.start_s, 0.0)) / duration * TIMELINE_UNITS)
    return min(x, TIMELINE_UNITS - MIN_MARK), w


def _visible(events: list[Event], duration: float) -> list[Event]:
    """The findings a timeline can show: where several fall on the same spot (a mark's
    width), only the worst of them; so a bar holds at most TIMELINE_UNITS / MIN_MARK marks
    whatever the file holds."""
    best: dict[int, Event] = {}
    for e in events:
        cell = int(_span(e, duration)[0] // MIN_MARK)
        kept = best.get(cell)
        if kept is None or (e.severity.rank, -e.expected) > (kept.severity.rank, -kept.expected):
            best[cell] = e
    return list(best.values())


def timeline_svg(r: FileResult) -> str:
    """The file's bar: its duration as TIMELINE_UNITS across, one rect per timed finding
    (errors drawn last, on top; one per spot where many fall together), with the finding as
    its tooltip."""
    duration = r.info.duration_s or 0.0
    parts = [
        f'<svg class="timeline" viewBox="0 0 {TIMELINE_UNITS} 10" preserveAspectRatio="none"'
        ' role="img" aria-label="timeline">',
        f'<rect class="track" x="0" y="0" width="{TIMELINE_UNITS}" height="10" fill="#e8e8e8"/>',
    ]
    if duration > 0:
        timed = _visible([e for e in r.events if has_place_in_time(e)], duration)
        for e in sorted(timed, key=lambda e: e.severity.rank):
            x, w = _span(e, duration)
            colour = "#aaa" if e.expected else SEVERITY_COLOUR[e.severity]
            tip = f"{e.detector} {e.severity.value} {hms(e.start_s)}–{hms(e.end_s)}: {e.detail}"
            parts.append(
                f'<rect class="mark" data-detector="{_esc(e.detector)}"'
                f' data-severity="{e.severity.value}" x="{x:.2f}" y="0" width="{w:.2f}"'
                f' height="10" fill="{colour}"><title>{_esc(tip)}</title></rect>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _downsample(t: np.ndarray, v: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """At most PLOT_POINTS points: consecutive seconds merged by mean or max."""
    if len(t) <= PLOT_POINTS:
        return t, v
    edges = np.linspace(0, len(t), PLOT_POINTS + 1).astype(int)[:-1]
    if how == "max":
        return t[edges], np.fmax.reduceat(v, edges)
    counts = np.add.reduceat(~np.isnan(v), edges)
    sums = np.add.reduceat(np.nan_to_num(v), edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        return t[edges], np.where(counts > 0, sums / counts, np.nan)  # no value: a gap


def chart_svg(
    t: np.ndarray,
    v: np.ndarray,
    duration: float,
    lo: float,
    hi: float,
    events: list[Event],
) -> str:
    """A per-second series as a line over the file's duration, values from ``lo`` (bottom) to
    ``hi`` (top), missing seconds left as gaps, findings shaded behind it."""
    height = 40.0
    parts = [
        f'<svg class="chart" viewBox="0 0 {TIMELINE_UNITS} {height:g}"'
        ' preserveAspectRatio="none" role="img">'
    ]
    for e in _visible(events, duration):
        x, w = _span(e, duration)
        colour = "#ccc" if e.expected else SEVERITY_COLOUR[e.severity]
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height:g}" fill="{colour}"'
            ' fill-opacity="0.18"/>'
        )
    # each value is drawn across its second: its point sits at the middle of the second
    xs = (t + 0.5) / duration * TIMELINE_UNITS
    ys = height - (np.clip(v, lo, hi) - lo) / ((hi - lo) or 1.0) * height
    ok = ~np.isnan(v)
    runs: list[str] = []
    run: list[str] = []
    for x, y, good in zip(xs, ys, ok, strict=True):
        if good:
            run.append(f"{x:.1f},{y:.1f}")
        elif run:
            runs.append(" ".join(run))
            run = []
    if run:
        runs.append(" ".join(run))
    for points in runs:
        if " " not in points:  # a lone second: a short flat line so it shows
            px, py = points.split(",")
            points = f"{float(px) - 2:.1f},{py} {float(px) + 2:.1f},{py}"
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="#333" stroke-width="1.2"'
            ' vector-effect="non-scaling-stroke"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


class _Metrics:
    """The plotted columns of metrics.parquet as arrays, sliced per file (the table is sorted
    by path, so each file's seconds are one run of rows; within it, a run per source). A few
    numbers per second of media: about 40 MB for 1000 hours."""

    AUDIO = frozenset({"momentary_lufs", "rms_dbfs", "peak_dbfs"})

    def __init__(self, out: Path) -> None:
        self._rows: dict[str, tuple[int, int]] = {}
        self._cols: dict[str, np.ndarray] = {}
        self._programme = np.zeros(0, object)
        path = out / METRICS_FILE
        if not path.is_file():
            return
        names = pq.ParquetFile(path).schema_arrow.names
        wanted = ["t_s"] + [c for c, *_ in PLOTS if c in names]
        extra = ["programme"] if "programme" in names else []
        table = pq.read_table(path, columns=["path", *extra, *wanted])
        paths = table.column("path").to_numpy(zero_copy_only=False)
        if not len(paths):
            return
        self._cols = {
            c: table.column(c).to_numpy(zero_copy_only=False).astype(np.float32) for c in wanted
        }
        if extra:
            self._programme = table.column("programme").to_numpy(zero_copy_only=False)
        else:  # a report of an older version: one row per second, video and audio together
            self._programme = np.full(len(paths), None, object)
        cuts = np.r_[0, np.flatnonzero(paths[1:] != paths[:-1]) + 1, len(paths)]
        self._rows = {paths[lo]: (lo, hi) for lo, hi in itertools.pairwise(cuts)}

    def of(self, path: str) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
        """Each plotted column of ``path``: (seconds, values); video columns from the video
        stream's rows, audio columns from the first programme's (or, in older reports, the
        shared rows)."""
        if path not in self._rows:
            return None
        lo, hi = self._rows[path]
        programme = self._programme[lo:hi]
        video = np.array([p is None for p in programme])
        named = sorted({p for p in programme if p is not None})
        audio = np.array([p == named[0] for p in programme]) if named else video
        t = self._cols["t_s"][lo:hi].astype(float)
        out = {}
        for c, v in self._cols.items():
            if c == "t_s":
                continue
            rows = audio if c in self.AUDIO else video
            out[c] = (t[rows], v[lo:hi][rows].astype(float))
        return out


def _plots(r: FileResult, metrics: dict[str, tuple[np.ndarray, np.ndarray]] | None) -> str:
    duration = r.info.duration_s or 0.0
    if not metrics or duration <= 0:
        return ""
    timed = [e for e in r.events if has_place_in_time(e)]
    rows = []
    for column, label, unit, fixed, how in PLOTS:
        if column not in metrics:
            continue
        seconds, values = metrics[column]
        if not len(values) or np.isnan(values).all():
            continue
        t, v = _downsample(seconds, values, how)
        if fixed is None:
            lo, hi = 0.0, max(float(np.nanmax(v)), 0.05)
            unit_text = f"0–{hi:.2g}"
        else:
            lo, hi = fixed
            unit_text = f"{lo:g}…{hi:g} {unit}" if unit in ("LUFS", "s") else unit
        rows.append(
            f'<div class="plot" data-metric="{column}"><div class="label">{label}'
            f"<small>{_esc(unit_text)}</small></div>"
            f"{chart_svg(t, v, duration, lo, hi, timed)}</div>"
        )
    if not rows:
        return ""
    ticks = "".join(
        f'<span style="left:{t / duration * 100:.2f}%">{_tick_label(t)}</span>'
        for t in _ticks(duration)
    )
    axis = f'<div class="axis"><div></div><div class="ticks">{ticks}</div></div>'

    return "".join(rows) + axis


TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def _ticks(duration: float, most: int = 8) -> list[float]:
    """Round times (seconds) for a time axis: the finest step giving at most ``most`` ticks
    (past 4 hours a step of 1, 2 or 5 × a power of ten hours, so even an absurd duration gets
    at most ``most`` + 1 ticks)."""
    step: float = next((s for s in TICK_STEPS_S if duration / s <= most), 0)
    if not step:
        hours = duration / 3600 / most
        power = 10 ** math.floor(math.log10(hours)) if hours > 0 else 1
        step = 3600 * next(m * power for m in (1, 2, 5, 10) if m * power >= hours)
    return [k * step for k in range(int(duration // step) + 1)]


def _tick_label(t: float) -> str:
    h, rest = divmod(int(t), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


MAX_THUMB_BYTES = 1 << 20  # our thumbnails are a few kB


def thumbnail_bytes(out: Path, rel: str) -> bytes | None:
    """The JPEG a report's ``thumbnail`` column names, or None. Only a file inside the
    report's own ``thumbs/`` folder (after resolving links and ``..``), of plausible size and
    with JPEG content, is read: the column comes from a Parquet file that anyone may have
    written, and must not be a way to embed ``/etc/passwd`` in a page."""
    folder = (out / "thumbs").resolve()
    try:
        target = (out / rel).resolve()
        if folder not in target.parents or not target.is_file():
            return None
        if target.stat().st_size > MAX_THUMB_BYTES:
            return None
        data = target.read_bytes()
    except (OSError, ValueError):
        return None
    return data if data[:3] == b"\xff\xd8\xff" else None


def _thumb(out: Path, rel: str | None, alt: str, cache: dict[str, str]) -> str:
    """An <img> of a thumbnail as a data: URL (``cache``: one file's encoded images, since
    findings that start on the same picture share it)."""
    if not rel:
        return ""
    if rel not in cache:
        data = thumbnail_bytes(out, rel)
        if data is None:
            return ""
        cache[rel] = base64.b64encode(data).decode()
    return f'<img alt="{_esc(alt)}" title="{_esc(alt)}" src="data:image/jpeg;base64,{cache[rel]}">'


def _findings_table(out: Path, r: FileResult) -> str:
    if not r.events:
        return ""
    cache: dict[str, str] = {}
    rows = [
        "<table class='findings'><tr><th>time</th><th>detector</th><th>severity</th>"
        "<th>detail</th><th>pictures</th></tr>"
    ]
    ordered = sorted(r.events, key=lambda e: (e.start_s, e.detector))
    for e in ordered[:MAX_FINDINGS_ROWS]:
        when = f"{hms(e.start_s)} – {hms(e.end_s)}"
        pictures = _thumb(out, e.thumbnail, f"{e.detector} at {hms(e.start_s)}", cache)
        if e.thumbnail_middle:
            mid = (e.start_s + e.end_s) / 2
            alt = f"{e.detector}, middle, at {hms(mid)}"
            pictures += _thumb(out, e.thumbnail_middle, alt, cache)
        channel = f"ch{e.channel} " if e.channel is not None else ""
        sev = "expected" if e.expected else e.severity.value
        rows.append(
            f"<tr class='finding{' expected' if e.expected else ''}'"
            f" data-detector='{_esc(e.detector)}'>"
            f"<td class='time'>{when}</td><td>{_esc(e.detector)}</td>"
            f"<td><span class='badge sev-{'none' if e.expected else e.severity.value}'>"
            f"{sev}</span></td><td>{_esc(channel + e.detail)}</td><td>{pictures}</td></tr>"
        )
    if len(ordered) > MAX_FINDINGS_ROWS:
        rows.append(
            f"<tr><td colspan='5'>… and {len(ordered) - MAX_FINDINGS_ROWS} more findings: see "
            "defects.parquet</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _facts(r: FileResult) -> str:
    i = r.info
    parts = []
    if i.container:
        parts.append(i.container)
    if i.video_codec:
        parts.append(f"{i.video_codec} {i.width}×{i.height} {i.fps or 0:.3g} fps")
    if i.audio_codec:
        parts.append(f"{i.audio_codec} {i.sample_rate} Hz ×{i.channels}")
    if i.integrated_lufs is not None:
        parts.append(f"{i.integrated_lufs:.1f} LUFS integrated")
    if i.true_peak_dbtp is not None:
        parts.append(f"true peak {i.true_peak_dbtp:.1f} dBTP")
    return " · ".join(_esc(p) for p in parts)


def file_section(
    out: Path,
    r: FileResult,
    name: str,
    metrics: dict[str, tuple[np.ndarray, np.ndarray]] | None,
    opened: bool,
) -> str:
    """One media file's collapsible section: header line (name, status, worst severity,
    findings by detector, timeline) and body (facts, plots, findings with thumbnails)."""
    worst = r.worst_severity
    classes = ["file", f"worst-{worst.value}" if worst else "worst-none"]
    if r.status is not Status.OK:
        classes.append("failed")
    counts = Counter(e.detector for e in r.events if not e.expected)
    expected = sum(e.expected for e in r.events)
    count_text = ", ".join(f"{d}×{n}" for d, n in sorted(counts.items())) or "no findings"
    if expected:
        count_text += f" (+{expected} expected)"
    status = (
        f"<span class='badge status' style='background:{STATUS_COLOUR[r.status]}'>"
        f"{r.status.value}</span>"
    )
    # the status badge says what happened to the file; this one what was found in it
    if worst:
        worst_badge = f"<span class='badge worst sev-{worst.value}'>worst: {worst.value}</span>"
    elif r.status is Status.OK:
        worst_badge = "<span class='badge worst sev-none'>clean</span>"
    else:  # not analysed (or only in part): nothing to call it clean
        worst_badge = "<span class='badge worst sev-none'>no findings</span>"
    body = [f"<div class='facts'>{hms(r.info.duration_s)} · {_facts(r)}</div>"]
    if r.error:
        body.append(f"<div class='reason'>{_esc(r.error)}</div>")
    untimed = [e for e in r.events if not has_place_in_time(e)]
    if untimed:
        body.append(
            "<div class='filelevel'>whole file: "
            + "; ".join(_esc(f"{e.detector} {e.severity.value}: {e.detail}") for e in untimed)
            + "</div>"
        )
    body.append(_plots(r, metrics))
    body.append(_findings_table(out, r))
    return (
        f"<details class='{' '.join(classes)}' data-path='{_esc(r.path)}'"
        f"{' open' if opened else ''}><summary>"
        f"<span class='name' title='{_esc(r.path)}'>{_esc(name)}</span>{status}{worst_badge}"
        f"<span class='counts'>{_esc(count_text)}</span>{timeline_svg(r)}</summary>"
        f"<div class='body'>{''.join(body)}</div></details>\n"
    )


def _summary(results: list[FileResult], meta: dict[str, str]) -> str:
    statuses = Counter(r.status for r in results)
    sev = Counter(e.severity for r in results for e in r.events if not e.expected)
    media_s = sum(r.info.duration_s or 0.0 for r in results)
    cards: list[tuple[str, int | str]] = [("files", len(results))]
    cards += [(s.value, statuses[s]) for s in Status if statuses.get(s)]
    cards += [(f"{s.value} findings", sev.get(s, 0)) for s in reversed(Severity)]
    cards.append(("of media", hms(media_s)[:8]))
    html_cards = "".join(
        f"<div class='card' data-card='{_esc(label)}'><b>{_esc(value)}</b>"
        f"<span>{_esc(label)}</span></div>"
        for label, value in cards
    )
    by_det: dict[str, Counter[str]] = {}
    for r in results:
        for e in r.events:
            by_det.setdefault(e.detector, Counter())[
                "expected" if e.expected else e.severity.value
            ] += 1
    cols = [s.value for s in reversed(Severity)] + ["expected"]
    det_rows = "".join(
        f"<tr><td>{_esc(d)}</td>" + "".join(f"<td>{c.get(k, 0) or ''}</td>" for k in cols) + "</tr>"
        for d, c in sorted(by_det.items(), key=lambda x: (-sum(x[1].values()), x[0]))
    )
    table = (
        "<table class='bydet'><tr><th>detector</th>"
        + "".join(f"<th>{c}</th>" for c in cols)
        + f"</tr>{det_rows}</table>"
        if det_rows
        else "<p>No findings.</p>"
    )
    facts = " · ".join(
        _esc(f"{k.replace('_', ' ')} {meta[k]}")
        for k in ("version", "started_at", "finished_at", "ffmpeg_version")
        if k in meta
    )
    return (
        f"<section class='summary'><div class='cards'>{html_cards}</div>{table}</section>"
        f"<p class='meta'>streamcheck {facts}</p>"
    )


def write_html(
    out_dir: str | os.PathLike[str], target: str | os.PathLike[str] | None = None
) -> Path:
    """Write the HTML report of the run in ``out_dir`` (its Parquet files and thumbs/) to
    ``target`` (default ``out_dir/report.html``); returns its path."""
    out = Path(out_dir)
    target = Path(target) if target is not None else out / HTML_FILE
    results = sorted(read_results(out), key=_rank)
    names = display_paths(results)
    meta = read_run_meta(out / FILES_FILE)
    metrics = _Metrics(out)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            _write_page(f, out, results, names, meta, metrics)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _write_page(
    f: TextIO,
    out: Path,
    results: list[FileResult],
    names: dict[str, str],
    meta: dict[str, str],
    metrics: _Metrics,
) -> None:
    title = f"streamcheck report — {len(results)} files"
    f.write(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_esc(title)}</h1>"
        "<div class='meta'>worst first; click a file to open its plots and findings · "
        + " ".join(
            f"<span class='key'><i style='background:{colour}'></i>{label}</span>"
            for label, colour in (
                *((s.value, SEVERITY_COLOUR[s]) for s in reversed(Severity)),
                ("expected", "#aaa"),
            )
        )
        + "</div>"
        f"</header><main>{_summary(results, meta)}<section class='files'>\n"
    )
    opened_left = len(results) if len(results) <= OPEN_ALL_UP_TO else OPEN_WORST
    for r in results:
        opened = opened_left > 0 and (r.events or r.status is not Status.OK)
        if opened:
            opened_left -= 1
        m = metrics.of(r.path)
        f.write(file_section(out, r, names[r.path], m, bool(opened)))
    f.write("</section></main></body></html>\n")

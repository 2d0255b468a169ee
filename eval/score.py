"""Scoring findings against the ground truth: matching, per-class metrics, the markdown table.

Pure functions over plain data (no media, no streamcheck import), so they are tested on their
own (``eval/test_score.py``).

Matching, per file and per class, one to one:

- timeline classes: a finding matches a truth event when they overlap, or when the gap between
  them is at most ``TOLERANCE_S`` (0.5 s); the pairs are taken greedily, best first: same
  channel, then the largest overlap, then the smallest gap. For ``silence`` the channel must
  agree (a whole-mix silence is not a single channel's). Audio findings and truths on
  different streams never match.
- file-level classes (findings spanning the whole file) match by value: ``av_offset`` within
  ±40 ms, ``av_sync`` within ±80 ms (its drift findings, in ms/min, a drift within ±10 ms/min),
  ``loudness`` within ±1 LU, ``duration_mismatch`` of the same sign and within ±0.1 s,
  ``missing_stream`` on the same stream.

Per class: precision, recall, F1, the mean |start error| and |end error| of matched timeline
events, the mean |value error| of matched file-level events, and false alarms per clean hour:
unmatched findings lying on clean material (at least 0.5 s clear of every stretch that has any
truth, each widened by 1 s; for file-level classes: in files without any truth) divided by the
hours of clean material (every file's duration minus its truth stretches widened by 1 s).

Truth events marked ``ambiguous`` (blocks a codec made, true peaks within half a dB of the
ceiling after a lossy codec) are neither positives nor negatives: a finding on one (or within
0.5 s of it) is ignored, and they do not make their stretch unclean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

TOLERANCE_S = 0.5
CLEAN_PAD_S = 1.0
FILE_LEVEL = frozenset({"av_offset", "av_sync", "duration_mismatch", "missing_stream", "loudness"})
CHANNEL_STRICT = frozenset({"silence"})
# av_sync: two frames at 25 fps (the bound on programme content); its drift findings
# (unit ms/min) match drift truth only, within DRIFT_TOL
VALUE_TOL = {"av_offset": 0.040, "av_sync": 0.080, "loudness": 1.0, "duration_mismatch": 0.1}
DRIFT_TOL = 10.0  # ms/min
MEASURED_LOUDNESS = "loudness (measured)"


@dataclass
class Event:
    """A truth event or a finding: ``detector`` over [start_s, end_s)."""

    detector: str
    start_s: float
    end_s: float
    channel: int | None = None
    stream_index: int | None = None
    value: float | None = None
    note: str = ""
    ambiguous: bool = False  # truth only: a finding here is neither right nor wrong
    unit: str | None = None

    @classmethod
    def of(cls, d: Any) -> Event:
        """From a dict (ground truth JSON) or an object with the same attributes."""
        get = d.get if isinstance(d, dict) else (lambda k, default=None: getattr(d, k, default))
        return cls(
            str(get("detector")),
            float(get("start_s")),
            float(get("end_s")),
            get("channel"),
            get("stream_index"),
            get("value"),
            str(get("note", "") or get("origin", "") or ""),
            bool(get("ambiguous", False)),
            get("unit"),
        )


@dataclass
class FileEval:
    """One file: its truth, what was found, and what the scan measured."""

    name: str
    duration_s: float
    truth: list[Event]
    found: list[Event]
    status: str = "ok"
    integrated_truth: float | None = None
    integrated_found: float | None = None
    segments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ClassScore:
    name: str
    truth: int = 0
    found: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    start_errors: list[float] = field(default_factory=list)
    end_errors: list[float] = field(default_factory=list)
    value_errors: list[float] = field(default_factory=list)
    fp_clean: int = 0
    ignored: int = 0  # findings on ambiguous truth (neither right nor wrong)
    clean_hours: float = 0.0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    summed_rate: float | None = None  # the "all classes" row: the sum of the classes' rates

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    @property
    def fa_per_clean_hour(self) -> float | None:
        if self.summed_rate is not None:
            return self.summed_rate
        return self.fp_clean / self.clean_hours if self.clean_hours > 0 else None

    def as_dict(self) -> dict[str, Any]:
        def mean(x: list[float]) -> float | None:
            return sum(x) / len(x) if x else None

        return {
            "class": self.name,
            "truth": self.truth,
            "found": self.found,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "mean_start_error_s": mean(self.start_errors),
            "mean_end_error_s": mean(self.end_errors),
            "mean_value_error": mean(self.value_errors),
            "false_alarms_clean": self.fp_clean,
            "ignored_on_ambiguous": self.ignored,
            "clean_hours": self.clean_hours,
            "false_alarms_per_clean_hour": self.fa_per_clean_hour,
            "misses": self.misses,
            "false_alarms": self.false_alarms,
        }


def overlap(a: Event, b: Event) -> float:
    return min(a.end_s, b.end_s) - max(a.start_s, b.start_s)


def _compatible(t: Event, f: Event) -> bool:
    if (
        t.stream_index is not None
        and f.stream_index is not None
        and t.stream_index != f.stream_index
    ):
        return False
    return not (t.detector in CHANNEL_STRICT and t.channel != f.channel)


def _value_ok(t: Event, f: Event) -> bool:
    if t.detector == "missing_stream":
        return True
    if t.value is None or f.value is None:
        return t.value is None
    if t.detector == "av_sync" and (t.unit == "ms/min") != (f.unit == "ms/min"):
        return False  # a drift is no offset
    tol = DRIFT_TOL if t.unit == "ms/min" else VALUE_TOL.get(t.detector)
    if tol is None:
        return True
    if t.detector == "duration_mismatch" and (t.value > 0) != (f.value > 0):
        return False
    return abs(t.value - f.value) <= tol + 1e-9


def match(
    truth: Sequence[Event], found: Sequence[Event], tolerance: float = TOLERANCE_S
) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, finding index) of one class in one file."""
    pairs = []
    for i, t in enumerate(truth):
        for j, f in enumerate(found):
            if not _compatible(t, f):
                continue
            if t.detector in FILE_LEVEL:
                if _value_ok(t, f):
                    err = abs((t.value or 0) - (f.value or 0))
                    pairs.append((0, 0.0, -err, i, j))
                continue
            ov = overlap(t, f)
            if ov > -tolerance:
                same = int(t.channel == f.channel)
                pairs.append((same, max(ov, 0.0), min(ov, 0.0), i, j))
    pairs.sort(reverse=True)
    used_t: set[int] = set()
    used_f: set[int] = set()
    out = []
    for *_, i, j in pairs:
        if i in used_t or j in used_f:
            continue
        used_t.add(i)
        used_f.add(j)
        out.append((i, j))
    return sorted(out)


def union(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def dirty_spans(f: FileEval) -> list[tuple[float, float]]:
    """The stretches of a file that carry truth (timeline classes), widened by 1 s."""
    return union(
        (max(0.0, t.start_s - CLEAN_PAD_S), min(f.duration_s, t.end_s + CLEAN_PAD_S))
        for t in f.truth
        if t.detector not in FILE_LEVEL and not t.ambiguous
    )


def clean_seconds(f: FileEval) -> float:
    if f.status != "ok":
        return 0.0
    return max(0.0, f.duration_s - sum(e - s for s, e in dirty_spans(f)))


def on_clean(f: FileEval, e: Event) -> bool:
    if e.detector in FILE_LEVEL:
        return not [t for t in f.truth if not t.ambiguous]
    return all(
        e.end_s + TOLERANCE_S <= s or e.start_s - TOLERANCE_S >= z for s, z in dirty_spans(f)
    )


def _where(f: FileEval, e: Event) -> str:
    mid = (e.start_s + e.end_s) / 2
    kinds = [
        str(s.get("kind")) for s in f.segments if float(s["start_s"]) <= mid < float(s["end_s"])
    ]
    label = f" [{', '.join(dict.fromkeys(kinds))}]" if kinds else ""
    ch = f" ch{e.channel}" if e.channel is not None else ""
    val = f" value {e.value:.3g}" if e.value is not None else ""
    return f"{f.name} {e.start_s:.2f}-{e.end_s:.2f}s{ch}{val}{label}"


def score(files: Sequence[FileEval], classes: Sequence[str]) -> dict[str, ClassScore]:
    """Per-class scores over ``files`` (truth and findings of other classes are ignored)."""
    hours = sum(clean_seconds(f) for f in files) / 3600
    out = {c: ClassScore(c, clean_hours=hours) for c in classes}
    for f in files:
        for c in classes:
            sc = out[c]
            truth = [t for t in f.truth if t.detector == c and not t.ambiguous]
            vague = [t for t in f.truth if t.detector == c and t.ambiguous]
            found = [e for e in f.found if e.detector == c]
            sc.truth += len(truth)
            sc.found += len(found)
            if f.status != "ok" and not found:
                sc.fn += len(truth)
                sc.misses += [f"{_where(f, t)} (file not analysed: {f.status})" for t in truth]
                continue
            pairs = match(truth, found)
            sc.tp += len(pairs)
            for i, j in pairs:
                t, e = truth[i], found[j]
                if c in FILE_LEVEL:
                    if t.value is not None and e.value is not None:
                        sc.value_errors.append(abs(t.value - e.value))
                else:
                    sc.start_errors.append(abs(e.start_s - t.start_s))
                    sc.end_errors.append(abs(e.end_s - t.end_s))
            mt = {i for i, _ in pairs}
            mf = {j for _, j in pairs}
            for i, t in enumerate(truth):
                if i not in mt:
                    sc.fn += 1
                    sc.misses.append(_where(f, t))
            for j, e in enumerate(found):
                if j in mf:
                    continue
                if any(overlap(t, e) > -TOLERANCE_S for t in vague):
                    sc.ignored += 1
                    sc.found -= 1
                    continue
                if j not in mf:
                    sc.fp += 1
                    clean = on_clean(f, e)
                    sc.fp_clean += int(clean)
                    sc.false_alarms.append(_where(f, e) + (" (clean)" if clean else ""))
    return out


def score_measured_loudness(files: Sequence[FileEval], tol: float = 1.0) -> ClassScore:
    """Integrated loudness as measured (no profile needed) against the truth: a hit within
    ±``tol`` LU, else a miss."""
    sc = ClassScore(MEASURED_LOUDNESS)
    for f in files:
        if f.integrated_truth is None:
            continue
        sc.truth += 1
        if f.integrated_found is None:
            sc.fn += 1
            sc.misses.append(f"{f.name}: not measured (truth {f.integrated_truth:.1f} LUFS)")
            continue
        sc.found += 1
        err = abs(f.integrated_found - f.integrated_truth)
        sc.value_errors.append(err)
        if err <= tol:
            sc.tp += 1
        else:
            sc.fn += 1
            sc.misses.append(
                f"{f.name}: {f.integrated_found:.2f} LUFS, truth {f.integrated_truth:.2f}"
            )
    return sc


def total(scores: Iterable[ClassScore], name: str = "all classes") -> ClassScore:
    """The sum over classes (micro-averaged; false alarms per clean hour: the sum of each
    class's rate)."""
    t = ClassScore(name)
    rate = 0.0
    for s in scores:
        if s.name == MEASURED_LOUDNESS:
            continue
        t.truth += s.truth
        t.found += s.found
        t.tp += s.tp
        t.fp += s.fp
        t.fn += s.fn
        t.start_errors += s.start_errors
        t.end_errors += s.end_errors
        t.fp_clean += s.fp_clean
        t.ignored += s.ignored
        t.clean_hours = max(t.clean_hours, s.clean_hours)
        if s.fa_per_clean_hour is not None:
            rate += s.fa_per_clean_hour
    t.summed_rate = rate
    return t


def _fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _ms(x: list[float]) -> str:
    return f"{1000 * sum(x) / len(x):.0f}" if x else "–"


def table(rows: Sequence[ClassScore]) -> str:
    """The markdown table of ``rows``."""
    head = (
        "| class | truth | found | TP | FP | FN | precision | recall | F1 | "
        "start err ms | end err ms | value err | FA / clean h |"
    )
    lines = [head, "|" + "---|" * 13]
    for s in rows:
        rate = s.fa_per_clean_hour
        val = _fmt(sum(s.value_errors) / len(s.value_errors), 3) if s.value_errors else "–"
        name = f"**{s.name}**" if s.name == "all classes" else s.name
        lines.append(
            f"| {name} | {s.truth} | {s.found} | {s.tp} | {s.fp} | {s.fn} | "
            f"{_fmt(s.precision)} | {_fmt(s.recall)} | {_fmt(s.f1)} | {_ms(s.start_errors)} | "
            f"{_ms(s.end_errors)} | {val} | {_fmt(rate, 1)} |"
        )
    return "\n".join(lines)

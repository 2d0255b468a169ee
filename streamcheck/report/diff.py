"""What changed between two runs: per file, the findings that are new, resolved or changed.

::

    from streamcheck.report.diff import compare_reports, Tolerance
    comparison = compare_reports("qc/before", "qc/after", Tolerance(time_s=1.0))
    for file, change in comparison.changes():
        print(change.kind, file.path, change.detector, change.what())
    comparison.exit_code("error")  # 1 when a new finding is an error

``streamcheck diff OLD NEW`` prints this; ``streamcheck scan --baseline DIR`` compares a scan
with an accepted earlier run, and its exit code then counts only what is not in the baseline.

Files are paired by path; files not paired so are paired by their path relative to their
run's common folder (the same tree scanned from another checkout or mount), then by their
name when it is unique in both runs. Findings of a pair of files are matched one to one: same
detector, and time spans that overlap or lie within ``Tolerance.time_s`` of each other;
among several candidates, those on the same stream and channel first, then the larger
overlap. A matched pair is *changed* when its severity differs or its value differs by more
than the tolerance (``value_db`` for levels in dB, LUFS or LU; ``value_rel``, a fraction, for
every other unit), else *same*. An unmatched finding of the new run is *new*; of the old run,
*resolved*. A file only in the new run has only new findings; a file only in the old run is
listed as removed, with no changes (its findings were not fixed, it is gone).
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ..exitcodes import EXIT_FAILED_FILES, EXIT_FINDINGS, EXIT_OK
from ..model import Event, FileResult, Severity, Status

LEVEL_UNITS = frozenset({"LUFS", "LU", "dB", "dBFS", "dBTP", "LKFS"})


@dataclass(frozen=True)
class Tolerance:
    """How far two findings may differ and still be the same one (``time_s``: seconds of gap
    between their spans) and still be unchanged (``value_db``: dB or LU for levels;
    ``value_rel``: a fraction of the larger value for other units)."""

    time_s: float = 0.5
    value_db: float = 0.5
    value_rel: float = 0.05

    def __post_init__(self) -> None:
        for name in ("time_s", "value_db", "value_rel"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < math.inf):
                raise ValueError(f"tolerance {name}={value!r}: expected a number, 0 or more")


class Kind(str, enum.Enum):
    NEW = "new"
    RESOLVED = "resolved"
    CHANGED = "changed"
    SAME = "same"


@dataclass(frozen=True)
class Change:
    """One finding compared: ``old`` (None when new) and ``new`` (None when resolved)."""

    kind: Kind
    old: Event | None
    new: Event | None

    @property
    def event(self) -> Event:
        """The finding as it is now (as it was, for a resolved one)."""
        event = self.new or self.old
        assert event is not None
        return event

    @property
    def detector(self) -> str:
        return self.event.detector

    @property
    def worse(self) -> bool:
        """A changed finding whose severity rose."""
        return (
            self.kind is Kind.CHANGED
            and self.old is not None
            and self.new is not None
            and self.new.severity.rank > self.old.severity.rank
        )

    def what(self) -> str:
        """What changed, in a few words (``severity warning → error``, ``value -23.0 → -25.4
        LUFS``); empty for a finding that did not change."""
        if self.old is None or self.new is None:
            return ""
        parts = []
        if self.old.severity is not self.new.severity:
            parts.append(f"severity {self.old.severity.value} → {self.new.severity.value}")
        if self.old.value != self.new.value:
            unit = f" {self.new.unit}" if self.new.unit else ""
            parts.append(f"value {_num(self.old.value)} → {_num(self.new.value)}{unit}")
        return ", ".join(parts)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


@dataclass
class FileDiff:
    """A file of either run and what changed in it. ``path`` is its path in the new run (in
    the old one when it is not in the new); a status is None where the file is absent."""

    path: str
    old_path: str | None
    new_path: str | None
    old_status: str | None
    new_status: str | None
    changes: list[Change] = field(default_factory=list)

    @property
    def presence(self) -> str:
        """``both``, ``added`` (only in the new run) or ``removed`` (only in the old run)."""
        if self.old_path is None:
            return "added"
        return "removed" if self.new_path is None else "both"

    @property
    def newly_failed(self) -> bool:
        """Not analysed in the new run (status other than ok) and analysed, or absent, in
        the old one."""
        return (
            self.new_status is not None
            and self.new_status != Status.OK.value
            and self.old_status in (None, Status.OK.value)
        )

    def count(self, kind: Kind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)


@dataclass
class Comparison:
    """Two runs compared, file by file (sorted by path)."""

    files: list[FileDiff]
    tolerance: Tolerance = field(default_factory=Tolerance)

    def changes(self, *kinds: Kind) -> Iterator[tuple[FileDiff, Change]]:
        """Every (file, change) of these kinds (all but ``same`` when none is named)."""
        wanted = set(kinds) or {Kind.NEW, Kind.RESOLVED, Kind.CHANGED}
        for f in self.files:
            for c in f.changes:
                if c.kind in wanted:
                    yield f, c

    def counts(self) -> dict[str, int]:
        """Findings by kind of change (``new``, ``resolved``, ``changed``, ``same``)."""
        return {k.value: sum(f.count(k) for f in self.files) for k in Kind}

    def failing(self, fail_on: str = "error") -> list[tuple[FileDiff, Change]]:
        """What fails a gate at ``fail_on``: new findings, and changed ones whose severity
        rose, at or above it and not expected (none for ``never``)."""
        if fail_on == "never":
            return []
        limit = Severity(fail_on).rank
        return [
            (f, c)
            for f, c in self.changes(Kind.NEW, Kind.CHANGED)
            if (c.kind is Kind.NEW or c.worse)
            and c.new is not None
            and c.new.severity.rank >= limit
            and not c.new.expected
        ]

    def exit_code(self, fail_on: str = "error") -> int:
        """3 when a file of the new run could not be analysed and was analysed (or absent)
        in the old one; else 1 when :meth:`failing` is not empty; else 0."""
        if any(f.newly_failed for f in self.files):
            return EXIT_FAILED_FILES
        return EXIT_FINDINGS if self.failing(fail_on) else EXIT_OK


# ---- matching --------------------------------------------------------------------------------


def _values_differ(a: Event, b: Event, tolerance: Tolerance) -> bool:
    x, y = a.value, b.value
    if x is None or y is None:
        return (x is None) != (y is None)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) != math.isnan(y)
    if x == y:  # equal infinities included
        return False
    if a.unit in LEVEL_UNITS or b.unit in LEVEL_UNITS:
        return not abs(x - y) <= tolerance.value_db
    return not abs(x - y) <= tolerance.value_rel * max(abs(x), abs(y))


def match_findings(
    old: Sequence[Event], new: Sequence[Event], tolerance: Tolerance | None = None
) -> list[Change]:
    """The findings of one file in two runs, matched one to one (module docstring): every
    finding of both appears in exactly one change. Sorted by time."""
    tolerance = tolerance or Tolerance()
    candidates = []
    for i, o in enumerate(old):
        for j, n in enumerate(new):
            if o.detector != n.detector:
                continue
            overlap = min(o.end_s, n.end_s) - max(o.start_s, n.start_s)
            if overlap < -tolerance.time_s:
                continue
            place = (o.stream_index == n.stream_index) + (o.channel == n.channel)
            candidates.append((-place, -overlap, abs(o.start_s - n.start_s), i, j))
    candidates.sort()
    old_used: set[int] = set()
    new_used: set[int] = set()
    changes = []
    for *_, i, j in candidates:
        if i in old_used or j in new_used:
            continue
        old_used.add(i)
        new_used.add(j)
        o, n = old[i], new[j]
        differ = o.severity is not n.severity or _values_differ(o, n, tolerance)
        changes.append(Change(Kind.CHANGED if differ else Kind.SAME, o, n))
    changes += [Change(Kind.RESOLVED, o, None) for i, o in enumerate(old) if i not in old_used]
    changes += [Change(Kind.NEW, None, n) for j, n in enumerate(new) if j not in new_used]
    changes.sort(key=lambda c: (c.event.start_s, c.event.end_s, c.detector))
    return changes


def _common_folder(paths: Sequence[str]) -> str:
    common = os.path.commonpath(paths)
    return os.path.dirname(common) if common in paths else common


def pair_files(old: Sequence[str], new: Sequence[str]) -> list[tuple[str | None, str | None]]:
    """Paths of two runs paired (module docstring); a path of one run without a partner is
    paired with None. Every path appears once."""
    pairs: list[tuple[str | None, str | None]] = []
    old_set, new_set = set(old), set(new)
    pairs += [(p, p) for p in old if p in new_set]
    rest_old = [p for p in old if p not in new_set]
    rest_new = [p for p in new if p not in old_set]
    root_old = _common_folder(old) if old else ""
    root_new = _common_folder(new) if new else ""
    for key in (
        lambda p, root: os.path.relpath(p, root),
        lambda p, root: os.path.basename(p),
    ):
        if not rest_old or not rest_new:
            break
        keys_old: dict[str, list[str]] = {}
        keys_new: dict[str, list[str]] = {}
        for p in rest_old:
            keys_old.setdefault(key(p, root_old), []).append(p)
        for p in rest_new:
            keys_new.setdefault(key(p, root_new), []).append(p)
        for k, olds in keys_old.items():
            news = keys_new.get(k, [])
            if len(olds) == 1 and len(news) == 1:  # unique on both sides
                pairs.append((olds[0], news[0]))
        paired_old = {o for o, _ in pairs}
        paired_new = {n for _, n in pairs}
        rest_old = [p for p in rest_old if p not in paired_old]
        rest_new = [p for p in rest_new if p not in paired_new]
    pairs += [(p, None) for p in rest_old]
    pairs += [(None, p) for p in rest_new]
    return pairs


def _file_changes(
    old: FileResult | None, new: FileResult | None, tolerance: Tolerance
) -> list[Change]:
    if new is None:
        # a file gone from the new run is listed as removed; its findings are not "resolved"
        # (nothing was fixed), so none are compared
        return []
    if old is not None and new.status is not Status.OK and old.status is Status.OK:
        # not analysed now: its findings are unknown, not resolved (the status change shows)
        return []
    return match_findings(old.events if old is not None else [], new.events, tolerance)


def compare(
    old: Iterable[FileResult],
    new: Iterable[FileResult],
    tolerance: Tolerance | None = None,
    *,
    only_new_files: bool = False,
) -> Comparison:
    """Compare the results of two runs. ``only_new_files``: leave out the files that are
    only in the old run (a scan compared with a baseline that covers more files)."""
    tolerance = tolerance or Tolerance()
    old_by = {r.path: r for r in old}
    new_by = {r.path: r for r in new}
    files = []
    for o_path, n_path in pair_files(sorted(old_by), sorted(new_by)):
        if n_path is None and only_new_files:
            continue
        o = old_by.get(o_path) if o_path is not None else None
        n = new_by.get(n_path) if n_path is not None else None
        path = n_path if n_path is not None else o_path
        assert path is not None
        files.append(
            FileDiff(
                path=path,
                old_path=o_path,
                new_path=n_path,
                old_status=o.status.value if o else None,
                new_status=n.status.value if n else None,
                changes=_file_changes(o, n, tolerance),
            )
        )
    files.sort(key=lambda f: f.path)
    return Comparison(files, tolerance)


def compare_reports(
    old_dir: str | os.PathLike[str],
    new_dir: str | os.PathLike[str],
    tolerance: Tolerance | None = None,
) -> Comparison:
    """Compare the reports in two folders (the ``--out`` of two scans)."""
    from .parquet import read_results

    return compare(read_results(old_dir), read_results(new_dir), tolerance)

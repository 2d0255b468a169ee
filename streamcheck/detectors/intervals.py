"""The shared run trackers: every finding's interval is built here.

:class:`RunTracker` turns per-unit yes/no decisions (a *unit* is a video frame or an audio
window that starts at ``t_s``), or intervals found whole (:meth:`RunTracker.add`), into closed
intervals. A run starts at the first active unit's start (the true start of the defect, not
``min_duration`` later as FFmpeg's filters report it) and ends at the start of the first
inactive unit, or at the end of the stream when it is still open (FFmpeg leaves such runs
open). Runs closer than ``merge_gap_s`` are merged (``None``: never, not even when they touch);
merged runs shorter than ``min_duration_s`` are dropped.

:class:`SampleRuns` is the sample-exact front end for audio: it finds the runs of True in a
per-sample (or per-window) mask that arrives in blocks, exact to the sample, each placed by
the timestamps of the blocks it lies in, and hands them on as whole intervals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Interval:
    """A closed run: ``[start_s, end_s)`` seconds; ``first``/``last`` unit indices (inclusive;
    −1 when the units have no index); ``units`` active units counted; ``peak``, ``low`` and
    ``total`` of the values passed with them; ``channels`` and ``counts`` collected from them."""

    start_s: float
    end_s: float
    first: int
    last: int
    units: int = 0
    peak: float = float("-inf")
    low: float = float("inf")
    total: float = 0.0
    channels: set[int] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def mean(self) -> float:
        return self.total / max(self.units, 1)

    def absorb(self, other: Interval) -> None:
        """Extend this run over ``other``, which starts after it."""
        self.end_s = max(self.end_s, other.end_s)
        if other.last >= 0:
            self.last = other.last
            if self.first < 0:
                self.first = other.first
        self.units += other.units
        self.peak = max(self.peak, other.peak)
        self.low = min(self.low, other.low)
        self.total += other.total
        self.channels |= other.channels
        self.counts.update(other.counts)


class RunTracker:
    """Streaming run tracker. Call :meth:`update` once per unit in time order (or :meth:`add`
    for intervals found whole, in order of their starts), then :meth:`finish`. All return the
    intervals that became final."""

    def __init__(self, min_duration_s: float = 0.0, merge_gap_s: float | None = 0.0) -> None:
        self.min_duration_s = min_duration_s
        self.merge_gap_s = merge_gap_s
        self._open: Interval | None = None  # run still receiving active units
        self._pending: Interval | None = None  # closed run that a near run may still join

    @property
    def active(self) -> bool:
        return self._open is not None

    @property
    def open_start_s(self) -> float | None:
        return self._open.start_s if self._open else None

    @property
    def idle(self) -> bool:
        """No run open and none waiting for a near one to join it."""
        return self._open is None and self._pending is None

    def update(
        self,
        active: bool,
        t_s: float,
        index: int = -1,
        value: float = 0.0,
        *,
        channels: set[int] | None = None,
        counts: dict[str, int] | None = None,
    ) -> list[Interval]:
        """Record the unit starting at ``t_s`` seconds (index ``index``) as active or not."""
        out: list[Interval] = []
        if active:
            if self._open is None:
                self._open = Interval(t_s, t_s, index, index)
            run = self._open
            if index >= 0:
                run.last = index
            run.end_s = max(run.end_s, t_s)
            run.units += 1
            run.peak = max(run.peak, value)
            run.low = min(run.low, value)
            run.total += value
            if channels:
                run.channels |= channels
            if counts:
                run.counts.update(counts)
        elif self._open is not None:
            self._open.end_s = max(self._open.end_s, t_s)
            out += self._close()
        # a closed run waits for a near one; a run already open within the gap will join it
        nearest = self._open.start_s if self._open is not None else t_s
        if self._pending is not None and not self._joinable(self._pending, nearest):
            out += self._emit_pending()
        return out

    def add(
        self,
        start_s: float,
        end_s: float,
        value: float = 0.0,
        *,
        units: int = 1,
        first: int = -1,
        last: int = -1,
        channel: int | None = None,
        counts: dict[str, int] | None = None,
    ) -> list[Interval]:
        """Record a whole interval ``[start_s, end_s)`` (``units`` units, ``value`` their peak
        and their total divided by ``units``). Intervals must come in order of their starts;
        one that starts before the open run is merged into it as usual."""
        out: list[Interval] = []
        if self._open is not None:  # unit-wise and whole intervals do not mix
            out += self._close()
        run = Interval(
            start_s,
            end_s,
            first,
            last,
            units=units,
            peak=value,
            low=value,
            total=value * units,
            channels={channel} if channel is not None else set(),
            counts=Counter(counts or {}),
        )
        self._open = run
        out += self._close()
        return out

    def finish(self, end_s: float) -> list[Interval]:
        """Close everything at ``end_s`` (end of stream, seconds)."""
        out: list[Interval] = []
        if self._open is not None:
            self._open.end_s = max(self._open.end_s, end_s)
            out += self._close()
        out += self._emit_pending()
        return out

    def _joinable(self, pending: Interval, start_s: float) -> bool:
        return self.merge_gap_s is not None and start_s - pending.end_s <= self.merge_gap_s

    def _close(self) -> list[Interval]:
        run, self._open = self._open, None
        assert run is not None
        pend = self._pending
        if pend is not None and self._joinable(pend, run.start_s):
            pend.absorb(run)
            return []
        out = self._emit_pending()
        self._pending = run
        return out

    def _emit_pending(self) -> list[Interval]:
        run, self._pending = self._pending, None
        if run is None or run.duration_s + 1e-9 < self.min_duration_s:
            return []
        return [run]


@dataclass
class SampleRun:
    """A run of True samples: ``[start_s, end_s)`` and how many samples it holds."""

    start_s: float
    end_s: float
    samples: int


class SampleRuns:
    """Runs of True in a mask that arrives in blocks (a block of ``n`` values starting at
    ``t0`` seconds, ``rate`` values per second), exact to the value. Each run's start and end
    are placed by the timestamps of the blocks they fall in, so a timestamp jump between
    blocks moves what follows it. A run open at a block's end continues into the next block
    when that starts with True.

    ``min_samples``: runs that lie inside one block and are shorter than this are not
    reported (an optimization: most masks hold many short runs that nobody wants); runs that
    touch a block boundary are reported whatever their length, and callers filter them."""

    def __init__(self, min_samples: int = 1) -> None:
        self.min_samples = max(1, min_samples)
        self._open: SampleRun | None = None

    @property
    def open_start_s(self) -> float | None:
        return self._open.start_s if self._open is not None else None

    def update(self, mask: np.ndarray, t0: float, rate: float) -> list[SampleRun]:
        """The runs that ended in this block of ``mask`` (1-D, bool)."""
        n = int(mask.size)
        if n == 0:
            return []
        out: list[SampleRun] = []
        first_false = int(np.argmin(mask))
        if mask[first_false]:  # no False at all: the whole block is one run
            if self._open is None:
                self._open = SampleRun(t0, t0, 0)
            self._open.end_s = t0 + n / rate
            self._open.samples += n
            return out
        if self._open is None and first_false > 0:  # a run starts with the block
            self._open = SampleRun(t0, t0, 0)
        if self._open is not None:  # the open run ends at the first False
            self._open.end_s = t0 + first_false / rate
            self._open.samples += first_false
            out.append(self._open)
            self._open = None
        last_false = n - 1 - int(np.argmin(mask[::-1]))
        inner = mask[first_false : last_false + 1]
        if inner.size >= self.min_samples + 2 and inner.any():
            edges = np.diff(inner.view(np.int8))
            starts = np.flatnonzero(edges == 1) + 1
            ends = np.flatnonzero(edges == -1) + 1
            keep = (ends - starts) >= self.min_samples
            for s, e in zip(starts[keep].tolist(), ends[keep].tolist(), strict=True):
                a, b = first_false + s, first_false + e
                out.append(SampleRun(t0 + a / rate, t0 + b / rate, b - a))
        if last_false < n - 1:  # a run reaches the block's end: it stays open
            a = last_false + 1
            self._open = SampleRun(t0 + a / rate, t0 + n / rate, n - a)
        return out

    def finish(self, end_s: float | None = None) -> list[SampleRun]:
        """The run still open, closed at the end of its last block (or at ``end_s``)."""
        run, self._open = self._open, None
        if run is None:
            return []
        if end_s is not None:
            run.end_s = max(run.end_s, end_s)
        return [run]


def runs_of_true(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def subtract(
    span: tuple[float, float], holes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Parts of ``span`` (start, end) not covered by any of ``holes``, in order."""
    pieces = [span]
    for hs, he in holes:
        nxt = []
        for s, e in pieces:
            if he <= s or hs >= e:
                nxt.append((s, e))
                continue
            if hs > s:
                nxt.append((s, hs))
            if he < e:
                nxt.append((he, e))
        pieces = nxt
    return pieces

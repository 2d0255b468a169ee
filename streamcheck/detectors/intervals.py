"""The shared run tracker: turns per-unit yes/no decisions into closed intervals.

A *unit* is a video frame or an audio window that starts at ``t_s``. A run starts at the first
active unit's start (the true start of the defect, not ``min_duration`` later as FFmpeg's
filters report it) and ends at the start of the first inactive unit, or at the end of the stream
when it is still open (FFmpeg leaves such runs open). Runs closer than ``merge_gap_s`` are
merged; merged runs shorter than ``min_duration_s`` are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Interval:
    """A closed run: ``[start_s, end_s)`` seconds; ``first``/``last`` unit indices (inclusive);
    ``units`` active units counted; ``peak`` and ``total`` of the values passed with them."""

    start_s: float
    end_s: float
    first: int
    last: int
    units: int = 0
    peak: float = float("-inf")
    total: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


class RunTracker:
    """Streaming run tracker. Call :meth:`update` once per unit in time order, then
    :meth:`finish`. Both return the intervals that became final."""

    def __init__(self, min_duration_s: float = 0.0, merge_gap_s: float = 0.0) -> None:
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

    def update(
        self, active: bool, t_s: float, index: int = 0, value: float = 0.0
    ) -> list[Interval]:
        """Record the unit starting at ``t_s`` seconds (index ``index``) as active or not."""
        out: list[Interval] = []
        if active:
            if self._open is None:
                self._open = Interval(t_s, t_s, index, index)
            run = self._open
            run.last = index
            run.end_s = max(run.end_s, t_s)
            run.units += 1
            run.peak = max(run.peak, value)
            run.total += value
        elif self._open is not None:
            self._open.end_s = max(self._open.end_s, t_s)
            out += self._close()
        if self._pending is not None and t_s - self._pending.end_s > self.merge_gap_s:
            out += self._emit_pending()
        return out

    def finish(self, end_s: float) -> list[Interval]:
        """Close everything at ``end_s`` (end of stream, seconds)."""
        out: list[Interval] = []
        if self._open is not None:
            self._open.end_s = max(self._open.end_s, end_s)
            out += self._close()
        out += self._emit_pending()
        return out

    def _close(self) -> list[Interval]:
        run, self._open = self._open, None
        assert run is not None
        pend = self._pending
        if pend is not None and run.start_s - pend.end_s <= self.merge_gap_s:
            pend.end_s = run.end_s
            pend.last = run.last
            pend.units += run.units
            pend.peak = max(pend.peak, run.peak)
            pend.total += run.total
            return []
        out = self._emit_pending()
        self._pending = run
        return out

    def _emit_pending(self) -> list[Interval]:
        run, self._pending = self._pending, None
        if run is None or run.duration_s + 1e-9 < self.min_duration_s:
            return []
        return [run]


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

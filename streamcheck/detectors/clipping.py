"""`clipping`: runs of samples stuck at full scale.

A sample is clipped at ``|x| ≥ level`` after decoding to float (1.0 = full scale; lossy codecs
overshoot past 1.0 when the source was clipped, so "at or above" counts). A run of at least
``min_run_samples`` consecutive clipped samples on one channel is a clip; a single sample that
touches full scale is a loud peak, not a clip (three in a row is the usual QC rule). Clips
closer than ``merge_gap_s`` are merged into one segment; value = clipped samples in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, Event, StreamInfo
from .base import Detector, ParamsBase, on_channels, param, severity_param


@dataclass(frozen=True)
class ClippingParams(ParamsBase):
    level: float = param(
        0.999, unit="ratio", help="Absolute sample value (1.0 = full scale) that counts as clipped."
    )
    min_run_samples: int = param(
        3, unit="samples", help="Consecutive clipped samples on one channel that make a clip."
    )
    merge_gap_s: float = param(
        0.5, unit="s", help="Clips closer than this are reported as one segment."
    )
    severity: str = severity_param("warning")


def runs_of_true(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


@dataclass
class _Segment:
    start_s: float
    end_s: float
    samples: int
    channels: set[int]


class ClippingDetector(Detector):
    name = "clipping"
    kind = "audio"
    description = "Runs of at least min_run_samples samples at full scale."
    Params = ClippingParams

    def __init__(self, params: ClippingParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.p = params
        self.events: list[Event] = []
        # channel -> (start_s, samples, end_s) of a clip that reached the end of the last block
        self._open: dict[int, tuple[float, int, float]] = {}
        self._segment: _Segment | None = None

    def update(self, block: AudioBlock) -> None:
        clipped = block.magnitude >= self.p.level
        clips: list[tuple[float, float, int, int]] = []  # start_s, end_s, samples, channel
        for ch in list(self._open):
            if not clipped[ch, :1].any():  # the clip ended at the block boundary
                start_s, count, end_s = self._open.pop(ch)
                clips.append((start_s, end_s, count, ch))
        if clipped.any():
            sr, t0, n = block.sample_rate, block.t_s, block.n
            for ch in np.flatnonzero(clipped.any(axis=1)).tolist():
                starts, ends = runs_of_true(clipped[ch])
                for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                    start_s, count = t0 + s / sr, e - s
                    if s == 0 and ch in self._open:
                        start_s, carried, _ = self._open.pop(ch)
                        count += carried
                    if e == n:
                        self._open[ch] = (start_s, count, t0 + e / sr)
                    else:
                        clips.append((start_s, t0 + e / sr, count, ch))
        self._add(clips)

    def finish(self, end_s: float) -> list[Event]:
        self._add([(s, e, c, ch) for ch, (s, c, e) in self._open.items()])
        self._open = {}
        if self._segment is not None:
            self._emit(self._segment)
            self._segment = None
        return self.events

    def _add(self, clips: list[tuple[float, float, int, int]]) -> None:
        """Merge clips of at least min_run_samples into segments, emitting finished ones."""
        for start_s, end_s, count, ch in sorted(clips):
            if count < self.p.min_run_samples:
                continue
            seg = self._segment
            if seg is not None and start_s - seg.end_s <= self.p.merge_gap_s:
                seg.end_s = max(seg.end_s, end_s)
                seg.samples += count
                seg.channels.add(ch)
                continue
            if seg is not None:
                self._emit(seg)
            self._segment = _Segment(start_s, end_s, count, {ch})

    def _emit(self, seg: _Segment) -> None:
        where, channel = on_channels(seg.channels)
        self.events.append(
            Event(
                detector=self.name,
                severity=self.severity,
                start_s=seg.start_s,
                end_s=seg.end_s,
                value=float(seg.samples),
                unit="samples",
                detail=f"{seg.samples} clipped samples (runs of ≥ {self.p.min_run_samples} at "
                f"full scale) {where}.",
                stream_index=self.stream_index,
                channel=channel,
            )
        )

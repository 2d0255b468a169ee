"""`dc_offset`: a sustained DC offset on a channel (a faulty converter or an edit that shifted
the waveform), per channel of each track.

The mean of each channel over windows of ``window_s``, as a level in dBFS (20·log10 |mean|):
at or above ``threshold_dbfs`` for at least ``min_duration_s`` is a finding, value = the
largest DC level in it (dBFS). −40 dBFS (1% of full scale) is far above what real programmes
leave after a recording chain's high-pass filters (below −60 dBFS) and low enough to catch the
offsets that cost headroom and click at edits; a steady non-zero value (a channel stuck at an
offset) counts too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, StreamInfo
from .base import AudioDetector, ParamsBase, on_channels, param, severity_param
from .decibels import amplitude_to_db, dbfs_to_amplitude
from .intervals import Interval, RunTracker


@dataclass(frozen=True)
class DcOffsetParams(ParamsBase):
    threshold_dbfs: float = param(
        -40.0,
        unit="dBFS",
        help="DC level (mean of a window) at or above which a channel is offset.",
        minimum=-200.0,
        maximum=0.0,
    )
    window_s: float = param(1.0, unit="s", help="Length of the averaging window.", minimum=0.01)
    min_duration_s: float = param(2.0, unit="s", help="Shortest offset stretch reported.")
    severity: str = severity_param("warning")


class DcOffsetDetector(AudioDetector[DcOffsetParams]):
    name = "dc_offset"
    description = "A channel's mean (DC) at or above -40 dBFS for at least min_duration_s."
    Params = DcOffsetParams

    def __init__(self, params: DcOffsetParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.level = dbfs_to_amplitude(params.threshold_dbfs)
        self.trackers: list[RunTracker] = []
        self._sum = np.zeros(0)
        self._count = 0
        self._win_t: float | None = None
        self._index = 0
        self._rate = 0

    def update(self, block: AudioBlock) -> None:
        x = block.samples
        if x.shape[0] != len(self.trackers):  # first block, or a layout change
            self._close_trackers(block.t_s)
            self.trackers = [
                RunTracker(min_duration_s=self.params.min_duration_s) for _ in range(x.shape[0])
            ]
            self._sum, self._count, self._win_t = np.zeros(x.shape[0]), 0, None
        if self._win_t is None:
            self._win_t = block.t_s
        self._rate = block.sample_rate
        win = max(1, round(self.params.window_s * block.sample_rate))
        pos = 0
        while pos < block.n:
            take = min(block.n - pos, win - self._count)
            self._sum += x[:, pos : pos + take].sum(axis=1, dtype=np.float64)
            self._count += take
            pos += take
            if self._count == win:
                self._close_window(block.t_s + pos / block.sample_rate)

    def _close_window(self, end_t: float) -> None:
        start = self._win_t if self._win_t is not None else end_t
        means = np.abs(self._sum / max(self._count, 1))
        for ch, tracker in enumerate(self.trackers):
            dc = float(means[ch])
            self._track(ch, tracker.update(dc >= self.level, start, self._index, dc))
        self._sum[:] = 0
        self._count = 0
        self._win_t = end_t
        self._index += 1

    def _track(self, channel: int, runs: list[Interval]) -> None:
        for run in runs:
            run.channels.add(channel)
            self.on_run(run)

    def _close_trackers(self, end_s: float) -> None:
        for ch, tracker in enumerate(self.trackers):
            self._track(ch, tracker.finish(self._win_t if self._win_t is not None else end_s))

    def close(self, end_s: float) -> None:
        if self._rate and self._count >= 0.25 * self.params.window_s * self._rate:
            self._close_window(end_s)
        self._close_trackers(end_s)

    def on_run(self, run: Interval) -> None:
        where, channel = on_channels(run.channels, self.stream)
        dbfs = amplitude_to_db(run.peak)
        self.emit(
            run.start_s,
            run.end_s,
            f"DC offset up to {dbfs:.1f} dBFS ({100 * run.peak:.2g}% of full scale) {where} "
            f"for {run.duration_s:.1f} s.",
            value=dbfs,
            unit="dBFS",
            channel=channel,
        )

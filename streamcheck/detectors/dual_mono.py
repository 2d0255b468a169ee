"""`dual_mono`: a "stereo" programme whose two channels carry one signal (identical, or one a
copy of the other at another gain): mono delivered as stereo, or a stereo mix lost upstream.

Over windows of ``window_s`` where both channels carry signal (RMS above ``min_level_dbfs``),
the correlation of the two channels: ``min_correlation`` (0.999) or more is the same signal
(real stereo, even a mostly centred dialogue mix, has reverb, ambience and panned sources
that keep it lower; lossy coding of identical channels keeps it at 1.0). Stretches of at
least ``min_duration_s`` are findings, value = the level of the right channel against the
left (dB; 0 when identical). Severity info by default: a mono programme on a stereo track is
worth knowing, not always wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, StreamInfo
from .base import ParamsBase, ProgrammeDetector, param, severity_param
from .decibels import dbfs_to_amplitude
from .intervals import Interval, RunTracker


@dataclass(frozen=True)
class DualMonoParams(ParamsBase):
    min_correlation: float = param(
        0.999,
        unit="ratio",
        help="Correlation of the two channels at or above which they carry one signal.",
        minimum=0.0,
        maximum=1.0,
    )
    window_s: float = param(1.0, unit="s", help="Correlation window.", minimum=0.01)
    min_level_dbfs: float = param(
        -50.0,
        unit="dBFS",
        help="Both channels need this RMS level in a window to count.",
        minimum=-200.0,
        maximum=0.0,
    )
    min_duration_s: float = param(30.0, unit="s", help="Shortest dual-mono stretch reported.")
    severity: str = severity_param("info")


class DualMonoDetector(ProgrammeDetector[DualMonoParams]):
    name = "dual_mono"
    description = "A two-channel programme whose channels carry the same signal (mono as stereo)."
    Params = DualMonoParams

    def __init__(self, params: DualMonoParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker(min_duration_s=params.min_duration_s)
        self.min_power = dbfs_to_amplitude(params.min_level_dbfs) ** 2
        self._acc = np.zeros(3)  # sum LR, LL, RR in the open window
        self._count = 0
        self._win_t: float | None = None
        self._index = 0

    def update(self, block: AudioBlock) -> None:
        x = block.samples
        if x.shape[0] != 2 or block.n == 0:  # a programme of two channels only
            return
        if self._win_t is None:
            self._win_t = block.t_s
        win = max(1, round(self.params.window_s * block.sample_rate))
        pos = 0
        while pos < block.n:
            take = min(block.n - pos, win - self._count)
            left, right = x[0, pos : pos + take], x[1, pos : pos + take]
            self._acc += (float(left @ right), float(left @ left), float(right @ right))
            self._count += take
            pos += take
            if self._count == win:
                self._close_window(block.t_s + pos / block.sample_rate, win)

    def _close_window(self, end_t: float, win: int) -> None:
        start = self._win_t if self._win_t is not None else end_t
        lr, ll, rr = self._acc
        same = False
        gain = 0.0
        if ll / win >= self.min_power and rr / win >= self.min_power:
            same = bool(lr / math.sqrt(ll * rr) >= self.params.min_correlation)
            gain = 10 * math.log10(rr / ll)
        self.track(self.tracker.update(same, start, self._index, gain))
        self._acc[:] = 0
        self._count = 0
        self._win_t = end_t
        self._index += 1

    def on_run(self, run: Interval) -> None:
        gain = run.mean
        copy = "identical" if abs(gain) < 0.1 else f"the same signal, right {gain:+.1f} dB"
        self.emit_run(
            run,
            f"The two channels of {self.stream.name} carry one signal ({copy}) for "
            f"{run.duration_s:.1f} s: mono as stereo.",
            value=gain,
            unit="dB",
        )

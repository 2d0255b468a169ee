"""`phase`: stereo pairs out of phase.

The correlation of each stereo pair (L/R; the surround pairs of 5.1) is measured over windows of
``window_s`` where both channels carry signal (RMS above ``min_level_dbfs``): +1 for mono-like,
about 0 for wide or unrelated content, −1 for a pair in opposite phase, which cancels on a mono
downmix. Correlation below ``max_correlation`` (−0.3) for at least ``min_duration_s`` is a
finding, value = mean correlation over it. Windows without signal (the pauses of speech),
and windows whose correlation is weak either way (between −0.3 and +0.3: content whose
channels are unrelated for a moment, which an inverted channel leaves near 0 too), are no
evidence: a stretch runs across up to :data:`BRIDGE_S` of them when the next window with
evidence is still out of phase, and otherwise ends where they began; the out-of-phase
windows of a stretch must themselves add up to ``min_duration_s``. A
stretch whose mean correlation is
:data:`POLARITY_CORRELATION` (−0.95) or lower is one signal with one channel's polarity
inverted, and the detail says so (and "the whole file" when it covers 90% or more of the
windows with signal). Runs on each audio programme; findings are reported at the end of the
stream, when whether a stretch is the whole file is known, and cover the last, partial window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, StreamInfo, default_names
from .base import ParamsBase, ProgrammeDetector, param, severity_param
from .decibels import dbfs_to_amplitude
from .intervals import Interval, RunTracker

PAIRS = (("FL", "FR"), ("SL", "SR"), ("BL", "BR"))
# a pair this close to −1 is one signal with one channel's polarity inverted (a wiring or
# editing fault), not a wide mix: said so
POLARITY_CORRELATION = -0.95
# a stretch goes on across windows without signal (pauses between sentences, a rest in music)
# of up to this long; a longer quiet ends it where the quiet began
BRIDGE_S = 2.0


@dataclass(frozen=True)
class PhaseParams(ParamsBase):
    max_correlation: float = param(
        -0.3,
        unit="ratio",
        help="Correlation below this is out of phase.",
        minimum=-1.0,
        maximum=1.0,
    )
    min_duration_s: float = param(2.0, unit="s", help="Shortest out-of-phase stretch reported.")
    window_s: float = param(0.4, unit="s", help="Correlation window.", minimum=0.001)
    min_level_dbfs: float = param(
        -50.0,
        unit="dBFS",
        help="Both channels need this RMS level in a window to count.",
        minimum=-200.0,
        maximum=0.0,
    )
    severity: str = severity_param("warning")


def stereo_pairs(names: tuple[str, ...], channels: int) -> list[tuple[int, int]]:
    """Channel index pairs to compare: by FFmpeg channel names, else (0, 1) for stereo."""
    pairs = [(names.index(a), names.index(b)) for a, b in PAIRS if a in names and b in names]
    if not pairs and channels == 2:
        pairs = [(0, 1)]
    return pairs


class PhaseDetector(ProgrammeDetector[PhaseParams]):
    name = "phase"
    description = (
        "Stereo pairs out of phase (correlation below -0.3 for 2 s), or a channel's polarity "
        "inverted."
    )
    Params = PhaseParams

    def __init__(self, params: PhaseParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.pairs = stereo_pairs(stream.channel_names, stream.channels)
        self.names = stream.channel_names
        self.min_power = dbfs_to_amplitude(params.min_level_dbfs) ** 2
        self._setup(len(self.pairs))

    def _setup(self, n: int) -> None:
        self.trackers = [RunTracker(min_duration_s=self.params.min_duration_s) for _ in range(n)]
        self._acc = np.zeros((n, 3))  # per pair: sum LR, sum LL, sum RR in the open window
        self._count = 0
        self._win_t: float | None = None
        self._signal_windows = np.zeros(n, int)
        self._total = np.zeros((n, 3))
        self._index = 0
        self._runs: list[tuple[int, Interval]] = []  # reported at the end: whole-file notes
        self._rate = 0
        self._quiet_since: list[float | None] = [None] * n  # a quiet stretch inside a run

    def update(self, block: AudioBlock) -> None:
        if not self.pairs and not self.names and block.samples.shape[0] >= 2:
            # a stream that declared no layout before decoding (MPEG-TS): from its blocks
            self.names = default_names(block.samples.shape[0])
            self.pairs = stereo_pairs(self.names, block.samples.shape[0])
            self._setup(len(self.pairs))
        if not self.pairs or block.n == 0:
            return
        x = block.samples  # float32 dot products (BLAS), summed per window in float64
        if self._win_t is None:
            self._win_t = block.t_s
        self._rate = block.sample_rate
        win = max(1, round(self.params.window_s * block.sample_rate))
        pos = 0
        while pos < block.n:
            take = min(block.n - pos, win - self._count)
            part = x[:, pos : pos + take]
            for k, (a, b) in enumerate(self.pairs):
                if b >= part.shape[0]:  # the layout shrank mid-stream: pair not present
                    continue
                la, lb = part[a], part[b]
                self._acc[k] += (float(la @ lb), float(la @ la), float(lb @ lb))
            self._count += take
            pos += take
            if self._count == win:
                self._close_window(block.t_s + pos / block.sample_rate, win)

    def _close_window(self, end_t: float, win: int) -> None:
        start = self._win_t if self._win_t is not None else end_t
        for k, tracker in enumerate(self.trackers):
            lr, ll, rr = self._acc[k]
            loud = ll / win >= self.min_power and rr / win >= self.min_power
            r = lr / np.sqrt(ll * rr) if loud else 0.0
            if loud:
                self._signal_windows[k] += 1
                self._total[k] += (lr, ll, rr)
            # a window whose correlation is weak either way (|r| below the threshold's size:
            # unrelated content at that moment) is no evidence, as a quiet one
            weak = self.params.max_correlation <= r < -self.params.max_correlation
            if loud and not (weak and tracker.active):
                out = r < self.params.max_correlation
                quiet = self._quiet_since[k]
                if not out and quiet is not None:  # the stretch ended where the quiet began
                    self._keep(k, tracker.update(False, quiet))
                self._keep(k, tracker.update(out, start, self._index, r))
                self._quiet_since[k] = None
            elif tracker.active:
                # a window without signal on both channels (a pause in speech), or a weak one,
                # is no evidence: the stretch goes on across it if the next window with
                # signal is out of phase
                quiet = self._quiet_since[k]
                if quiet is None:
                    self._quiet_since[k] = start
                elif end_t - quiet > BRIDGE_S:
                    self._keep(k, tracker.update(False, quiet))
                    self._quiet_since[k] = None
        self._acc[:] = 0
        self._count = 0
        self._win_t = end_t
        self._index += 1

    def _keep(self, k: int, runs: list[Interval]) -> None:
        self._runs += [(k, r) for r in runs]

    def close(self, end_s: float) -> None:
        # the last, partial window counts when it holds a quarter of a window or more
        if self._rate and self._count >= 0.25 * self.params.window_s * self._rate:
            self._close_window(end_s, self._count)
        for k, tracker in enumerate(self.trackers):
            quiet = self._quiet_since[k]
            end = quiet if quiet is not None else self._win_t
            self._keep(k, tracker.finish(end if end is not None else end_s))
        window = self.params.window_s
        for k, run in self._runs:
            # the out-of-phase windows themselves must last the minimum: scattered windows
            # a little below the threshold, with weak ones between (a wide ambience), are not
            # a stretch
            if run.units * window >= self.params.min_duration_s - 1e-9:
                self._emit(k, run)

    def _emit(self, k: int, r: Interval) -> None:
        a, b = self.pairs[k]
        named = self.names and "NONE" not in (self.names[a], self.names[b])
        label = f"{self.names[a]}/{self.names[b]}" if named else f"{a}/{b}"
        mean = r.total / max(r.units, 1)
        lr, ll, rr = self._total[k]
        file_r = lr / np.sqrt(ll * rr) if ll and rr else mean
        whole = self._signal_windows[k] and r.units >= 0.9 * self._signal_windows[k]
        if mean <= POLARITY_CORRELATION:
            detail = (
                f"Polarity of one channel of {label} of {self.stream.name} inverted "
                f"(correlation {mean:+.2f}) for {r.duration_s:.1f} s"
            )
            detail += " (the whole file)." if whole and file_r <= POLARITY_CORRELATION else "."
        else:
            detail = (
                f"Channels {label} of {self.stream.name} out of phase (correlation "
                f"{mean:+.2f}) for {r.duration_s:.1f} s."
            )
        self.emit(r.start_s, r.end_s, detail, value=float(mean), unit="ratio")

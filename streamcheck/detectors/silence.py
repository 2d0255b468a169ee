"""`silence`: every channel below a level for a while (FFmpeg's silencedetect, exact start).

A sample is quiet when it is below ``noise_dbfs`` itself (silencedetect's rule, which keeps
the edges of digital silence exact to the sample), or when the RMS level of the 10 ms
(:data:`RMS_WINDOW_S`) window it lies in is below ``noise_dbfs``: a floor of hiss at −70 dBFS
RMS is silence in practice, but its peaks reach about −58 dBFS, so a sample-peak test alone (and
silencedetect) misses it. The mix is quiet while every channel is; a quiet stretch of at least
``min_duration_s`` is a finding. Over a noise floor the edges are exact to the window (10 ms).
silencedetect reports the start ``d`` seconds late and never closes a silence that lasts to
the end of the file; ours are the true start and end. −60 dBFS for 2 s are silencedetect's
defaults: quiet speech (−45 dBFS), room tone (−55 dBFS and up) and the pauses between
sentences stay well clear of both.

Per channel too: one channel quiet by the same rule while the mix is not (a muted or lost
channel) is a finding with ``channel`` set, for the part of it outside whole-mix silence. The
LFE channel of a surround mix is skipped (``ignore_lfe``): it is often silent by design.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, StreamInfo
from .base import AudioDetector, ParamsBase, param, severity_param
from .decibels import dbfs_to_amplitude
from .intervals import Interval, RunTracker, SampleRuns, subtract


@dataclass(frozen=True)
class SilenceParams(ParamsBase):
    noise_dbfs: float = param(
        -60.0,
        unit="dBFS",
        help="Level below which sound is silent: a sample, or the RMS of its 10 ms window "
        "(all channels).",
        mirrors="silencedetect n=-60dB",
        minimum=-200.0,
        maximum=0.0,
    )
    min_duration_s: float = param(
        2.0, unit="s", help="Shortest silence reported.", mirrors="silencedetect d=2"
    )
    per_channel: bool = param(True, unit=None, help="Also report single muted channels.")
    ignore_lfe: bool = param(True, unit=None, help="Do not report a quiet LFE channel.")
    severity: str = severity_param("warning")


RMS_WINDOW_S = 0.010  # seconds: short enough for sharp edges, long enough for a steady RMS


def quiet_samples(
    samples: np.ndarray, magnitude: np.ndarray, threshold: float, sr: int
) -> np.ndarray:
    """(channels, n) bool: below ``threshold`` (linear) as a sample, or by the RMS of its
    :data:`RMS_WINDOW_S` window (windows from the block's first sample; a short last window
    on its own)."""
    quiet = magnitude < threshold
    channels, n = samples.shape
    w = max(1, round(RMS_WINDOW_S * sr))
    whole = n // w * w
    for lo, hi, width in ((0, whole, w), (whole, n, n - whole)):
        if hi <= lo:
            continue
        # a window's RMS is at least its mean magnitude: only windows quiet by that are
        # candidates (rare in programme sound), and only they need the squares
        candidates = magnitude[:, lo:hi].reshape(channels, -1, width).mean(axis=2) < threshold
        if not candidates.any():
            continue
        part = samples[:, lo:hi].reshape(channels, -1, width)
        power = np.mean(np.square(part, dtype=np.float32), axis=2)
        rms_quiet = candidates & (power < threshold * threshold)
        if rms_quiet.any():
            quiet[:, lo:hi] |= np.repeat(rms_quiet, width, axis=1)
    return quiet


class _Quiet:
    """Quiet stretches of one signal: sample-exact runs, kept when long enough."""

    def __init__(self, min_duration_s: float, sample_rate: int) -> None:
        self.samples = SampleRuns(min_samples=int(min_duration_s * sample_rate))
        self.tracker = RunTracker(min_duration_s=min_duration_s, merge_gap_s=None)
        self.runs: list[Interval] = []

    def update(self, quiet: np.ndarray, t0: float, sr: int) -> None:
        for r in self.samples.update(quiet, t0, sr):
            self.runs += self.tracker.add(r.start_s, r.end_s, units=r.samples)

    def finish(self, end_s: float) -> list[Interval]:
        for r in self.samples.finish(end_s):
            self.runs += self.tracker.add(r.start_s, r.end_s, units=r.samples)
        self.runs += self.tracker.finish(end_s)
        return self.runs


class SilenceDetector(AudioDetector[SilenceParams]):
    name = "silence"
    description = "All channels (or one channel alone) below noise_dbfs for min_duration_s."
    Params = SilenceParams

    def __init__(self, params: SilenceParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.threshold = dbfs_to_amplitude(params.noise_dbfs)
        self.mix: _Quiet | None = None
        self.channels: list[_Quiet] = []
        names = stream.channel_names
        self.skip = {names.index("LFE")} if params.ignore_lfe and "LFE" in names else set()

    @property
    def open_start_s(self) -> float | None:
        return self.mix.samples.open_start_s if self.mix is not None else None

    def update(self, block: AudioBlock) -> None:
        sr, t0 = block.sample_rate, block.t_s
        quiet = quiet_samples(block.samples, block.magnitude, self.threshold, sr)
        if self.mix is None:
            self.mix = _Quiet(self.params.min_duration_s, sr)
        self.mix.update(np.all(quiet, axis=0), t0, sr)
        if self.params.per_channel and quiet.shape[0] >= 2:
            while len(self.channels) < quiet.shape[0]:
                self.channels.append(_Quiet(self.params.min_duration_s, sr))
            for ch, row in enumerate(quiet):
                self.channels[ch].update(row, t0, sr)

    def close(self, end_s: float) -> None:
        if self.mix is None:
            return
        mix = [(r.start_s, r.end_s) for r in self.mix.finish(end_s)]
        for start, end in mix:
            self._emit(start, end, None)
        for ch, runs in enumerate(self.channels):
            if ch in self.skip:
                continue
            for run in runs.finish(end_s):
                for start, end in subtract((run.start_s, run.end_s), mix):
                    if end - start + 1e-9 >= self.params.min_duration_s:
                        self._emit(start, end, ch)

    def _emit(self, start_s: float, end_s: float, channel: int | None) -> None:
        duration = end_s - start_s
        names = self.stream.channel_names
        named = f" ({names[channel]})" if channel is not None and channel < len(names) else ""
        where = "all channels" if channel is None else f"channel {channel}{named} alone"
        self.emit(
            start_s,
            end_s,
            f"Silence on {self.stream.name} ({where} below {self.params.noise_dbfs:g} dBFS) "
            f"for {duration:.2f} s.",
            value=duration,
            unit="s",
            channel=channel,
        )

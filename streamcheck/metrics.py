"""Per-second metrics of one file: the rows of metrics.parquet.

Video features (whatever the measure step and the detectors published on each frame: luma
mean, motion, black ratio…) are averaged over the frames that start in each second. Audio of the
file's first audio stream gives RMS level (dBFS, the mean power of all channels) and sample peak
(dBFS) per second, and the highest momentary loudness (LUFS, 400 ms windows, read every
100 ms by the R128 meter) in each second. Levels of digital silence are floored at
:data:`FLOOR_DBFS` so the column never holds −inf.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .model import AudioBlock, VideoFrame

FLOOR_DBFS = -150.0
VIDEO_COLUMNS = ("luma_mean", "motion", "black_ratio", "blockiness", "bars_ratio")
AUDIO_COLUMNS = ("rms_dbfs", "peak_dbfs", "momentary_lufs")


def _db(power_or_amp: float, factor: float) -> float:
    if power_or_amp <= 0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, factor * math.log10(power_or_amp))


class MetricsRecorder:
    """Accumulates per-second sums while the file streams past; memory grows with the
    number of seconds only (a few numbers each)."""

    def __init__(self, audio_stream_index: int | None) -> None:
        self.audio_stream_index = audio_stream_index
        self._vsum: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._vcount: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._power: dict[int, float] = defaultdict(float)
        self._samples: dict[int, int] = defaultdict(int)
        self._peak: dict[int, float] = defaultdict(float)
        self._momentary: dict[int, float] = {}

    def add_video(self, frame: VideoFrame) -> None:
        sec = math.floor(frame.t_s)
        sums, counts = self._vsum[sec], self._vcount[sec]
        for name, value in frame.features.items():
            sums[name] += value
            counts[name] += 1

    def add_audio(self, block: AudioBlock) -> None:
        if block.stream_index != self.audio_stream_index or block.n == 0:
            return
        for t, m, _ in block.loudness:
            sec = math.floor(t)
            if m > -120.0:
                self._momentary[sec] = max(self._momentary.get(sec, -math.inf), m)
        x, mag = block.samples, block.magnitude
        channels = x.shape[0]
        sr, t0 = block.sample_rate, block.t_s
        pos = 0
        while pos < block.n:
            t = t0 + pos / sr
            sec = math.floor(t)
            stop = min(block.n, max(pos + 1, math.ceil((sec + 1 - t0) * sr)))
            part = x[:, pos:stop]
            # the mean over channels of each sample's power, summed (vdot: one BLAS pass)
            self._power[sec] += float(np.vdot(part, part)) / channels
            self._samples[sec] += stop - pos
            self._peak[sec] = max(self._peak[sec], float(mag[:, pos:stop].max()))
            pos = stop

    def table(self) -> dict[str, list]:
        """Columns (t_s + VIDEO_COLUMNS + AUDIO_COLUMNS) with one entry per second, None where
        a second has no such measurement."""
        seconds = sorted(set(self._vsum) | set(self._samples))
        cols: dict[str, list] = {"t_s": [float(s) for s in seconds]}
        for name in VIDEO_COLUMNS:
            cols[name] = [
                self._vsum[s][name] / self._vcount[s][name]
                if s in self._vcount and self._vcount[s].get(name)
                else None
                for s in seconds
            ]
        audio = {
            "rms_dbfs": lambda s: _db(self._power[s] / self._samples[s], 10.0),
            "peak_dbfs": lambda s: _db(self._peak[s], 20.0),
            "momentary_lufs": lambda s: self._momentary.get(s),
        }
        for name in AUDIO_COLUMNS:
            cols[name] = [audio[name](s) if self._samples.get(s) else None for s in seconds]
        return cols

"""Per-second metrics of one file: the rows of metrics.parquet.

The columns derive from declarations: the measure step's video metrics
(:data:`streamcheck.measure.VIDEO_METRICS`), every registered detector's ``publishes``, and
the audio metrics below (:func:`columns`). Video features (what the measure step and the
detectors put in each frame's ``features``) are merged over the frames that start in each
second, each by its declared rule (mean, max or min). Seconds count from the file's start
(its presentation time 0); what a file holds before it (codec priming shown at a negative
time, as AAC in MPEG-TS and MP3 have) counts into second 0. Audio of the
file's first audio stream gives RMS level (dBFS, the mean power of all channels) and sample peak
(dBFS) per second, and the highest momentary loudness (LUFS, 400 ms windows, read every
100 ms by the R128 meter) in each second. Levels of digital silence are floored at
:data:`FLOOR_DBFS` so the column never holds −inf.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from .detectors import Metric, published_metrics
from .measure import VIDEO_METRICS
from .model import AudioBlock, VideoFrame

FLOOR_DBFS = -150.0
AUDIO_METRICS = (
    Metric("rms_dbfs", "dBFS", "RMS level, the mean power of all channels.", "mean"),
    Metric("peak_dbfs", "dBFS", "Sample peak.", "max"),
    Metric("momentary_lufs", "LUFS", "Highest momentary loudness (400 ms windows).", "max"),
)


def video_metrics() -> tuple[Metric, ...]:
    """The per-frame features recorded per second: the measure step's, then the detectors'."""
    return (*VIDEO_METRICS, *published_metrics())


def columns() -> tuple[Metric, ...]:
    """Every metric column of metrics.parquet after ``path`` and ``t_s``, in order."""
    return (*video_metrics(), *AUDIO_METRICS)


def _db(power_or_amp: float, factor: float) -> float:
    if power_or_amp <= 0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, factor * math.log10(power_or_amp))


class MetricsRecorder:
    """Accumulates per-second sums while the file streams past; memory grows with the
    number of seconds only (a few numbers each)."""

    def __init__(self, audio_stream_index: int | None) -> None:
        self.audio_stream_index = audio_stream_index
        self._video = video_metrics()
        self._rules = {m.name: m.per_second for m in self._video}
        self._vsum: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._vcount: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._power: dict[int, float] = defaultdict(float)
        self._samples: dict[int, int] = defaultdict(int)
        self._peak: dict[int, float] = defaultdict(float)
        self._momentary: dict[int, float] = {}

    def add_video(self, frame: VideoFrame) -> None:
        sec = max(0, math.floor(frame.t_s))
        sums, counts = self._vsum[sec], self._vcount[sec]
        for name, value in frame.features.items():
            rule = self._rules.get(name, "mean")
            if rule == "mean" or not counts[name]:
                sums[name] = sums[name] + value if rule == "mean" else value
            elif rule == "max":
                sums[name] = max(sums[name], value)
            else:
                sums[name] = min(sums[name], value)
            counts[name] += 1

    def add_audio(self, block: AudioBlock) -> None:
        if block.stream_index != self.audio_stream_index or block.n == 0:
            return
        for t, m, _ in block.loudness:
            sec = max(0, math.floor(t))
            if m > -120.0:
                self._momentary[sec] = max(self._momentary.get(sec, -math.inf), m)
        x, mag = block.samples, block.magnitude
        channels = x.shape[0]
        sr, t0 = block.sample_rate, block.t_s
        pos = 0
        while pos < block.n:
            t = t0 + pos / sr
            sec = max(0, math.floor(t))
            stop = min(block.n, max(pos + 1, math.ceil((sec + 1 - t0) * sr)))
            part = x[:, pos:stop]
            # the mean over channels of each sample's power, summed (vdot: one BLAS pass)
            self._power[sec] += float(np.vdot(part, part)) / channels
            self._samples[sec] += stop - pos
            self._peak[sec] = max(self._peak[sec], float(mag[:, pos:stop].max()))
            pos = stop

    def _video_value(self, sec: int, metric: Metric) -> float | None:
        counts = self._vcount.get(sec)
        if not counts or not counts.get(metric.name):
            return None
        value = self._vsum[sec][metric.name]
        return value / counts[metric.name] if metric.per_second == "mean" else value

    def table(self) -> dict[str, list[float | None]]:
        """Columns (t_s, then :func:`columns`) with one entry per second, None where a second
        has no such measurement."""
        seconds = sorted(set(self._vsum) | set(self._samples))
        cols: dict[str, list[float | None]] = {"t_s": [float(s) for s in seconds]}
        for metric in self._video:
            cols[metric.name] = [self._video_value(s, metric) for s in seconds]
        audio: dict[str, Callable[[int], float | None]] = {
            "rms_dbfs": lambda s: _db(self._power[s] / self._samples[s], 10.0),
            "peak_dbfs": lambda s: _db(self._peak[s], 20.0),
            "momentary_lufs": lambda s: self._momentary.get(s),
        }
        for metric in AUDIO_METRICS:
            fn = audio[metric.name]
            cols[metric.name] = [fn(s) if self._samples.get(s) else None for s in seconds]
        return cols

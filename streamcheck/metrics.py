"""Per-second metrics of one file: the rows of metrics.parquet.

One row per second per source: the video stream (its ``stream_index``) and each audio
programme (``programme``; ``stream_index`` its first track's). The columns derive from
declarations: the measure step's video metrics
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
from collections.abc import Mapping
from typing import Any

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


class _VideoSeconds:
    """Per-second merges of one video stream's frame features."""

    def __init__(self, rules: Mapping[str, str]) -> None:
        self.rules = rules
        self.sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, frame: VideoFrame) -> None:
        for name, value in frame.features.items():
            self.add_value(frame.t_s, name, value)

    def add_value(self, t_s: float, name: str, value: float) -> None:
        """One value of feature ``name`` at ``t_s`` s, merged into its second by its rule."""
        sec = max(0, math.floor(t_s))
        sums, counts = self.sums[sec], self.counts[sec]
        rule = self.rules.get(name, "mean")
        if rule == "mean" or not counts[name]:
            sums[name] = sums[name] + value if rule == "mean" else value
        elif rule == "max":
            sums[name] = max(sums[name], value)
        else:
            sums[name] = min(sums[name], value)
        counts[name] += 1

    def value(self, sec: int, metric: Metric) -> float | None:
        counts = self.counts.get(sec)
        if not counts or not counts.get(metric.name):
            return None
        value = self.sums[sec][metric.name]
        return value / counts[metric.name] if metric.per_second == "mean" else value


class _AudioSeconds:
    """Per-second RMS, sample peak and highest momentary loudness of one programme."""

    def __init__(self) -> None:
        self.power: dict[int, float] = defaultdict(float)
        self.samples: dict[int, int] = defaultdict(int)
        self.peak: dict[int, float] = defaultdict(float)
        self.momentary: dict[int, float] = {}

    def add(self, block: AudioBlock) -> None:
        for t, m, _ in block.loudness:  # t: where the reading's window ends
            sec = max(0, math.floor(t - 1e-6))
            if m > -120.0:
                self.momentary[sec] = max(self.momentary.get(sec, -math.inf), m)
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
            self.power[sec] += float(np.vdot(part, part)) / channels
            self.samples[sec] += stop - pos
            self.peak[sec] = max(self.peak[sec], float(mag[:, pos:stop].max()))
            pos = stop

    def value(self, sec: int, metric: Metric) -> float | None:
        if not self.samples.get(sec):
            return None
        if metric.name == "rms_dbfs":
            return _db(self.power[sec] / self.samples[sec], 10.0)
        if metric.name == "peak_dbfs":
            return _db(self.peak[sec], 20.0)
        return self.momentary.get(sec)


class MetricsRecorder:
    """Accumulates per-second values while the file streams past, for the video stream and
    for each audio programme: one row per second per source (``stream_index`` and, for audio,
    ``programme``). Memory grows with the number of seconds only (a few numbers each)."""

    def __init__(self) -> None:
        self._video_metrics = video_metrics()
        rules = {m.name: m.per_second for m in self._video_metrics}
        self._video: dict[int, _VideoSeconds] = defaultdict(lambda: _VideoSeconds(rules))
        self._audio: dict[tuple[int, str | None], _AudioSeconds] = defaultdict(_AudioSeconds)

    def add_video(self, frame: VideoFrame, stream_index: int) -> None:
        self._video[stream_index].add(frame)

    def add_late(self, stream_index: int, t_s: float, name: str, value: float) -> None:
        """A value of a video-row metric measured over a stretch that ended later (an A/V
        window's offset), placed at ``t_s`` s on the video stream's rows."""
        self._video[stream_index].add_value(t_s, name, value)

    def add_audio(self, block: AudioBlock) -> None:
        if block.n:
            self._audio[(block.stream_index, block.programme)].add(block)

    def table(self) -> dict[str, list[Any]]:
        """Columns (t_s, stream_index, programme, then :func:`columns`) with one entry per
        second per source, None where a source has no such measurement."""
        cols: dict[str, list[Any]] = {"t_s": [], "stream_index": [], "programme": []}
        for metric in columns():
            cols[metric.name] = []
        sources: list[tuple[int, str | None, _VideoSeconds | _AudioSeconds]] = [
            (idx, None, v) for idx, v in sorted(self._video.items())
        ]
        sources += [(idx, name, a) for (idx, name), a in self._audio.items()]
        audio_names = {m.name for m in AUDIO_METRICS}
        for idx, programme, source in sources:
            seconds = sorted(source.counts if isinstance(source, _VideoSeconds) else source.samples)
            for sec in seconds:
                cols["t_s"].append(float(sec))
                cols["stream_index"].append(idx)
                cols["programme"].append(programme)
                for metric in columns():
                    own = (metric.name in audio_names) == isinstance(source, _AudioSeconds)
                    cols[metric.name].append(source.value(sec, metric) if own else None)
        return cols

"""`black`: stretches of black picture (FFmpeg's blackdetect, with the true start and end).

A frame is black when at least ``picture_black_ratio`` of its luma samples are at or below
``pixel_threshold`` of the stream's nominal range: 10% of 16–235 at 8-bit limited range
(code ≤ 37), of 0–255 at full range (≤ 25), scaled with bit depth. The ratio is measured on the
frame's shared subsample (every n-th row and column), which estimates the full-frame ratio to
well within a percent on real pictures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import StreamInfo, VideoFrame
from .base import Metric, ParamsBase, VideoDetector, param, severity_param
from .intervals import Interval, RunTracker
from .planes import dark_code_threshold


@dataclass(frozen=True)
class BlackParams(ParamsBase):
    min_duration_s: float = param(
        2.0, unit="s", help="Shortest black stretch reported.", mirrors="blackdetect d=2"
    )
    picture_black_ratio: float = param(
        0.98,
        unit="ratio",
        help="Share of luma samples that must be dark for a frame to count as black.",
        mirrors="blackdetect picture_black_ratio_th=0.98",
        maximum=1.0,
    )
    pixel_threshold: float = param(
        0.10,
        unit="ratio",
        help="A luma sample is dark at or below this fraction of the nominal range.",
        mirrors="blackdetect pixel_black_th=0.10",
        maximum=1.0,
    )
    severity: str = severity_param("error")


def black_ratio(luma: np.ndarray, dark_code: int) -> float:
    """Share (0–1) of the samples of ``luma`` at or below ``dark_code``."""
    return float(np.count_nonzero(luma <= dark_code)) / luma.size


class BlackDetector(VideoDetector[BlackParams]):
    name = "black"
    description = "Black picture for at least min_duration_s."
    Params = BlackParams
    publishes = (Metric("black_ratio", "ratio", "Share of dark luma samples (0–1)."),)

    def __init__(self, params: BlackParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker(min_duration_s=params.min_duration_s)
        self._dark_code: int | None = None

    def update(self, frame: VideoFrame) -> None:
        if self._dark_code is None:
            self._dark_code = dark_code_threshold(
                frame.black_level, frame.white_level, self.params.pixel_threshold
            )
        ratio = black_ratio(frame.small, self._dark_code)
        frame.features["black_ratio"] = ratio
        self.track(
            self.tracker.update(ratio >= self.params.picture_black_ratio, frame.t_s, frame.index)
        )

    def on_run(self, run: Interval) -> None:
        self.emit_run(run, f"Black picture for {run.duration_s:.2f} s ({run.units} frames).")

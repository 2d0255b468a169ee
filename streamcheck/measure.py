"""Measurements that several consumers need, computed once per frame.

Every decoded picture gets ``luma_mean`` (mean luma, 0–1 of the code range) and ``motion``
(mean absolute luma difference to the previous picture, 0–1 of the code range) in its
``features``, both on the frame's shared subsample. Detectors add their own scores there too.
"""

from __future__ import annotations

import numpy as np

from .detectors.planes import mean_abs_diff
from .model import VideoFrame


class VideoMeasure:
    """Streaming per-frame measurements of one video stream."""

    def __init__(self) -> None:
        self._prev: np.ndarray | None = None

    def update(self, frame: VideoFrame) -> None:
        small = frame.small
        frame.features["luma_mean"] = float(small.mean()) / frame.code_max
        prev = self._prev
        if prev is not None and prev.shape == small.shape:
            frame.features["motion"] = mean_abs_diff(small, prev, frame.code_max)
        self._prev = small

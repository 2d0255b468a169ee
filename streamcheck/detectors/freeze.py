"""`freeze`: the picture stops changing (FFmpeg's freezedetect, with the true start and end).

Each frame is compared with the *first* frame of the candidate freeze (the reference), not with
its predecessor, so a picture drifting slowly (a slow pan) never accumulates into a freeze. The
score is the mean absolute luma difference as a fraction of the code range; at or below
``noise`` (0.001 = FFmpeg's −60 dB) the frame is frozen. That tolerance keeps a held frame with
slight encoder noise frozen, while real sensor noise (σ of a code value or more) and any motion
stay far above it. A frame that differs becomes the new reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Event, VideoFrame
from .base import Detector, ParamsBase, param, run_event, severity_param
from .intervals import RunTracker


@dataclass(frozen=True)
class FreezeParams(ParamsBase):
    min_duration_s: float = param(
        2.0, unit="s", help="Shortest frozen stretch reported.", mirrors="freezedetect d=2"
    )
    noise: float = param(
        0.001,
        unit="ratio",
        help="Largest mean absolute luma difference (fraction of the code range) that still "
        "counts as the same picture.",
        mirrors="freezedetect n=-60dB",
    )
    severity: str = severity_param("error")


def mean_abs_diff(a: np.ndarray, b: np.ndarray, code_max: int) -> float:
    """Mean absolute difference of two equal-shape luma arrays, as a 0–1 fraction of
    ``code_max``."""
    d = np.abs(a.astype(np.int32) - b.astype(np.int32))
    return float(d.mean()) / code_max


class FreezeDetector(Detector):
    name = "freeze"
    kind = "video"
    description = "Picture unchanged (within encoder noise) for at least min_duration_s."
    Params = FreezeParams

    def __init__(self, params: FreezeParams, stream_index: int) -> None:
        super().__init__(params, stream_index)
        self.p = params
        self.tracker = RunTracker(min_duration_s=params.min_duration_s)
        self.events: list[Event] = []
        self._ref: np.ndarray | None = None
        self._ref_t = 0.0
        self._ref_index = 0

    def update(self, frame: VideoFrame) -> None:
        ref = self._ref
        if ref is None or ref.shape != frame.small.shape:
            frozen = False
        else:
            frozen = mean_abs_diff(frame.small, ref, frame.code_max) <= self.p.noise
        if frozen:
            if not self.tracker.active:  # the freeze began at the reference frame
                self._emit(self.tracker.update(True, self._ref_t, self._ref_index))
            self._emit(self.tracker.update(True, frame.t_s, frame.index))
        else:
            self._emit(self.tracker.update(False, frame.t_s, frame.index))
            self._ref = frame.small  # owned by the frame, never written to
            self._ref_t = frame.t_s
            self._ref_index = frame.index

    def finish(self, end_s: float) -> list[Event]:
        self._emit(self.tracker.finish(end_s))
        return self.events

    def _emit(self, runs: list) -> None:
        self.events += [
            run_event(self, r, f"Picture frozen for {r.duration_s:.2f} s ({r.units} frames).")
            for r in runs
        ]

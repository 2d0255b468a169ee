"""`freeze`: the picture stops changing (FFmpeg's freezedetect, with the true start and end).

Each frame is compared with the *first* frame of the candidate freeze (the reference), not with
its predecessor, so a picture drifting slowly (a slow pan) never accumulates into a freeze. A
frame that differs becomes the new reference.

The score is the mean absolute difference of the two pictures' *block means* (8×8 blocks of the
frame's shared subsample: a thumbnail about 40–50 blocks wide), as a fraction of the code range;
at or below ``noise`` (0.001 = freezedetect's −60 dB) the frame is frozen. freezedetect compares
raw pixels, and a held frame does not stay bit-identical after lossy coding: each keyframe or
golden-frame refresh re-quantises its texture. On our fixtures a held picture moved by up to
1.2 code values (MPEG-2 at 4 Mbit/s, 0.0047 of the range) and 1.07 (AV1) on raw pixels, far past
−60 dB, while block means stayed within 0.25 and 0.19: codecs keep block averages (the DC) and
re-quantise the detail. Real motion, even a pan of half a pixel per frame, moves block means by
several code values, and sensor noise that survives coding (σ of a few codes) by 0.3 to 0.75,
so neither is taken for a freeze.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Needs, StreamInfo, VideoFrame
from .base import ParamsBase, VideoDetector, param, severity_param
from .intervals import Interval, RunTracker
from .planes import block_means, mean_abs_diff


@dataclass(frozen=True)
class FreezeParams(ParamsBase):
    min_duration_s: float = param(
        2.0, unit="s", help="Shortest frozen stretch reported.", mirrors="freezedetect d=2"
    )
    noise: float = param(
        0.001,
        unit="ratio",
        help="Largest mean absolute difference of 8×8 block means of luma (fraction of the code "
        "range) that still counts as the same picture.",
        mirrors="freezedetect n=-60dB",
        maximum=1.0,
    )
    severity: str = severity_param("error")


class FreezeDetector(VideoDetector[FreezeParams]):
    name = "freeze"
    description = "Picture unchanged (within encoder noise) for at least min_duration_s."
    Params = FreezeParams

    def __init__(self, params: FreezeParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        # never merged: a new reference picture is a new freeze, even when it touches the last
        self.tracker = RunTracker(min_duration_s=params.min_duration_s, merge_gap_s=None)
        self._ref: np.ndarray | None = None
        self._ref_t = 0.0
        self._ref_index = 0

    def needs(self) -> Needs:
        return Needs(blocks=True)

    def update(self, frame: VideoFrame) -> None:
        means = frame.blocks if frame.blocks is not None else block_means(frame.small)
        ref = self._ref
        if ref is None or ref.shape != means.shape:
            frozen = False
        else:
            frozen = mean_abs_diff(means, ref, frame.code_max) <= self.params.noise
        if frozen:
            if not self.tracker.active:  # the freeze began at the reference frame
                self.track(self.tracker.update(True, self._ref_t, self._ref_index))
            self.track(self.tracker.update(True, frame.t_s, frame.index))
        else:
            self.track(self.tracker.update(False, frame.t_s, frame.index))
            self._ref = means
            self._ref_t = frame.t_s
            self._ref_index = frame.index

    def on_run(self, run: Interval) -> None:
        self.emit_run(run, f"Picture frozen for {run.duration_s:.2f} s ({run.units} frames).")

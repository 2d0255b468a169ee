"""`freeze`: the picture stops changing (FFmpeg's freezedetect, with the true start and end).

Each frame is compared with the *first* frame of the candidate freeze (the reference), not with
its predecessor, so a picture drifting slowly (a slow pan) never accumulates into a freeze. A
frame that differs becomes the new reference.

The pictures are compared by their *block means* (8×8 blocks of the frame's shared subsample: a
thumbnail about 40–50 blocks wide), as fractions of the code range. freezedetect compares raw
pixels, and a held frame does not stay bit-identical after lossy coding: each keyframe or
golden-frame refresh re-quantises its texture. On our fixtures a held picture moved by up to
1.2 code values (MPEG-2 at 4 Mbit/s, 0.0047 of the range) and 1.07 (AV1) on raw pixels, far past
−60 dB, while block means stayed within 0.25 and 0.19: codecs keep block averages (the DC) and
re-quantise the detail. A frame is the same picture when all of these hold:

- the mean difference of the luma block means **inside the active picture** (black bars of a
  letterboxed or pillarboxed picture left out: they never change and would dilute a change of
  the picture) is at most ``noise`` (0.001 = freezedetect's −60 dB);
- **no single block** moved by more than ``block_noise`` (3.5 code values at 8 bits): a small
  live window over a still background (picture-in-picture, 8% of the frame: its blocks move by
  9–87 code values), a running clock, or a dim scene with slow motion (1.3–7 code values within
  its first two seconds) changes a few blocks by several code values while the whole
  picture's mean moves less than ``noise``; a keyframe's refresh of a held picture moved its
  blocks by up to 2.1 code values (H.264, 640×360, the eval corpus's news programme);
- the **colour** did not change: the same two tests, with :data:`CHROMA_FACTOR` (4) times the
  tolerances, on the block means of both chroma planes
  (FFmpeg's FATE freezedetect test has a stretch whose luma is constant while its colours
  change every frame), against the colour of the first frame whose luma equals the
  reference's. Chroma is read only when the luma says frozen, so moving pictures pay nothing
  for it (a colour change between the reference and the next frame alone goes unseen).

Real motion, even a pan of half a pixel per frame, moves block means by several code values,
and sensor noise that survives coding (σ of a few codes) by 0.3 to 0.75, so neither is taken
for a freeze.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..model import Needs, StreamInfo, VideoFrame
from .base import ParamsBase, VideoDetector, param, severity_param
from .intervals import Interval, RunTracker
from .planes import BLOCK, block_means

# chroma is coded on a quarter of the samples and quantised more coarsely: an AV1 keyframe's
# refresh of a held picture moved its chroma block means by 0.46 code values on average and 7
# at most (luma: 0.2 and 1.0), while colour changes that keep a picture live (a colour wash,
# FATE's mptestsrc stretch) move them by tens of code values within a fifth of a second
CHROMA_FACTOR = 4.0


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
        maximum=0.05,
    )
    block_noise: float = param(
        0.014,
        unit="ratio",
        help="Largest change of one 8×8 block mean (luma or chroma, fraction of the code range) "
        "that still counts as the same picture: a small moving region is not a freeze.",
        maximum=0.5,
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
        # the colour of the first frame found like the reference (block means, active area)
        self._ref_chroma: list[np.ndarray] | None = None

    def needs(self) -> Needs:
        return Needs(blocks=True, bars=True, chroma=True)

    def _same(self, a: np.ndarray, b: np.ndarray, code_max: int, factor: float = 1.0) -> bool:
        """Are two block-mean pictures (of the active area) the same picture, within
        ``factor`` times the tolerances?"""
        if a.shape != b.shape or a.size == 0:
            return False
        diff = cv2.absdiff(a, b)
        p = self.params
        return float(diff.mean()) <= factor * p.noise * code_max and float(diff.max()) <= (
            factor * p.block_noise * code_max
        )

    def update(self, frame: VideoFrame) -> None:
        means = frame.blocks if frame.blocks is not None else block_means(frame.small)
        per_sample = frame.step * frame.scale
        means = _active(means, frame.bars, per_sample)
        ref = self._ref
        frozen = ref is not None and self._same(means, ref, frame.code_max)
        if frozen and frame.chroma is not None:
            chroma = _chroma_means(self._chroma_small(frame), frame.bars, per_sample)
            if self._ref_chroma is None:  # the first frame like the reference: colour from here
                self._ref_chroma = chroma
            else:
                frozen = all(
                    self._same(c, r, frame.code_max, CHROMA_FACTOR)
                    for c, r in zip(chroma, self._ref_chroma, strict=True)
                )
        if frozen:
            if not self.tracker.active:  # the freeze began at the reference frame
                self.track(self.tracker.update(True, self._ref_t, self._ref_index))
            self.track(self.tracker.update(True, frame.t_s, frame.index))
        else:
            self.track(self.tracker.update(False, frame.t_s, frame.index))
            self._ref = means
            self._ref_t = frame.t_s
            self._ref_index = frame.index
            self._ref_chroma = None

    @staticmethod
    def _chroma_small(frame: VideoFrame) -> tuple[np.ndarray, np.ndarray]:
        """Both chroma planes subsampled to the luma subsample's size (copies: the decoder
        reuses its planes)."""
        assert frame.chroma is not None
        h, w = frame.small.shape
        out = []
        for plane in frame.chroma:
            ry = max(1, round(plane.shape[0] / h))
            rx = max(1, round(plane.shape[1] / w))
            out.append(np.ascontiguousarray(plane[::ry, ::rx][:h, :w]))
        return out[0], out[1]

    def on_run(self, run: Interval) -> None:
        self.emit_run(run, f"Picture frozen for {run.duration_s:.2f} s ({run.units} frames).")


def _active(
    means: np.ndarray, bars: tuple[int, int, int, int] | None, per_sample: int = 1
) -> np.ndarray:
    """The block means inside the active picture: blocks that overlap a black bar left out
    (``bars`` in the stream's pixels, as the measure step gives them; ``per_sample``: the
    stream's pixels per sample of the subsample the blocks are made of); all of them when the
    picture is black (``bars`` None) or would keep no block."""
    if not bars or not any(bars):
        return means
    size = BLOCK * max(per_sample, 1)  # the stream's pixels per block
    top, bottom, left, right = (-(-x // size) for x in bars)  # blocks touching a bar
    h, w = means.shape
    if top + bottom >= h or left + right >= w:
        return means
    return means[top : h - bottom, left : w - right]


def _chroma_means(
    planes: tuple[np.ndarray, np.ndarray],
    bars: tuple[int, int, int, int] | None,
    per_sample: int,
) -> list[np.ndarray]:
    """Block means of the active area of both chroma subsamples (made to the luma
    subsample's size, so on its grid)."""
    return [_active(block_means(p), bars, per_sample) for p in planes]

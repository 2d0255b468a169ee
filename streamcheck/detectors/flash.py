"""`flash`: photosensitive-epilepsy risk (Ofcom guidance, ITU-R BT.1702 general flash rule).

A transition is a change in relative luminance of at least ``min_delta`` (0.1 of white) over
at least ``min_area`` (25%) of the picture while the darker state is below ``dark_limit`` (0.8),
measured frame to frame on the frame's 8×8 block means of luma (a thumbnail about 40–50
wide, shared with freeze) mapped to relative luminance (linear light through the nominal range
and a 2.2 gamma). Mapping the block mean rather than averaging mapped pixels reads textured
blocks slightly darker; flashes are large, flat changes, which it does not affect.
Consecutive transitions the same way count once; a flash is a pair of opposing transitions.
More than ``max_transitions`` transitions (3 flashes) in any window of 1 second fails; findings
cover the failing windows; value = the most transitions seen in one second.

Frame-to-frame changes under-count flashes whose ramps span several frames; at 25–60 fps a
harmful flash (3+ per second) ramps in a frame or two.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..model import Needs, StreamInfo, VideoFrame
from .base import ParamsBase, VideoDetector, param, severity_param
from .intervals import Interval, RunTracker
from .planes import block_means


@dataclass(frozen=True)
class FlashParams(ParamsBase):
    min_delta: float = param(
        0.1,
        unit="ratio",
        help="Change of relative luminance (1 = white) that is a transition.",
        mirrors="ITU-R BT.1702 / Ofcom: 20 cd/m² ≈ 0.1 of a 200 cd/m² display",
        maximum=1.0,
    )
    min_area: float = param(
        0.25,
        unit="ratio",
        help="Share of the picture that must change together.",
        mirrors="Ofcom: a quarter of the screen",
        maximum=1.0,
    )
    dark_limit: float = param(
        0.8,
        unit="ratio",
        help="The darker state must be below this relative luminance.",
        mirrors="ITU-R BT.1702: darker image below 160 cd/m² (0.8)",
        maximum=1.0,
    )
    max_transitions: int = param(
        6,
        unit="transitions/s",
        help="Most opposing transitions allowed in any 1 s window.",
        mirrors="Ofcom: no more than 3 flashes per second",
        minimum=1,
    )
    severity: str = severity_param("error")


def relative_luminance_lut(black: int, white: int, code_max: int) -> np.ndarray:
    """float32 table code value → relative luminance (0 black, 1 white), gamma 2.2."""
    codes = np.arange(code_max + 1, dtype=np.float32)
    return (np.clip((codes - black) / (white - black), 0.0, 1.0) ** 2.2).astype(np.float32)


class FlashDetector(VideoDetector[FlashParams]):
    name = "flash"
    description = "More than 3 flashes in any second (photosensitive-epilepsy risk)."
    Params = FlashParams

    def __init__(self, params: FlashParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        # each failing 1 s window is an interval; windows that overlap or touch are one finding
        self.tracker = RunTracker(merge_gap_s=0.0)
        self._lut: np.ndarray | None = None
        self._prev: np.ndarray | None = None
        self._direction = 0
        self._times: deque[float] = deque()

    def needs(self) -> Needs:
        return Needs(blocks=True)

    def update(self, frame: VideoFrame) -> None:
        p = self.params
        if self._lut is None or self._lut.size != frame.code_max + 1:  # first, or new depth
            self._lut = relative_luminance_lut(frame.black_level, frame.white_level, frame.code_max)
            self._prev = None
        blocks = frame.blocks if frame.blocks is not None else block_means(frame.small)
        # block means lie in 0…code_max: +0.5 and truncation round them to a table index
        lum = self._lut[(blocks + 0.5).astype(np.intp)]
        prev, self._prev = self._prev, lum
        if prev is None or prev.shape != lum.shape:
            return
        delta = lum - prev
        dark = np.minimum(lum, prev) < p.dark_limit
        up = np.count_nonzero((delta >= p.min_delta) & dark) / delta.size
        down = np.count_nonzero((delta <= -p.min_delta) & dark) / delta.size
        direction = 1 if up >= p.min_area else -1 if down >= p.min_area else 0
        if direction == 0 or direction == self._direction:
            return
        self._direction = direction
        t = frame.t_s
        times = self._times
        times.append(t)
        while times and times[0] <= t - 1.0:
            times.popleft()
        if len(times) > p.max_transitions:
            self.track(self.tracker.add(times[0], frame.end_s, float(len(times))))

    def on_run(self, run: Interval) -> None:
        n = run.peak
        self.emit(
            run.start_s,
            run.end_s,
            f"Flashing: up to {int(n)} luminance transitions ({n / 2:g} flashes) in one second, "
            "over the 3-flash limit.",
            value=n,
            unit="transitions/s",
        )

"""`letterbox`: black bars top and bottom (letterbox), left and right (pillarbox), or both.

Measured on the frame's shared luma subsample (the PyAV wheel has no cropdetect): a row or
column is bar when at least ``dark_ratio`` of its samples are dark (at or below
``pixel_threshold`` of the nominal range, the black detector's rule). Bars count only in pairs
(top and bottom, or left and right, each at least ``min_bar`` of the picture's height or width):
one dark edge is picture content. Black frames say nothing about bars and leave the state as it
was. A finding covers each stretch of at least ``min_duration_s`` with bars; value = the mean
fraction of the picture area that is bars.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..model import Event, StreamInfo, VideoFrame
from .base import Detector, ParamsBase, param, run_event, severity_param
from .intervals import RunTracker
from .planes import dark_code_threshold


@dataclass(frozen=True)
class LetterboxParams(ParamsBase):
    min_bar: float = param(
        0.03, unit="ratio", help="Smallest bar, as a fraction of the picture height or width."
    )
    dark_ratio: float = param(
        0.98, unit="ratio", help="Share of a row's or column's samples that must be dark."
    )
    pixel_threshold: float = param(
        0.10,
        unit="ratio",
        help="A sample is dark at or below this fraction of the range.",
        mirrors="blackdetect pixel_black_th=0.10",
    )
    min_duration_s: float = param(2.0, unit="s", help="Shortest stretch with bars reported.")
    severity: str = severity_param("info")


def _leading(flags: np.ndarray) -> int:
    """Number of leading True values."""
    off = np.flatnonzero(~flags)
    return int(off[0]) if off.size else int(flags.size)


def bars(small: np.ndarray, dark_code: int, dark_ratio: float) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) bar sizes in rows/columns of ``small``."""
    dark = small <= dark_code
    rows = dark.mean(axis=1) >= dark_ratio
    cols = dark.mean(axis=0) >= dark_ratio
    return _leading(rows), _leading(rows[::-1]), _leading(cols), _leading(cols[::-1])


class LetterboxDetector(Detector):
    name = "letterbox"
    kind = "video"
    description = "Black bars (letterbox, pillarbox or both) for at least min_duration_s."
    Params = LetterboxParams

    def __init__(self, params: LetterboxParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.p = params
        self.tracker = RunTracker(min_duration_s=params.min_duration_s)
        self.events: list[Event] = []
        self._dark: int | None = None
        self._state = False
        self._shapes: Counter[tuple[int, int, int, int]] = Counter()
        self._size = (1, 1)

    def update(self, frame: VideoFrame) -> None:
        if self._dark is None:
            self._dark = dark_code_threshold(
                frame.black_level, frame.white_level, self.p.pixel_threshold
            )
        h, w = frame.small.shape
        self._size = (h, w)
        top, bottom, left, right = bars(frame.small, self._dark, self.p.dark_ratio)
        fraction = 0.0
        if top < h:  # not a black frame: decide
            tb = min(top, bottom) >= self.p.min_bar * h
            lr = min(left, right) >= self.p.min_bar * w
            self._state = tb or lr
            if self._state:
                active = (h - (top + bottom if tb else 0)) * (w - (left + right if lr else 0))
                fraction = 1.0 - active / (h * w)
                self._shapes[
                    (top if tb else 0, bottom if tb else 0, left if lr else 0, right if lr else 0)
                ] += 1
        frame.features["bars_ratio"] = fraction
        self._emit(self.tracker.update(self._state, frame.t_s, frame.index, fraction))

    def finish(self, end_s: float) -> list[Event]:
        self._emit(self.tracker.finish(end_s))
        return self.events

    def _emit(self, runs: list) -> None:
        for r in runs:
            h, w = self._size
            shape = self._shapes.most_common(1)[0][0] if self._shapes else (0, 0, 0, 0)
            self._shapes.clear()
            top, bottom, left, right = (
                100 * x / d for x, d in zip(shape, (h, h, w, w), strict=True)
            )
            kind = (
                "letterbox and pillarbox"
                if (top and left)
                else ("letterbox" if top else "pillarbox")
            )
            mean = r.total / max(r.units, 1)
            self.events.append(
                run_event(
                    self,
                    r,
                    f"Black bars ({kind}: top {top:.0f}%, bottom {bottom:.0f}%, left {left:.0f}%, "
                    f"right {right:.0f}%), {100 * mean:.0f}% of the picture.",
                    value=mean,
                    unit="ratio",
                )
            )

"""`letterbox`: black bars top and bottom (letterbox), left and right (pillarbox), or both.

The bars come from the measure step (``VideoFrame.bars``: rows and columns whose samples are
≥ 98% at or below 10% of the nominal range, on the frame's shared luma subsample, by
:func:`~.planes.find_bars`; the PyAV wheel has no cropdetect). Bars count only in pairs
(top and bottom, or left and right, each at least ``min_bar`` of the picture's height or width):
one dark edge is picture content. Black frames say nothing about bars and leave the state as it
was. A finding covers each stretch of at least ``min_duration_s`` with bars; value = the mean
fraction of the picture area that is bars.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Needs, StreamInfo, VideoFrame
from .base import Metric, ParamsBase, VideoDetector, param, severity_param
from .intervals import Interval, RunTracker


@dataclass(frozen=True)
class LetterboxParams(ParamsBase):
    min_bar: float = param(
        0.03,
        unit="ratio",
        help="Smallest bar, as a fraction of the picture height or width.",
        maximum=0.5,
    )
    min_duration_s: float = param(2.0, unit="s", help="Shortest stretch with bars reported.")
    severity: str = severity_param("info")


BLACK = "black"  # the count of a run's black frames (they show no bars)


class LetterboxDetector(VideoDetector[LetterboxParams]):
    name = "letterbox"
    description = "Black bars (letterbox, pillarbox or both) for at least min_duration_s."
    Params = LetterboxParams
    publishes = (Metric("bars_ratio", "ratio", "Share of the picture that is black bars."),)

    def __init__(self, params: LetterboxParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker(min_duration_s=params.min_duration_s)
        self._state = False
        self._size = (1, 1)

    def needs(self) -> Needs:
        return Needs(bars=True)

    def update(self, frame: VideoFrame) -> None:
        h, w = frame.size  # the stream's own pixels, as ``bars`` (also at reduced resolution)
        self._size = (h, w)
        fraction = 0.0
        # the run's shapes and its black frames travel with it (Interval.counts), so a short
        # run that is dropped takes its shapes along
        counts = {BLACK: 1}
        if frame.bars is not None:  # a black frame shows no bars: the state stays
            top, bottom, left, right = frame.bars
            tb = min(top, bottom) >= self.params.min_bar * h
            lr = min(left, right) >= self.params.min_bar * w
            self._state = tb or lr
            shape = (top if tb else 0, bottom if tb else 0, left if lr else 0, right if lr else 0)
            counts = {",".join(map(str, shape)): 1}
            if self._state:
                active = (h - (top + bottom if tb else 0)) * (w - (left + right if lr else 0))
                fraction = 1.0 - active / (h * w)
        frame.features["bars_ratio"] = fraction
        self.track(
            self.tracker.update(self._state, frame.t_s, frame.index, fraction, counts=counts)
        )

    def on_run(self, run: Interval) -> None:
        h, w = self._size
        black = run.counts.pop(BLACK, 0)
        label = run.counts.most_common(1)[0][0] if run.counts else "0,0,0,0"
        shape = tuple(int(x) for x in label.split(","))
        top, bottom, left, right = (100 * x / d for x, d in zip(shape, (h, h, w, w), strict=True))
        kind = (
            "letterbox and pillarbox" if (top and left) else ("letterbox" if top else "pillarbox")
        )
        mean = run.total / max(run.units - black, 1)  # of the frames that show their bars
        self.emit_run(
            run,
            f"Black bars ({kind}: top {top:.0f}%, bottom {bottom:.0f}%, left {left:.0f}%, "
            f"right {right:.0f}%), {100 * mean:.0f}% of the picture.",
            value=mean,
            unit="ratio",
        )

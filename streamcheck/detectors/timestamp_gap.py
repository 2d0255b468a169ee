"""`timestamp_gap`: presentation times that jump, go backwards or repeat.

Video: a step between consecutive pictures larger than ``max_step_frames`` nominal frame
durations is a gap (value = missing frames); a step of zero or less is a repeat or a jump back.
Pictures the decoder itself dropped are decode damage, not gaps, and are left to
`decode_error`. Streams that declare a variable frame rate (average rate ≠ base rate) have no
nominal step: there only gaps longer than ``vfr_max_step_s`` count, so a screen recording
that sends pictures only when something changes does not flood the report.

Audio: a block that starts more than ``audio_tolerance_s`` after the previous one ended
(value = missing seconds) or before it ended (value negative: overlap).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import AudioBlock, Event, StreamInfo, VideoFrame
from .base import Detector, ParamsBase, param, severity_param


@dataclass(frozen=True)
class TimestampGapParams(ParamsBase):
    max_step_frames: float = param(
        1.5, unit="frames", help="Largest step between pictures, in nominal frame durations."
    )
    vfr_max_step_s: float = param(
        1.0, unit="s", help="Largest step between pictures of a variable-frame-rate stream."
    )
    audio_tolerance_s: float = param(
        0.005, unit="s", help="Audio blocks may start this far from where the last one ended."
    )
    severity: str = severity_param("warning")


class TimestampGapDetector(Detector):
    """Runs on the video stream and on every audio stream (kind ``av``)."""

    name = "timestamp_gap"
    kind = "av"
    description = "Presentation times that jump forward, go back or repeat (video and audio)."
    Params = TimestampGapParams

    def __init__(self, params: TimestampGapParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.p = params
        self.events: list[Event] = []
        self._prev: VideoFrame | None = None
        self._next_t: float | None = None
        self._pending: tuple[float, float, float] | None = None  # audio step awaiting judgement

    def update(self, item: VideoFrame | AudioBlock) -> None:
        if isinstance(item, AudioBlock):
            self._audio(item)
        else:
            self._video(item)

    def finish(self, end_s: float) -> list[Event]:
        if self._pending is not None:  # a step in the very last block stands
            self._audio_event(*self._pending)
            self._pending = None
        return self.events

    def _video(self, frame: VideoFrame) -> None:
        prev, self._prev = self._prev, frame
        if prev is None:
            return
        step = frame.t_s - prev.t_s
        nominal = self.stream.frame_s or prev.duration_s
        if step <= 0:
            what = "repeats" if step == 0 else f"goes back {-step:.3f} s"
            self._event(
                prev.t_s,
                frame.t_s,
                step,
                "s",
                f"Video timestamp {what} at frame {frame.index}.",
                frame.index,
                frame.index + 1,
            )
            return
        limit = self.p.vfr_max_step_s if self.stream.vfr else self.p.max_step_frames * nominal
        if step <= limit:
            return
        missing = max(1, round(step / nominal) - 1) if nominal > 0 else 1
        if frame.dropped_before and frame.dropped_before >= missing:
            return  # the decoder dropped them: decode damage, reported by decode_error
        self._event(
            prev.end_s,
            frame.t_s,
            float(missing),
            "frames",
            f"Video timestamps jump {step:.3f} s after frame {prev.index}: about "
            f"{missing} frame(s) missing.",
            prev.index + 1,
            frame.index,
        )

    def _event(
        self, start: float, end: float, value: float, unit: str, detail: str, f0: int, f1: int
    ) -> None:
        self.events.append(
            Event(
                detector=self.name,
                severity=self.severity,
                start_s=min(start, end),
                end_s=max(start, end),
                value=value,
                unit=unit,
                detail=detail,
                stream_index=self.stream_index,
                frame_start=f0,
                frame_end=f1,
            )
        )

    def _audio(self, block: AudioBlock) -> None:
        """A jump must persist: Ogg/Vorbis timestamps wobble by a short block (±10 ms) around
        the sample count and come straight back, which is not a gap. A step is judged when the
        next block shows whether the timeline stayed moved."""
        expected, self._next_t = self._next_t, block.end_s
        if expected is None:
            return
        step = block.t_s - expected
        pending, self._pending = self._pending, None
        if pending is not None:
            p_expected, p_start, p_step = pending
            if abs(step + p_step) > self.p.audio_tolerance_s:  # not undone: a real step
                self._audio_event(p_expected, p_start, p_step)
            else:
                return  # wobble: undone by this block
        if abs(step) > self.p.audio_tolerance_s:
            self._pending = (expected, block.t_s, step)

    def _audio_event(self, expected: float, start: float, step: float) -> None:
        if step > 0:
            detail = f"Audio timestamps jump: {step:.3f} s missing."
        else:
            detail = f"Audio timestamps overlap the previous block by {-step:.3f} s."
        self.events.append(
            Event(
                detector=self.name,
                severity=self.severity,
                start_s=min(expected, start),
                end_s=max(expected, start),
                value=step,
                unit="s",
                detail=detail,
                stream_index=self.stream_index,
            )
        )

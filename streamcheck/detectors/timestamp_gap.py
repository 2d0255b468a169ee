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
from typing import ClassVar

from ..model import AudioBlock, StreamInfo, VideoFrame
from .base import Kind, ParamsBase, StreamDetector, param, severity_param
from .intervals import Interval, RunTracker

GAP, BACK, AUDIO = "video gap", "video back", "audio step"


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


class TimestampGapDetector(StreamDetector[TimestampGapParams]):
    """Runs on the video stream and on every audio stream (kind ``av``). Each jump is one
    interval of the run tracker (never merged with another)."""

    name = "timestamp_gap"
    kind: ClassVar[Kind] = "av"
    description = "Presentation times that jump forward, go back or repeat (video and audio)."
    Params = TimestampGapParams

    def __init__(self, params: TimestampGapParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker(merge_gap_s=None)
        self._prev: VideoFrame | None = None
        self._next_t: float | None = None
        self._pending: tuple[float, float, float] | None = None  # audio step awaiting judgement

    @property
    def open_start_s(self) -> float | None:
        return None  # a jump is final when seen: nothing is ever being confirmed

    def update(self, item: VideoFrame | AudioBlock) -> None:
        if isinstance(item, AudioBlock):
            self._audio(item)
        else:
            self._video(item)

    def close(self, end_s: float) -> None:
        if self._pending is not None:  # a step in the very last block stands
            self._audio_step(*self._pending)
            self._pending = None
        super().close(end_s)

    def _video(self, frame: VideoFrame) -> None:
        prev, self._prev = self._prev, frame
        if prev is None:
            return
        step = frame.t_s - prev.t_s
        nominal = self.stream.frame_s or prev.duration_s
        if step <= 0:
            self.track(
                self.tracker.add(
                    min(prev.t_s, frame.t_s),
                    max(prev.t_s, frame.t_s),
                    step,
                    first=frame.index,
                    last=frame.index,
                    counts={BACK: 1},
                )
            )
            return
        limit = (
            self.params.vfr_max_step_s if self.stream.vfr else self.params.max_step_frames * nominal
        )
        if step <= limit:
            return
        missing = max(1, round(step / nominal) - 1) if nominal > 0 else 1
        if frame.dropped_before and frame.dropped_before >= missing:
            return  # the decoder dropped them: decode damage, reported by decode_error
        self.track(
            self.tracker.add(
                prev.end_s,
                frame.t_s,
                float(missing),
                first=prev.index + 1,
                last=frame.index - 1,
                counts={GAP: 1},
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
            if abs(step + p_step) > self.params.audio_tolerance_s:  # not undone: a real step
                self._audio_step(p_expected, p_start, p_step)
            else:
                return  # wobble: undone by this block
        if abs(step) > self.params.audio_tolerance_s:
            self._pending = (expected, block.t_s, step)

    def _audio_step(self, expected: float, start: float, step: float) -> None:
        self.track(
            self.tracker.add(min(expected, start), max(expected, start), step, counts={AUDIO: 1})
        )

    def on_run(self, run: Interval) -> None:
        if run.counts[GAP]:
            missing = int(run.peak)
            detail = (
                f"Video timestamps jump after frame {run.first - 1}: {run.duration_s:.3f} s "
                f"(about {missing} frame(s)) missing."
            )
            self.emit_run(run, detail, value=run.peak, unit="frames")
        elif run.counts[BACK]:
            what = "repeats" if run.peak == 0 else f"goes back {-run.peak:.3f} s"
            self.emit_run(run, f"Video timestamp {what} at frame {run.first}.", value=run.peak)
        elif run.peak > 0:
            detail = f"Audio timestamps of {self.stream.name} jump: {run.peak:.3f} s missing."
            self.emit(run.start_s, run.end_s, detail, value=run.peak, unit="s")
        else:
            self.emit(
                run.start_s,
                run.end_s,
                f"Audio timestamps of {self.stream.name} overlap the previous block by "
                f"{-run.peak:.3f} s.",
                value=run.peak,
                unit="s",
            )

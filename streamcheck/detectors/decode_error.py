"""`decode_error`: damage the decoder saw.

Three kinds of evidence, gathered by the decode step for each picture: the decoder's own
corrupt flag, FFmpeg error lines logged while the picture's packet was decoded ("error while
decoding MB …") or packets that failed to decode, and pictures the decoder dropped. Damage
spreads through predicted frames, so a finding runs from the first damaged picture to the next
clean keyframe (or the end of the stream). value = number of pictures in it.

Not seen here: damage that decodes silently to a wrong picture (HEVC's CABAC payload often
does); the picture-based detectors (blockiness, freeze) are the net for that.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Event, StreamInfo, VideoFrame
from .base import Detector, ParamsBase, severity_param


@dataclass(frozen=True)
class DecodeErrorParams(ParamsBase):
    severity: str = severity_param("error")


class DecodeErrorDetector(Detector):
    name = "decode_error"
    kind = "video"
    description = "Pictures the decoder flagged, logged errors for, or dropped."
    Params = DecodeErrorParams

    def __init__(self, params: DecodeErrorParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.events: list[Event] = []
        self._start: VideoFrame | None = None
        self._start_s = 0.0
        self._frames = 0
        self._errors = 0
        self._dropped = 0
        self._corrupt = 0

    def update(self, frame: VideoFrame) -> None:
        damaged = frame.corrupt or frame.decode_errors > 0 or frame.dropped_before > 0
        if self._start is not None and frame.key_frame and not damaged:
            self._close(frame.t_s, frame.index)
        if damaged:
            if self._start is None:
                self._start = frame
                self._start_s = min(frame.t_s, frame.evidence_t_s or frame.t_s)
            self._errors += frame.decode_errors
            self._dropped += frame.dropped_before
            self._corrupt += int(frame.corrupt)
        if self._start is not None:
            self._frames += 1
            self._last = frame

    def finish(self, end_s: float) -> list[Event]:
        if self._start is not None:
            self._close(end_s, self._last.index + 1)
        return self.events

    def _close(self, end_s: float, frame_end: int) -> None:
        start = self._start
        assert start is not None
        parts = []
        if self._errors:
            parts.append(f"{self._errors} decoder error(s)")
        if self._dropped:
            parts.append(f"{self._dropped} picture(s) dropped by the decoder")
        if self._corrupt:
            parts.append(f"{self._corrupt} picture(s) flagged corrupt")
        self.events.append(
            Event(
                detector=self.name,
                severity=self.severity,
                start_s=self._start_s,
                end_s=end_s,
                value=float(self._frames),
                unit="frames",
                detail=f"Decode damage ({', '.join(parts)}) over {self._frames} frame(s) "
                "until the next clean keyframe.",
                stream_index=self.stream_index,
                frame_start=start.index,
                frame_end=frame_end,
            )
        )
        self._start = None
        self._frames = self._errors = self._dropped = self._corrupt = 0

"""`timecode`: breaks in the SMPTE timecode a video stream carries, and drop-frame timecode on a
frame rate that drops no frame numbers.

Where the timecode comes from: the start timecode the container declares (MXF's material
package, a QuickTime/MP4 ``tmcd`` track, Matroska's ``TIMECODE`` tag; :class:`StreamInfo`
``timecode``) and the timecode the codec carries with the pictures (MPEG-2 GOP headers, H.264
and HEVC picture timing SEI; :attr:`VideoFrame.timecode`). Only the second can break inside a
file: each stamp must be the previous one plus the frames decoded in between (a GOP header
comes every half second or so, so a break is placed within one GOP); anything else is a
discontinuity, typically an edit made without regenerating timecode. FFmpeg gives an MPEG-1/2
GOP header's timecode to the picture its decoder outputs next, which is the GOP's first
picture or the one after depending on the decoder's delay at that point: for those codecs a
difference of one frame is within measurement (``tolerance_frames``), and breaks of two
frames or more are reported. SEI timecodes belong to their own picture and are exact. A
QuickTime ``tmcd`` track gives its start only (FFmpeg reads no other sample of it), so its
breaks are not seen.

Drop-frame timecode (``;`` before the frame number) skips frame numbers 0 and 1 of every
minute except each tenth so that 29.97 fps timecode keeps up with the clock; it is only
meaningful at 30000/1001 and 60000/1001 fps. On any other rate it is a wrong flag (SMPTE
ST 12-1), reported once for the stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Needs, StreamInfo, VideoFrame
from .base import ParamsBase, VideoDetector, severity_param

_TIMECODE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")
DROP_FRAME_RATES = (30000 / 1001, 60000 / 1001)  # the rates drop-frame timecode is made for


@dataclass(frozen=True)
class TimecodeParams(ParamsBase):
    severity: str = severity_param("warning")


@dataclass(frozen=True)
class Timecode:
    """A parsed timecode: its text, its frame number from 00:00:00:00 at ``rate`` (whole
    frames per second: 30 for 29.97), and whether it is drop-frame."""

    text: str
    frames: int
    drop: bool


def parse_timecode(text: str, rate: int) -> Timecode | None:
    """``HH:MM:SS:FF`` (``;``, ``.`` or ``,`` before the frames marks drop-frame) at ``rate``
    whole frames per second, or None when ``text`` is not a timecode that rate can have."""
    m = _TIMECODE.match(text)
    if m is None or rate <= 0:
        return None
    hh, mm, ss, sep, ff = int(m[1]), int(m[2]), int(m[3]), m[4], int(m[5])
    if hh > 23 or mm > 59 or ss > 59 or ff >= rate:
        return None
    drop = sep != ":"
    frames = ((hh * 60 + mm) * 60 + ss) * rate + ff
    if drop and rate % 30 == 0:
        skipped = 2 * (rate // 30)  # 2 frame numbers a minute at 29.97, 4 at 59.94
        minutes = hh * 60 + mm
        frames -= skipped * (minutes - minutes // 10)
    return Timecode(text, frames, drop)


def frames_per_day(rate: int, drop: bool) -> int:
    """Frame numbers in 24 hours of timecode (where it wraps to 00:00:00:00)."""
    total = 24 * 3600 * rate
    if drop and rate % 30 == 0:
        total -= 2 * (rate // 30) * (24 * 60 - 24 * 6)
    return total


class TimecodeDetector(VideoDetector[TimecodeParams]):
    name = "timecode"
    description = (
        "Breaks in the timecode the video carries (an edit without new timecode), and "
        "drop-frame timecode on a frame rate that is not 29.97 or 59.94."
    )
    Params = TimecodeParams

    def __init__(self, params: TimecodeParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        fps = 1.0 / stream.frame_s if stream.frame_s > 0 else 25.0
        self.fps = fps
        self.rate = max(1, round(fps))  # timecode counts whole frames: 30 at 29.97
        self._last: tuple[int, Timecode] | None = None  # frame index, its timecode
        self._first: str | None = None
        self._drop_reported = False
        self._declared = stream.timecode
        # frames of uncertainty in where a stamp belongs: MPEG-1/2 GOP timecodes (see above)
        self.tolerance_frames = 1 if stream.codec.startswith("mpeg") else 0
        if stream.timecode is not None:
            self._check_drop(stream.timecode, 0.0)

    def needs(self) -> Needs:
        return Needs(timecode=True)

    def _check_drop(self, text: str, t_s: float) -> None:
        drop = any(sep in text for sep in ";.,")
        if not drop or self._drop_reported:
            return
        if any(abs(self.fps - r) < 0.01 for r in DROP_FRAME_RATES):
            return
        self._drop_reported = True
        self.emit(
            t_s,
            t_s,
            f"Drop-frame timecode ({text}) on a {self.fps:.3g} fps stream: drop-frame is only "
            "meaningful at 29.97 or 59.94 fps.",
            value=self.fps,
            unit="fps",
        )

    def update(self, frame: VideoFrame) -> None:
        text = frame.timecode
        if text is None:
            return
        self._check_drop(text, frame.t_s)
        tc = parse_timecode(text, self.rate)
        if tc is None:
            return
        if self._first is None:
            self._first = text
        if self._last is not None:
            index, last = self._last
            wrap = frames_per_day(self.rate, tc.drop)
            expected = (last.frames + frame.index - index) % wrap
            jump = (tc.frames - expected + wrap // 2) % wrap - wrap // 2  # frames, signed
            if abs(jump) > self.tolerance_frames:
                jump_s = jump / self.fps
                self.emit(
                    frame.t_s,
                    frame.end_s,
                    f"Timecode breaks: {tc.text} follows {last.text} {frame.index - index} "
                    f"frame(s) later (a jump of {jump_s:+.2f} s).",
                    value=jump_s,
                    unit="s",
                )
        self._last = (frame.index, tc)

    def stream_facts(self) -> dict[str, object]:
        """The first timecode the pictures carry, for the stream's row when the container
        declares none."""
        if self._first is None or self._declared is not None:
            return {}
        return {"start_timecode": self._first}

"""`decode_error`: damage the decoder saw.

Four kinds of evidence, gathered by the decode step for each picture: the decoder's own
corrupt flag, FFmpeg error lines logged while the picture's packet was decoded ("error while
decoding MB …"; HEVC's "Skipping invalid undecodable NALU", a slice thrown away, which FFmpeg
logs only as a warning) or packets that failed to decode, pictures the decoder dropped, and,
in H.264/HEVC/VVC carried as Annex B byte streams (MPEG-TS), a run of three zero bytes or more
inside a picture's coded data, which the format cannot hold: data lost or blanked, which
FFmpeg's parser cuts the picture's data at and the decoder conceals without a word (the
rest decodes as "skip", copying the reference).
Damage spreads through predicted frames, so a finding runs from the first damaged picture to
the next clean keyframe (or the end of the stream); a damaged reference picture spoils the
B-pictures decoded after it, which are shown before it, so the finding starts at the first of
those (the decode step's ``evidence_t_s``). value = number of pictures the decoder flagged
or followed in it.

Not seen here: damage that decodes silently to a wrong picture without a zero run (bytes
changed inside an HEVC picture's CABAC payload in MP4 or Matroska can); the picture-based
detectors (blockiness, freeze) are the net for that.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import StreamInfo, VideoFrame
from .base import ParamsBase, VideoDetector, severity_param
from .intervals import Interval, RunTracker


@dataclass(frozen=True)
class DecodeErrorParams(ParamsBase):
    severity: str = severity_param("error")


class DecodeErrorDetector(VideoDetector[DecodeErrorParams]):
    name = "decode_error"
    description = "Pictures the decoder flagged, logged errors for, or dropped."
    Params = DecodeErrorParams

    def __init__(self, params: DecodeErrorParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker()

    def update(self, frame: VideoFrame) -> None:
        damaged = (
            frame.corrupt
            or frame.decode_errors > 0
            or frame.dropped_before > 0
            or frame.lost_before_s > 0
        )
        # a run goes on through the pictures predicted from damaged ones, to a clean keyframe
        active = damaged or (self.tracker.active and not frame.key_frame)
        start = frame.t_s
        if damaged and not self.tracker.active and frame.evidence_t_s is not None:
            start = min(start, frame.evidence_t_s)  # a dropped picture, a failed packet before
        counts = {
            "errors": frame.decode_errors,
            "dropped": frame.dropped_before,
            "corrupt": int(frame.corrupt),
            "lost_ms": round(frame.lost_before_s * 1000),
        }
        self.track(self.tracker.update(active, start, frame.index, counts=counts))

    def on_run(self, run: Interval) -> None:
        parts = []
        if run.counts["lost_ms"]:
            parts.append(f"{run.counts['lost_ms'] / 1000:.2f} s of unreadable data")
        if run.counts["errors"]:
            parts.append(f"{run.counts['errors']} decoder error(s)")
        if run.counts["dropped"]:
            parts.append(f"{run.counts['dropped']} picture(s) dropped by the decoder")
        if run.counts["corrupt"]:
            parts.append(f"{run.counts['corrupt']} picture(s) flagged corrupt")
        self.emit_run(
            run,
            f"Decode damage ({', '.join(parts)}) over {run.units} frame(s) until the next clean "
            "keyframe.",
            value=float(run.units),
            unit="frames",
        )

"""File-level detectors: decided once per file, from what the decoded streams turned out to
be (:class:`~streamcheck.model.FileFacts`). Their findings span the whole file."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import FileFacts
from .base import FileDetector, ParamsBase, param, severity_param


@dataclass(frozen=True)
class AvOffsetParams(ParamsBase):
    early_limit_s: float = param(
        0.045,
        unit="s",
        help="Audio may start this much before the picture.",
        mirrors="ITU-R BT.1359 detectability: sound 45 ms early",
    )
    late_limit_s: float = param(
        0.125,
        unit="s",
        help="Audio may start this much after the picture.",
        mirrors="ITU-R BT.1359 detectability: sound 125 ms late",
    )
    severity: str = severity_param("error")


class AvOffsetDetector(FileDetector[AvOffsetParams]):
    """First audio sample vs first picture on the presentation timeline, per audio stream.
    value = audio start − video start (s; positive: audio late). Edit lists and container start
    times are already applied by the decode step's timeline, so this is what a player shows;
    accurate to one audio block."""

    name = "av_offset"
    description = "Audio starts too early or too late against the picture (BT.1359 window)."
    Params = AvOffsetParams

    def inspect(self, facts: FileFacts) -> None:
        video = facts.first("video")
        if video is None or video.start_s is None:
            return
        for audio in (s for s in facts.streams if s.info.kind == "audio"):
            if audio.start_s is None:
                continue
            offset = audio.start_s - video.start_s
            if offset < -self.params.early_limit_s or offset > self.params.late_limit_s:
                side = "late" if offset > 0 else "early"
                self.emit_file(
                    f"Audio (stream {audio.info.index}) starts {abs(offset) * 1000:.0f} ms "
                    f"{side} against the picture.",
                    value=offset,
                    unit="s",
                    stream_index=audio.info.index,
                )


@dataclass(frozen=True)
class DurationMismatchParams(ParamsBase):
    short_frames: float = param(
        2.0, unit="frames", help="Audio may be this many video frames shorter than video."
    )
    long_s: float = param(2.0, unit="s", help="Audio may be this much longer than video.")
    severity: str = severity_param("warning")


class DurationMismatchDetector(FileDetector[DurationMismatchParams]):
    """Audio vs video duration, per audio stream: value = audio − video duration (s)."""

    name = "duration_mismatch"
    description = "Audio shorter than video by more than 2 frames, or longer by more than 2 s."
    Params = DurationMismatchParams

    def inspect(self, facts: FileFacts) -> None:
        video = facts.first("video")
        if video is None or video.items == 0:
            return
        frame_s = video.info.frame_s
        for audio in (s for s in facts.streams if s.info.kind == "audio" and s.items):
            diff = audio.duration_s - video.duration_s
            if diff < -self.params.short_frames * frame_s or diff > self.params.long_s:
                what = "shorter" if diff < 0 else "longer"
                self.emit_file(
                    f"Audio (stream {audio.info.index}) is {abs(diff):.3f} s {what} than "
                    f"the video ({audio.duration_s:.3f} s vs {video.duration_s:.3f} s).",
                    value=diff,
                    unit="s",
                    stream_index=audio.info.index,
                )


@dataclass(frozen=True)
class MissingStreamParams(ParamsBase):
    require_video: bool = param(False, unit=None, help="A file without video is a finding.")
    require_audio: bool = param(False, unit=None, help="A file without audio is a finding.")
    severity: str = severity_param("error")


class MissingStreamDetector(FileDetector[MissingStreamParams]):
    """A declared audio/video stream that yields nothing decodable; with the switches, a file
    with no video or no audio at all."""

    name = "missing_stream"
    description = "A declared stream with no decodable frames, or a required stream absent."
    Params = MissingStreamParams

    def inspect(self, facts: FileFacts) -> None:
        for s in facts.streams:
            if s.items == 0:
                why = f": {s.messages[0]}" if s.messages else ""
                self.emit_file(
                    f"{s.info.kind.capitalize()} stream {s.info.index} ({s.info.codec}) "
                    f"is declared but yields no decodable frames{why}.",
                    value=0.0,
                    unit="frames",
                    stream_index=s.info.index,
                )
        for note in facts.programme_notes:  # a configured programme the file cannot have
            self.emit_file(f"Configured {note}.")
        kinds = {s.info.kind for s in facts.streams}
        for kind, required in (
            ("video", self.params.require_video),
            ("audio", self.params.require_audio),
        ):
            if required and kind not in kinds:
                self.emit_file(f"The file has no {kind} stream.")

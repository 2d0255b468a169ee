"""Open a media file once and read the facts of its container and streams."""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import av

from ..errors import MediaOpenError
from ..model import FileInfo, StreamInfo, StreamRow, default_names
from .anomalies import LogTap
from .declared import declared_duration
from .video import colour_names, field_order

_ATTACHED_PIC = int(av.stream.Disposition.attached_pic)


def versions() -> tuple[str, str]:
    """(FFmpeg version, PyAV version) of the libraries that decode, for ``--version`` and the
    run metadata."""
    return str(av.ffmpeg_version_info), str(av.__version__)


@dataclass
class Media:
    """An open container and the streams streamcheck analyses: the first real video stream
    (cover art excluded) and every audio stream. ``origin_s`` is the container's start time:
    the presentation time a player shows as 0."""

    container: av.container.InputContainer
    video: av.video.stream.VideoStream | None
    audio: list[av.audio.stream.AudioStream] = field(default_factory=list)
    origin_s: float = 0.0
    path: str = ""
    undecodable: list[StreamInfo] = field(default_factory=list)  # codecs FFmpeg cannot decode
    # (width, height) of each video stream as opened: a decoder told to work at reduced
    # resolution (``--fast``) reports its reduced size once it runs
    sizes: dict[int, tuple[int, int]] = field(default_factory=dict)

    def info_of(self, stream: av.stream.Stream) -> StreamInfo:
        """The :class:`StreamInfo` detectors get for ``stream``."""
        ctx = stream.codec_context
        if stream.type == "video":
            avg = stream.average_rate
            base = stream.base_rate or stream.guessed_rate
            rate = avg or base
            # a stream whose average rate differs from its base (tick) rate by more than 1%
            # declares a variable frame rate (screen recorders, phones)
            vfr = bool(avg and base and abs(float(avg) / float(base) - 1.0) > 0.01)
            return StreamInfo(
                index=stream.index,
                kind="video",
                codec=ctx.name,
                frame_s=float(1 / rate) if rate else 0.04,
                vfr=vfr,
                timecode=self.start_timecode,
                color_matrix=colour_names(ctx)["color_matrix"],
            )
        actx: Any = ctx  # an AudioCodecContext here
        channels = actx.channels or 0
        try:
            names = tuple(ch.name for ch in actx.layout.channels)
        except (AttributeError, ValueError):
            names = ()
        if not names or "NONE" in names:  # no layout declared: the default for the count
            names = default_names(channels)
        track = next((n for n, s in enumerate(self.audio, start=1) if s is stream), None)
        return StreamInfo(
            index=stream.index,
            kind="audio",
            codec=ctx.name,
            sample_rate=actx.sample_rate or 0,
            channels=channels,
            channel_names=names,
            label=f"track {track}" if track else "",
        )

    def stream_rows(self) -> list[StreamRow]:
        """A streams.parquet row of every stream in the container, with what its header
        says (times and measurements are filled in after decoding)."""
        rows = []
        for s in self.container.streams:
            kind = s.type if s.type in ("video", "audio", "subtitle") else "data"
            row = StreamRow(kind=kind, stream_index=s.index)
            ctx: Any = s.codec_context
            language = s.metadata.get("language") if s.metadata else None
            row.language = language if language and language != "und" else None
            if ctx is None:
                rows.append(row)
                continue
            row.codec = ctx.name
            row.profile = ctx.profile or None
            if kind == "video":
                width, height = self.sizes.get(s.index, (ctx.width, ctx.height))
                row.width, row.height = width or None, height or None
                rate = s.average_rate or s.guessed_rate or s.base_rate
                row.fps = float(rate) if rate else None
                fmt = ctx.format
                row.pix_fmt = fmt.name if fmt is not None else None
                if fmt is not None and fmt.components:
                    row.bit_depth = fmt.components[0].bits
                row.field_order = field_order(ctx)
                row.sar = _ratio(ctx.sample_aspect_ratio)
                row.dar = _ratio(ctx.display_aspect_ratio)
                for key, value in colour_names(ctx).items():
                    setattr(row, key, value)
                row.start_timecode = _timecode_of(s.metadata)
            elif kind == "audio":
                row.sample_rate = ctx.sample_rate or None
                row.channels = ctx.channels or None
                name = ctx.layout.name if ctx.layout is not None else None
                row.layout = name if name and "channels" not in name else None
                row.bit_depth = _audio_bits(ctx.name, ctx.format)
            rows.append(row)
        return rows

    @property
    def start_timecode(self) -> str | None:
        """The start timecode the container declares: MXF's material package, a QuickTime/MP4
        ``tmcd`` track, Matroska's ``TIMECODE`` tag (of the file, the video stream, or a data
        stream); None when it declares none (timecodes that the video codec carries, such as
        MPEG-2 GOP headers, are read while decoding)."""
        c = self.container
        found = _timecode_of(c.metadata)
        for s in c.streams:
            if found is None and s.type in ("video", "data"):
                found = _timecode_of(s.metadata)
        return found

    @property
    def declared_duration_s(self) -> float | None:
        """Duration the file's header states: read by us where FFmpeg trusts the data instead
        (WAV/RF64, FLAC, MP3 with a Xing/Info header: :mod:`.declared`), else the container's
        for formats that store one (MP4/MOV, Matroska/WebM, MXF, AVI); None for formats where
        FFmpeg estimates it (MPEG-TS…)."""
        c = self.container
        own = declared_duration(self.path, c.format.name) if self.path else None
        if own is not None:
            return own
        stored = ("mov", "matroska", "wav", "w64", "mxf", "avi")
        if c.duration is None or not any(c.format.name.startswith(f) for f in stored):
            return None
        return c.duration / av.time_base

    def fill_info(self, info: FileInfo) -> None:
        """Copy container and stream facts into ``info``."""
        c = self.container
        info.container = c.format.name
        if c.duration is not None:
            info.duration_s = c.duration / av.time_base
        if self.video is not None:
            v = self.video
            info.video_codec = v.codec_context.name
            info.width = v.codec_context.width or None
            info.height = v.codec_context.height or None
            rate = v.average_rate or v.guessed_rate or v.base_rate
            info.fps = float(rate) if rate else None
        if self.audio:
            a = self.audio[0]
            info.audio_codec = a.codec_context.name
            info.sample_rate = a.codec_context.sample_rate or None
            info.channels = a.codec_context.channels or None


_TIMECODE = re.compile(r"^\d{2}:\d{2}:\d{2}[:;.,]\d{2,3}$")


def _timecode_of(metadata: Any) -> str | None:
    """A well-formed ``timecode`` tag (any case) of a metadata dictionary, else None."""
    for key, value in (metadata or {}).items():
        if key.lower() == "timecode" and isinstance(value, str) and _TIMECODE.match(value):
            return value
    return None


def _ratio(value: Any) -> str | None:
    """An aspect ratio as ``16:9`` (None when undeclared: 0 or 0/1)."""
    if not value or not value.numerator or not value.denominator:
        return None
    return f"{value.numerator}:{value.denominator}"


def _audio_bits(codec: str, fmt: Any) -> int | None:
    """Bits per sample of an audio stream: from a PCM codec's name (pcm_s24le: 24; its
    decoder gives 32-bit samples), else the integer sample format's (s16: 16); None for codecs
    without one (AAC, Opus: their decoders give float)."""
    found = re.match(r"pcm_[su](\d+)", codec)
    if found:
        return int(found.group(1))
    name = fmt.name if fmt is not None else ""
    return int(fmt.bits) if name.startswith(("s", "u")) and fmt.bits else None


def _looks_like_mp4(path: str | os.PathLike[str]) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head[4:8] in (b"ftyp", b"mdat", b"wide", b"free", b"moov")


def _reason(exc: BaseException, logged: list[tuple[str, str]] | None = None, path: str = "") -> str:
    """One line a person understands for an open failure (with what FFmpeg logged)."""
    logged = logged or []
    if any("moov atom not found" in m for _, m in logged) and _looks_like_mp4(path):
        return "MP4/MOV without its index (moov atom not found): truncated or still being written"
    code = getattr(exc, "errno", None)
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return "file not found (it may have been moved or deleted)"
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, av.error.InvalidDataError):
        why = f": {logged[0][0]}: {logged[0][1]}" if logged else ""
        return f"not a media file FFmpeg can read (invalid data{why})"
    msg = str(exc).strip() or type(exc).__name__
    return msg.splitlines()[0]


@contextlib.contextmanager
def open_media(path: str | os.PathLike[str]) -> Iterator[Media]:
    """Open ``path`` for decoding. Raises :class:`MediaOpenError` with a one-line reason when
    the file cannot be read, is not media, or has neither video nor audio."""
    if os.path.islink(path) and not os.path.exists(path):
        raise MediaOpenError("broken symbolic link (its target does not exist)")
    tap = LogTap()
    try:
        if os.path.getsize(path) == 0:
            raise MediaOpenError("empty file (0 bytes)")
        with tap:
            container = av.open(os.fspath(path), mode="r", metadata_errors="ignore")
    except MediaOpenError:
        raise
    except (OSError, av.FFmpegError, ValueError) as exc:
        raise MediaOpenError(_reason(exc, tap.lines, os.fspath(path))) from None
    fmt = container.format.name
    if fmt.endswith("_pipe") or fmt in ("image2", "gif", "webp", "apng", "tiff"):
        container.close()
        raise MediaOpenError(f"a still image ({fmt.removesuffix('_pipe')}), not a recording")
    try:
        pictures = [s for s in container.streams.video if not (int(s.disposition) & _ATTACHED_PIC)]
        videos = [s for s in pictures if s.codec_context is not None]
        audio = [s for s in container.streams.audio if s.codec_context is not None]
        undecodable = [
            StreamInfo(index=s.index, kind=s.type, codec="unknown")
            for s in [*pictures, *container.streams.audio]
            if s.codec_context is None
        ]
        if not videos and not audio:
            raise MediaOpenError(
                "no audio or video stream FFmpeg can decode"
                if undecodable
                else "no audio or video stream"
            )
        start = container.start_time
        media = Media(
            container=container,
            video=videos[0] if videos else None,
            audio=audio,
            origin_s=start / av.time_base if start is not None else 0.0,
            path=os.fspath(path),
            undecodable=undecodable,
            sizes={
                s.index: (s.codec_context.width, s.codec_context.height)
                for s in container.streams.video
                if s.codec_context is not None
            },
        )
        yield media
    finally:
        container.close()

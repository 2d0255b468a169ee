"""`spec`: the file against a delivery specification (a template).

The template is this detector's parameters, the ``[spec]`` table of the configuration (or of a
profile: ``--profile xdcam-hd422``). Every key is optional; a key left empty is not checked,
and a key may list the values it allows (``frame_rate = [25, 50]``). Each key that does not
match is one finding (``frame_rate: expected 25, found 29.97``) whose value is the number
found, where there is one. A field the file does not declare is found "unknown", which does
not match.

What is compared with what: the container by FFmpeg's demuxer name or a usual name of it
(``mp4`` and ``mov`` are one demuxer to FFmpeg and cannot be told apart; ``mkv`` is
``matroska``, ``ts`` ``mpegts``); codec names and profiles as FFmpeg names them (``mpeg2video``
profile ``4:2:2``, ``h264`` profile ``High``; without regard to case); the frame rate within
0.01 fps (29.97 matches 30000/1001); the scan as the stream declares it (its coded field
order), or as the ``interlace`` detector measured it when the stream declares none; ``chroma``
(``4:2:0``, ``4:2:2``, ``4:4:4``…) and ``bit_depth`` from the pixel format; the aspect ratios
as ratios (``16:9`` = ``32:18``; a stream that declares no sample aspect ratio has square
pixels); colour properties by FFmpeg's names (``bt709``, ``smpte170m``…; range ``tv`` or
``limited``, ``pc`` or ``full``); the audio keys on every audio stream (``channels = 1``: each
stream is mono); durations in seconds of the decoded presentation timeline; the start
timecode as text (``10:00:00:00``; ``;`` before the frames for drop-frame).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from ..model import FileFacts, StreamRow
from .base import FileDetector, ParamsBase, param, severity_param

SCANS = ("progressive", "interlaced-tff", "interlaced-bff")
CHROMAS = ("4:0:0", "4:1:0", "4:1:1", "4:2:0", "4:2:2", "4:4:0", "4:4:4")
RANGES = ("tv", "pc", "limited", "full")
RANGE_ALIASES = {"limited": "tv", "mpeg": "tv", "full": "pc", "jpeg": "pc"}
# usual names of containers → a name in FFmpeg's demuxer name ("mov,mp4,m4a,3gp,3g2,mj2")
CONTAINER_ALIASES = {"mkv": "matroska", "ts": "mpegts", "m2ts": "mpegts", "mpg": "mpeg"}
FRAME_RATE_TOLERANCE = 0.01  # fps: 29.97 names 30000/1001 (29.97003)
SCAN_OF_FIELD_ORDER = {
    "progressive": "progressive",
    "tff": "interlaced-tff",
    "bff": "interlaced-bff",
}


def _text(default: tuple[str, ...] = (), *, help: str, choices: Sequence[str] | None = None) -> Any:
    return param(default, unit=None, help=help, items=str, choices=choices)


def _whole(help: str, unit: str | None = None) -> Any:
    return param((), unit=unit, help=help, items=int)


@dataclass(frozen=True)
class SpecParams(ParamsBase):
    container: tuple[str, ...] = _text(help="Container: mxf, mov/mp4, matroska, mpegts, wav…")
    video_codec: tuple[str, ...] = _text(help="Video codec, FFmpeg's name: mpeg2video, h264…")
    video_profile: tuple[str, ...] = _text(help="Video profile, FFmpeg's name: 4:2:2, High…")
    width: tuple[int, ...] = _whole("Picture width.", "px")
    height: tuple[int, ...] = _whole("Picture height.", "px")
    frame_rate: tuple[float, ...] = param(
        (), unit="fps", help="Frame rate (29.97 matches 30000/1001).", items=float
    )
    scan: tuple[str, ...] = _text(help="Scan as declared.", choices=SCANS)
    pix_fmt: tuple[str, ...] = _text(help="Pixel format, FFmpeg's name: yuv422p…")
    chroma: tuple[str, ...] = _text(help="Chroma subsampling.", choices=CHROMAS)
    bit_depth: tuple[int, ...] = _whole("Bits per video sample.", "bit")
    dar: tuple[str, ...] = _text(help="Display aspect ratio, like 16:9.")
    sar: tuple[str, ...] = _text(help="Sample (pixel) aspect ratio, like 1:1.")
    color_primaries: tuple[str, ...] = _text(help="Colour primaries: bt709, bt2020…")
    color_transfer: tuple[str, ...] = _text(help="Transfer: bt709, smpte2084, arib-std-b67…")
    color_matrix: tuple[str, ...] = _text(help="Matrix: bt709, bt470bg, bt2020nc…")
    color_range: tuple[str, ...] = _text(help="Range: tv (limited) or pc (full).", choices=RANGES)
    audio_codec: tuple[str, ...] = _text(help="Codec of every audio stream: pcm_s24le, aac…")
    sample_rate: tuple[int, ...] = _whole("Sample rate of every audio stream.", "Hz")
    audio_bit_depth: tuple[int, ...] = _whole("Bits per sample of every audio stream.", "bit")
    audio_streams: tuple[int, ...] = _whole("Number of audio streams (tracks).")
    channels: tuple[int, ...] = _whole("Channels of every audio stream.")
    min_duration_s: tuple[float, ...] = param(
        (), unit="s", help="Shortest allowed duration.", items=float
    )
    max_duration_s: tuple[float, ...] = param(
        (), unit="s", help="Longest allowed duration.", items=float
    )
    start_timecode: tuple[str, ...] = _text(help="Start timecode, like 10:00:00:00.")
    severity: str = severity_param("error")

    def validate(self) -> None:
        for key in ("dar", "sar"):
            for v in getattr(self, key):
                if _fraction(v) is None:
                    raise ValueError(f"{key} must be a ratio like 16:9, not {v!r}")
        for v in self.start_timecode:
            if not re.match(r"^\d{2}:\d{2}:\d{2}[:;]\d{2}$", v):
                raise ValueError(f"start_timecode must look like 10:00:00:00, not {v!r}")

    def template(self) -> dict[str, tuple[Any, ...]]:
        """The keys this template sets (key → allowed values)."""
        keys = [f.name for f in fields(self) if f.name != "severity"]
        return {k: getattr(self, k) for k in keys if getattr(self, k)}


def _fraction(text: str) -> Fraction | None:
    a, sep, b = text.partition(":")
    try:
        value = Fraction(int(a), int(b)) if sep else Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def chroma_of(pix_fmt: str | None) -> str | None:
    """The chroma subsampling of an FFmpeg pixel format name (None when not Y′CbCr)."""
    if not pix_fmt:
        return None
    if pix_fmt.startswith("gray"):
        return "4:0:0"
    if pix_fmt.startswith(("nv12", "nv21", "p010", "p016")):
        return "4:2:0"
    if pix_fmt.startswith(("nv16", "p210", "p216")):
        return "4:2:2"
    m = re.search(r"(410|411|420|422|440|444)", pix_fmt)
    return f"{m[1][0]}:{m[1][1]}:{m[1][2]}" if m else None


def _container_matches(allowed: str, found: str) -> bool:
    names = found.lower().split(",")
    want = allowed.lower()
    return want in names or CONTAINER_ALIASES.get(want) in names


def _same_text(allowed: Any, found: Any) -> bool:
    return str(allowed).lower() == str(found).lower()


def _same_ratio(allowed: Any, found: Any) -> bool:
    return _fraction(str(allowed)) == _fraction(str(found))


def _same_rate(allowed: Any, found: Any) -> bool:
    return abs(float(allowed) - float(found)) <= FRAME_RATE_TOLERANCE


def _same_range(allowed: Any, found: Any) -> bool:
    return bool(RANGE_ALIASES.get(str(allowed), allowed) == found)


def _same_timecode(allowed: Any, found: Any) -> bool:
    return str(allowed) == str(found).replace(".", ";").replace(",", ";")


def _equal(allowed: Any, found: Any) -> bool:
    return bool(allowed == found)


def _display_ratio(row: StreamRow) -> str | None:
    """The display aspect ratio the stream declares, or width × SAR ÷ height (square pixels
    when it declares no SAR)."""
    if row.dar:
        return row.dar
    if not row.width or not row.height:
        return None
    dar = Fraction(row.width, row.height) * (_fraction(row.sar or "1:1") or 1)
    return f"{dar.numerator}:{dar.denominator}"


def _scan(row: StreamRow) -> str | None:
    return SCAN_OF_FIELD_ORDER.get(row.field_order or "") or row.scan


# key → (what it is read from: a file-wide value or one per video/audio stream, how compared)
VIDEO_KEYS: dict[str, tuple[Callable[[StreamRow], Any], Callable[[Any, Any], bool]]] = {
    "video_codec": (lambda r: r.codec, _same_text),
    "video_profile": (lambda r: r.profile, _same_text),
    "width": (lambda r: r.width, _equal),
    "height": (lambda r: r.height, _equal),
    "frame_rate": (lambda r: r.fps, _same_rate),
    "scan": (_scan, _equal),
    "pix_fmt": (lambda r: r.pix_fmt, _same_text),
    "chroma": (lambda r: chroma_of(r.pix_fmt), _equal),
    "bit_depth": (lambda r: r.bit_depth, _equal),
    "dar": (_display_ratio, _same_ratio),
    "sar": (lambda r: r.sar or ("1:1" if r.width else None), _same_ratio),
    "color_primaries": (lambda r: r.color_primaries, _same_text),
    "color_transfer": (lambda r: r.color_transfer, _same_text),
    "color_matrix": (lambda r: r.color_matrix, _same_text),
    "color_range": (lambda r: r.color_range, _same_range),
}
AUDIO_KEYS: dict[str, tuple[Callable[[StreamRow], Any], Callable[[Any, Any], bool]]] = {
    "audio_codec": (lambda r: r.codec, _same_text),
    "sample_rate": (lambda r: r.sample_rate, _equal),
    "audio_bit_depth": (lambda r: r.bit_depth, _equal),
    "channels": (lambda r: r.channels, _equal),
}


def _words(values: Sequence[Any]) -> str:
    return " or ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


class SpecDetector(FileDetector[SpecParams]):
    name = "spec"
    description = "The file against a delivery template ([spec]): format, picture, sound, time."
    Params = SpecParams

    def inspect(self, facts: FileFacts) -> None:
        template = self.params.template()
        if not template:
            return
        video = next((r for r in facts.rows if r.kind == "video"), None)
        audio = [r for r in facts.rows if r.kind == "audio"]
        for key, allowed in template.items():
            if key in VIDEO_KEYS:
                read, same = VIDEO_KEYS[key]
                if video is None:
                    self._mismatch(key, allowed, "no video stream")
                    continue
                found = read(video)
                if found is None or not any(same(a, found) for a in allowed):
                    self._mismatch(key, allowed, found, stream_index=video.stream_index)
            elif key in AUDIO_KEYS:
                self._check_audio(key, allowed, audio)
            elif key == "container":
                found = facts.container
                if found is None or not any(_container_matches(a, found) for a in allowed):
                    self._mismatch(key, allowed, found)
            elif key == "audio_streams":
                if len(audio) not in allowed:
                    self._mismatch(key, allowed, len(audio))
            elif key == "min_duration_s":
                if facts.duration_s < min(allowed):
                    self._mismatch(key, [f"at least {min(allowed):g}"], facts.duration_s)
            elif key == "max_duration_s":
                if facts.duration_s > max(allowed):
                    self._mismatch(key, [f"at most {max(allowed):g}"], facts.duration_s)
            elif key == "start_timecode":
                found = facts.start_timecode
                if found is None or not any(_same_timecode(a, found) for a in allowed):
                    self._mismatch(key, allowed, found)

    def _check_audio(self, key: str, allowed: tuple[Any, ...], audio: list[StreamRow]) -> None:
        read, same = AUDIO_KEYS[key]
        if not audio:
            self._mismatch(key, allowed, "no audio stream")
            return
        wrong = [(r, read(r)) for r in audio]
        wrong = [(r, v) for r, v in wrong if v is None or not any(same(a, v) for a in allowed)]
        if not wrong:
            return
        found = sorted({str(v) if v is not None else "unknown" for _, v in wrong})
        tracks = [audio.index(r) + 1 for r, _ in wrong]
        where = "track" + ("s " if len(tracks) > 1 else " ") + ", ".join(map(str, tracks))
        first = wrong[0][1]
        self._mismatch(
            key,
            allowed,
            f"{' and '.join(found)} ({where} of {len(audio)})",
            value=first,
            stream_index=wrong[0][0].stream_index,
        )

    def _mismatch(
        self,
        key: str,
        allowed: Sequence[Any],
        found: Any,
        *,
        value: Any = None,
        stream_index: int | None = None,
    ) -> None:
        number = value if value is not None else found
        shown = "unknown" if found is None else f"{found:g}" if isinstance(found, float) else found
        self.emit_file(
            f"{key}: expected {_words(allowed)}, found {shown}.",
            value=float(number) if isinstance(number, (int, float)) else None,
            stream_index=stream_index,
        )

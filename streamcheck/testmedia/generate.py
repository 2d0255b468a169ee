"""Write one test recording with PyAV from a :class:`Spec`, and its ground truth.

The ground truth (``NAME.json`` beside the media) lists every injected defect with its
detector name and its true ``[start_s, end_s)`` on the content timeline.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from .content import Picture, Sound

# codec -> (pixel format, encoder options)
VIDEO_CODECS: dict[str, tuple[str, dict[str, str]]] = {
    "libx264": ("yuv420p", {"preset": "veryfast", "crf": "23"}),
    "libx265": ("yuv420p", {"preset": "ultrafast", "crf": "26", "x265-params": "log-level=error"}),
    "libvpx-vp9": ("yuv420p", {"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"}),
    "libsvtav1": ("yuv420p", {"preset": "12", "crf": "35"}),
    "mpeg2video": ("yuv420p", {"b": "4M", "maxrate": "6M", "bufsize": "2M", "g": "12", "bf": "2"}),
    "prores_ks": ("yuv422p10le", {"profile": "1"}),
    "mpeg4": ("yuv420p", {"b": "2M"}),
    "mjpeg": ("yuvj420p", {"q:v": "5"}),
    "ffv1": ("yuv420p", {}),
    "flv": ("yuv420p", {"b": "1M"}),
    "wmv2": ("yuv420p", {"b": "1M"}),
    "huffyuv": ("yuv422p", {}),
}
AUDIO_CODECS = ("aac", "libopus", "pcm_s16le", "flac", "libmp3lame")
AUDIO_OPTIONS: dict[str, dict[str, str]] = {
    "vorbis": {"strict": "experimental"},
    "wmav2": {"b": "128k"},
}
# file extension → FFmpeg muxer, where they differ
MUXERS = {
    "ts": "mpegts",
    "mkv": "matroska",
    "mov": "mov",
    "webm": "webm",
    "wmv": "asf",
    "m4a": "ipod",
    "ogg": "ogg",
}
# the film frames (of four) that the first and the second field of each of the five video frames
# of a 3:2 pulldown cycle show: AA BB BC CD DD
PULLDOWN = ((0, 0), (1, 1), (1, 2), (2, 3), (3, 3))
# codecs that can code fields, and how they are told the order (MPEG-2: the frames' flag)
FIELD_CODECS = ("mpeg2video", "libx264")
VIDEO_DEFECTS = ("black", "freeze", "timestamp_gap", "flash", "blockiness", "letterbox")
AUDIO_DEFECTS = ("silence", "clipping", "timestamp_gap", "dropout", "phase")


@dataclass(frozen=True)
class Defect:
    """An injected defect: the detector that must find it, over ``[start_s, end_s)`` of the
    content timeline (content frame 0 at 0), or of the file's presentation timeline when
    ``presentation`` is set (damage placed by packet). ``stream`` says which stream carries
    it where both could (timestamp gaps); ``value`` is the expected key measurement, if any."""

    detector: str
    start_s: float
    end_s: float
    channel: int | None = None
    stream: str = "video"
    value: float | None = None
    presentation: bool = False


@dataclass(frozen=True)
class Spec:
    """One test recording. ``container`` is the file extension (mp4, mkv, webm, ts, mov,
    wav…); ``video``/``audio`` the content kinds of :mod:`.content` (None: no such stream)."""

    name: str
    container: str = "mp4"
    vcodec: str | None = "libx264"
    acodec: str | None = "aac"
    duration_s: float = 10.0
    width: int = 320
    height: int = 240
    fps: int = 25
    sample_rate: int = 48000
    channels: int = 2
    video: str | None = "texture"
    audio: str | None = "music"
    full_range: bool = False
    seed: int = 1
    defects: tuple[Defect, ...] = field(default_factory=tuple)
    gop: int | None = None  # keyframe interval, frames (None: the encoder's default)
    audio_offset_s: float = 0.0  # > 0: audio starts late; < 0: the picture starts late
    audio_duration_s: float | None = None  # None: as long as the video
    vfr: bool = False  # irregular frame intervals (a screen recording)
    pulldown: bool = False  # every 5th picture repeats the one before (2:3-style cadence)
    bars: str = "letterbox"  # shape of a letterbox defect: letterbox or pillarbox
    damage_at_s: tuple[float, ...] = ()  # overwrite bytes in the video packet at these times
    invert_channel: int | None = None  # this audio channel's polarity inverted throughout
    interlaced: bool = False  # field-coded (MPEG-2 / H.264 interlaced tools), top field first
    # interlaced content: each frame woven from two pictures half a frame apart, the top field
    # first (tff: top rows from t, bottom rows from t + 1/(2·fps)) or the bottom field (bff)
    fields: str | None = None
    # 3:2 pulldown: film at 4/5 of the frame rate, four film frames in five video frames as
    # AA BB BC CD DD (fields in the order of ``fields``, top first unless it says bff)
    telecine: bool = False
    # an edit in the telecined video: from this time on the frames are the ones two frames
    # later in the pulldown sequence (two frames cut out), so the cadence's phase jumps there
    telecine_break_at_s: float | None = None
    # the scan the stream is coded and flagged as, whatever the content: "tff"/"bff" (field
    # coding in that order: MPEG-2 or H.264) or "progressive"; None: as the content is
    # (``fields``, top field first for telecine), or ``interlaced`` above
    flag_fields: str | None = None
    ntsc: bool = False  # frame rate fps × 1000/1001 (29.97 from 30)

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.container}"


def frame_rate(spec: Spec) -> Fraction:
    """The spec's frame rate: ``fps``, × 1000/1001 for NTSC rates."""
    return Fraction(spec.fps) * (Fraction(1000, 1001) if spec.ntsc else 1)


def coded_fields(spec: Spec) -> str | None:
    """How the stream is coded and flagged: tff, bff, progressive, or None (the encoder's
    default, or the legacy ``interlaced`` options)."""
    if spec.flag_fields is not None:
        return spec.flag_fields
    if spec.telecine:
        return spec.fields or "tff"
    return spec.fields


def _active(defects: tuple[Defect, ...], kind: str, t: float) -> Defect | None:
    for d in defects:
        if d.detector == kind and d.start_s <= t < d.end_s:
            return d
    return None


def _frame_times(spec: Spec) -> list[float]:
    """Content times of the pictures to encode (seconds)."""
    if not spec.vfr:
        rate = frame_rate(spec)
        return [float(i / rate) for i in range(round(spec.duration_s * rate))]
    rng = np.random.default_rng(spec.seed + 99)
    times, t = [], 0.0
    while t < spec.duration_s:
        times.append(t)
        t += float(rng.choice([1 / 60, 1 / 30, 1 / 20, 1 / 12]))
    return times


def _pixelate(y: np.ndarray, block: int = 16) -> np.ndarray:
    """A digital hit: every block×block tile replaced by its mean."""
    h, w = (y.shape[0] // block) * block, (y.shape[1] // block) * block
    tiles = y[:h, :w].reshape(h // block, block, w // block, block).mean(axis=(1, 3))
    out = y.copy()
    out[:h, :w] = np.repeat(np.repeat(tiles, block, axis=0), block, axis=1).astype(np.uint8)
    return out


def _with_bars(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, shape: str, full_range: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Black bars (black luma, neutral chroma), top and bottom or left and right."""
    out, cu, cv = y.copy(), u.copy(), v.copy()
    black = 0 if full_range else 16
    if shape == "pillarbox":
        bar = y.shape[1] // 8
        out[:, :bar] = out[:, -bar:] = black
        for c in (cu, cv):
            c[:, : bar // 2] = c[:, -(bar // 2) :] = 128
    else:
        bar = y.shape[0] // 8
        out[:bar] = out[-bar:] = black
        for c in (cu, cv):
            c[: bar // 2] = c[-(bar // 2) :] = 128
    return out, cu, cv


Planes = tuple[np.ndarray, np.ndarray, np.ndarray]


class _Fields:
    """The frames of interlaced or telecined content: each woven from two pictures of
    ``source``, a picture source at twice the frame rate (interlaced) or at the film rate
    (telecined: 4/5 of the frame rate)."""

    def __init__(self, spec: Spec) -> None:
        rate = frame_rate(spec)
        self.spec = spec
        self.source = Picture(
            spec.video or "texture",
            spec.width,
            spec.height,
            float(rate * 4 / 5 if spec.telecine else 2 * rate),
            spec.seed,
            full_range=spec.full_range,
        )

    def pictures(self, i: int, t: float) -> tuple[int, int]:
        """The source pictures of the first and the second field of frame ``i`` (at ``t``)."""
        spec = self.spec
        if not spec.telecine:
            return 2 * i, 2 * i + 1
        cut = spec.telecine_break_at_s
        j = i + 2 if cut is not None and t >= cut - 1e-9 else i  # two frames edited out
        cycle, pos = divmod(j, 5)
        first, second = PULLDOWN[pos]
        return 4 * cycle + first, 4 * cycle + second

    def frame(self, i: int, t: float) -> Planes:
        first, second = self.pictures(i, t)
        a = self.source.frame(first)
        b = a if second == first else self.source.frame(second)
        top, bottom = (b, a) if self.spec.fields == "bff" else (a, b)
        y = top[0].copy()
        y[1::2] = bottom[0][1::2]
        return y, top[1], top[2]


class _FieldFlags:
    """Marks frames as interlaced with a field order (FFmpeg's setfield filter): MPEG-2 codes
    the frames' order, which nothing else sets."""

    def __init__(self, order: str, spec: Spec, tb: Fraction) -> None:
        self.graph = av.filter.Graph()
        src = self.graph.add_buffer(
            width=spec.width,
            height=spec.height,
            format=av.VideoFormat("yuv420p"),
            time_base=tb,
        )
        field = self.graph.add("setfield", order)
        sink = self.graph.add("buffersink")
        src.link_to(field)
        field.link_to(sink)
        self.graph.configure()

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        self.graph.push(frame)
        out = self.graph.pull()
        assert isinstance(out, av.VideoFrame)
        return out


def _write_video(out: av.container.OutputContainer, spec: Spec, stream: av.VideoStream) -> None:
    pic = Picture(
        spec.video or "texture",
        spec.width,
        spec.height,
        spec.fps if not spec.ntsc else float(frame_rate(spec)),
        spec.seed,
        full_range=spec.full_range,
    )
    woven = _Fields(spec) if spec.fields or spec.telecine else None
    held: Planes | None = None
    previous: Planes | None = None
    tb = stream.codec_context.time_base or 1 / frame_rate(spec)
    coded = coded_fields(spec)
    flags = _FieldFlags(coded, spec, tb) if coded in ("tff", "bff") else None
    shift = max(0.0, -spec.audio_offset_s)
    for i, t in enumerate(_frame_times(spec)):
        if any(
            d.detector == "timestamp_gap" and d.stream == "video" and d.start_s <= t < d.end_s
            for d in spec.defects
        ):
            continue  # dropped: a hole in the timestamps
        if _active(spec.defects, "black", t):
            planes = pic.black()
        elif (d := _active(spec.defects, "freeze", t)) is not None:
            if held is None or i == round(d.start_s * frame_rate(spec)):
                held = pic.frame(i)
            planes = held
        elif (d := _active(spec.defects, "flash", t)) is not None and int((t - d.start_s) * 16) % 2:
            white = 255 if spec.full_range else 235
            neutral = np.full((spec.height // 2, spec.width // 2), 128, np.uint8)
            planes = (np.full((spec.height, spec.width), white, np.uint8), neutral, neutral)
        elif spec.pulldown and i % 5 == 4 and previous is not None:
            planes = previous
        elif woven is not None:
            planes = woven.frame(i, t)
        else:
            planes = pic.frame(i)
        previous = planes
        y, u, v = planes
        if _active(spec.defects, "blockiness", t):
            y = _pixelate(y)
        if _active(spec.defects, "letterbox", t):
            y, u, v = _with_bars(y, u, v, spec.bars, spec.full_range)
        frame = av.VideoFrame.from_ndarray(
            np.concatenate([y, u.reshape(-1, spec.width), v.reshape(-1, spec.width)]),
            format="yuv420p",
        )
        if spec.full_range:
            frame.color_range = 2
        frame.pts = round((t + shift) / tb)
        frame.time_base = tb
        if flags is not None:
            frame = flags(frame)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def _write_audio(out: av.container.OutputContainer, spec: Spec, stream: av.AudioStream) -> None:
    sound = Sound(spec.audio or "music", spec.sample_rate, spec.channels, spec.seed)
    duration = spec.duration_s if spec.audio_duration_s is None else spec.audio_duration_s
    total = round(duration * spec.sample_rate)
    shift = round(max(0.0, spec.audio_offset_s) * spec.sample_rate)
    gaps = [d for d in spec.defects if d.detector == "timestamp_gap" and d.stream == "audio"]
    block = 1024
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[spec.channels]
    edges = {round(d.start_s * spec.sample_rate) for d in gaps}
    edges |= {round(d.end_s * spec.sample_rate) for d in gaps}
    starts = sorted(set(range(0, total, block)) | {e for e in edges if 0 < e < total})
    for start, stop in zip(starts, [*starts[1:], total], strict=True):
        n = stop - start
        x = sound.block(start, n)
        t = (start + np.arange(n)) / spec.sample_rate
        if any(d.start_s <= t[0] < d.end_s for d in gaps):
            continue  # samples never written: the timestamps jump over them
        for d in spec.defects:
            m = (t >= d.start_s) & (t < d.end_s)
            if not m.any():
                continue
            rows = slice(None) if d.channel is None else slice(d.channel, d.channel + 1)
            if d.detector in ("silence", "dropout"):
                x[rows, m] = 0.0
            elif d.detector == "clipping":  # an overdriven stage: a loud hum driven into the rails
                hum = 0.6 * np.sin(2 * np.pi * 220.0 * t[m])
                x[rows, m] = np.clip(3.0 * (x[rows, m] + hum), -1.0, 1.0)
        if spec.invert_channel is not None:
            x[spec.invert_channel] *= -1.0
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x), format="fltp", layout=layout)
        frame.sample_rate = spec.sample_rate
        frame.pts = start + shift
        frame.time_base = Fraction(1, spec.sample_rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def generate(spec: Spec, out_dir: str | Path) -> Path:
    """Encode ``spec`` into ``out_dir``; returns the media path. Writes ``NAME.json`` (the
    ground truth) beside it."""
    os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints its banner to stderr otherwise
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / spec.filename
    tmp = path.with_name(f".{path.name}.part")
    fmt = MUXERS.get(spec.container)
    with av.open(str(tmp), "w", format=fmt or spec.container) as out:
        vstream: av.VideoStream | None = None
        astream: av.AudioStream | None = None
        if spec.vcodec and spec.video:
            pix_fmt, options = VIDEO_CODECS[spec.vcodec]
            options = dict(options)
            coded = coded_fields(spec)
            if coded in ("tff", "bff"):
                if spec.vcodec not in FIELD_CODECS:
                    raise ValueError(f"{spec.vcodec} cannot code fields here; use {FIELD_CODECS}")
                options["flags"] = "+ildct+ilme"
                if spec.vcodec == "libx264":
                    options["x264-params"] = f"interlaced=1:{coded}=1"
            elif spec.interlaced and coded is None:
                options["flags"] = "+ildct+ilme"
                options["top"] = "1"
            if spec.gop:
                options["g"] = str(spec.gop)
                if spec.vcodec == "libx265":
                    options["x265-params"] += f":keyint={spec.gop}:min-keyint={spec.gop}"
            vstream = out.add_stream(spec.vcodec, rate=frame_rate(spec), options=options)  # type: ignore[assignment]
            assert vstream is not None
            vstream.width, vstream.height, vstream.pix_fmt = spec.width, spec.height, pix_fmt
            fine = spec.vfr or spec.audio_offset_s < 0  # times off the frame grid
            vstream.time_base = Fraction(1, 90000) if fine else 1 / frame_rate(spec)
            vstream.codec_context.time_base = vstream.time_base
            if spec.full_range:
                vstream.codec_context.color_range = 2
        if spec.acodec and spec.audio:
            rate = 48000 if spec.acodec == "libopus" else spec.sample_rate
            layout = {1: "mono", 2: "stereo", 6: "5.1"}[spec.channels]
            astream = out.add_stream(  # type: ignore[assignment]
                spec.acodec, rate=rate, layout=layout, options=AUDIO_OPTIONS.get(spec.acodec, {})
            )
        if vstream is not None:
            _write_video(out, spec, vstream)
        if astream is not None:
            _write_audio(out, spec, astream)
    tmp.replace(path)
    truth = ground_truth(spec)
    if spec.damage_at_s:
        truth["defects"] += [
            dataclasses.asdict(d) for d in damage(path, spec.damage_at_s, spec.seed)
        ]
    path.with_suffix(".json").write_text(json.dumps(truth, indent=2))
    return path


def damage(path: Path, times_s: tuple[float, ...], seed: int) -> list[Defect]:
    """Overwrite bytes inside the first non-key video packet at or after each time (in TS, the
    first spanning five TS packets or more), in place. Returns the ground truth:
    `decode_error` from the earliest presentation time of that packet and those decoded after
    it up to the next keyframe, to the next keyframe's (presentation timeline, as streamcheck
    reports it)."""
    with av.open(str(path)) as c:
        origin = (c.start_time or 0) / av.time_base
        vs = c.streams.video[0]
        decoded = [  # in decode order
            (float(p.pts * p.time_base) - origin, p.pos, p.size, p.is_keyframe)
            for p in c.demux(vs)
            if p.size and p.pts is not None and p.pos is not None
        ]
    packets = sorted(decoded)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(seed)
    truth: list[Defect] = []
    for at in times_s:
        # in TS, a frame whose data fits in fewer than five TS packets would take no damage
        # (only the packets after its first are overwritten): the next one large enough
        large = 5 * 184 if path.suffix == ".ts" else 0
        i = next(
            k for k, p in enumerate(packets) if p[0] >= at - 1e-6 and not p[3] and p[2] >= large
        )
        t, pos, _, _ = packets[i]
        end = next((p[0] for p in packets[i + 1 :] if p[3]), None)
        # the damage shows from the earliest picture decoded from it on (B-frames decoded
        # after it may come before it on screen) until the next keyframe
        d = decoded.index(packets[i])
        after = decoded[d + 1 :]
        until = next((k for k, p in enumerate(after) if p[3]), len(after))
        t = min([t, *(p[0] for p in after[:until] if end is None or p[0] < end)])
        if path.suffix == ".ts":  # corrupt the payload of this PES's TS packets only
            hit, k = 0, 1
            pid = bytes([data[pos + 1] & 0x1F, data[pos + 2]])
            while hit < 4 and pos + 188 * (k + 1) <= len(data):
                ts = pos + 188 * k
                if data[ts] == 0x47 and bytes([data[ts + 1] & 0x1F, data[ts + 2]]) == pid:
                    if data[ts + 1] & 0x40:  # the next PES starts: this frame's data ended
                        break
                    data[ts + 8 : ts + 188] = rng.integers(0, 256, 180, np.uint8).tobytes()
                    hit += 1
                k += 1
        else:  # Matroska/MP4: the packet's first bytes (NAL length and header)
            data[pos + 4 : pos + 40] = rng.integers(0, 256, 36, np.uint8).tobytes()
        truth.append(
            Defect("decode_error", t, end if end is not None else float("inf"), presentation=True)
        )
    path.write_bytes(bytes(data))
    return truth


def ground_truth(spec: Spec) -> dict[str, Any]:
    """The JSON-able ground truth of ``spec``."""
    return {
        "file": spec.filename,
        "duration_s": spec.duration_s,
        "spec": dataclasses.asdict(spec),
        "defects": [dataclasses.asdict(d) for d in spec.defects],
    }


def timeline_offset(path: str | Path) -> float:
    """Where content frame 0 of a generated recording sits on its presentation timeline (s):
    the first picture's time after the container's start. Codec priming without an edit list
    (AAC in MPEG-TS) puts it a little after 0; audio-only files have 0."""
    with av.open(str(path)) as c:
        if not c.streams.video:
            return 0.0
        start = (c.start_time or 0) / av.time_base
        frame = next(c.decode(video=0))
        return float(frame.time) - start

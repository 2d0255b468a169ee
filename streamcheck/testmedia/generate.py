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
}
AUDIO_CODECS = ("aac", "libopus", "pcm_s16le", "flac", "libmp3lame")
VIDEO_DEFECTS = ("black", "freeze")
AUDIO_DEFECTS = ("silence", "clipping")


@dataclass(frozen=True)
class Defect:
    """An injected defect: the detector that must find it, over ``[start_s, end_s)``."""

    detector: str
    start_s: float
    end_s: float
    channel: int | None = None


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

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.container}"


def _active(defects: tuple[Defect, ...], kind: str, t: float) -> Defect | None:
    for d in defects:
        if d.detector == kind and d.start_s <= t < d.end_s:
            return d
    return None


def _write_video(out: av.container.OutputContainer, spec: Spec, stream: av.VideoStream) -> None:
    pic = Picture(
        spec.video or "texture",
        spec.width,
        spec.height,
        spec.fps,
        spec.seed,
        full_range=spec.full_range,
    )
    held: tuple[np.ndarray, ...] | None = None
    n = round(spec.duration_s * spec.fps)
    for i in range(n):
        t = i / spec.fps
        if _active(spec.defects, "black", t):
            planes = pic.black()
        elif (d := _active(spec.defects, "freeze", t)) is not None:
            if held is None or i == round(d.start_s * spec.fps):
                held = pic.frame(i)
            planes = held
        else:
            planes = pic.frame(i)
        y, u, v = planes
        frame = av.VideoFrame.from_ndarray(
            np.concatenate([y, u.reshape(-1, spec.width), v.reshape(-1, spec.width)]),
            format="yuv420p",
        )
        if spec.full_range:
            frame.color_range = 2
        frame.pts = i
        frame.time_base = Fraction(1, spec.fps)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def _write_audio(out: av.container.OutputContainer, spec: Spec, stream: av.AudioStream) -> None:
    sound = Sound(spec.audio or "music", spec.sample_rate, spec.channels, spec.seed)
    total = round(spec.duration_s * spec.sample_rate)
    block = 1024
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[spec.channels]
    for start in range(0, total, block):
        n = min(block, total - start)
        x = sound.block(start, n)
        t = (start + np.arange(n)) / spec.sample_rate
        for d in spec.defects:
            m = (t >= d.start_s) & (t < d.end_s)
            if not m.any():
                continue
            rows = slice(None) if d.channel is None else slice(d.channel, d.channel + 1)
            if d.detector == "silence":
                x[rows, m] = 0.0
            elif d.detector == "clipping":  # an overdriven stage: a loud hum driven into the rails
                hum = 0.6 * np.sin(2 * np.pi * 220.0 * t[m])
                x[rows, m] = np.clip(3.0 * (x[rows, m] + hum), -1.0, 1.0)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x), format="fltp", layout=layout)
        frame.sample_rate = spec.sample_rate
        frame.pts = start
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
    fmt = {"ts": "mpegts", "mkv": "matroska", "mov": "mov", "webm": "webm"}.get(spec.container)
    with av.open(str(tmp), "w", format=fmt or spec.container) as out:
        vstream = astream = None
        if spec.vcodec and spec.video:
            pix_fmt, options = VIDEO_CODECS[spec.vcodec]
            vstream = out.add_stream(spec.vcodec, rate=spec.fps, options=dict(options))
            vstream.width, vstream.height, vstream.pix_fmt = spec.width, spec.height, pix_fmt
            vstream.time_base = Fraction(1, spec.fps)
            if spec.full_range:
                vstream.codec_context.color_range = 2
        if spec.acodec and spec.audio:
            rate = 48000 if spec.acodec == "libopus" else spec.sample_rate
            layout = {1: "mono", 2: "stereo", 6: "5.1"}[spec.channels]
            astream = out.add_stream(spec.acodec, rate=rate, layout=layout)
        if vstream is not None:
            _write_video(out, spec, vstream)
        if astream is not None:
            _write_audio(out, spec, astream)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(ground_truth(spec), indent=2))
    return path


def ground_truth(spec: Spec) -> dict:
    """The JSON-able ground truth of ``spec``."""
    return {
        "file": spec.filename,
        "duration_s": spec.duration_s,
        "spec": dataclasses.asdict(spec),
        "defects": [dataclasses.asdict(d) for d in spec.defects],
    }

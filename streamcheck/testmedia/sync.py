"""Sound shifted against picture *inside the content*, timestamps aligned: what `av_sync`
measures and `av_offset` cannot see. Written by PyAV as real encoded files, frame by frame.

The sound is a list of events on the content's timeline (a beep, a clap, an impact at a
cut), each placed in the file at its time plus the offset at that time
(``offset_s + drift_ms_per_min / 60000 × t``; positive: audio late), over a background that
needs no placing. Kinds:

- ``flash``: a dark picture with a white flash of ``flash_frames`` frames every
  ``period_s`` seconds and a 1 kHz beep of 40 ms at its start (a sync test signal);
- ``clapper``: a clapper board held open, snapped shut in one frame every ``period_s``
  seconds, with a clap (a decaying noise burst) on the frame it shuts;
- ``programme``: shots of moving texture cut at irregular intervals (1–3.5 s), each with
  its own ambience and an impact at the cut (nine cuts in ten; a few impacts fall between
  cuts), as an edit with effects;
- ``still_music``: a static noisy picture under steady music: no evidence, not measurable;
- ``cuts_music``: the programme's cuts under unrelated steady music: no evidence either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from .content import Sound, _texture

SYNC_KINDS = ("flash", "clapper", "programme", "still_music", "cuts_music")


@dataclass(frozen=True)
class SyncSpec:
    """One sync test file: ``kind`` (see the module), ``offset_s`` of the sound against the
    picture in the content (positive: late), changing by ``drift_ms_per_min``."""

    kind: str = "flash"
    offset_s: float = 0.0
    drift_ms_per_min: float = 0.0
    duration_s: float = 30.0
    fps: Fraction = Fraction(25)
    width: int = 160
    height: int = 120
    rate: int = 48000
    period_s: float = 2.0
    flash_frames: int = 2
    seed: int = 1

    def offset_at(self, t: float) -> float:
        """The sound's offset (s) for a content event at ``t`` s."""
        return self.offset_s + self.drift_ms_per_min / 60_000 * t


class _Content:
    """Pictures and sound events of one spec, on the content's timeline."""

    def __init__(self, spec: SyncSpec) -> None:
        self.spec = spec
        rng = np.random.default_rng(spec.seed)
        self.rng = rng
        w, h = spec.width, spec.height
        self.noise = np.random.default_rng(spec.seed + 1)
        self.cuts: list[float] = []
        self.textures: list[np.ndarray] = []
        # sound events: (time s, kind, level)
        self.events: list[tuple[float, str, float]] = []
        if spec.kind in ("flash", "clapper"):
            t = 1.0
            while t < spec.duration_s - 0.5:
                mark = self.on_frame(t)
                self.events.append((mark, "beep" if spec.kind == "flash" else "clap", 0.3))
                t += spec.period_s
        elif spec.kind in ("programme", "cuts_music"):
            t = float(rng.uniform(1.0, 2.0))
            while t < spec.duration_s:
                self.cuts.append(self.on_frame(t))
                t += float(rng.uniform(1.0, 3.5))
            self.textures = [_texture(rng, h + 64, w + 64) for _ in range(len(self.cuts) + 1)]
            self.shot_gain = rng.uniform(0.15, 0.85, len(self.cuts) + 1)
            if spec.kind == "programme":
                for c in self.cuts:
                    if rng.random() < 0.9:
                        self.events.append((c, "impact", float(rng.uniform(0.2, 0.5))))
                extra = rng.uniform(1.0, spec.duration_s, max(1, int(spec.duration_s / 10)))
                self.events += [(float(x), "impact", 0.15) for x in extra]
        elif spec.kind != "still_music":
            raise ValueError(f"unknown sync kind {spec.kind!r}; known: {', '.join(SYNC_KINDS)}")
        self.still = _texture(rng, h, w) if spec.kind == "still_music" else None
        self.music = Sound("music", spec.rate, 1, spec.seed)
        yy, xx = np.mgrid[0:h, 0:w]
        self.yy, self.xx = yy, xx

    def on_frame(self, t: float) -> float:
        """The start of the frame shown at ``t`` s: where a picture event is seen."""
        fps = self.spec.fps
        return float(round(t * fps) / fps)

    def shot(self, t: float) -> int:
        return int(np.searchsorted(self.cuts, t, side="right"))

    def luma(self, i: int) -> np.ndarray:
        spec = self.spec
        t = float(i / spec.fps)
        h, w = spec.height, spec.width
        if spec.kind == "flash":
            y = np.full((h, w), 40.0)
            for ev_t, _, _ in self.events:
                if ev_t <= t + 1e-9 and t < ev_t + spec.flash_frames / float(spec.fps) - 1e-9:
                    y[:] = 220.0
        elif spec.kind == "clapper":
            y = np.full((h, w), 60.0)
            marks = [e[0] for e in self.events if e[0] <= t + 1e-9]
            shut = bool(marks) and t - marks[-1] < spec.period_s / 2
            # the board: a bright body on the lower half; the stick above it, raised or shut
            cv2.rectangle(y, (w // 8, h // 2), (7 * w // 8, 7 * h // 8), 200.0, -1)
            if shut:
                cv2.rectangle(y, (w // 8, h // 2 - h // 8), (7 * w // 8, h // 2), 230.0, -1)
            else:
                pts = np.array([[w // 8, h // 2], [7 * w // 8, h // 16], [7 * w // 8, h // 6]])
                cv2.fillPoly(y, [pts.astype(np.int32)], 230.0)
        elif self.still is not None:
            y = 16 + 219 * self.still
        else:
            k = self.shot(t)
            start = self.cuts[k - 1] if k else 0.0
            dx = int((t - start) * 8) % 64  # a slow pan within the shot
            y = 16 + 219 * self.textures[k][16 : 16 + h, dx : dx + w]
        y = y + self.noise.normal(0.0, 1.5, (h, w))
        out: np.ndarray = np.clip(np.rint(y), 0, 255).astype(np.uint8)
        return out

    def sound(self, start: int, n: int) -> np.ndarray:
        """Mono samples ``start`` … ``start + n`` of the file (events shifted)."""
        spec, rate = self.spec, self.spec.rate
        t = (start + np.arange(n)) / rate
        rng = np.random.default_rng(spec.seed * 7919 + start)
        if spec.kind in ("flash", "clapper"):
            x = 10 ** (-70 / 20) * rng.standard_normal(n)  # a quiet floor, not digital silence
        elif spec.kind == "programme":
            gains = self.shot_gain[[self.shot(float(v - spec.offset_at(v))) for v in t[::240]]]
            x = 0.05 * np.repeat(gains, 240)[:n] * rng.standard_normal(n)
        else:
            x = self.music.block(start, n)[0].astype(np.float64)
        for ev_t, kind, level in self.events:
            at = ev_t + spec.offset_at(ev_t)
            a, b = round(at * rate), round((at + 0.3) * rate)
            lo, hi = max(a, start), min(b, start + n)
            if lo >= hi:
                continue
            tt = (np.arange(lo, hi) - a) / rate
            if kind == "beep":
                burst = np.where(tt < 0.04, np.sin(2 * np.pi * 1000 * tt), 0.0)
            else:
                decay = 0.03 if kind == "clap" else 0.08
                burst = np.random.default_rng(a).standard_normal(b - a)[lo - a : hi - a]
                burst = burst * np.exp(-tt / decay)
            x[lo - start : hi - start] += level * burst
        return np.clip(x, -1.0, 1.0).astype(np.float32)


def write_sync(path: Path, spec: SyncSpec = SyncSpec()) -> Path:
    """Write ``spec`` as H.264 + AAC (.mp4, .mov, .mkv) or MPEG-2 + PCM (.mxf)."""
    content = _Content(spec)
    frames = int(spec.duration_s * spec.fps)
    return write_av(
        path, spec.fps, spec.rate, (spec.width, spec.height), frames, content.luma, content.sound
    )


def write_av(
    path: Path,
    fps: Fraction,
    rate: int,
    size: tuple[int, int],
    frames: int,
    picture: Callable[[int], np.ndarray | tuple[np.ndarray, ...]],
    sound: Callable[[int, int], np.ndarray],
) -> Path:
    """Write ``frames`` pictures (``picture(i)``: a luma plane, or Y, U, V planes 4:2:0) and
    the sound beside them (``sound(start, n)``: mono samples, as stereo) as H.264 + AAC (.mp4,
    .mov, .mkv) or MPEG-2 + PCM (.mxf), both starting at time 0."""
    mxf = path.suffix == ".mxf"
    w, h = size
    chunk = 1024
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg2video" if mxf else "libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        if mxf:
            video.codec_context.bit_rate = 4_000_000
        else:
            video.options = {"crf": "20", "preset": "veryfast"}
        audio = out.add_stream("pcm_s16le" if mxf else "aac", rate=rate, layout="stereo")
        neutral = np.full((h // 2, w // 2), 128, np.uint8)
        written = 0
        for i in range(frames):
            planes = picture(i)
            if isinstance(planes, np.ndarray):
                planes = (planes, neutral, neutral)
            frame = av.VideoFrame(w, h, "yuv420p")
            for plane, data in zip(frame.planes, planes, strict=True):
                view = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
                view[: data.shape[0], : data.shape[1]] = data
            frame.pts = i
            frame.time_base = 1 / fps
            for packet in video.encode(frame):
                out.mux(packet)
            until = round((i + 1) / fps * rate)
            while written + chunk <= until:
                mono = sound(written, chunk)
                block = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(np.stack([mono, mono]).T.reshape(1, -1)),
                    format="flt",
                    layout="stereo",
                )
                block.sample_rate = rate
                block.pts = written
                block.time_base = Fraction(1, rate)
                for packet in audio.encode(block):
                    out.mux(packet)
                written += chunk
        for stream in (video, audio):
            for packet in stream.encode():
                out.mux(packet)
    return path

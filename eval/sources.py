"""The real footage and recordings of ``../shared/media/``, decoded once into a cache.

Video sources become raw YUV 4:2:0 planes at limited range (16–235 luma), scaled to 640x360
(16:9 sources) or 480x360 (the 4:3 webcam clips) and kept as a memory-mapped file per source,
so a scenario builder can read any frame at random. Still pictures (the photos of
PySceneDetect's slideshow video and empty rooms from the other cameras) are kept at their own
resolution. Audio sources become float32 (channels, n) at 48 kHz (or another rate on request).

Everything here is a pure function of the source files: the cache is keyed by each source's
size and modification time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import cv2
import numpy as np

Planes = tuple[np.ndarray, np.ndarray, np.ndarray]

ROOT = Path(__file__).resolve().parents[1]


def media_dir() -> Path:
    """The shared real media (``$STREAMCHECK_MEDIA`` when set, as the tests do)."""
    env = os.environ.get("STREAMCHECK_MEDIA")
    return Path(env) if env else (ROOT.parent / "shared" / "media").resolve()


def cache_dir() -> Path:
    d = Path(os.environ.get("EVAL_SOURCE_CACHE", ROOT / ".cache" / "eval" / "sources"))
    d.mkdir(parents=True, exist_ok=True)
    return d


# name -> (file under media_dir, library size (w, h))
VIDEO_SOURCES: dict[str, tuple[str, tuple[int, int]]] = {
    "parking": ("intel_car-detection.mp4", (640, 360)),
    "office": ("intel_one-by-one-person-detection.mp4", (640, 360)),
    "bottles": ("intel_bottle-detection.mp4", (640, 360)),
    "signing": ("intel_asl_gestures", (480, 360)),  # the 20 clips, one after the other
}

AUDIO_SOURCES: dict[str, str] = {
    "jazz": "librosa_vibe_ace.ogg",
    "strings": "librosa_hungarian_dance_5.ogg",
    "song": "librosa_lets_go_fishin.ogg",
    "speech_f": "librosa_speech_198-209-0000.ogg",
    "speech_m": "librosa_speech_5703-47212-0000.ogg",
    "whale": "librosa_glacier_bay_humpback.ogg",
    "piano": "pyloudnorm_piano.wav",
}

# Photos of the slideshow video (times inside each held photo) and empty scenes of the other
# cameras, as stills: name -> (source file, time s)
STILLS: dict[str, tuple[str, float]] = {
    "leaf": ("pyscenedetect_testvideo.mp4", 3.0),
    "deer": ("pyscenedetect_testvideo.mp4", 9.5),
    "rock": ("pyscenedetect_testvideo.mp4", 15.0),
    "grille": ("pyscenedetect_testvideo.mp4", 20.5),
    "office_empty": ("intel_one-by-one-person-detection.mp4", 0.5),
    "parking_empty": ("intel_car-detection.mp4", 0.5),
    "bottles_row": ("intel_bottle-detection.mp4", 1.0),
    "signing_room": ("intel_asl_gestures/again.mkv", 0.0),
}


def _key(path: Path) -> str:
    if path.is_dir():
        parts = sorted(path.iterdir())
        return ";".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in parts)
    st = path.stat()
    return f"{path.name}:{st.st_size}:{int(st.st_mtime)}"


def to_limited(frame: av.VideoFrame) -> Planes:
    """A decoded picture as limited-range 8-bit Y, U, V planes (full-range sources mapped)."""
    arr = frame.to_ndarray(format="yuv420p")
    h, w = frame.height, frame.width
    y = arr[:h]
    u = arr[h : h + h // 4].reshape(h // 2, w // 2)
    v = arr[h + h // 4 :].reshape(h // 2, w // 2)
    full = frame.format.name.startswith("yuvj") or frame.color_range == 2
    if full:
        y = (16 + y.astype(np.float32) * (219 / 255)).round().astype(np.uint8)
        u = (128 + (u.astype(np.float32) - 128) * (224 / 255)).round().astype(np.uint8)
        v = (128 + (v.astype(np.float32) - 128) * (224 / 255)).round().astype(np.uint8)
    return y.copy(), u.copy(), v.copy()


def resize_planes(p: Planes, w: int, h: int) -> Planes:
    y, u, v = p
    if y.shape == (h, w):
        return p
    interp = cv2.INTER_AREA if w < y.shape[1] else cv2.INTER_LINEAR
    return (
        cv2.resize(y, (w, h), interpolation=interp),
        cv2.resize(u, (w // 2, h // 2), interpolation=interp),
        cv2.resize(v, (w // 2, h // 2), interpolation=interp),
    )


@dataclass
class VideoSource:
    """Frames of one real recording, random access: ``planes(i)``, ``at(t)``."""

    name: str
    fps: float
    count: int
    width: int
    height: int
    data: np.ndarray  # (count, h*3/2, w) uint8, memory-mapped

    @property
    def duration_s(self) -> float:
        return self.count / self.fps

    def planes(self, i: int) -> Planes:
        i = min(max(i, 0), self.count - 1)
        a = self.data[i]
        h, w = self.height, self.width
        y = a[:h]
        u = a[h : h + h // 4].reshape(h // 2, w // 2)
        v = a[h + h // 4 :].reshape(h // 2, w // 2)
        return y, u, v

    def index_at(self, t: float) -> int:
        """The source picture shown at source time ``t`` (looping)."""
        return int(np.floor(t * self.fps + 1e-6)) % self.count

    def at(self, t: float) -> Planes:
        return self.planes(self.index_at(t))


def _decode_video_files(files: list[Path], size: tuple[int, int]) -> tuple[list[Planes], float]:
    frames: list[Planes] = []
    fps = 0.0
    for f in files:
        with av.open(str(f)) as c:
            s = c.streams.video[0]
            fps = fps or float(s.average_rate or 25)
            for fr in c.decode(s):
                frames.append(resize_planes(to_limited(fr), *size))
    return frames, fps


@cache
def video(name: str) -> VideoSource:
    """The cached library copy of video source ``name``."""
    rel, (w, h) = VIDEO_SOURCES[name]
    src = media_dir() / rel
    key = _key(src)
    raw, meta_path = cache_dir() / f"{name}.yuv", cache_dir() / f"{name}.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("key") != key or not raw.exists():
        files = sorted(src.iterdir()) if src.is_dir() else [src]
        frames, fps = _decode_video_files(files, (w, h))
        tmp = raw.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as out:
            for y, u, v in frames:
                out.write(y.tobytes() + u.tobytes() + v.tobytes())
        tmp.replace(raw)
        meta = {"key": key, "fps": fps, "count": len(frames), "w": w, "h": h}
        meta_path.write_text(json.dumps(meta))
    data = np.memmap(raw, np.uint8, "r", shape=(meta["count"], h * 3 // 2, w))
    return VideoSource(name, meta["fps"], meta["count"], w, h, data)


@cache
def still(name: str) -> Planes:
    """A still picture (limited-range planes at its source resolution)."""
    rel, t = STILLS[name]
    src = media_dir() / rel
    path = cache_dir() / f"still_{name}.npz"
    key = f"{_key(src)}@{t}"
    if path.exists():
        z = np.load(path)
        if str(z["key"]) == key:
            return z["y"], z["u"], z["v"]
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        for fr in c.decode(s):
            if fr.time is not None and fr.time >= t:
                y, u, v = to_limited(fr)
                break
    np.savez(path, key=key, y=y, u=u, v=v)
    return y, u, v


@cache
def audio(name: str, rate: int = 48000) -> np.ndarray:
    """Audio source ``name`` as float32 (channels, n) at ``rate``, full scale 1.0."""
    src = media_dir() / AUDIO_SOURCES[name]
    path = cache_dir() / f"audio_{name}_{rate}.npz"
    key = _key(src)
    if path.exists():
        z = np.load(path)
        if str(z["key"]) == key:
            return z["x"]
    parts = []
    with av.open(str(src)) as c:
        s = c.streams.audio[0]
        layout = s.codec_context.layout.name
        rs = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        for fr in c.decode(s):
            parts += [o.to_ndarray() for o in rs.resample(fr)]
        parts += [o.to_ndarray() for o in rs.resample(None)]
    x = np.ascontiguousarray(np.concatenate(parts, axis=1).astype(np.float32))
    np.savez(path, key=key, x=x)
    return x


def prepare_all() -> None:
    """Decode every source into the cache (once; later calls only check the keys)."""
    for name in VIDEO_SOURCES:
        video(name)
    for name in STILLS:
        still(name)
    for name in AUDIO_SOURCES:
        audio(name)


def fps_fraction(fps: float) -> Fraction:
    """25 -> 25, 29.97 -> 30000/1001."""
    for f in (Fraction(30000, 1001), Fraction(24000, 1001), Fraction(60000, 1001)):
        if abs(float(f) - fps) < 1e-3:
            return f
    return Fraction(fps).limit_denominator(1001)

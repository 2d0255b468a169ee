"""Leaders as masters carry them: colour bars (EBU Tech 3325 eight bars at 100% or 75%,
SMPTE's seven), 1 kHz line-up tone (EBU −18 dBFS, SMPTE −20 dBFS, EBU GLITS' breaks), a slate
(a still card with text), then the programme. Written by PyAV as real encoded files.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from .content import Picture, Sound

# R, G, B (0–1) of the bars from left to right: white, yellow, cyan, green, magenta, red,
# blue, black
BARS_RGB = np.array(
    [[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]],
    np.float32,
)
KB_KR = {"bt709": (0.0722, 0.2126), "bt601": (0.114, 0.299)}


def to_ycbcr(rgb: np.ndarray, hd: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R′G′B′ (…, 3) in 0–1 → limited-range 8-bit Y′, Cb, Cr (4:4:4, float)."""
    kb, kr = KB_KR["bt709" if hd else "bt601"]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = kr * r + (1 - kr - kb) * g + kb * b
    cb = (b - y) / (2 * (1 - kb))
    cr = (r - y) / (2 * (1 - kr))
    return 16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr


def colour_bars(width: int, height: int, kind: str = "ebu100") -> tuple[np.ndarray, ...]:
    """(Y, U, V) uint8 planes (4:2:0) of colour bars: ``ebu100`` (100/0/100/0), ``ebu75``
    (100/0/75/0: white at 100%, colours at 75%), ``smpte75`` (seven bars at 75% over the top
    two thirds, then reverse blue bars and a PLUGE-like bottom)."""
    hd = height >= 720
    n = 7 if kind == "smpte75" else 8
    rgb = np.zeros((height, width, 3), np.float32)
    for i in range(n):
        a, b = width * i // n, width * (i + 1) // n
        colour = BARS_RGB[i] * (1.0 if kind == "ebu100" else 0.75)
        if kind == "ebu75" and i == 0:
            colour = BARS_RGB[0]
        rgb[:, a:b] = colour
    if kind == "smpte75":
        lower = height * 2 // 3
        rgb[lower:] = 0.0
        reverse = np.array([[0, 0, 0.75], [0, 0, 0], [0.75, 0, 0.75], [0, 0, 0]], np.float32)
        for i in range(4):
            a, b = width * i // 4, width * (i + 1) // 4
            rgb[lower : lower + height // 12, a:b] = reverse[i]
    y, cb, cr = to_ycbcr(rgb, hd)
    return _planes(y, cb, cr)


def slate(width: int, height: int, lines: list[str]) -> tuple[np.ndarray, ...]:
    """A still card: white text on dark grey."""
    y = np.full((height, width), 40, np.uint8)
    scale = height / 360
    for i, text in enumerate(lines):
        org = (width // 12, int(height * (0.25 + 0.15 * i)))
        cv2.putText(y, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, 220, max(1, round(2 * scale)))
    neutral = np.full((height // 2, width // 2), 128, np.uint8)
    return y, neutral, neutral.copy()


def _planes(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> tuple[np.ndarray, ...]:
    sub = [c.reshape(c.shape[0] // 2, 2, c.shape[1] // 2, 2).mean((1, 3)) for c in (cb, cr)]
    return tuple(np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, *sub))


def line_up_tone(
    n: int, start: int, rate: int, level_dbfs: float, hz: float = 1000.0, glits: bool = False
) -> np.ndarray:
    """``n`` samples from sample ``start`` of a sine at ``level_dbfs`` RMS, stereo; with
    ``glits`` the left channel breaks for 250 ms every 4 s (EBU Tech 3304's identification)."""
    t = (start + np.arange(n)) / rate
    amplitude = np.sqrt(2) * 10 ** (level_dbfs / 20)
    tone = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    out = np.stack([tone, tone])
    if glits:
        out[0, (t % 4.0) >= 3.75] = 0.0
    return out


@dataclass(frozen=True)
class Leader:
    """A master's head: ``bars_s`` of ``bars`` with tone (``tone_dbfs``; None: silence under
    the bars), ``slate_s`` of a slate (silent), then ``programme_s`` of programme."""

    bars_s: float = 5.0
    bars: str = "ebu100"
    tone_dbfs: float | None = -18.0
    glits: bool = False
    slate_s: float = 3.0
    programme_s: float = 10.0
    width: int = 320
    height: int = 240
    fps: int = 25
    rate: int = 48000

    @property
    def programme_start_s(self) -> float:
        return self.bars_s + self.slate_s


def write_leader(path: Path, spec: Leader = Leader(), container: str | None = None) -> Path:
    """Write ``spec`` as H.264 + AAC (MP4 or MOV), or MPEG-2 + PCM (MXF), by the extension."""
    mxf = path.suffix == ".mxf"
    width, height, fps, rate = spec.width, spec.height, spec.fps, spec.rate
    picture = Picture("texture", width, height, fps, seed=7)
    sound = Sound("music", rate, 2, seed=7)
    bars = colour_bars(width, height, spec.bars)
    card = slate(width, height, ["PROGRAMME: LEADER TEST", "CLOCK 10:00:00:00", "DUR 00:00:10"])
    frames = round((spec.bars_s + spec.slate_s + spec.programme_s) * fps)
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream("mpeg2video" if mxf else "libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if mxf:
            video.codec_context.bit_rate = 8_000_000
        else:
            video.options = {"crf": "18"}
        audio = out.add_stream("pcm_s16le" if mxf else "aac", rate=rate, layout="stereo")
        block = rate // fps
        for i in range(frames):
            t = i / fps
            if t < spec.bars_s:
                planes = bars
            elif t < spec.programme_start_s:
                planes = card
            else:
                planes = picture.frame(i - round(spec.programme_start_s * fps))
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane, data in zip(frame.planes, planes, strict=True):
                view = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
                view[: data.shape[0], : data.shape[1]] = data
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
            start = i * block
            if t < spec.bars_s and spec.tone_dbfs is not None:
                samples = line_up_tone(block, start, rate, spec.tone_dbfs, glits=spec.glits)
            elif t < spec.programme_start_s:
                samples = np.zeros((2, block), np.float32)
            else:
                samples = sound.block(start - round(spec.programme_start_s * rate), block)
            chunk = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples.T.reshape(1, -1)), format="flt", layout="stereo"
            )
            chunk.sample_rate = rate
            chunk.pts = start
            chunk.time_base = Fraction(1, rate)
            for packet in audio.encode(chunk):
                out.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                out.mux(packet)
    return path

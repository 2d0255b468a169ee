"""Seeded synthetic picture and sound: textured, moving, never a static test card.

Pictures are made directly as 8-bit Y, U, V planes (luma in limited range 16–235 unless asked
otherwise); sound as float32 (channels, n) at full scale 1.0. Everything is a function of the
seed and the frame or sample index, so the same spec always gives the same file.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

VIDEO_KINDS = ("texture", "dark", "pan", "static_noisy", "cuts")
AUDIO_KINDS = ("music", "speech", "quiet_speech", "loud", "wide")


def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A float32 texture in 0–1: blurred noise at two scales plus a few soft shapes."""
    coarse = cv2.resize(
        rng.random((h // 16 + 2, w // 16 + 2), dtype=np.float32),
        (w, h),
        interpolation=cv2.INTER_CUBIC,
    )
    fine = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), 1.5)
    tex = 0.65 * coarse + 0.35 * (fine - fine.mean()) * 4 + 0.2
    for _ in range(6):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(tex, c, int(rng.integers(h // 20, h // 6)), float(rng.random()), -1)
    out: np.ndarray = np.clip(tex, 0.0, 1.0)
    return out


class Picture:
    """Frame source for one clip: ``frame(i)`` returns (Y, U, V) uint8 planes."""

    def __init__(
        self, kind: str, width: int, height: int, fps: float, seed: int, full_range: bool = False
    ) -> None:
        if kind not in VIDEO_KINDS:
            raise ValueError(f"unknown video kind {kind!r}; known: {', '.join(VIDEO_KINDS)}")
        self.kind, self.w, self.h, self.fps = kind, width, height, fps
        self.rng = np.random.default_rng(seed)
        self.full_range = full_range
        pad = min(max(width, height), 640)  # room for the camera to drift
        self.textures = [_texture(self.rng, height + pad, width + pad) for _ in range(3)]
        self.noise_rng = np.random.default_rng(seed + 1)
        yy, xx = np.mgrid[0 : height // 2, 0 : width // 2].astype(np.float32)
        self.u = (128 + 20 * np.sin(xx / 17.0)).astype(np.uint8)
        self.v = (128 + 20 * np.cos(yy / 13.0)).astype(np.uint8)

    def _levels(self, y01: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Map 0–1 picture values to luma codes between ``lo`` and ``hi`` (limited-range
        codes), converted to full range when the clip is full range."""
        y = lo + (hi - lo) * y01
        return (y - 16.0) * (255.0 / 219.0) if self.full_range else y

    def frame(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = i / self.fps
        h, w = self.h, self.w
        if self.kind == "cuts":
            tex = self.textures[int(t // 2.0) % 3]
            x0, y0 = int(40 + 30 * math.sin(t)), int(20 + 2 * i % 40)
        else:
            tex = self.textures[0]
        if self.kind == "pan":  # slow sub-pixel pan: 0.5 px per frame
            m = np.array([[1, 0, -0.5 * i], [0, 1, -0.2 * i]], np.float32)
            crop = cv2.warpAffine(
                tex, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
            )
        elif self.kind == "static_noisy":  # locked-off camera: sub-pixel tremor, sensor noise
            jx, jy = self.noise_rng.uniform(-0.3, 0.3, 2)
            m = np.array([[1, 0, jx], [0, 1, jy]], np.float32)
            crop = cv2.warpAffine(tex[: h + 2, : w + 2], m, (w, h), flags=cv2.INTER_LINEAR)
        elif self.kind == "cuts":
            crop = tex[y0 : y0 + h, x0 : x0 + w].copy()
        else:  # texture and dark: a camera drifting over the scene, plus a moving object
            pad = tex.shape[1] - w
            x0 = int((pad / 2) * (1 + math.sin(2 * math.pi * t / 9.0)))
            y0 = int(((tex.shape[0] - h) / 2) * (1 + math.sin(2 * math.pi * t / 7.0)))
            crop = tex[y0 : y0 + h, x0 : x0 + w].copy()
        if self.kind != "static_noisy":
            cx = int(w / 2 + w / 3 * math.sin(2 * math.pi * t / 3.0))
            cy = int(h / 2 + h / 4 * math.cos(2 * math.pi * t / 2.5))
            cv2.circle(crop, (cx, cy), max(4, h // 10), 0.95, -1)
        if self.kind == "dark":  # low light: codes ~18–90 with sensor noise
            y = self._levels(crop, 18.0, 90.0) + self.noise_rng.normal(0, 3.0, crop.shape)
        elif self.kind == "static_noisy":
            y = self._levels(crop, 16.0, 235.0) + self.noise_rng.normal(0, 4.0, crop.shape)
        else:
            y = self._levels(crop, 16.0, 235.0)
        y8 = np.clip(y, 0, 255).astype(np.uint8)
        return y8, *self._chroma(y8)

    def _chroma(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The clip's colour pattern, fading to grey towards black and white as a camera's
        colours do, so that every picture stays inside the RGB gamut."""
        small = y[::2, ::2][: self.u.shape[0], : self.u.shape[1]].astype(np.float32)
        lo, hi = (0.0, 255.0) if self.full_range else (16.0, 235.0)
        room = np.clip(np.minimum(small - lo, hi - small) / ((hi - lo) / 2), 0.0, 1.0)
        u = 128 + (self.u.astype(np.float32) - 128) * room
        v = 128 + (self.v.astype(np.float32) - 128) * room
        return u.astype(np.uint8), v.astype(np.uint8)

    def black(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A black picture with a little noise, as real black from a source looks."""
        base = 0.0 if self.full_range else 16.0
        y = base + np.abs(self.noise_rng.normal(0, 1.0, (self.h, self.w)))
        neutral = np.full_like(self.u, 128)
        return np.clip(y, 0, 255).astype(np.uint8), neutral, neutral


class Sound:
    """Sample source for one clip: ``block(start, n)`` returns float32 (channels, n)."""

    def __init__(self, kind: str, sample_rate: int, channels: int, seed: int) -> None:
        if kind not in AUDIO_KINDS:
            raise ValueError(f"unknown audio kind {kind!r}; known: {', '.join(AUDIO_KINDS)}")
        self.kind, self.sr, self.channels, self.seed = kind, sample_rate, channels, seed
        rng = np.random.default_rng(seed)
        self.notes = 110.0 * 2 ** (rng.integers(0, 24, 4096) / 12.0)
        self.words = rng.uniform(0.15, 0.45, 4096)  # word lengths, s
        self.gaps = rng.choice([0.08, 0.15, 0.3, 0.9], 4096, p=[0.4, 0.3, 0.2, 0.1])
        self.pan = rng.uniform(0.6, 1.0, channels)
        if kind == "loud":
            self.pan[:] = 1.0
        # wide stereo: every other channel plays its own, unrelated line
        self.other = Sound("music", sample_rate, 1, seed + 1000) if kind == "wide" else None
        # word start times for speech
        starts = np.cumsum(np.concatenate(([0.2], (self.words + self.gaps)[:-1])))
        self.word_starts = starts

    def block(self, start: int, n: int) -> np.ndarray:
        t = (start + np.arange(n)) / self.sr
        if self.kind in ("music", "wide"):
            mono = self._music(t) * 0.35  # peaks around −9 dBFS
        elif self.kind == "loud":  # a mastered, limited track: dense, peaking near −1 dBFS
            mono = (0.89 / np.tanh(2.5)) * np.tanh(2.5 * self._music(t))
        else:
            mono = self._speech(t, start)
            mono *= 0.3 if self.kind == "speech" else 0.3 * 10 ** (-20 / 20)  # quiet: −20 dB
        out = np.empty((self.channels, n), np.float32)
        other = self.other.block(start, n)[0] if self.other is not None else mono
        for c in range(self.channels):
            out[c] = (other if c % 2 else mono) * self.pan[c]
        return out

    def _music(self, t: np.ndarray) -> np.ndarray:
        note = self.notes[(t / 0.25).astype(int) % len(self.notes)]
        env = 0.6 + 0.4 * np.cos(2 * np.pi * ((t / 0.25) % 1.0) * 0.5) ** 2
        x = np.zeros_like(t)
        for k, a in ((1, 0.55), (2, 0.25), (3, 0.12), (5, 0.08)):
            x += a * np.sin(2 * np.pi * k * note * t)
        return (x * env / 1.0).astype(np.float32)

    def _speech(self, t: np.ndarray, start: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed * 1_000_003 + start)
        idx = np.searchsorted(self.word_starts, t, side="right") - 1
        idx = np.clip(idx, 0, len(self.words) - 1)
        in_word = (t - self.word_starts[idx]) < self.words[idx]
        phase = np.clip((t - self.word_starts[idx]) / self.words[idx], 0, 1)
        env = np.where(in_word, np.sin(np.pi * phase) ** 0.5, 0.0)
        pitch = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
        voiced = np.sin(2 * np.pi * np.cumsum(pitch) / self.sr + start)
        x = 0.6 * voiced * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)) + 0.25 * rng.standard_normal(
            t.size
        )
        # room tone: about −55 dBFS RMS after the speech gain, so pauses are quiet but not
        # digital silence (a real microphone's noise floor); quiet speech scales it down too
        room = 10 ** (-45 / 20) * rng.standard_normal(t.size)
        return (x * env + room).astype(np.float32)

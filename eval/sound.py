"""Sound content kinds: one function per kind of sound real programmes carry, each returning
float32 (channels, n) at the programme's sample rate, full scale 1.0. Real recordings come from
:mod:`eval.sources`; noise floors and tones are synthesized from a seeded generator.

Kinds: ``speech`` (LibriSpeech readers, phrases re-spaced with pauses over room tone),
``music`` (a real recording from a start time: jazz, a song, a string orchestra), ``classical``
(the quiet passages: the strings' soft bars, the piano), ``room_tone``, ``hiss`` and ``hum``
(noise floors at a given RMS level), ``tone`` (line-up tone), ``ambience`` (the humpback
recording, far off), and ``surround`` (a stereo programme spread to 5.1 with quiet surrounds).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import cv2
import numpy as np

from . import sources

SoundFn = Callable[..., np.ndarray]
SOUND: dict[str, SoundFn] = {}


def sound(fn: SoundFn) -> SoundFn:
    SOUND[fn.__name__] = fn
    return fn


def db(x: float) -> float:
    return float(10 ** (x / 20))


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-30))


def stereo(x: np.ndarray, channels: int = 2, pan: float = 0.0) -> np.ndarray:
    """Mono (1, n) or (n,) to ``channels`` (identical, panned by ``pan`` in −1…1)."""
    m = x.reshape(-1)
    if channels == 1:
        return m[None, :].astype(np.float32)
    gl, gr = min(1.0, 1 - pan), min(1.0, 1 + pan)
    out = np.empty((channels, m.size), np.float32)
    for c in range(channels):
        out[c] = m * (gl if c % 2 == 0 else gr)
    return out


def fit_channels(x: np.ndarray, channels: int) -> np.ndarray:
    if x.shape[0] == channels:
        return x
    if x.shape[0] == 1:
        return stereo(x, channels)
    if channels == 1:
        return x.mean(axis=0, keepdims=True).astype(np.float32)
    return np.stack([x[c % x.shape[0]] for c in range(channels)]).astype(np.float32)


def ramp(x: np.ndarray, fade_in: float, fade_out: float, sr: int) -> np.ndarray:
    """Linear fades in place (seconds)."""
    n = x.shape[1]
    a, b = min(n, int(fade_in * sr)), min(n, int(fade_out * sr))
    if a:
        x[:, :a] *= np.linspace(0, 1, a, dtype=np.float32)
    if b:
        x[:, n - b :] *= np.linspace(1, 0, b, dtype=np.float32)
    return x


def _loop(src: np.ndarray, start: int, n: int) -> np.ndarray:
    idx = (start + np.arange(n)) % src.shape[1]
    return src[:, idx]


# ---- noise --------------------------------------------------------------------------------------


def _coloured(n: int, rng: np.random.Generator, slope: float) -> np.ndarray:
    """Noise with power ∝ f^slope (0 white, −1 pink), unit RMS."""
    if slope == 0:
        x = rng.standard_normal(n).astype(np.float32)
        return x / float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    size = 1 << max(1, (n - 1).bit_length())  # a power of two: the FFT stays fast
    spec = np.fft.rfft(rng.standard_normal(size).astype(np.float32))
    f = np.arange(spec.size, dtype=np.float32)
    f[0] = 1.0
    spec *= f ** np.float32(slope / 2)
    x = np.fft.irfft(spec, size)[:n]
    return (x / np.sqrt(np.mean(x.astype(np.float64) ** 2))).astype(np.float32)


@sound
def room_tone(
    dur: float, sr: int, rng: np.random.Generator, level_db: float = -55.0, channels: int = 2
) -> np.ndarray:
    """A room's noise floor: pink-ish noise at ``level_db`` dBFS RMS, a little different in
    each channel (a real stereo microphone pair)."""
    n = int(dur * sr)
    common = _coloured(n, rng, -1.0)
    out = np.empty((channels, n), np.float32)
    for c in range(channels):
        own = _coloured(n, rng, -1.0)
        out[c] = (0.8 * common + 0.6 * own) * db(level_db)
    return out


@sound
def hiss(
    dur: float, sr: int, rng: np.random.Generator, level_db: float = -60.0, channels: int = 2
) -> np.ndarray:
    """Tape or pre-amp hiss: white noise at ``level_db`` dBFS RMS, independent per channel."""
    n = int(dur * sr)
    return np.stack([_coloured(n, rng, 0.0) * db(level_db) for _ in range(channels)])


@sound
def hum(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    level_db: float = -50.0,
    channels: int = 2,
    mains: float = 50.0,
) -> np.ndarray:
    """Mains hum: ``mains`` Hz and its harmonics (odd ones strong), ``level_db`` dBFS RMS."""
    n = int(dur * sr)
    t = np.arange(n) / sr
    x = np.zeros(n)
    phase = rng.uniform(0, 2 * np.pi, 6)
    for k, a in zip((1, 2, 3, 5, 7, 9), (1.0, 0.3, 0.6, 0.35, 0.2, 0.1), strict=True):
        x += a * np.sin(2 * np.pi * mains * k * t + phase[k % 6])
    x = x / np.sqrt(np.mean(x**2)) * db(level_db)
    return stereo(x.astype(np.float32), channels)


@sound
def tone(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    level_db: float = -18.0,
    freq: float = 1000.0,
    channels: int = 2,
) -> np.ndarray:
    """Line-up tone: a sine at ``level_db`` dBFS peak-to-sine RMS (EBU: −18 dBFS)."""
    t = np.arange(int(dur * sr)) / sr
    x = (np.sqrt(2) * db(level_db) * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return stereo(x, channels)


# ---- real recordings ----------------------------------------------------------------------------


@sound
def music(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    src: str = "jazz",
    start: float = 0.0,
    channels: int = 2,
    fade_in: float = 0.0,
    fade_out: float = 0.0,
) -> np.ndarray:
    """A real recording (``jazz``, ``song``, ``strings``) from ``start`` s (looping at its end),
    with fades."""
    x = sources.audio(src, sr)
    out = fit_channels(_loop(x, int(start * sr), int(dur * sr)), channels).copy()
    return ramp(out, fade_in, fade_out, sr)


@sound
def classical(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    piece: str = "piano",
    start: float = 0.0,
    channels: int = 2,
) -> np.ndarray:
    """Quiet classical music: the piano recording (its left channel: the pair is recorded out
    of phase, correlation about −0.4, which is not what this content is about) or the string
    orchestra's soft bars (from ``start``)."""
    if piece == "piano":
        x = sources.audio("piano", sr)[:1]
        x = np.concatenate([x, 0.85 * x])
        return fit_channels(_loop(x, int(start * sr), int(dur * sr)), channels).copy()
    return music(dur, sr, rng, "strings", start, channels)


@cache
def _phrases(src: str, sr: int) -> list[tuple[int, int]]:
    """Sample ranges of the phrases of a speech recording: above −40 dBFS RMS (20 ms windows),
    split at pauses of 250 ms or more, each padded by 60 ms."""
    x = sources.audio(src, sr)[0]
    w = sr // 50
    n = x.size // w
    r = np.sqrt(np.mean(x[: n * w].reshape(n, w).astype(np.float64) ** 2, axis=1))
    loud = r > db(-40)
    out: list[tuple[int, int]] = []
    k = 0
    while k < n:
        if not loud[k]:
            k += 1
            continue
        j, quiet = k, 0
        while j < n and quiet < 13:
            quiet = 0 if loud[j] else quiet + 1
            j += 1
        a = max(0, k * w - 3 * w)
        b = min(x.size, (j - quiet) * w + 3 * w)
        if b - a > sr // 3:
            out.append((a, b))
        k = j
    return out


@sound
def speech(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    voices: tuple[str, ...] = ("speech_f", "speech_m"),
    pause: tuple[float, float] = (0.25, 1.4),
    room_db: float = -55.0,
    channels: int = 2,
    pan: float = 0.0,
) -> np.ndarray:
    """Read speech: phrases of the LibriSpeech readers, in order, alternating readers every few
    phrases, spaced by pauses drawn from ``pause`` (s), over room tone at ``room_db``. No pause
    reaches 2 s (the longest is ``pause[1]`` plus the phrase padding)."""
    n = int(dur * sr)
    mono = np.zeros(n, np.float32)
    fade = int(0.015 * sr)
    pos = int(rng.uniform(0.1, 0.5) * sr)
    v = int(rng.integers(0, len(voices)))
    idx = {name: int(rng.integers(0, len(_phrases(name, sr)))) for name in voices}
    while pos < n:
        name = voices[v % len(voices)]
        for _ in range(int(rng.integers(2, 5))):
            phrases = _phrases(name, sr)
            a, b = phrases[idx[name] % len(phrases)]
            idx[name] += 1
            seg = sources.audio(name, sr)[0, a:b].copy()
            seg[:fade] *= np.linspace(0, 1, fade, dtype=np.float32)
            seg[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
            take = min(seg.size, n - pos)
            mono[pos : pos + take] += seg[:take]
            pos += take + int(rng.uniform(*pause) * sr)
            if pos >= n:
                break
        v += 1
    out = stereo(mono, channels, pan)
    if room_db > -200:
        out += room_tone(dur, sr, rng, room_db, channels)[:, :n]
    return out


@sound
def ambience(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    start: float = 0.0,
    level_db: float = -30.0,
    channels: int = 2,
) -> np.ndarray:
    """Nature ambience: the humpback recording (underwater song), high-passed of its rumble,
    at ``level_db`` dBFS RMS, widened by a short delay."""
    x = sources.audio("whale", sr)[0]
    m = _loop(x[None, :], int(start * sr), int(dur * sr))[0].astype(np.float32)
    low = cv2.blur(m.reshape(1, -1), (int(sr / 150) | 1, 1)).reshape(-1)
    m = m - low
    m *= db(level_db) / max(np.sqrt(np.mean(m.astype(np.float64) ** 2)), 1e-9)
    out = stereo(m, channels)
    if channels >= 2:
        d = int(0.012 * sr)
        out[1, d:] = m[:-d] * 0.9
    return out


def upmix_51(
    st: np.ndarray,
    sr: int,
    rng: np.random.Generator,
    dialogue: np.ndarray | None = None,
    surround_db: float = -48.0,
) -> np.ndarray:
    """A stereo programme spread to 5.1 (FL FR FC LFE BL BR): fronts carry the programme,
    the centre the dialogue (or the mid), the LFE the lows, and the surrounds only quiet
    ambience (room tone at ``surround_db`` dBFS RMS plus a faint late reflection)."""
    n = st.shape[1]
    mid = st.mean(axis=0)
    centre = dialogue.reshape(-1)[:n] if dialogue is not None else 0.5 * mid
    low = cv2.blur(mid.reshape(1, -1).astype(np.float32), (int(sr / 100) | 1, 1)).reshape(-1)
    amb = room_tone(n / sr, sr, rng, surround_db, 2)[:, :n]
    refl = np.zeros((2, n), np.float32)
    d1, d2 = int(0.031 * sr), int(0.043 * sr)
    refl[0, d1:] = st[0, :-d1] * db(-30)
    refl[1, d2:] = st[1, :-d2] * db(-30)
    out = np.stack([st[0], st[1], centre, 0.5 * low, amb[0] + refl[0], amb[1] + refl[1]])
    return out.astype(np.float32)


SOUND["surround"] = upmix_51

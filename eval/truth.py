"""Reference measurements on the uncompressed source: what the ground truth says, computed
from the very pictures and samples handed to the encoder (never from streamcheck's code).

Definitions (each class's convention, on the source):

- black: blackdetect's: ≥ 98% of luma samples at or below 10% of the nominal range
  (code ≤ 37 at 8-bit limited range), for ≥ 2 s.
- freeze: the picture is repeated. As freezedetect (d=2) each picture is compared with the
  first picture of the candidate freeze; it is *the same picture* when the mean absolute
  difference over all three planes is ≤ 0.0002 of the code range (a twentieth of a code
  value: what is left of an exact repeat) **and** no 16×16 luma block (8×8 chroma) moved by
  more than 1 code value on average. A held still, a stuck feed are frozen; a small live
  window, a running timecode, faint sensor noise, a chroma-only change are live. On a held
  still this is what freezedetect n=-60dB sees on the uncompressed source; on a live camera
  with little noise it is stricter on purpose (faint noise is a live picture, not a freeze).
  Never inside black.
- letterbox: the picture is boxed (known from how it was made) and not black, for ≥ 2 s.
- silence: every channel quiet (each sample below −60 dBFS, or the 50 ms RMS around it below
  −60 dBFS: a programme replaced by low noise is silent too) for ≥ 2 s; a single channel (not
  the LFE) quiet for ≥ 2 s outside whole-mix silence is a silence of that channel.
- clipping: runs of ≥ 3 samples at |x| ≥ 0.999 on a channel; runs closer than 0.5 s join.
- dropout: every channel at or below −100 dBFS for 10–500 ms with signal (≥ −50 dBFS peak)
  within 20 ms on both sides.
- true_peak: the 4× oversampled signal above the delivery ceiling (−1 dBTP for EBU R128);
  overs closer than 0.5 s join.
- loudness: BS.1770-4 integrated loudness with EBU R128 gating.
- levels (EBU R 103, 8-bit limited range): a picture is illegal when more than 1% of its luma
  samples lie below −1% or above 103% of the nominal range (codes ≤ 13 or ≥ 242), or more than
  1% of its chroma positions have Cb or Cr outside 16…240 by more than 1% (≤ 13 or ≥ 243), or
  more than 5% of its chroma positions (luma averaged over each one's 2×2 block) give R′, G′ or
  B′ outside −5…105% (with the matrix the written stream declares; when it declares none, BT.709
  from 720 lines, BT.601 below, as a receiver reads it); stretches of ≥ 1 s. Full-range content:
  at least half of the pictures have ≥ 2.5% of their luma below code 16 *and* ≥ 2.5% above 235;
  then one event over the whole stream replaces the stretches. Every sample of every picture
  counts (the detector samples a grid). A codec moves levels by a code or two, so stretches
  whose worst picture is within a factor 2 of its limit, and stretches that pass half the limits
  only, are ambiguous; where a finding and this truth disagree, eval.decoded judges the decoded
  pictures by the same rule (levels the codec made or undid are ambiguous).
- interlace: as injected (the stretch whose pictures weave two moments), split into the parts
  whose pictures move and the still ones, which are ambiguous (a still picture cannot show its
  scan; eval.defects.weave_truth).
- bars_tone: as injected (the leader's bars, tone and slate); the black, freeze and silence
  a leader holds are on purpose and left out of the truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

Planes = tuple[np.ndarray, np.ndarray, np.ndarray]

MIN_DURATION_S = 2.0  # black, freeze, letterbox, silence: the 2 s convention (d=2)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(d[0::2].tolist(), d[1::2].tolist(), strict=True))


def subtract(
    span: tuple[float, float], holes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    out = [span]
    for hs, he in holes:
        nxt = []
        for s, e in out:
            if he <= s or hs >= e:
                nxt.append((s, e))
                continue
            if hs > s:
                nxt.append((s, hs))
            if he < e:
                nxt.append((he, e))
        out = nxt
    return out


def merge(spans: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(spans):
        if out and s - out[-1][1] < gap:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


# ---- video --------------------------------------------------------------------------------------


@dataclass
class VideoReference:
    """Fed every picture handed to the encoder (in order), with its content time, duration and
    the share of the picture that is black bars (0: none)."""

    black_code: int = 37
    freeze_mafd: float = 0.0002
    freeze_block: float = 1.0
    t: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    black: list[bool] = field(default_factory=list)
    same: list[bool] = field(default_factory=list)  # same picture as the freeze reference
    bars: list[float] = field(default_factory=list)
    _ref: Planes | None = None
    _ref_blocks: tuple[np.ndarray, ...] | None = None

    def add(self, planes: Planes, t: float, dur: float, bars: float) -> None:
        y = planes[0]
        self.t.append(t)
        self.end.append(t + dur)
        dark = cv2.countNonZero(cv2.compare(y, self.black_code, cv2.CMP_LE))
        self.black.append(dark >= 0.98 * y.size)
        self.bars.append(bars)
        same = False
        if self._ref is not None and self._ref[0].shape == y.shape:
            total, count = 0.0, 0
            moved = False
            for k, (a, b) in enumerate(zip(planes, self._ref, strict=True)):
                d = cv2.absdiff(a, b)
                total += float(cv2.sumElems(d)[0])
                count += d.size
                bs = 16 if k == 0 else 8
                h, w = d.shape
                bm = cv2.resize(
                    d[: h - h % bs, : w - w % bs], (w // bs, h // bs), interpolation=cv2.INTER_AREA
                )
                if bm.size and float(bm.max()) > self.freeze_block:
                    moved = True
            same = not moved and total / count / 255.0 <= self.freeze_mafd
        self.same.append(same)
        if not same:
            self._ref = (planes[0].copy(), planes[1].copy(), planes[2].copy())

    def events(self) -> list[dict[str, object]]:
        """black, freeze and letterbox on the content timeline."""
        t, end = self.t, self.end
        out: list[dict[str, object]] = []
        blacks = []
        for a, b in runs(np.array(self.black)):
            if end[b - 1] - t[a] >= MIN_DURATION_S - 1e-6:
                blacks.append((t[a], end[b - 1]))
                out.append(ev("black", t[a], end[b - 1], "video"))
        # a freeze runs from its reference picture (the one before the first 'same')
        same = np.array(self.same)
        for a, b in runs(same):
            a0 = a - 1 if a > 0 else a
            for s, e in subtract((t[a0], end[b - 1]), blacks):
                if e - s >= MIN_DURATION_S - 1e-6:
                    out.append(ev("freeze", s, e, "video"))
        bars = np.array(self.bars)
        boxed = (bars > 0) & ~np.array(self.black)
        for a, b in runs(boxed):
            if end[b - 1] - t[a] >= MIN_DURATION_S - 1e-6:
                out.append(
                    ev(
                        "letterbox",
                        t[a],
                        end[b - 1],
                        "video",
                        value=round(float(bars[a:b].mean()), 4),
                    )
                )
        return out


# EBU R 103 at 8-bit limited range (see the module docstring)
LEVELS_LUMA = (13, 242)  # illegal at or below / at or above
LEVELS_CHROMA = (13, 243)
LEVELS_AREA, LEVELS_GAMUT_AREA, LEVELS_GAMUT_MARGIN = 0.01, 0.05, 0.05
LEVELS_MIN_DURATION_S = 1.0
YCBCR_TO_RGB = {  # rows R, G, B; columns Y, Cb, Cr (normalised)
    "bt709": ((1.0, 0.0, 1.5748), (1.0, -0.1873, -0.4681), (1.0, 1.8556, 0.0)),
    "bt601": ((1.0, 0.0, 1.402), (1.0, -0.344136, -0.714136), (1.0, 1.772, 0.0)),
}


def levels_shares(planes: Planes) -> tuple[float, float, dict[str, float], bool]:
    """(luma share outside, chroma share outside, share outside the RGB gamut by matrix,
    full-range picture) of one 8-bit limited-range 4:2:0 picture, every sample counted."""
    y, u, v = planes
    luma = float(np.count_nonzero((y <= LEVELS_LUMA[0]) | (y >= LEVELS_LUMA[1]))) / y.size
    lo, hi = LEVELS_CHROMA
    chroma_bad = (u <= lo) | (u >= hi) | (v <= lo) | (v >= hi)
    chroma = float(np.count_nonzero(chroma_bad)) / u.size
    h, w = u.shape
    y2 = y[: 2 * h, : 2 * w].astype(np.float32).reshape(h, 2, w, 2).mean(axis=(1, 3))
    yn = (y2 - 16) / 219
    cb, cr = (u.astype(np.float32) - 128) / 224, (v.astype(np.float32) - 128) / 224
    gamut = {}
    for name, m in YCBCR_TO_RGB.items():
        out = np.zeros(yn.shape, bool)
        for row in m:
            c = row[0] * yn + row[1] * cb + row[2] * cr
            out |= (c < -LEVELS_GAMUT_MARGIN) | (c > 1 + LEVELS_GAMUT_MARGIN)
        gamut[name] = float(np.count_nonzero(out)) / out.size
    full = (
        np.count_nonzero(y < 16) >= 0.025 * y.size and np.count_nonzero(y > 235) >= 0.025 * y.size
    )
    return luma, chroma, gamut, bool(full)


@dataclass
class LevelsReference:
    """Fed every picture handed to the encoder: the ``levels`` truth (module docstring).
    Gamut is judged with the matrix the written stream declares (known after writing)."""

    t: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    # per picture and matrix: the worst of luma/limit, chroma/limit, gamut/limit (> 1: illegal)
    severity: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name in YCBCR_TO_RGB}
    )
    full: list[bool] = field(default_factory=list)

    def add(self, planes: Planes, t: float, dur: float) -> None:
        luma, chroma, gamut, full = levels_shares(planes)
        self.t.append(t)
        self.end.append(t + dur)
        for name, share in gamut.items():
            self.severity[name].append(
                max(luma / LEVELS_AREA, chroma / LEVELS_AREA, share / LEVELS_GAMUT_AREA)
            )
        self.full.append(full)

    def events(self, matrix: str) -> list[dict[str, object]]:
        """The truth, gamut read with ``matrix`` (bt709 or bt601)."""
        if not self.t:
            return []
        t, end = self.t, self.end
        full = np.array(self.full)
        if full.mean() >= 0.5:
            near = bool(full.mean() < 0.6)  # near the half of the pictures the rule asks
            return [
                ev(
                    "levels",
                    t[0],
                    end[-1],
                    "video",
                    value=round(float(full.mean()), 3),
                    note="full-range content",
                    ambiguous=True if near else None,
                )
            ]
        sev = np.array(self.severity[matrix])
        out: list[dict[str, object]] = []
        strict = []
        for a, b in runs(sev > 1.0):
            if end[b - 1] - t[a] >= LEVELS_MIN_DURATION_S - 1e-6:
                peak = float(sev[a:b].max())
                strict.append((t[a], end[b - 1]))
                near = peak < 2.0 or end[b - 1] - t[a] < 1.5 * LEVELS_MIN_DURATION_S
                out.append(
                    ev(
                        "levels",
                        t[a],
                        end[b - 1],
                        "video",
                        value=round(peak, 3),
                        ambiguous=True if near else None,
                    )
                )
        for a, b in runs(sev > 0.5):  # within a factor 2 of the limits: a codec may tip it
            if end[b - 1] - t[a] < 0.5 * LEVELS_MIN_DURATION_S:
                continue
            if not any(min(e, end[b - 1]) > max(s, t[a]) for s, e in strict):
                out.append(ev("levels", t[a], end[b - 1], "video", ambiguous=True))
        return out


def ev(detector: str, start: float, end: float, stream: str, **kw: object) -> dict[str, object]:
    d: dict[str, object] = {"detector": detector, "start_s": start, "end_s": end, "stream": stream}
    d.update({k: v for k, v in kw.items() if v is not None})
    return d


# ---- audio --------------------------------------------------------------------------------------


def _moving_rms(x: np.ndarray, win: int) -> np.ndarray:
    """Centred moving RMS of each row over ``win`` samples."""
    sq = np.square(x, dtype=np.float32)
    m = cv2.blur(sq, (win | 1, 1), borderType=cv2.BORDER_REFLECT)
    return np.sqrt(np.maximum(m, 0))


def silence_events(
    x: np.ndarray,
    sr: int,
    lfe: int | None = None,
    level_db: float = -60.0,
    min_s: float = MIN_DURATION_S,
) -> list[dict[str, object]]:
    thr = 10 ** (level_db / 20)
    quiet = (np.abs(x) < thr) | (_moving_rms(x, int(0.05 * sr)) < thr)
    out: list[dict[str, object]] = []
    mix = []
    for a, b in runs(np.all(quiet, axis=0)):
        if (b - a) / sr >= min_s - 1e-9:
            mix.append((a / sr, b / sr))
            out.append(ev("silence", a / sr, b / sr, "audio", value=round((b - a) / sr, 4)))
    if x.shape[0] >= 2:
        for ch in range(x.shape[0]):
            if ch == lfe:
                continue
            for a, b in runs(quiet[ch]):
                if (b - a) / sr < min_s:
                    continue
                for s, e in subtract((a / sr, b / sr), mix):
                    if e - s >= min_s - 1e-9:
                        out.append(ev("silence", s, e, "audio", channel=ch, value=round(e - s, 4)))
    return out


def clipping_events(
    x: np.ndarray, sr: int, level: float = 0.999, min_run: int = 3, gap: float = 0.5
) -> list[dict[str, object]]:
    spans = []
    for ch in range(x.shape[0]):
        for a, b in runs(np.abs(x[ch]) >= level):
            if b - a >= min_run:
                spans.append((a / sr, b / sr))
    return [ev("clipping", s, e, "audio") for s, e in merge(spans, gap)]


def dropout_events(x: np.ndarray, sr: int) -> list[dict[str, object]]:
    env = np.abs(x).max(axis=0)
    ctx = int(0.02 * sr)
    out = []
    for a, b in runs(env <= 1e-5):
        if not 0.010 * sr <= b - a <= 0.500 * sr:
            continue
        before, after = env[max(0, a - ctx) : a], env[b : b + ctx]
        if (
            before.size
            and after.size
            and before.max() >= 10 ** (-50 / 20)
            and after.max() >= 10 ** (-50 / 20)
        ):
            out.append(ev("dropout", a / sr, b / sr, "audio", value=round((b - a) / sr, 4)))
    return out


def _tp_kernel(phases: int = 4, taps: int = 64) -> np.ndarray:
    """Polyphase interpolation filters (windowed sinc, Kaiser β=8), one row per phase."""
    half = taps // 2
    rows = []
    for p in range(phases):
        n = np.arange(-half + 1, half + 1) - p / phases
        h = np.sinc(n) * np.kaiser(taps, 8.0)
        rows.append(h / h.sum())
    return np.array(rows, np.float32)


_KERNEL = _tp_kernel()


def true_peak_trace(x: np.ndarray, sr: int, block: int = 512) -> np.ndarray:
    """Per ``block`` samples and channel: the 4× oversampled peak (linear). Blocks whose
    samples all lie below −6 dBFS are given their sample peak (an interpolated peak can only
    exceed it by a few dB on real material; they are far from any ceiling that matters)."""
    ch, n = x.shape
    nb = -(-n // block)
    pad = np.zeros((ch, nb * block), np.float32)
    pad[:, :n] = np.abs(x)
    peaks = pad.reshape(ch, nb, block).max(axis=2)
    hot = np.flatnonzero(peaks.max(axis=0) >= 10 ** (-6 / 20))
    half = _KERNEL.shape[1] // 2
    for k in hot:
        a, b = k * block, min(n, (k + 1) * block)
        lo, hi = max(0, a - half), min(n, b + half)
        seg = x[:, lo:hi].astype(np.float32)
        for c in range(ch):
            best = float(np.abs(x[c, a:b]).max())
            for h in _KERNEL[1:]:
                y = np.convolve(seg[c], h[::-1], mode="same")
                best = max(best, float(np.abs(y[a - lo : b - lo]).max()))
            peaks[c, k] = best
    return peaks


def true_peak_events(
    x: np.ndarray, sr: int, ceiling_dbtp: float = -1.0, gap: float = 0.5, block: int = 512
) -> tuple[list[dict[str, object]], float]:
    """Overs above ``ceiling_dbtp`` (joined when closer than ``gap``) and the file's true
    peak in dBTP."""
    peaks = true_peak_trace(x, sr, block)
    over = peaks.max(axis=0) > 10 ** (ceiling_dbtp / 20)
    spans = [(a * block / sr, min(x.shape[1], b * block) / sr) for a, b in runs(over)]
    out = []
    for s, e in merge(spans, gap):
        k0, k1 = int(s * sr / block), math.ceil(e * sr / block)
        top = float(peaks[:, k0:k1].max())
        out.append(ev("true_peak", s, e, "audio", value=round(20 * math.log10(top), 2)))
    tp = float(peaks.max()) if peaks.size else 0.0
    return out, (20 * math.log10(tp) if tp > 0 else -200.0)


# ---- loudness (ITU-R BS.1770-4, EBU R128 gating), independent of FFmpeg ----------------------


def _biquad_response(b: list[float], a: list[float], w: np.ndarray) -> np.ndarray:
    z = np.exp(-1j * w)
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


def k_weighting_response(sr: int, n: int) -> np.ndarray:
    """The K-weighting filter's frequency response at the rfft bins of length ``n``
    (coefficients from the analogue prototype, as libebur128 derives them for any rate)."""
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sr)
    vh = 10 ** (g / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    pb = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    pa = [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    rb = [1.0, -2.0, 1.0]
    d = 1 + k / q + k * k
    ra = [1.0, 2 * (k * k - 1) / d, (1 - k / q + k * k) / d]
    w = 2 * np.pi * np.fft.rfftfreq(n)
    return _biquad_response(pb, pa, w) * _biquad_response(rb, ra, w)


def channel_weights(channels: int) -> list[float]:
    """BS.1770 weights for our layouts: mono, stereo, 5.1 as FL FR FC LFE BL BR."""
    if channels == 6:
        return [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
    return [1.0] * channels


def integrated_loudness(x: np.ndarray, sr: int) -> float | None:
    """BS.1770-4 integrated loudness (LUFS) with EBU R128's gates (−70 LUFS absolute, −10 LU
    relative), 400 ms blocks every 100 ms. The K-weighting is applied in the frequency domain
    (one FFT per channel, padded by a second: the filter's tail dies out well within it)."""
    ch, n = x.shape
    pad = n + sr
    nfft = 1 << (pad - 1).bit_length()
    resp = k_weighting_response(sr, nfft)
    weights = channel_weights(ch)
    block, hop = int(0.4 * sr), int(0.1 * sr)
    nblocks = (n - block) // hop + 1 if n >= block else 0
    if nblocks <= 0:
        return None
    power = np.zeros(nblocks)
    for c in range(ch):
        if weights[c] == 0:
            continue
        y = np.fft.irfft(np.fft.rfft(x[c].astype(np.float64), nfft) * resp, nfft)[:n]
        cs = np.concatenate([[0.0], np.cumsum(y * y)])
        starts = np.arange(nblocks) * hop
        power += weights[c] * (cs[starts + block] - cs[starts]) / block
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(power)
    gated = power[lk > -70]
    if gated.size == 0:
        return None
    rel = -0.691 + 10 * math.log10(gated.mean()) - 10
    final = power[(lk > -70) & (lk > rel)]
    if final.size == 0:
        return None
    return -0.691 + 10 * math.log10(final.mean())


def audio_events(x: np.ndarray, sr: int, lfe: int | None = None) -> list[dict[str, object]]:
    """silence, clipping and dropout of the source signal (content timeline)."""
    return silence_events(x, sr, lfe) + clipping_events(x, sr) + dropout_events(x, sr)


def phase_windows(
    x: np.ndarray,
    sr: int,
    pairs: list[tuple[int, int]],
    window: float = 0.4,
    level_db: float = -50.0,
) -> list[tuple[float, float, int, float | None]]:
    """Per pair and 0.4 s window: (start, end, pair, correlation or None when a channel is
    below ``level_db`` dBFS RMS)."""
    w = int(window * sr)
    n = x.shape[1] // w
    thr = 10 ** (level_db / 10)
    out = []
    for k, (a, b) in enumerate(pairs):
        xa = x[a, : n * w].reshape(n, w).astype(np.float64)
        xb = x[b, : n * w].reshape(n, w).astype(np.float64)
        ab, aa, bb = (xa * xb).sum(1), (xa * xa).sum(1), (xb * xb).sum(1)
        for j in range(n):
            ok = aa[j] / w >= thr and bb[j] / w >= thr
            r = float(ab[j] / np.sqrt(aa[j] * bb[j])) if ok else None
            out.append((j * w / sr, (j + 1) * w / sr, k, r))
    return out


def phase_events(
    x: np.ndarray, sr: int, pairs: list[tuple[int, int]], limit: float = -0.3
) -> list[dict[str, object]]:
    """Stretches where a pair's correlation stays below ``limit`` over ≥ 2 s, windows without
    signal in both channels bridged (they say nothing either way)."""
    out = []
    wins = phase_windows(x, sr, pairs)
    for k in range(len(pairs)):
        mine = [w for w in wins if w[2] == k]
        start = None
        last_end = 0.0
        vals: list[float] = []
        for s, e, _, r in [*mine, (1e9, 1e9, k, 1.0)]:
            if r is None:
                continue
            if r < limit:
                if start is None:
                    start, vals = s, []
                vals.append(r)
                last_end = e
            elif start is not None:
                if last_end - start >= MIN_DURATION_S - 1e-9:
                    out.append(
                        ev("phase", start, last_end, "audio", value=round(float(np.mean(vals)), 3))
                    )
                start = None
    return out


def mean_correlation(
    x: np.ndarray, sr: int, pair: tuple[int, int], start: float, end: float
) -> float | None:
    """Mean windowed correlation of a pair over [start, end) (signal windows only)."""
    vals = [
        r
        for s, e, _, r in phase_windows(x, sr, [pair])
        if r is not None and s >= start - 1e-9 and e <= end + 1e-9
    ]
    return float(np.mean(vals)) if vals else None


def grid_blockiness(y: np.ndarray, step: int = 4) -> float:
    """Mean luma step across the 8×8 grid over the mean step inside the blocks (every
    ``step``-th row and column): about 1 for a natural picture, higher where block edges show.
    Compared between a source picture and its decoded copy, a rise says the codec made
    blocks (our own formula, for checking the corpus's encodes, not a detector)."""
    y = y.astype(np.int16)
    rows, cols = y[::step], y[:, ::step]
    dh = np.abs(np.diff(rows, axis=1))
    dv = np.abs(np.diff(cols, axis=0))
    eh, ev = dh[:, 7::8], dv[7::8, :]
    edge_n, inner_n = eh.size + ev.size, dh.size + dv.size - eh.size - ev.size
    edge = (float(eh.sum()) + float(ev.sum())) / max(edge_n, 1)
    inner = (float(dh.sum()) + float(dv.sum()) - edge * edge_n) / max(inner_n, 1)
    return (edge + 0.5) / (inner + 0.5)

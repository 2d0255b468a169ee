"""Measurements that several consumers need, computed once per frame.

Every decoded picture gets, on its shared subsample:

- ``features["luma_mean"]``: mean luma, 0–1 of the code range;
- ``features["motion"]``: mean absolute luma difference to the previous picture, 0–1;
- ``blocks``: float32 means of the 8×8 tiles of the subsample (freeze and flash compare these);
- ``bars``: black bars (top, bottom, left, right) in full-resolution pixels, used by the
  letterbox detector and to keep bar edges out of the blockiness score. A row or column is bar
  when at least :data:`BAR_DARK_RATIO` of its samples are at or below
  :data:`BAR_PIXEL_THRESHOLD` of the nominal range (blackdetect's pixel rule); a black frame
  has ``bars = None``.

Detectors add their own scores to ``features`` too.
"""

from __future__ import annotations

import cv2
import numpy as np

from .detectors.planes import BLOCK, dark_code_threshold
from .model import AudioBlock, VideoFrame

BAR_PIXEL_THRESHOLD = 0.10  # fraction of the nominal range: blackdetect's pixel_black_th
BAR_DARK_RATIO = 0.98  # share of a row's/column's samples that must be dark


def _leading(flags: np.ndarray) -> int:
    """Number of leading True values."""
    off = np.flatnonzero(~flags)
    return int(off[0]) if off.size else int(flags.size)


def find_bars(small: np.ndarray, dark_code: int) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) dark bars of a plane, in its own rows/columns; None when
    every row is dark (a black picture)."""
    h, w = small.shape
    # most pictures have no bars: when no edge row or column is dark, none is
    edges = (small[0], small[-1], small[:, 0], small[:, -1])
    limits = (w, w, h, h)
    if all(
        np.count_nonzero(line <= dark_code) < BAR_DARK_RATIO * n
        for line, n in zip(edges, limits, strict=True)
    ):
        return 0, 0, 0, 0
    dark = small <= dark_code
    rows = np.count_nonzero(dark, axis=1) >= BAR_DARK_RATIO * w
    if rows.all():
        return None
    cols = np.count_nonzero(dark, axis=0) >= BAR_DARK_RATIO * h
    return _leading(rows), _leading(rows[::-1]), _leading(cols), _leading(cols[::-1])


class VideoMeasure:
    """Streaming per-frame measurements of one video stream."""

    def __init__(self) -> None:
        self._prev: np.ndarray | None = None
        self._dark: int | None = None

    def update(self, frame: VideoFrame) -> None:
        small = frame.small
        frame.features["luma_mean"] = cv2.mean(small)[0] / frame.code_max
        prev = self._prev
        if prev is not None and prev.shape == small.shape:
            frame.features["motion"] = cv2.mean(cv2.absdiff(small, prev))[0] / frame.code_max
        self._prev = small
        h, w = small.shape
        if h >= BLOCK and w >= BLOCK:
            frame.blocks = cv2.resize(
                small[: h // BLOCK * BLOCK, : w // BLOCK * BLOCK].astype(np.float32),
                (w // BLOCK, h // BLOCK),
                interpolation=cv2.INTER_AREA,
            )
        else:
            frame.blocks = np.array([[small.mean()]], dtype=np.float32)
        if self._dark is None:
            self._dark = dark_code_threshold(
                frame.black_level, frame.white_level, BAR_PIXEL_THRESHOLD
            )
        bars = find_bars(small, self._dark)
        frame.bars = None if bars is None else tuple(b * frame.step for b in bars)


# ---- audio ---------------------------------------------------------------------------------------

OVERSAMPLE = 4  # BS.1770-4 Annex 2: 4× oversampling for true peak at 48 kHz
TAPS = 48  # 12 per phase, as in the Annex's example filter


def _interpolator() -> np.ndarray:
    """Polyphase 4× interpolation filter (OVERSAMPLE, TAPS // OVERSAMPLE): a Kaiser-windowed
    sinc (β = 5), gain 1 per phase. Measured: a sine at 12 kHz (48 kHz rate) with its peaks
    between samples reads at most 0.17 dB low, the Annex's own bound being 0.69 dB for 4×."""
    n = np.arange(TAPS) - (TAPS - 1) / 2
    h = np.sinc(n / OVERSAMPLE) * np.kaiser(TAPS, 5.0)
    h = h / h.sum() * OVERSAMPLE
    return np.stack([h[p::OVERSAMPLE] for p in range(OVERSAMPLE)]).astype(np.float32)


SKIP_BELOW = 0.5  # 6 dB: how far a block's true peak can rise over its sample peak, at most
LOWEST_CEILING = 10 ** (-2 / 20)  # the lowest delivery ceiling we know (ATSC A/85, −2 dBTP)


class AudioMeasure:
    """Streaming per-block measurements of one audio stream: the 4× oversampled true peak of
    every channel (``block.true_peak``), and its maximum over the stream (``true_peak``).

    Oversampling is skipped for a channel whose sample peak in the block is more than 6 dB
    under the stream's true peak so far and under −2 dBTP: between samples a band-limited
    signal rises about 3 dB over its samples at most, so such a channel can neither raise the
    maximum nor pass a delivery ceiling. Its ``true_peak`` is then its sample peak (a lower
    bound, under any ceiling)."""

    def __init__(self) -> None:
        # OpenCV's filter2D correlates: each phase's taps reversed give the convolution
        self._kernels = [np.ascontiguousarray(p[::-1])[None, :] for p in _interpolator()]
        self._tail: np.ndarray | None = None  # the last TAPS/4 − 1 samples of each channel
        self.true_peak: np.ndarray | None = None

    def update(self, block: AudioBlock) -> None:
        x = block.samples
        keep = self._kernels[0].shape[1] - 1
        if self._tail is None or self._tail.shape[0] != x.shape[0]:
            self._tail = np.zeros((x.shape[0], keep), np.float32)
        ext = np.concatenate([self._tail, x], axis=1)
        self._tail = ext[:, -keep:]
        if x.shape[1] == 0:
            return
        sample_peaks = block.magnitude.max(axis=1)
        channels = sample_peaks.size
        old = self.true_peak if self.true_peak is not None else np.zeros(0, np.float32)
        # the channel count can change mid-stream (a TS programme going 2.0 → 5.1): keep the
        # maxima of every channel number seen
        running = np.zeros(max(channels, old.size), np.float32)
        running[: old.size] = old
        floor = SKIP_BELOW * min(float(running.max()), LOWEST_CEILING)
        peaks = sample_peaks.copy()
        loud = np.flatnonzero(sample_peaks >= floor)  # channels that may matter
        if loud.size:
            rows = ext if loud.size == ext.shape[0] else ext[loud]
            n = rows.shape[1] - keep
            for kernel in self._kernels:  # each phase of the 4× oversampled signal
                # filter2D (SIMD) is about 5× faster here than a matrix product of windows
                y = cv2.filter2D(rows, -1, kernel, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
                y = y[:, :n]
                peaks[loud] = np.maximum(peaks[loud], np.maximum(y.max(axis=1), -y.min(axis=1)))
        block.true_peak = peaks
        running[:channels] = np.maximum(running[:channels], peaks)
        self.true_peak = running

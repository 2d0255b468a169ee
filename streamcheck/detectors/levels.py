"""`levels`: picture levels outside the legal broadcast range (EBU R 103), colours outside the
RGB gamut, and content whose range does not match the range the file declares.

Legal range (EBU R 103): luma from −1% to 103% of the nominal range (black = 0%, white = 100%:
codes 13.8…241.6 at 8-bit limited range, ×4 at 10 bit), chroma within ±1% of its nominal 16…240;
R, G and B (from Y′CbCr with the matrix the stream declares; unspecified: BT.709 from 720 lines
up, BT.601 below) from −5% to 105%. A frame is out of range when more than ``max_area`` (1%) of
its luma or chroma samples lie outside: R 103 lets small excursions (ringing at sharp edges,
overshoot of a filter) pass, and so does the area rule here. Gamut is judged on the luma
averaged over each chroma sample's block and has its own area, ``gamut_area`` (5%): measured on
the real camera footage of ``make eval``, 1–2% of a legal programme's picture (saturated
highlights, noise in the dark) is slightly out of gamut on many frames. Stretches of at least
``min_duration_s`` are findings, value = the largest share of the picture outside.

The range declared against the content, over the whole stream (one finding each, spanning
the stream): a file flagged limited range whose luma uses the codes below black *and* above
white, each on ``range_area`` / 2 (2.5%) of the samples or more, in at least half of its
frames, holds full-range content (it will look crushed); that finding replaces the stretches
of illegal levels it explains. A file flagged full range whose luma, over the whole file, never
goes below 16 nor above 235 (8-bit codes; scaled at 10 bit) while reaching near both holds
limited-range content (it will look washed out). Excursions of a limited-range master
(superwhites, undershoot) stay stretches of illegal levels.

Cheap by design. The luma of every frame is counted: about 16 000 samples of the frame's
shared subsample (every n-th row and column, starting one sample further on each frame), in
one histogram (OpenCV's, at 8 bit), from which its extremes, the stream's histogram, the
full-range test and its share outside are read. Colour costs more: reading scattered samples
of the chroma planes costs cache misses more than arithmetic. It is judged on one frame in
``JUDGE_EVERY`` (4), on a 64×36-sample grid of the chroma planes, gamut read from a table
(:class:`GamutTable`) rather than computed. The frames between take the verdict of the judged
frames on both sides when those agree, and are judged too, to place the edge on its frame,
when they differ (so a stretch's edges are exact; an excursion shorter than 4 frames between
two legal ones is not seen, and could not make a stretch anyway). The grid's rows and columns
start one sample further on each judged frame, so a thin line (ringing at an edge, a
caption's outline) is seen on some frames only and cannot make a stretch, while an area of 1%
or more is seen on every frame.

Publishes the per-second minimum and maximum luma (0–1 of the code range).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from ..model import Needs, StreamInfo, VideoFrame
from .base import Metric, ParamsBase, VideoDetector, param, severity_param
from .intervals import Interval, RunTracker

# luma samples counted per frame: 1% of the picture (R 103's area) is 160 of them, a share
# known to ±0.1% of the picture
LUMA_SAMPLES = 16_000
GRID = (36, 64)  # chroma and gamut samples per frame (rows, columns)
# colour: every JUDGE_EVERY-th frame is judged; the frames between take the verdict of the
# judged frames on both sides when those agree, and are judged themselves to place the edge
# when they differ (at most JUDGE_EVERY - 1 frames held): a stretch of min_duration_s holds 6
# judged frames at 25 fps and 1 s, and its edges are exact
JUDGE_EVERY = 4
# Y′CbCr → R′G′B′ (normalised: Y 0…1, Cb/Cr −0.5…0.5): rows R, G, B; columns Y, Cb, Cr
MATRICES = {
    "bt709": np.array([[1.0, 0.0, 1.5748], [1.0, -0.1873, -0.4681], [1.0, 1.8556, 0.0]]),
    "bt601": np.array([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]]),
}


@dataclass(frozen=True)
class LevelsParams(ParamsBase):
    luma_low: float = param(
        -0.01,
        unit="ratio",
        help="Lowest legal luma, as a fraction of the nominal range below black.",
        mirrors="EBU R 103: -1%",
        minimum=-0.5,
        maximum=0.0,
    )
    luma_high: float = param(
        1.03,
        unit="ratio",
        help="Highest legal luma, as a fraction of the nominal range.",
        mirrors="EBU R 103: 103%",
        minimum=1.0,
        maximum=1.5,
    )
    chroma_margin: float = param(
        0.01,
        unit="ratio",
        help="Chroma may leave its nominal 16…240 by this fraction of that range.",
        maximum=0.5,
    )
    gamut_margin: float = param(
        0.05,
        unit="ratio",
        help="R, G and B may leave 0…100% by this much.",
        mirrors="EBU R 103: -5% … 105%",
        maximum=0.5,
    )
    max_area: float = param(
        0.01,
        unit="ratio",
        help="Share of the picture whose luma or chroma may lie outside (edges, overshoot).",
        mirrors="EBU R 103: 1% of the picture",
        maximum=1.0,
    )
    gamut_area: float = param(
        0.05,
        unit="ratio",
        help="Share of the picture that may lie outside the RGB gamut. Cameras' saturated "
        "highlights and dark noise leave 1-2% of legal programmes slightly out of gamut; "
        "5% reports colour that is plainly illegal (a graphic made in full-range RGB, a "
        "wrong matrix). Set 0.01 for R 103's letter.",
        mirrors="EBU R 103: 1% of the picture",
        maximum=1.0,
    )
    min_duration_s: float = param(1.0, unit="s", help="Shortest out-of-range stretch reported.")
    range_area: float = param(
        0.05,
        unit="ratio",
        help="Share of luma below black or above white that makes a frame full range.",
        maximum=1.0,
    )
    severity: str = severity_param("warning")


def outside_count(counts: np.ndarray, low: float, high: float) -> int:
    """How many samples of the histogram ``counts`` (one bin per code) lie below ``low`` or
    above ``high`` (codes)."""
    below = max(0, math.ceil(low))  # codes < low
    above = max(0, math.floor(high) + 1)  # codes > high
    return int(counts[:below].sum()) + int(counts[above:].sum())


def luma_sample(small: np.ndarray, index: int) -> np.ndarray:
    """About :data:`LUMA_SAMPLES` samples of the frame's shared subsample ``small``: every
    n-th row and column, starting one sample further on each frame (``index``), so that over
    n² frames every sample is read once."""
    n = max(1, int(math.sqrt(small.size / LUMA_SAMPLES)))
    oy, ox = divmod(index % (n * n), n)
    y = small[oy::n, ox::n]
    return y if y.size else small  # a picture one sample high or wide


def code_histogram(samples: np.ndarray, code_max: int) -> np.ndarray:
    """Samples per code value, 0…``code_max`` (int64). 8-bit samples go through OpenCV's
    calcHist, four times faster than ``np.bincount`` (which first widens every sample to
    64 bits); deeper samples through ``np.bincount``."""
    if samples.dtype == np.uint8:
        hist = cv2.calcHist([np.ascontiguousarray(samples)], [0], None, [256], [0, 256])
        return hist.ravel().astype(np.int64)
    return np.bincount(samples.ravel(), minlength=code_max + 1)


def luma_at_chroma(
    luma: np.ndarray, chroma_shape: tuple[int, ...], oy: int, ox: int, sy: int, sx: int
) -> np.ndarray:
    """The luma belonging to the chroma samples ``[oy::sy, ox::sx]``: the rounded mean of the
    block of luma samples each chroma sample covers (2×2 at 4:2:0, 2×1 at 4:2:2, 1×1 at
    4:4:4), so that gamut is judged on the colour the sample stands for, not on one noisy luma
    sample. Integer codes (uint16), to index :class:`GamutTable`."""
    ry, rx = luma.shape[0] // chroma_shape[0], luma.shape[1] // chroma_shape[1]
    n_rows, n_cols = len(range(oy, chroma_shape[0], sy)), len(range(ox, chroma_shape[1], sx))
    total = np.zeros((n_rows, n_cols), np.uint16)  # 4 samples of 10 bits at most: no overflow
    for dy in range(ry):  # strided views of the luma plane, no index arrays
        for dx in range(rx):
            rows = slice(oy * ry + dy, None, sy * ry)
            cols = slice(ox * rx + dx, None, sx * rx)
            total += luma[rows, cols][:n_rows, :n_cols]
    n = ry * rx
    if n > 1:
        total += n // 2
        total //= n
    return total


def gamut_bad(
    y: np.ndarray,
    cb: np.ndarray,
    cr: np.ndarray,
    black: int,
    white: int,
    code_max: int,
    matrix: np.ndarray,
    margin: float,
) -> np.ndarray:
    """Per sample (``y``, ``cb``, ``cr`` of any shapes that broadcast together): whether its
    R′, G′ or B′ falls outside −margin…1 + margin (limited range: black…white for luma,
    16…240 scaled for chroma; full range: 0…code_max). The exact computation
    :class:`GamutTable` is made of."""
    scale = (code_max + 1) / 256
    if white - black < code_max * 0.9:  # limited range
        yn = (np.asarray(y, np.float32) - black) / (white - black)
        cbn, crn = ((np.asarray(c, np.float32) - 128 * scale) / (224 * scale) for c in (cb, cr))
    else:
        yn = np.asarray(y, np.float32) / code_max
        cbn, crn = ((np.asarray(c, np.float32) - (code_max + 1) / 2) / code_max for c in (cb, cr))
    bad = np.zeros(np.broadcast_shapes(yn.shape, cbn.shape, crn.shape), np.bool_)
    for row in matrix.astype(np.float32):  # R′, G′, B′
        value = row[0] * yn + row[1] * cbn + row[2] * crn
        bad |= (value < -margin) | (value > 1 + margin)
    return bad


class GamutTable:
    """:func:`gamut_bad` for every (Y′, Cb, Cr) triple, read from a table instead of
    computed: 7 bits of each code index it (128³ entries, 2 MB, built once per stream in about
    30 ms), each entry the verdict for the centre of its bin, so a frame's check is one lookup
    per sample instead of a matrix product. Quantising to 7 bits moves the boundary by at most
    half a bin: 1 code at 8 bit, under 1% of the range after the matrix, against the 5%
    margin."""

    BITS = 7

    def __init__(
        self, black: int, white: int, code_max: int, matrix: np.ndarray, margin: float
    ) -> None:
        self.shift = max(0, int(code_max).bit_length() - self.BITS)
        n = 1 << self.BITS
        centres = (np.arange(n) << self.shift) + ((1 << self.shift) >> 1)
        y, cb, cr = centres[:, None, None], centres[None, :, None], centres[None, None, :]
        table = gamut_bad(y, cb, cr, black, white, code_max, matrix, margin)  # every triple
        self.table = table.ravel()

    def outside_count(self, y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> int:
        """How many of the samples (integer codes on one grid) lie outside the gamut."""
        s, b = self.shift, self.BITS
        index = (y >> s).astype(np.int32) << (2 * b)
        index |= (cb >> s).astype(np.int32) << b
        index |= cr >> s
        return int(np.count_nonzero(self.table[index]))


class Verdict(NamedTuple):
    """One frame's levels."""

    bad: bool  # out of range (luma, chroma or gamut) on more than its area
    worst: float  # the largest share of the picture outside (0 when not bad)
    what: str  # luma, chroma or RGB gamut ("" when not bad)


@dataclass(frozen=True)
class _Tables:
    key: tuple[int, int, int, str]  # black, white, code maximum, matrix
    chroma: np.ndarray  # per chroma code: outside 16…240 (scaled) by more than the margin
    gamut: GamutTable


@functools.lru_cache(maxsize=4)
def colour_tables(
    key: tuple[int, int, int, str], chroma_margin: float, gamut_margin: float
) -> _Tables:
    """The chroma and gamut tables of ``key`` (black, white, code maximum, matrix), built once
    per worker (the gamut table takes 30–60 ms; a batch's files mostly share one key) and
    read-only."""
    black, white, code_max, matrix = key
    scale = (code_max + 1) / 256
    margin = chroma_margin * 224 * scale
    codes = np.arange(code_max + 1)
    chroma = (codes < 16 * scale - margin) | (codes > 240 * scale + margin)
    gamut = GamutTable(black, white, code_max, MATRICES[matrix], gamut_margin)
    chroma.flags.writeable = False
    gamut.table.flags.writeable = False
    return _Tables(key, chroma, gamut)


class LevelsDetector(VideoDetector[LevelsParams]):
    name = "levels"
    description = "Luma, chroma or RGB outside the EBU R 103 range on more than 1% of the picture."
    Params = LevelsParams
    publishes = (
        Metric("luma_min", "ratio", "Lowest luma of the second, 0–1 of the code range.", "min"),
        Metric("luma_max", "ratio", "Highest luma of the second, 0–1 of the code range.", "max"),
    )
    fast_ok = False
    fast_note = (
        "counts extreme codes at edges (the R 103 area rule): the reduced DCT and the skipped "
        "deblocking change them (measured: a false chroma finding on EBU bars)"
    )

    def __init__(self, params: LevelsParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker(min_duration_s=params.min_duration_s)
        self._histogram: np.ndarray | None = None  # luma codes over the stream (subsample)
        self._full_frames = 0  # frames of a limited-range stream with full-range luma
        self._frames = 0
        self._flag = ""  # the range the stream declares: limited or full
        self._span = (0.0, 0.0)
        self._runs: list[Interval] = []
        self._tables: _Tables | None = None
        # frames since the last judged one, not yet judged, with their luma's share outside
        self._held: list[tuple[VideoFrame, float]] = []
        self._verdict: Verdict | None = None  # the last judged frame's
        self._judged = 0  # frames judged (their count moves the colour grid)

    def needs(self) -> Needs:
        return Needs(chroma=True)

    def update(self, frame: VideoFrame) -> None:
        if self._frames == 0:
            self._span = (frame.t_s, frame.end_s)
        self._span = (self._span[0], frame.end_s)
        self._frames += 1
        self._held.append((frame, self._luma(frame)))
        if frame.index % JUDGE_EVERY and len(self._held) < JUDGE_EVERY:
            return
        self._judge_held()

    def _luma(self, frame: VideoFrame) -> float:
        """Every frame's luma, from one histogram of its sample: its lowest and highest code
        into its features (metrics), the stream's histogram, whether it holds full-range
        content; returns the share of its luma outside R 103's range (0 within ``max_area``
        or in a full-range stream)."""
        p = self.params
        black, white, code_max = frame.black_level, frame.white_level, frame.code_max
        nominal = white - black
        limited = nominal < code_max * 0.9
        self._flag = "limited" if limited else "full"
        y = luma_sample(frame.small, frame.index)
        counts = code_histogram(y, code_max)
        present = np.flatnonzero(counts)
        frame.features["luma_min"] = float(present[0]) / code_max
        frame.features["luma_max"] = float(present[-1]) / code_max
        if self._histogram is None or self._histogram.size != counts.size:
            self._histogram = counts
        else:
            self._histogram += counts
        if not limited:  # R 103's ranges are those of limited-range signals
            return 0.0
        under, over = int(counts[:black].sum()), int(counts[white + 1 :].sum())
        if min(under, over) / y.size >= p.range_area / 2:
            self._full_frames += 1
        low, high = black + p.luma_low * nominal, black + p.luma_high * nominal
        share = outside_count(counts, low, high) / y.size
        return share if share > p.max_area else 0.0

    def _judge_held(self) -> None:
        """Judge the newest held frame; where its verdict differs from the last one, judge the
        frames held since, to place the edge on its frame; hand them all to the tracker."""
        held, self._held = self._held, []
        verdict = self._judge(*held[-1])
        if self._verdict is not None and verdict.bad == self._verdict.bad:
            verdicts = [verdict] * len(held)  # same on both sides: the frames between too
        else:
            verdicts = [*(self._judge(f, luma) for f, luma in held[:-1]), verdict]
        self._verdict = verdict
        for (f, _), v in zip(held, verdicts, strict=True):
            counts_of = {v.what: 1} if v.bad else None
            self.track(self.tracker.update(v.bad, f.t_s, f.index, v.worst, counts=counts_of))

    def _judge(self, frame: VideoFrame, luma_share: float) -> Verdict:
        """One frame's verdict: its luma's share outside (:meth:`_luma`), its chroma's and
        its colours' (the RGB gamut)."""
        if self._flag != "limited":
            return Verdict(False, 0.0, "")
        p = self.params
        self._judged += 1
        worst, what = luma_share, "luma" if luma_share else ""
        if frame.chroma is not None:
            chroma_share, gamut_share = self._colour_shares(frame)
            for share, name, area in (
                (chroma_share, "chroma", p.max_area),
                (gamut_share, "RGB gamut", p.gamut_area),
            ):
                if share > area and share > worst:
                    worst, what = share, name
        return Verdict(bool(what), worst, what)

    def _colour_shares(self, frame: VideoFrame) -> tuple[float, float]:
        """(share of chroma samples outside, share outside the RGB gamut) on the grid, whose
        rows and columns start one sample further each time."""
        assert frame.chroma is not None
        u, v = frame.chroma
        sy, sx = max(1, u.shape[0] // GRID[0]), max(1, u.shape[1] // GRID[1])
        k = self._judged
        oy, ox = k % sy, k % sx
        cb, cr = u[oy::sy, ox::sx], v[oy::sy, ox::sx]
        ys = luma_at_chroma(frame.luma, u.shape, oy, ox, sy, sx)
        if not cb.size or ys.shape != cb.shape:
            return 0.0, 0.0
        tables = self._tables_for(frame)
        chroma_bad = np.count_nonzero(tables.chroma[cb] | tables.chroma[cr])
        return chroma_bad / cb.size, tables.gamut.outside_count(ys, cb, cr) / cb.size

    def _tables_for(self, frame: VideoFrame) -> _Tables:
        """The chroma and gamut tables for the frame's levels and matrix (again if a stream
        changes its bit depth midway)."""
        matrix = self.stream.rgb_matrix(frame.size[0])
        key = (frame.black_level, frame.white_level, frame.code_max, matrix)
        if self._tables is None or self._tables.key != key:
            p = self.params
            self._tables = colour_tables(key, p.chroma_margin, p.gamut_margin)
        return self._tables

    def on_run(self, run: Interval) -> None:
        self._runs.append(run)  # emitted at the end, unless full-range content explains them

    def _emit_stretch(self, run: Interval) -> None:
        what = run.counts.most_common(1)[0][0] if run.counts else "levels"
        self.emit_run(
            run,
            f"Illegal levels ({what} outside the EBU R 103 range) on up to "
            f"{100 * run.peak:.1f}% of the picture for {run.duration_s:.2f} s.",
            value=run.peak,
            unit="ratio",
        )

    def close(self, end_s: float) -> None:
        if self._held:
            self._judge_held()
        super().close(end_s)
        if not self._frames or self._histogram is None:
            return
        start, end = self._span
        full_content = self._flag == "limited" and self._full_frames >= 0.5 * self._frames
        if not full_content:
            for run in self._runs:
                self._emit_stretch(run)
        if full_content:
            share = self._full_frames / self._frames
            self.emit(
                start,
                end,
                f"Full-range content in a stream flagged limited range: {100 * share:.0f}% of "
                "the frames use the codes below black or above white widely.",
                value=share,
                unit="ratio",
            )
        elif self._flag == "full":
            self._check_limited_content(start, end)

    def _check_limited_content(self, start: float, end: float) -> None:
        """A stream flagged full range whose luma stays within 16…235 (scaled; its 0.1% and
        99.9% quantiles, so that an encoder's ringing at sharp edges does not count) while
        reaching near both ends holds limited-range content."""
        hist = self._histogram
        assert hist is not None
        scale = hist.size / 256
        total = hist.sum()
        cumulative = np.cumsum(hist) / total
        low = int(np.searchsorted(cumulative, 0.001))
        high = int(np.searchsorted(cumulative, 0.999))
        near_black = hist[: int(20 * scale) + 1].sum() / total > 0.001
        near_white = hist[int(230 * scale) :].sum() / total > 0.001
        if low >= 16 * scale - 2 and high <= 235 * scale + 2 and near_black and near_white:
            self.emit(
                start,
                end,
                f"Limited-range content in a stream flagged full range: luma stays within "
                f"{low}…{high} (codes) over the whole stream, so it will look washed out.",
                value=float(low),
                unit="code",
            )

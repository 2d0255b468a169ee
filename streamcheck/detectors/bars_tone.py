"""`bars_tone`: the leader of a master — colour bars, line-up tone and a slate — recognised and
reported as information with its extent, so that a delivery check can assert it is there.

A leader is there on purpose: the black, freeze, silence (and the dropouts of a GLITS tone's
breaks, the dual mono of a tone on both channels…) that the detectors in ``leader_covers``
find inside it are marked expected, and every programme's loudness leaves it out, without an
``[[expected]]`` entry written by hand.

**Colour bars** (EBU Tech 3325 / ITU-R BT.1729 eight bars, 100% or 75%; SMPTE EG 1 / RP 219's
seven bars over the top two thirds): the upper half of the picture is split into eight or
seven equal bars; each must be flat (luma deviation ≤ ``bar_flatness`` of the nominal range,
coding noise included), their luma must fall from left to right by at least 3% each over a
span of at least half the range (white, yellow, cyan, green, magenta, red, blue[, black]),
the first bar neutral and at least five coloured (chroma ≥ 10% off neutral). A grey
staircase fails the chroma test, a graphic or a test card the flatness or the order. The
amplitude (100% or 75%) is read from the yellow bar's luma. Runs of ``min_duration_s``.

**Line-up tone**: a sine of ``tone_hz`` (1 kHz; EBU R 49 / SMPTE RP 155) at ``tone_low_dbfs``
…``tone_high_dbfs`` (EBU −18 dBFS, SMPTE −20 dBFS lie inside), per channel of each track:
crest factor within 1.35–1.50 (a sine's is √2) — cheap, and false for speech and music —
then 95% of the energy within ±25 Hz of the frequency, judged in 100 ms windows (the tone's
edges to 100 ms). Channels beside it may be silent (the left channel's breaks of EBU GLITS).
Breaks of up to ``tone_gap_s`` are bridged.

Cost: past the head of the stream (``head_s``), with no bars, slate or tone open, the
detector does nothing, so a long programme pays for its first seconds only.

A leader heads the file and leads into a programme: bars or tone that start later than
``head_s`` into the stream, last to its end, or (tone) are followed by nothing but silence
and more sine of the tone's frequency at other levels, are a test signal (a conformance
file such as EBU Tech 3341's and 3342's level sequences, a line-up clip, bars inside a
programme), not reported, and their sound is measured as it is.

**Slate**: a still card with text (a still picture, not black, at least half of it one flat
background, with text-like edges on 0.2–20% of it) starting within ``slate_within_s`` of the
end of the bars or of the file's start, held at least ``min_duration_s``. A still picture
elsewhere stays a `freeze`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..model import AudioBlock, Needs, StreamInfo, VideoFrame
from .base import Kind, ParamsBase, StreamDetector, param, severity_param
from .decibels import amplitude_to_db
from .intervals import Interval, RunTracker

# the luma of a 100% yellow bar (R = G = 1, B = 0): 1 − Kb, by the matrix (StreamInfo.rgb_matrix)
YELLOW_LUMA = {"bt709": 1 - 0.0722, "bt601": 1 - 0.114}
STEP_MIN = 0.03  # each bar's luma below the one before by at least this share of the range
SPAN_MIN = 0.5  # first bar to last: at least half the range
CHROMA_MIN = 0.10  # a coloured bar: |Cb| + |Cr| at least this share of the chroma range
CREST_SINE = (1.35, 1.50)  # peak / RMS of a sine is √2 ≈ 1.414
PURITY_MIN = 0.95  # share of a tone block's energy within ±TONE_WIDTH_HZ of the tone
TONE_WIDTH_HZ = 25.0
# largest change of an 8×8 tile's mean luma between frames of a still card (share of the
# range): an encoder's refresh of a card at a GOP boundary moves every sample a little (mean
# 0.01 at low bit rates) but tile means hardly; a person moving in a static shot moves some
# tiles by 0.05 and more
STILL_MAX = 0.02
BACKGROUND_MIN = 0.5  # a card: at least half of it one flat background (a 1/32 luma bin)
TONE_WINDOW_S = 0.1  # tone is judged in windows of this length: its edges to 100 ms
EDGES = (0.002, 0.20)  # share of a slate's samples on a sharp edge: text, not a plain card
SILENT_DBFS = -60.0  # a channel beside the tone may be this quiet (GLITS breaks)


@dataclass(frozen=True)
class BarsToneParams(ParamsBase):
    min_duration_s: float = param(
        1.0, unit="s", help="Shortest stretch of bars or of a slate reported."
    )
    bar_flatness: float = param(
        0.04,
        unit="ratio",
        help="Largest luma deviation within a bar, share of the nominal range.",
        maximum=0.5,
    )
    tone_hz: float = param(
        1000.0, unit="Hz", help="Frequency of the line-up tone.", mirrors="EBU R 49: 1 kHz"
    )
    tone_low_dbfs: float = param(
        -30.0,
        unit="dBFS",
        help="Quietest RMS level of a line-up tone.",
        minimum=-60.0,
        maximum=0.0,
    )
    tone_high_dbfs: float = param(
        -9.0,
        unit="dBFS",
        help="Loudest RMS level of a line-up tone (EBU -18 dBFS, SMPTE -20 dBFS lie between).",
        minimum=-60.0,
        maximum=0.0,
    )
    tone_min_s: float = param(2.0, unit="s", help="Shortest line-up tone reported.")
    tone_gap_s: float = param(
        0.5,
        unit="s",
        help="Breaks in a tone bridged (EBU GLITS breaks the left channel for 250 ms).",
    )
    head_s: float = param(
        5.0,
        unit="s",
        help="Bars or tone start at most this long after the stream's start (a leader heads the "
        "file; a few seconds of black or a countdown before it are allowed).",
    )
    slate_within_s: float = param(
        2.0, unit="s", help="A slate starts at most this long after the bars or the file's start."
    )
    severity: str = severity_param("info")

    def validate(self) -> None:
        if self.tone_low_dbfs >= self.tone_high_dbfs:
            raise ValueError("tone_low_dbfs must be below tone_high_dbfs")


def bar_means(luma: np.ndarray, n: int, flatness: float) -> np.ndarray | None:
    """The mean of each of ``n`` equal vertical bars of ``luma`` (normalised 0–1 rows of the
    upper half), or None when a bar is not flat."""
    w = luma.shape[1]
    means = np.empty(n)
    for i in range(n):
        a, b = w * i // n, w * (i + 1) // n
        inner = luma[:, a + (b - a) // 5 : b - (b - a) // 5]  # away from the bar's edges
        if inner.size == 0:
            return None
        lo, hi = float(inner.min()), float(inner.max())
        if hi - lo > 2 * flatness:
            return None
        means[i] = float(inner.mean())
    return means


def classify_bars(
    luma: np.ndarray, chroma: tuple[np.ndarray, np.ndarray] | None, flatness: float, matrix: str
) -> str | None:
    """What colour bars the picture shows (``"EBU colour bars (100%)"``…), or None. ``luma``
    is normalised (0 = black, 1 = white), ``chroma`` (Cb, Cr) normalised to −0.5…0.5."""
    h = luma.shape[0]
    upper = luma[h // 10 : h // 2]
    profile = upper.mean(axis=0)
    if float(profile.max() - profile.min()) < SPAN_MIN:  # quick rejection: most pictures
        return None
    for n in (8, 7):
        means = bar_means(upper, n, flatness)
        if means is None:
            continue
        steps = means[:-1] - means[1:]
        if steps.min() < STEP_MIN or means[0] - means[-1] < SPAN_MIN:
            continue
        if chroma is not None:
            cb, cr = chroma
            ch = cb.shape[0]
            bars_cb = _chroma_bar_means(cb[ch // 10 : ch // 2], n)
            bars_cr = _chroma_bar_means(cr[ch // 10 : ch // 2], n)
            colour = np.abs(bars_cb) + np.abs(bars_cr)
            if colour[0] > CHROMA_MIN / 2 or int(np.count_nonzero(colour >= CHROMA_MIN)) < 5:
                continue
        yellow = means[1] / YELLOW_LUMA[matrix]
        amplitude = 100 if yellow > 0.875 else 75
        return f"{'EBU' if n == 8 else 'SMPTE'} colour bars ({amplitude}%)"
    return None


def _chroma_bar_means(plane: np.ndarray, n: int) -> np.ndarray:
    w = plane.shape[1]
    out = np.empty(n)
    for i in range(n):
        a, b = w * i // n, w * (i + 1) // n
        out[i] = float(plane[:, a + (b - a) // 5 : b - (b - a) // 5].mean())
    return out


def tone_level(
    samples: np.ndarray, rate: int, tone_hz: float, low_dbfs: float, high_dbfs: float
) -> float | None:
    """The RMS level (dBFS) of the line-up tone in a block (channels, n), or None when the
    block is not tone: every channel either a pure ``tone_hz`` sine within the levels, or
    silent, and at least one the tone."""
    level = None
    for x in samples:
        rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
        db = amplitude_to_db(rms) if rms > 0 else -200.0
        if db < SILENT_DBFS:
            continue
        if not low_dbfs <= db <= high_dbfs:
            return None
        crest = float(np.max(np.abs(x))) / rms
        if not CREST_SINE[0] <= crest <= CREST_SINE[1]:
            return None
        spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
        freqs = np.fft.rfftfreq(x.size, 1.0 / rate)
        near = np.abs(freqs - tone_hz) <= TONE_WIDTH_HZ
        if spectrum[near].sum() < PURITY_MIN * spectrum.sum():
            return None
        level = db if level is None else max(level, db)
    return level


class BarsToneDetector(StreamDetector[BarsToneParams]):
    """Runs on the video stream (bars, slate) and on every audio stream (tone): kind ``av``."""

    name = "bars_tone"
    kind: ClassVar[Kind] = "av"
    description = "Leaders: colour bars, 1 kHz line-up tone, a slate (info; not errors inside)."
    Params = BarsToneParams
    leader_covers = ("black", "freeze", "silence", "dropout", "dual_mono", "phase", "flash")

    def __init__(self, params: BarsToneParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.video = stream.kind == "video"
        if self.video:
            self.tracker = RunTracker(min_duration_s=params.min_duration_s)
        else:
            self.tracker = RunTracker(
                min_duration_s=params.tone_min_s, merge_gap_s=params.tone_gap_s
            )
        self._prev: np.ndarray | None = None  # the last frame's 8×8 tile means
        self._bars_end: float | None = None
        self._slate: Interval | None = None  # a still card being held
        self._end_s = float("inf")  # the stream's end, once known
        self._start_s: float | None = None  # the stream's first picture or sample
        self._tones: list[Interval] = []  # tone runs waiting for programme sound after them
        self._programme_s = -1.0  # the last sound heard that is neither silence nor a sine

    def needs(self) -> Needs:
        return Needs(chroma=True) if self.video else Needs()

    @property
    def open_start_s(self) -> float | None:
        return self.tracker.open_start_s or (self._slate.start_s if self._slate else None)

    def update(self, item: VideoFrame | AudioBlock) -> None:
        if self._start_s is None:
            self._start_s = item.t_s
        if isinstance(item, VideoFrame):
            self._picture(item)
        else:
            self._sound(item)

    def _past_head(self, t_s: float) -> bool:
        """Is ``t_s`` past where a leader could still begin (bars or tone after ``head_s``)?"""
        return t_s > (self._start_s or 0.0) + self.params.head_s

    def _picture(self, frame: VideoFrame) -> None:
        if self._past_head(frame.t_s) and self.tracker.idle:
            # past the head with no bars open: only a slate just after the bars may follow
            after = self._bars_end
            if self._slate is None and (
                after is None or frame.t_s - after > self.params.slate_within_s
            ):
                self._prev = None
                return
        nominal = float(frame.white_level - frame.black_level)
        small = (frame.small.astype(np.float32) - frame.black_level) / nominal
        chroma = None
        if frame.chroma is not None:
            mid = (frame.code_max + 1) / 2
            scale = 224 * (frame.code_max + 1) / 256
            step = max(1, frame.chroma[0].shape[1] // 64)
            chroma = (
                (frame.chroma[0][::step, ::step].astype(np.float32) - mid) / scale,
                (frame.chroma[1][::step, ::step].astype(np.float32) - mid) / scale,
            )
        label = classify_bars(
            small, chroma, self.params.bar_flatness, self.stream.rgb_matrix(frame.size[0])
        )
        self.track(
            self.tracker.update(
                label is not None, frame.t_s, frame.index, counts={label: 1} if label else None
            )
        )
        if label is not None:
            self._bars_end = frame.end_s
        self._prev = self._slate_step(frame, small, label is None)

    def _slate_step(self, frame: VideoFrame, small: np.ndarray, not_bars: bool) -> np.ndarray:
        """Follow a slate; returns the frame's tile means for the next frame's comparison."""
        tiles = _tile_means(small)
        still = (
            self._prev is not None
            and self._prev.shape == tiles.shape
            and float(np.abs(tiles - self._prev).max()) <= STILL_MAX
        )
        if still and self._slate is not None:
            self._slate.end_s = frame.end_s
            self._slate.last = frame.index
            return tiles
        self._end_slate()
        after = self._bars_end if self._bars_end is not None else 0.0
        if not_bars and frame.t_s - after <= self.params.slate_within_s and _card(small):
            self._slate = Interval(frame.t_s, frame.end_s, frame.index, frame.index)
        return tiles

    def _end_slate(self) -> None:
        run, self._slate = self._slate, None
        if run is not None and run.duration_s >= self.params.min_duration_s:
            self.emit_run(run, f"Slate (a still card) for {run.duration_s:.2f} s.")

    def _sound(self, block: AudioBlock) -> None:
        p = self.params
        waiting = bool(self._tones) and self._programme_s < self._tones[-1].end_s
        if self._past_head(block.t_s) and self.tracker.idle and not waiting:
            return  # past the head, no tone open, none waiting for programme: nothing to do
        n = max(1, round(TONE_WINDOW_S * block.sample_rate))
        for start in range(0, block.n - n // 2, n):  # a short tail joins the window before it
            stop = start + n if block.n - (start + n) >= n // 2 else block.n
            window = block.samples[:, start:stop]
            t_s = block.t_s + start / block.sample_rate
            level = tone_level(
                window, block.sample_rate, p.tone_hz, p.tone_low_dbfs, p.tone_high_dbfs
            )
            if level is None:
                self.track(self.tracker.update(False, t_s))
                waiting = bool(self._tones) and self._programme_s < self._tones[-1].end_s
                if waiting and _programme(window, block.sample_rate, p.tone_hz):
                    self._programme_s = t_s
            else:
                self.track(self.tracker.update(True, t_s, value=level))

    def on_run(self, run: Interval) -> None:
        if run.end_s >= self._end_s:
            return  # a leader leads into something: bars or tone to the end are a test signal
        if self._past_head(run.start_s):
            return  # a leader heads the file: bars or tone later on are content
        if self.video:
            label = run.counts.most_common(1)[0][0] if run.counts else "colour bars"
            self.emit_run(run, f"{label[0].upper()}{label[1:]} for {run.duration_s:.2f} s.")
            return
        self._tones.append(run)  # decided at the end: does a programme follow it?

    def _emit_tone(self, run: Interval) -> None:
        self.emit_run(
            run,
            f"Line-up tone, {self.params.tone_hz:g} Hz at {run.peak:.1f} dBFS, on "
            f"{self.stream.name} for {run.duration_s:.2f} s.",
            value=run.peak,
            unit="dBFS",
        )

    def close(self, end_s: float) -> None:
        self._end_s = end_s - 1e-6
        super().close(end_s)
        if self.video:
            self._end_slate()
        for run in self._tones:
            if run.end_s <= self._programme_s:
                self._emit_tone(run)
        self._tones = []


def _programme(samples: np.ndarray, rate: int, tone_hz: float) -> bool:
    """Is a block programme sound: not silent, and not a sine of ``tone_hz`` at any level?"""
    loud = float(np.max(np.abs(samples))) > 10 ** (SILENT_DBFS / 20)
    return loud and tone_level(samples, rate, tone_hz, SILENT_DBFS, 0.0) is None


def _tile_means(small: np.ndarray) -> np.ndarray:
    h, w = small.shape[0] // 8 * 8, small.shape[1] // 8 * 8
    means: np.ndarray = small[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(1, 3))
    return means


def _card(small: np.ndarray) -> bool:
    """A picture that could be a slate: not black, mostly one flat background, and sharp
    edges on some (not most) of it: text on a card."""
    if float(small.mean()) < 0.05:
        return False
    bins = np.histogram(small, bins=32, range=(-0.1, 1.1))[0]
    if bins.max() < BACKGROUND_MIN * small.size:
        return False
    edges = np.abs(np.diff(small, axis=1)) > 0.25
    share = float(np.count_nonzero(edges)) / edges.size
    return EDGES[0] <= share <= EDGES[1]

"""`av_sync`: the offset between sound and picture measured from the content itself (positive:
audio late, the sign of `av_offset`), where the container's timestamps agree but the sound
was shifted before muxing, an encoder added latency, or a capture drifted.

One instance per audio stream sees the first video stream's pictures and that stream's
blocks together (kind ``pair``). It keeps two compact event series, never pictures or
samples:

- **picture events**, one number per frame: the mean absolute change of the frame's 8×8 tile
  means (shared with freeze and flash) from the frame before, as a share of the nominal
  range, minus the larger of the two changes before it — the *start* of a change: a cut, a
  flash, a sudden change of light, not steady motion. Changes that rise by at least
  ``min_change`` are events. A change that brightens the picture weighs 1, one that darkens
  it ``DARKEN_WEIGHT``: in test signals the flash's start is the mark and its end is not, so
  a flash several frames long does not mark two lags;
- **sound events**: the audio's level (mean of the channels, RMS per 5 ms hop, floored at
  ``FLOOR_DBFS``) and its onsets (:func:`onsets`): the level of a hop and the next rises at
  least ``min_onset_db`` over the loudest of the 25 ms before, the hop already within
  ``SETTLED_DB`` of the level of the next 20 ms (so a codec's pre-echo before a beep is not
  the onset), above ``quiet_dbfs``.

Each window of ``window_s`` (a new one every ``step_s``) correlates its picture events with
the sound onsets at every lag within ±``max_lag_s`` (one hop apart, onsets widened by a
quarter of a frame, at least a hop, either side): the score of a lag is the summed weight of
the picture events that land on an onset. The window's offset is the best lag (the middle
of its plateau); it is **confident** when at least ``min_events`` picture events land on
onsets there and the best score of any lag further than 1.5 frames (or 25 ms) from it is at
most ``max_ambiguity`` of it. A test
pattern (flash and beep, a clapper) gives one lag with every event on it; programme content
with cuts on sound changes (a door, a shot, a new scene's sound) gives one lag with several;
steady music under random cuts, speech under a still picture, or a pattern repeating faster
than the search range (a flash every 1 s seen at ±1 s) give several or none: not measured.

The file's offset is decided at the end from the confident windows: their median, when at
least ``min_agreement`` of them lie within the tolerance of it (1.5 frames, at least 25 ms)
and together they matched at least ``min_file_events`` distinct picture events; else, when
a straight line through them (Theil–Sen) holds as many of them, drifts by at least
``min_drift_ms_per_min`` and changes by more than the tolerance over the measured stretch, a
**drift** (its own finding: start, end, rate in ms per minute). Otherwise the
content gave no confident evidence: no finding and ``av_sync_s`` null. The offset is a
finding when it is outside ITU-R BT.1359's detectability window (sound 45 ms early or
125 ms late; ``severity``), an error outside its acceptability window (90 ms early, 185 ms
late). Each window's offset and confidence (1 − the ambiguity) go to metrics.parquet at the
window's middle.

One module of over 500 lines, as the project keeps everything about a detector in its module:
the picture and sound event series, the per-window lag search, the agreement of windows into
an offset or a drift, and the findings are small functions and classes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..model import AudioBlock, Needs, Severity, StreamInfo, VideoFrame
from .base import Metric, PairDetector, ParamsBase, param, severity_param
from .planes import block_means

HOP_S = 0.005  # sound level and onsets every 5 ms: a tenth of a frame at 50 fps
FLOOR_DBFS = -90.0  # the level of digital silence
BEFORE_HOPS = 5  # an onset rises over the loudest of the 25 ms before it
AFTER_HOPS = 4  # … and is within SETTLED_DB of the loudest of the 20 ms after it
SETTLED_DB = 12.0
START_DB = 3.0
ONSET_FULL_DB = 30.0  # an onset's weight grows with its rise up to this many dB
DARKEN_WEIGHT = 0.3  # weight of a picture event that darkens the picture (1: brightens)
WIDEN_FRAMES = 0.25  # an onset counts for picture events this many frames either side of it
TOLERANCE_FRAMES = 1.5  # windows agree within this many frames (at least TOLERANCE_MIN_S)
TOLERANCE_MIN_S = 0.025


@dataclass(frozen=True)
class AvSyncParams(ParamsBase):
    window_s: float = param(
        15.0,
        unit="s",
        help="Length of a measuring window: long enough for several cuts or marks.",
        minimum=2.0,
    )
    step_s: float = param(
        5.0, unit="s", help="A new window starts every step_s (windows overlap).", minimum=0.5
    )
    max_lag_s: float = param(
        1.0,
        unit="s",
        help="Largest offset searched, either way. A pattern repeating faster than twice this "
        "is ambiguous and not measured.",
        minimum=0.05,
        maximum=5.0,
    )
    min_change: float = param(
        0.05,
        unit="ratio",
        help="A picture event: the mean change of 8×8 tile means from the frame before rises "
        "by this share of the nominal range (measured: cuts of the real-footage edit up to "
        "0.31, 25 frames of 1125 at 0.05 or more; inside shots of clean news and sport "
        "programmes 90% of frames under 0.013, 99% under 0.042).",
        maximum=1.0,
    )
    min_onset_db: float = param(
        9.0,
        unit="dB",
        help="A sound onset: a 5 ms hop this much above the loudest of the 25 ms before it.",
        minimum=1.0,
    )
    quiet_dbfs: float = param(
        -60.0,
        unit="dBFS",
        help="Onsets quieter than this are not events.",
        minimum=-90.0,
        maximum=0.0,
    )
    min_events: int = param(
        3, unit="events", help="Picture events landing on onsets for a confident window.", minimum=1
    )
    max_ambiguity: float = param(
        0.6,
        unit="ratio",
        help="A confident window's best other lag (over 1.5 frames away) scores at most this "
        "share of its best.",
        maximum=1.0,
    )
    min_agreement: float = param(
        0.75,
        unit="ratio",
        help="Share of the confident windows that must agree (within 1.5 frames) for a value.",
        maximum=1.0,
    )
    min_file_events: int = param(
        6,
        unit="events",
        help="Distinct picture events matched by the agreeing windows together.",
        minimum=1,
    )
    min_drift_ms_per_min: float = param(
        10.0, unit="ms/min", help="Smallest drift reported as one (audio gaining or losing)."
    )
    early_limit_s: float = param(
        0.045,
        unit="s",
        help="Audio may lead the picture by this much.",
        mirrors="ITU-R BT.1359 detectability: sound 45 ms early",
    )
    late_limit_s: float = param(
        0.125,
        unit="s",
        help="Audio may lag the picture by this much.",
        mirrors="ITU-R BT.1359 detectability: sound 125 ms late",
    )
    early_error_s: float = param(
        0.090,
        unit="s",
        help="Audio leading by more than this is an error.",
        mirrors="ITU-R BT.1359 acceptability: sound 90 ms early",
    )
    late_error_s: float = param(
        0.185,
        unit="s",
        help="Audio lagging by more than this is an error.",
        mirrors="ITU-R BT.1359 acceptability: sound 185 ms late",
    )
    severity: str = severity_param("warning")

    def validate(self) -> None:
        if self.step_s > self.window_s:
            raise ValueError("step_s must not exceed window_s")
        if self.early_error_s < self.early_limit_s or self.late_error_s < self.late_limit_s:
            raise ValueError("the error limits must be at or beyond the detectability limits")


@dataclass(frozen=True)
class Window:
    """One window's measurement: its middle (s), the best lag (s), its confidence (1 − the
    ambiguity), and the picture events (times, s) that landed on onsets at that lag."""

    start_s: float
    end_s: float
    offset_s: float | None
    confidence: float
    matched: tuple[float, ...]

    @property
    def middle_s(self) -> float:
        return (self.start_s + self.end_s) / 2


def onsets(level_db: np.ndarray, min_onset_db: float, quiet_dbfs: float) -> np.ndarray:
    """Onset weights (0–1) of a level series ``level_db`` (dBFS, one value per hop, shape
    (n,)). Hop i is an onset when the loudest of it and the hop after it rises at least
    ``min_onset_db`` over the loudest of the ``BEFORE_HOPS`` hops before it (a sound that
    starts late in hop i fills hop i + 1), hop i itself is ``START_DB`` above those (the rise
    starts here), within ``SETTLED_DB`` of the loudest of the ``AFTER_HOPS`` hops after it (a
    codec's pre-echo ahead of an attack is not its start) and above ``quiet_dbfs``, and hop
    i − 1 is not an onset. Weight = rise / ``ONSET_FULL_DB``, at most 1. The first
    ``BEFORE_HOPS`` and last ``AFTER_HOPS`` hops are never onsets."""
    n = level_db.size
    out = np.zeros(n, np.float32)
    if n <= BEFORE_HOPS + AFTER_HOPS:
        return out
    view = np.lib.stride_tricks.sliding_window_view
    before = view(level_db[:-1], BEFORE_HOPS).max(axis=1)  # before[k] = max(x[k : k + 5])
    after = view(level_db, AFTER_HOPS + 1).max(axis=1)  # after[k] = max(x[k : k + 5])
    idx = np.arange(BEFORE_HOPS, n - AFTER_HOPS)
    x = level_db[idx]
    prior = before[idx - BEFORE_HOPS]
    rise = np.maximum(x, level_db[idx + 1]) - prior
    ok = (
        (rise >= min_onset_db)
        & (x >= prior + START_DB)
        & (x >= after[idx] - SETTLED_DB)
        & (x >= quiet_dbfs)
    )
    ok[1:] &= ~ok[:-1]
    out[idx[ok]] = np.minimum(rise[ok] / ONSET_FULL_DB, 1.0)
    return out


def best_lag(
    event_hops: np.ndarray,
    weights: np.ndarray,
    onset: np.ndarray,
    max_lag: int,
    exclude: int,
) -> tuple[int, float, int, float] | None:
    """Correlate picture events with sound onsets. ``event_hops``: each event's position in
    ``onset`` at lag 0 (hops; events whose whole lag range is not inside ``onset`` must be left
    out by the caller), ``weights`` their weights, ``onset`` the onset weights (widened by the
    caller), lags from −``max_lag`` to ``max_lag`` hops. Returns (best lag in hops, ambiguity:
    best score further than ``exclude`` hops away / best, events matched at the best lag, best
    score), or None when no event lands on an onset at any lag."""
    lags = np.arange(-max_lag, max_lag + 1)
    at = onset[event_hops[:, None] + lags[None, :]] > 0  # (events, lags)
    scores = (at * weights[:, None]).sum(axis=0)
    top = float(scores.max())
    if top <= 0:
        return None
    # the plateau of the best score (onsets are widened): its middle
    best = np.flatnonzero(scores >= top - 1e-9)
    first = int(best[0])
    run = best[best - first == np.arange(best.size)]  # the first contiguous run
    j = int(run[run.size // 2])
    far = np.abs(lags - lags[j]) > exclude
    second = float(scores[far].max()) if far.any() else 0.0
    matched = int(np.count_nonzero(at[:, j]))
    return int(lags[j]), second / top, matched, top


def theil_sen(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of the Theil–Sen line through (t, y) (at least two distinct t)."""
    i, j = np.triu_indices(t.size, 1)
    dt = t[j] - t[i]
    ok = dt != 0
    slope = float(np.median((y[j] - y[i])[ok] / dt[ok]))
    return slope, float(np.median(y - slope * t))


class AvSyncDetector(PairDetector[AvSyncParams]):
    name = "av_sync"
    description = (
        "Sound against picture measured from the content (flash/beep, cuts on sound): "
        "offset outside BT.1359, or drift."
    )
    Params = AvSyncParams
    publishes = (
        Metric(
            "sync_offset_s",
            "s",
            "A/V offset of a confident av_sync window, at its middle (positive: audio late).",
        ),
        Metric(
            "sync_confidence",
            "ratio",
            "Confidence of the av_sync window at its middle (1 − ambiguity; 0: no evidence).",
            "max",
        ),
    )

    def __init__(self, params: AvSyncParams, stream: StreamInfo, video: StreamInfo) -> None:
        super().__init__(params, stream, video)
        # picture: the last two tile changes and the tiles, then events (time, weight)
        self._prev_tiles: np.ndarray | None = None
        self._changes = (0.0, 0.0)
        self._events_t: list[float] = []
        self._events_w: list[float] = []
        self._video_start: float | None = None
        self._video_end = -math.inf
        self._frame_s = video.frame_s if video.frame_s > 0 else 0.04
        # sound: level per hop (dBFS) from hop index self._hop0 on, and the unfinished hop
        self._rate = 0
        self._hop = 0  # samples per hop
        self._audio_t0: float | None = None  # time of hop 0
        self._hop0 = 0
        self._level = np.zeros(0, np.float32)
        self._pending: list[np.ndarray] = []  # levels of blocks not yet joined to _level
        self._pending_n = 0
        self._carry = np.zeros(0, np.float32)
        self._next_hop_t = 0.0  # where the next sample belongs (s)
        self._next_window = 0
        self.windows: list[Window] = []
        self.offset_s: float | None = None

    def needs(self) -> Needs:
        return Needs(blocks=True)

    # ---- streaming ------------------------------------------------------------------------

    def update(self, item: VideoFrame | AudioBlock) -> None:
        if isinstance(item, VideoFrame):
            self._picture(item)
        else:
            self._sound(item)
        self._evaluate(final=False)

    def _picture(self, frame: VideoFrame) -> None:
        if self._video_start is None:
            self._video_start = frame.t_s
        self._video_end = frame.end_s
        if frame.duration_s > 0:
            self._frame_s = frame.duration_s
        tiles = frame.blocks if frame.blocks is not None else block_means(frame.small)
        prev, self._prev_tiles = self._prev_tiles, tiles
        if prev is None or prev.shape != tiles.shape:
            self._changes = (0.0, 0.0)
            return
        nominal = float(frame.white_level - frame.black_level) or 1.0
        # mean absolute change of the tiles (OpenCV's L1 norm: one pass, no temporaries)
        change = float(cv2.norm(tiles, prev, cv2.NORM_L1)) / tiles.size / nominal
        rise = change - max(self._changes)
        self._changes = (self._changes[1], change)
        if rise >= self.params.min_change:
            brighter = cv2.sumElems(tiles)[0] >= cv2.sumElems(prev)[0]
            self._events_t.append(frame.t_s)
            self._events_w.append(1.0 if brighter else DARKEN_WEIGHT)

    def _sound(self, block: AudioBlock) -> None:
        if block.n == 0 or block.samples.shape[0] == 0:
            return
        if self._audio_t0 is None or block.sample_rate != self._rate:
            self._rate = block.sample_rate
            self._hop = max(1, round(block.sample_rate * HOP_S))
            if self._audio_t0 is None:
                self._audio_t0 = block.t_s
                self._next_hop_t = block.t_s
            self._carry = np.zeros(0, np.float32)
        hop_s = self._hop / self._rate
        gap = block.t_s - self._next_hop_t
        if gap > 2 * hop_s:  # sound missing: silence for the hops it should have filled
            hops = round(gap / hop_s)
            self._append(np.full(hops, FLOOR_DBFS, np.float32))
            self._carry = np.zeros(0, np.float32)
            self._next_hop_t = block.t_s
        x = block.samples
        mono: np.ndarray = x[0] if x.shape[0] == 1 else np.add.reduce(x, axis=0) / x.shape[0]
        x = np.concatenate([self._carry, mono]) if self._carry.size else mono
        whole = x.size // self._hop
        if whole:
            frames = x[: whole * self._hop].reshape(whole, self._hop)
            power = np.square(frames).sum(axis=1) / self._hop
            level = 10.0 * np.log10(np.maximum(power, 10 ** (FLOOR_DBFS / 10)))
            self._append(level.astype(np.float32))
        self._carry = np.array(x[whole * self._hop :], np.float32)
        self._next_hop_t = block.end_s

    def _append(self, level: np.ndarray) -> None:
        self._pending.append(level)
        self._pending_n += level.size

    def _levels(self) -> np.ndarray:
        """The level series from hop ``self._hop0`` on, with the blocks' latest levels."""
        if self._pending:
            self._level = np.concatenate([self._level, *self._pending])
            self._pending, self._pending_n = [], 0
        return self._level

    @property
    def _audio_end(self) -> float:
        if self._audio_t0 is None:
            return -math.inf
        hops = self._hop0 + self._level.size + self._pending_n
        return self._audio_t0 + hops * self._hop / self._rate

    # ---- windows --------------------------------------------------------------------------

    def _evaluate(self, final: bool) -> None:
        p = self.params
        if self._video_start is None or self._audio_t0 is None:
            return
        margin = p.max_lag_s + (AFTER_HOPS + 2) * HOP_S
        while True:
            start = self._video_start + self._next_window * p.step_s
            end = start + p.window_s
            if not final and (self._video_end < end or self._audio_end < end + margin):
                return
            if final and self._next_window > 0 and end - p.step_s >= self._video_end:
                break  # the window before already reached the end
            if final and start >= self._video_end:
                break
            self.windows.append(self._measure(start, min(end, self._video_end)))
            self._next_window += 1
            self._forget(start + p.step_s)

    def _forget(self, before_s: float) -> None:
        """Drop events and levels no later window needs (they start at ``before_s``)."""
        keep = next((i for i, t in enumerate(self._events_t) if t >= before_s), None)
        keep = len(self._events_t) if keep is None else keep
        del self._events_t[:keep], self._events_w[:keep]
        if self._audio_t0 is None:
            return
        hop_s = self._hop / self._rate
        first = int((before_s - self.params.max_lag_s - self._audio_t0) / hop_s) - BEFORE_HOPS - 2
        drop = min(max(0, first - self._hop0), self._levels().size)
        if drop:
            self._level = self._level[drop:]
            self._hop0 += drop

    def _measure(self, start: float, end: float) -> Window:
        p = self.params
        none = Window(start, end, None, 0.0, ())
        assert self._audio_t0 is not None
        times = np.array(self._events_t, np.float64)
        weights = np.array(self._events_w, np.float32)
        sel = (times >= start) & (times < end)
        times, weights = times[sel], weights[sel]
        if times.size < p.min_events or self._levels().size == 0:
            return none
        hop_s = self._hop / self._rate
        max_lag = round(p.max_lag_s / hop_s)
        onset = onsets(self._level, p.min_onset_db, p.quiet_dbfs)
        # widened by a quarter of a frame either side, at least a hop (a picture's time is a
        # frame's start, an onset's a hop's; a drift moves the lag a little within a window),
        # with max_lag hops of no onsets either side: sound before or after the buffer
        widened = np.zeros(onset.size + 2 * max_lag, np.float32)
        core = widened[max_lag : max_lag + onset.size]
        core[:] = onset
        for k in range(1, max(1, round(WIDEN_FRAMES * self._frame_s / hop_s)) + 1):
            core[k:] = np.maximum(core[k:], onset[:-k])
            core[:-k] = np.maximum(core[:-k], onset[k:])
        pos = np.rint((times - self._audio_t0) / hop_s).astype(np.intp) - self._hop0 + max_lag
        inside = (pos - max_lag >= 0) & (pos + max_lag < widened.size)
        pos, weights, times = pos[inside], weights[inside], times[inside]
        if pos.size < p.min_events:
            return none
        exclude = math.ceil(max(TOLERANCE_FRAMES * self._frame_s, TOLERANCE_MIN_S) / hop_s)
        found = best_lag(pos, weights, widened, max_lag, exclude)
        if found is None:
            return none
        lag, ambiguity, matched, _ = found
        confidence = 1.0 - ambiguity
        if matched < p.min_events or ambiguity > p.max_ambiguity:
            return Window(start, end, None, confidence, ())
        hit = widened[pos + lag] > 0
        return Window(start, end, lag * hop_s, confidence, tuple(times[hit].tolist()))

    # ---- the file's offset -----------------------------------------------------------------

    def close(self, end_s: float) -> None:
        self._evaluate(final=True)
        self._level = np.zeros(0, np.float32)
        self._pending, self._pending_n = [], 0
        self._events_t, self._events_w = [], []
        self._decide(end_s)

    def _decide(self, end_s: float) -> None:
        p = self.params
        sure = [w for w in self.windows if w.offset_s is not None]
        if not sure:
            return
        t = np.array([w.middle_s for w in sure])
        y = np.array([w.offset_s for w in sure], np.float64)
        tol = max(TOLERANCE_FRAMES * self._frame_s, TOLERANCE_MIN_S)
        median = float(np.median(y))
        flat = np.abs(y - median) <= tol
        slope, intercept = (0.0, median)
        sloped = flat
        if len(sure) >= 3 and float(t.max() - t.min()) > 0:
            slope, intercept = theil_sen(t, y)
            sloped = np.abs(y - (slope * t + intercept)) <= tol
        span = float(t.max() - t.min())
        drifting = (
            int(sloped.sum()) >= int(flat.sum())
            and abs(slope) * 60_000 >= p.min_drift_ms_per_min
            and abs(slope) * span > tol
        )
        agree = sloped if drifting else flat
        events = {e for w, ok in zip(sure, agree, strict=True) if ok for e in w.matched}
        if agree.sum() < p.min_agreement * len(sure) or len(events) < p.min_file_events:
            return  # no confident evidence: not measured
        inliers = [w for w, ok in zip(sure, agree, strict=True) if ok]
        self.offset_s = float(np.mean(y[agree])) if not drifting else float(np.median(y[agree]))
        start = self._video_start if self._video_start is not None else 0.0
        if drifting:
            first, last = inliers[0], inliers[-1]
            a, b = slope * first.middle_s + intercept, slope * last.middle_s + intercept
            rate = slope * 60_000
            self.emit(
                first.start_s,
                last.end_s,
                f"A/V sync drifts by {rate:+.0f} ms per minute: audio "
                f"{_words(a)} at {first.middle_s:.0f} s, {_words(b)} at {last.middle_s:.0f} s "
                f"(measured from the content in {len(inliers)} windows).",
                value=rate,
                unit="ms/min",
            )
            # the offset it reaches, over the stretch where the line is past the window
            worst = a if abs(a) > abs(b) else b
            limit = p.late_limit_s if worst > 0 else -p.early_limit_s
            cross = min(max((limit - intercept) / slope, first.start_s), last.end_s)
            lo, hi = (cross, last.end_s) if worst == b else (first.start_s, cross)
            self._offset_finding(worst, lo, hi, len(inliers), len(events), drifting=True)
            return
        self._offset_finding(self.offset_s, start, end_s, len(inliers), len(events))

    def _offset_finding(
        self,
        offset: float,
        start: float,
        end: float,
        windows: int,
        events: int,
        drifting: bool = False,
    ) -> None:
        p = self.params
        if -p.early_limit_s <= offset <= p.late_limit_s:
            return
        error = offset > p.late_error_s or offset < -p.early_error_s
        event = self.emit(
            start,
            end,
            f"Audio {'drifts to ' if drifting else ''}{_words(offset)} against the picture, "
            "measured from the content "
            f"({events} picture events matched by sound in {windows} windows); "
            f"ITU-R BT.1359 {'acceptability' if error else 'detectability'} limit exceeded.",
            value=offset,
            unit="s",
        )
        if error:
            self.events[-1] = dataclasses.replace(event, severity=Severity.ERROR)

    def stream_facts(self) -> dict[str, float | None]:
        return {"av_sync_s": self.offset_s}

    def late_metrics(self) -> list[tuple[float, str, float]]:
        out = []
        for w in self.windows:
            out.append((w.middle_s, "sync_confidence", w.confidence))
            if w.offset_s is not None:
                out.append((w.middle_s, "sync_offset_s", w.offset_s))
        return out


def _words(offset: float) -> str:
    """'400 ms late', '200 ms early', 'in sync'."""
    ms = round(offset * 1000)
    if ms == 0:
        return "in sync"
    return f"{abs(ms)} ms {'late' if ms > 0 else 'early'}"

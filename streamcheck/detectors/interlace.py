"""`interlace`: the scan type and field order the pictures show, against the stream's flags.

After FFmpeg's idet: a frame's two fields (top: even lines, bottom: odd lines) are compared with
each other and with the fields of the previous frame. Three pairs of fields are woven into a
picture and scored by :func:`field_distances` (the mean step between adjacent lines, over every
16th column and all rows: the decode loop's column sample, 130 k samples of a 1080 picture):
``own`` (this frame's two fields), ``tff`` (the previous bottom field with this top field)
and ``bff`` (the previous top field with this bottom field). Where the picture moves, fields of
different moments weave into a comb, which adds to the steps:

- progressive: own is one moment, tff and bff are both a frame apart: own < tff = bff;
- interlaced top field first: own and tff are half a frame apart, bff one and a half: own =
  tff < bff (bottom field first: own = bff < tff);
- a static picture: all three equal, whatever the scan (no evidence);
- telecined film (3:2 pulldown, fields AA BB BC CD DD): two frames of five are combed
  (own > tff, they mix two film frames), two are clean (own < tff = bff), the fifth repeats
  the previous bottom field (own = tff < bff): the kinds ``PPXXR``.

Each frame with motion votes (:func:`judge`): top or bottom field first when one neighbour
pairing fits ``order_ratio`` better than the other, progressive when neither does and its own
fields fit ``progressive_ratio`` better than any pairing with the previous frame. A centred
window of ``window_s`` decides the content's scan at each frame (:func:`window_verdict`): an
order when it has at least 30% of the window's votes and four times those of the other order,
progressive with 90% of them, nothing when fewer than a quarter of the window's frames voted.
Stretches where that disagrees with the flags (``VideoFrame.interlaced`` / ``field_order``) for
``min_duration_s`` are reported, from the first frame that voted for the verdict to the last:
frames that cannot tell (still pictures, undecided windows) do not end a stretch, a window that
decides otherwise does, and combed frames inside interlaced content in a stream flagged
progressive are more of it: interlaced content flagged progressive, progressive content flagged
interlaced, the opposite field order. Frames whose own fields fit ``comb_ratio`` worse than a
neighbour pairing are combed: reported when the stream is flagged progressive and their window
is not interlaced content (that is reported as such). The kinds of the frames follow a 3:2
cadence (:class:`Cadence`); a jump of its phase (an edit in telecined video) is reported at the
first frame after the last one that fitted the old phase (the frame at the edit pairs its fields
with the previous frame across the edit, so it may fit either: ±1 frame). The streams.parquet
row gets ``scan``: the verdict of most decided frames (telecined film: interlaced, in its field
order), none when less than a window of frames was decided.

The thresholds, measured on the frames with motion (largest over smallest of the three at least
1.2) of 10 s test recordings (320×240, 720×576 and 720×480; H.264 frame-coded and MBAFF, MPEG-2
frame and field DCT) and of the real footage in ../shared/media. Ratios as percentiles
1/50/99 (min–max); votes as shares of all frames:

| content (files) | frames | moving | bff/tff | low/own | votes |
|---|---|---|---|---|---|
| progressive, catalogue (26) | 6423 | 85% | 0.94/1.00/1.02 (0.92–1.06) | 1.24/3.24/7.65 | P 85% |
| progressive, real (24) | 4979 | 41% | 0.99/1.00/1.02 (0.98–1.03) | 1.20/1.54/6.59 | P 41% |
| progressive, as tff (1) | 249 | 100% | 0.98/1.00/1.01 | 1.50/3.35/4.08 | P 99.6% |
| interlaced tff (4) | 996 | 100% | 1.01/1.82/2.49 | 0.71/1.02/3.58 | T 97%, P 3% |
| interlaced bff (4) | 996 | 100% | 0.38/0.54/0.86 (max 1.00) | 0.65/1.00/1.66 | B 99.6% |
| tff, slow pan (2) | 498 | 100% | 1.02/1.36/1.63 | 0.97/1.18/1.48 | T 83%, P 17% |
| interlaced, static (6) | 1494 | 6% | 0.80/1.01/1.25 | 0.80/1.01/1.23 | T 2%, B 2% |
| telecine 3:2 (4) | 1196 | 100% | clean 1.00, combed ≥ 1.47 | clean ≥ 1.3 | P 40%, T 60% |

(low/own: min(tff, bff)/own. Progressive content gave no T or B vote at all. The pan moves
0.5 px per field; the static picture has noise and a 0.3 px tremor per field; the interlaced
tff P votes are its scene cuts.)

In telecine the kinds come out as the pattern says: 39.5% clean, 39.0% combed (own/low
1.53–5.64), 21.3% ordered. So ``order_ratio`` 1.1 lies beyond everything progressive content
gave (no order vote on any progressive frame) and below the slow pan's median (1.36); idet's
1.04 is for the whole picture, ours is a 1/16 sample. ``progressive_ratio`` 1.2 is met by
every moving progressive frame and by telecine's clean ones, by 0.3–2.6% of interlaced frames
(scene cuts). ``motion_ratio`` 1.2 leaves 94% of the frames of a static noisy interlaced picture
without a vote; its tremor votes for both orders alike, which the four-to-one rule of a window
leaves undecided (the only windows it decided were partial ones at the start: the quarter of
a *full* window is required since). ``comb_ratio`` 1.5 is below every combed telecine frame
(1.53) and above every progressive one (own/low at most 0.84); 0.7–1.7% of interlaced frames
reach it, which is harmless: frames in interlaced windows do not count as combing. The 30%
order share takes telecine (60% of its votes carry the order) and slow interlaced motion;
the 90% progressive share keeps slowly moving interlaced content (17% P) from being called
progressive.

Progressive content in a stream flagged interlaced (progressive segmented frames, legal in
many 1080i deliveries) is reported at ``psf_severity``. Limits: the measure is global, so
motion in a small part of an otherwise still picture (a newsreader) moves the ratios little
and such stretches stay undecided; slow interlaced motion (a quarter pixel per field) and
noise-only pictures say nothing; the cadence follows 3:2 pulldown only (not 2:2, 2:3:3:2 or
mixed cadences), and a phase jump is found about a cycle (five frames) after it happens.

Cost: six OpenCV L1 norms over row-strided views of the column sample (no copy), about 20 µs
of the about 30 µs per 1080 frame this detector takes (measured on a shared, loaded machine).

One module of over 500 lines, as the project keeps everything about a detector in its module:
the field measure, the per-frame vote, the window verdict, the 3:2 cadence follower and the
findings are small functions and classes, and the measurements behind every threshold above.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, NamedTuple

import cv2
import numpy as np

from ..model import Needs, Severity, StreamInfo, VideoFrame
from .base import SEVERITIES, ParamsBase, VideoDetector, param, severity_param
from .intervals import Interval, RunTracker

STEP = 16  # every 16th column: the decode loop's shared sample (blockiness reads it too)
# the kinds of frame a 3:2 pulldown cycle gives, by position: AA BB BC CD DD
PULLDOWN = "PPXXR"
VOTE_SHARE = 0.25  # a window decides only when this share of its frames voted
CONSISTENCY = 4.0  # a field order needs this many times the votes of the other order
PROGRESSIVE_SHARE = 0.9  # progressive: this share of the votes, at least
ORDER_SHARE = 0.3  # interlaced: this share of the votes for one order, at least
LOCK_FRAMES = 10  # informative frames (two cycles) that lock a cadence
MAX_PENDING = 15  # informative frames that may contradict a locked cadence before it is lost
SCANS = {"tff": "interlaced-tff", "bff": "interlaced-bff", "progressive": "progressive"}
ORDER_WORDS = {"tff": "top field first", "bff": "bottom field first"}


@dataclass(frozen=True)
class InterlaceParams(ParamsBase):
    min_duration_s: float = param(
        2.0,
        unit="s",
        help="Shortest stretch whose content disagrees with its scan flags that is reported.",
    )
    merge_gap_s: float = param(
        2.0,
        unit="s",
        help="Stretches closer than this merge (static pictures between them say nothing).",
    )
    window_s: float = param(
        1.0,
        unit="s",
        help="Length of the centred window of frames whose votes decide the content's scan.",
        minimum=0.1,
    )
    motion_ratio: float = param(
        1.2,
        unit="ratio",
        help="A frame votes only when its three field pairings differ by this much (largest "
        "over smallest): static pictures say nothing.",
        minimum=1.0,
    )
    order_ratio: float = param(
        1.1,
        unit="ratio",
        help="Field-order vote: one pairing with a neighbouring frame's field fits this much "
        "better than the other.",
        mirrors="idet intl_thres=1.04",
        minimum=1.0,
    )
    progressive_ratio: float = param(
        1.2,
        unit="ratio",
        help="Progressive vote: the frame's own two fields fit this much better than any "
        "pairing with a neighbouring frame's field (and neither order wins).",
        mirrors="idet prog_thres=1.5",
        minimum=1.0,
    )
    comb_ratio: float = param(
        1.5,
        unit="ratio",
        help="Combed frame: its own two fields fit this much worse than a pairing with a "
        "neighbouring frame's field (it mixes two pictures).",
        minimum=1.0,
    )
    severity: str = severity_param("warning")
    psf_severity: str = param(
        "warning",
        unit=None,
        help="Severity of progressive content in a stream flagged interlaced (progressive "
        "segmented frames: legal in 1080i deliveries, where info may suit better).",
        choices=SEVERITIES,
    )


def field_distances(cur: np.ndarray, prev: np.ndarray) -> tuple[float, float, float]:
    """How well three pairs of fields weave into one picture, as the mean absolute step
    between adjacent lines of the woven picture (its vertical total variation) per sample:
    (the frame's own two fields, the previous frame's bottom field with this frame's top field,
    the previous frame's top field with this frame's bottom field). ``cur``/``prev``: the
    same columns (all rows) of two consecutive frames, top field on the even rows. Two fields
    of one moment weave smoothly; fields of different moments leave a comb wherever the
    picture moved between them, which adds to the steps. OpenCV's L1 norm reads the row-strided
    uint8/uint16 views as they are (no copy)."""
    m = min(cur.shape[0], prev.shape[0]) // 2
    top, bottom = cur[0 : 2 * m : 2], cur[1 : 2 * m : 2]
    ptop, pbottom = prev[0 : 2 * m : 2], prev[1 : 2 * m : 2]
    if m < 2 or top.size == 0:
        return 0.0, 0.0, 0.0
    norm, l1 = cv2.norm, cv2.NORM_L1
    n = float((2 * m - 1) * top.shape[1])
    own = norm(cur[: 2 * m - 1], cur[1 : 2 * m], l1)  # its adjacent lines, in one call
    tff = norm(top, pbottom, l1) + norm(pbottom[:-1], top[1:], l1)
    bff = norm(ptop, bottom, l1) + norm(bottom[:-1], ptop[1:], l1)
    return own / n, tff / n, bff / n


class Judgement(NamedTuple):
    """What one frame says: its vote on the scan (``P`` progressive, ``T`` top field first,
    ``B`` bottom field first, empty: nothing) and its kind in a pulldown cadence (``P``
    progressive, ``X`` combed, ``R`` ordered fields, ``?`` nothing)."""

    vote: str
    kind: str


def judge(
    own: float,
    tff: float,
    bff: float,
    *,
    motion_ratio: float = 1.2,
    order_ratio: float = 1.1,
    progressive_ratio: float = 1.2,
    comb_ratio: float = 1.5,
    floor: float = 0.5,
) -> Judgement:
    """The vote and cadence kind of a frame from its :func:`field_distances` (``floor`` is
    added to each, half a code value, so that flat pictures compare as equal)."""
    own, tff, bff = own + floor, tff + floor, bff + floor
    low = min(tff, bff)
    if max(own, tff, bff) < motion_ratio * min(own, low):
        return Judgement("", "?")  # nothing moved between the fields: no evidence
    order = bff / tff  # > 1: the previous bottom field goes with this top field (tff)
    vote = "T" if order >= order_ratio else "B" if order * order_ratio <= 1.0 else ""
    if not vote and low >= progressive_ratio * own:
        return Judgement("P", "P")
    if own >= comb_ratio * low:
        return Judgement(vote, "X")
    return Judgement(vote, "R" if vote else "?")


VOTE_OF = {"tff": "T", "bff": "B", "progressive": "P"}  # the frame vote each verdict rests on


def window_verdict(t: int, b: int, p: int, frames: int) -> str | None:
    """The content's scan over a window of ``frames`` frames with ``t``/``b``/``p`` votes
    (top field first, bottom field first, progressive): tff, bff, progressive or None."""
    votes = t + b + p
    if votes == 0 or votes < VOTE_SHARE * frames:
        return None
    if t >= ORDER_SHARE * votes and t >= CONSISTENCY * b:
        return "tff"
    if b >= ORDER_SHARE * votes and b >= CONSISTENCY * t:
        return "bff"
    if p >= PROGRESSIVE_SHARE * votes:
        return "progressive"
    return None


def flagged_scan(frame: VideoFrame) -> str:
    """What the stream says the picture is: tff/bff (the coded field order), interlaced
    (field-coded, order unknown) or progressive."""
    if frame.field_order in ("tff", "bff"):
        return frame.field_order
    return "interlaced" if frame.interlaced else "progressive"


class Cadence:
    """Follows a 3:2 pulldown cadence through the kinds of the frames (``PPXXR`` repeating)
    and says where its phase jumps. The phase φ means frame n is of kind
    ``PULLDOWN[(n - φ) % 5]``."""

    def __init__(self) -> None:
        self.phase: int | None = None
        self.recent: deque[tuple[int, str]] = deque(maxlen=LOCK_FRAMES)
        self.kinds = dict.fromkeys("PXR", 0)  # of the recent frames
        self.last_confirm = -1
        self.pending: list[tuple[int, str]] = []

    @staticmethod
    def misfits(obs: list[tuple[int, str]] | deque[tuple[int, str]], phase: int) -> int:
        return sum(PULLDOWN[(n - phase) % 5] != k for n, k in obs)

    def _lock(self, obs: list[tuple[int, str]]) -> int | None:
        """The one phase that explains ``obs`` with at most one misfit, when it holds the
        whole pattern (two combed frames and two progressive ones at least)."""
        kinds = Counter(k for _, k in obs)
        if kinds["X"] < 2 or kinds["P"] < 2:
            return None
        fits = [ph for ph in range(5) if self.misfits(obs, ph) <= 1]
        return fits[0] if len(fits) == 1 else None

    def update(self, n: int, kind: str) -> tuple[int, int, int] | None:
        """Frame ``n`` of ``kind``; returns (first frame of the new phase, old phase, new
        phase) when the locked phase has just been replaced by another."""
        if kind == "?":
            return None
        if len(self.recent) == LOCK_FRAMES:
            self.kinds[self.recent[0][1]] -= 1
        self.recent.append((n, kind))
        self.kinds[kind] += 1
        if self.phase is None:
            # a cadence needs two combed and two clean frames in its last two cycles
            if self.kinds["X"] >= 2 and self.kinds["P"] >= 2 and len(self.recent) == LOCK_FRAMES:
                self.phase = self._lock(list(self.recent))
                self.last_confirm = n
            return None
        fits = PULLDOWN[(n - self.phase) % 5] == kind
        if not self.pending:
            if fits:
                self.last_confirm = n
                return None
            self.pending = [(n, kind)]
            return None
        self.pending.append((n, kind))
        tail = self.pending[-5:]
        if len(tail) == 5 and self.misfits(tail, self.phase) == 0:  # a false alarm
            self.pending, self.last_confirm = [], n
            return None
        after = self.pending[1:]  # the first frame after an edit pairs fields across it
        if len(after) >= 5:
            phases = [ph for ph in range(5) if self.misfits(after, ph) == 0]
            if len(phases) == 1 and phases[0] != self.phase:
                old, first = self.phase, self.last_confirm + 1
                self.phase, self.pending, self.last_confirm = phases[0], [], n
                return first, old, phases[0]
        if len(self.pending) >= MAX_PENDING:  # no cadence any more (video-originated content)
            self.phase, self.pending = None, []
            self.recent.clear()
            self.kinds = dict.fromkeys("PXR", 0)
        return None


class _Frame(NamedTuple):
    n: int
    t_s: float
    vote: str
    kind: str
    flag: str
    telecine: bool


class InterlaceDetector(VideoDetector[InterlaceParams]):
    name = "interlace"
    description = (
        "Interlaced content flagged progressive or the reverse, wrong field order, combing in a "
        "progressive stream, breaks of a 3:2 pulldown cadence; the measured scan type."
    )
    Params = InterlaceParams
    fast_ok = False
    fast_note = (
        "compares the two fields line by line: at reduced resolution the decoder blends them "
        "(measured: interlaced MPEG-2 flagged progressive went unseen)"
    )

    def __init__(self, params: InterlaceParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        frame_s = stream.frame_s or 0.04
        self._half = max(1, round(params.window_s / frame_s / 2))
        # frames from half a window before the next one to decide to the newest
        self._window: deque[_Frame] = deque()
        self._next = 0  # position in the window of the next frame to decide
        self._votes = dict.fromkeys(("", "T", "B", "P"), 0)
        self._last: dict[str, tuple[int, float]] = {}  # per stretch: its last agreeing frame
        self._prev: np.ndarray | None = None
        self._cadence = Cadence()
        self._times: dict[int, tuple[float, float]] = {}
        self._verdicts: Counter[str] = Counter()

        def tracker(gap: float, shortest: float) -> RunTracker:
            return RunTracker(min_duration_s=shortest, merge_gap_s=gap)

        mind, gap = params.min_duration_s, params.merge_gap_s
        self._trackers = {
            "as_progressive": tracker(gap, mind),
            "as_interlaced": tracker(gap, mind),
            "order": tracker(gap, mind),
            "combing": tracker(0.5, 0.0),
        }
        self.tracker = self._trackers["as_progressive"]

    def needs(self) -> Needs:
        return Needs(column_step=STEP)

    @property
    def open_start_s(self) -> float | None:
        starts = [t.open_start_s for t in self._trackers.values() if t.open_start_s is not None]
        return min(starts) if starts else None

    def update(self, frame: VideoFrame) -> None:
        cols = frame.columns
        if cols is None or frame.columns_step != STEP:
            cols = np.ascontiguousarray(frame.luma[:, ::STEP])
        prev, self._prev = self._prev, cols
        vote, kind = "", "?"
        # a change of size or of bit depth mid-stream: no comparison across it
        if prev is not None and prev.shape == cols.shape and prev.dtype == cols.dtype:
            own, tff, bff = field_distances(cols, prev)
            p = self.params
            vote, kind = judge(
                own,
                tff,
                bff,
                motion_ratio=p.motion_ratio,
                order_ratio=p.order_ratio,
                progressive_ratio=p.progressive_ratio,
                comb_ratio=p.comb_ratio,
                floor=0.5 * frame.code_max / 255,
            )
        self._times[frame.index] = (frame.t_s, frame.end_s)
        self._times.pop(frame.index - 64, None)
        jump = self._cadence.update(frame.index, kind)
        if jump is not None:
            self._emit_break(*jump)
        self._window.append(
            _Frame(
                frame.index,
                frame.t_s,
                vote,
                kind,
                flagged_scan(frame),
                self._cadence.phase is not None,
            )
        )
        self._votes[vote] += 1
        while len(self._window) - self._next > self._half:  # half a window after it is here
            self._decide_next()

    def _decide_next(self) -> None:
        """Decide the next frame on the votes of its window (half a window either side, less
        at the ends of the stream), then drop what the following frame's window leaves."""
        f = self._window[self._next]
        self._decide(f)
        self._next += 1
        while self._next > self._half:
            self._votes[self._window.popleft().vote] -= 1
            self._next -= 1

    def _decide(self, f: _Frame) -> None:
        v = self._votes
        verdict = window_verdict(v["T"], v["B"], v["P"], 2 * self._half + 1)
        if verdict is not None:
            self._verdicts[verdict] += 1
        flag = f.flag
        mismatch = None
        if verdict in ("tff", "bff"):
            if flag == "progressive":
                mismatch = "as_progressive"
            elif flag in ("tff", "bff") and flag != verdict:
                mismatch = "order"
        elif verdict == "progressive" and flag != "progressive":
            mismatch = "as_interlaced"
        combed = f.kind == "X" and flag == "progressive" and verdict not in ("tff", "bff")
        counts = None
        if mismatch or combed:  # what the run's finding will describe: content, flag, cadence
            counts = {f"{verdict or 'undetermined'} {flag} {int(f.telecine)}": 1}
        vote = VOTE_OF.get(verdict or "", "")
        for what, tracker in self._trackers.items():
            if what == "combing":  # (last: after the stretch of interlaced content is known)
                active = combed and not self._trackers["as_progressive"].active
                if active or tracker.active:
                    for run in tracker.update(
                        active, f.t_s, f.n, counts=counts if active else None
                    ):
                        self._emit(what, run)
                continue
            # a stretch runs from the first frame that voted for its verdict to the last;
            # frames that cannot tell (still pictures, an undecided window) do not end it, a
            # window that decides otherwise does
            agrees = mismatch == what and f.vote == vote
            if agrees or (what == "as_progressive" and combed and tracker.active):
                self._last[what] = (f.n, self._times[f.n][1])
                for run in tracker.update(True, f.t_s, f.n, counts=counts if agrees else None):
                    self._emit(what, run)
            elif tracker.active and verdict is not None and mismatch != what:
                self._end_run(what)

    def _end_run(self, what: str) -> None:
        """Close the open stretch of ``what`` at the end of the last frame that agreed."""
        n, end = self._last.pop(what)
        for run in self._trackers[what].update(False, end, n + 1):
            self._emit(what, run)

    def close(self, end_s: float) -> None:
        while self._next < len(self._window):  # the last frames, on what their window holds
            self._decide_next()
        for what, tracker in self._trackers.items():
            if tracker.active and what in self._last:
                self._end_run(what)
            for run in tracker.finish(end_s):
                self._emit(what, run)
        self._window.clear()

    def stream_facts(self) -> dict[str, Any]:
        decided = sum(self._verdicts.values())
        if decided < 2 * self._half + 1:  # less than one window of frames decided: nothing
            return {}
        verdict, _ = self._verdicts.most_common(1)[0]
        return {"scan": SCANS[verdict]}

    def _emit(self, what: str, run: Interval) -> None:
        c: Counter[str] = Counter()  # frames of each content, flag, and in a cadence
        for key, frames in run.counts.items():
            content, flagged, telecined = key.split()
            c[content] += frames
            c[f"flag:{flagged}"] += frames
            c["telecine"] += frames * int(telecined)
        flag = max((k for k in c if k.startswith("flag:")), key=c.__getitem__)[5:]
        span = f"for {run.duration_s:.2f} s (frames {run.first}–{run.last})"
        if what == "combing":
            self.emit_run(
                run,
                f"Combing in {run.units} frame(s) of a stream flagged progressive (frames "
                f"{run.first}–{run.last}): their two fields show different moments (fields "
                "mixed at an edit, or telecined or interlaced pictures).",
                value=run.units,
                unit="frames",
            )
            return
        if what == "as_interlaced":
            shown = ORDER_WORDS.get(flag, "interlaced")
            event = self.emit_run(
                run,
                f"Progressive content in a stream flagged interlaced ({shown}) {span}: both "
                "fields of each frame show the same moment; a deinterlacer softens it for "
                "nothing (flag it progressive, or handle it as progressive segmented frames).",
            )
            self.events[-1] = dataclasses.replace(
                event, severity=Severity(self.params.psf_severity)
            )
            return
        order = ORDER_WORDS["tff" if c["tff"] >= c["bff"] else "bff"]
        telecine = 2 * c["telecine"] >= run.units
        kind = "Telecined film (3:2 pulldown, " if telecine else "Interlaced content ("
        content = f"{kind}{order})"
        if what == "as_progressive":
            fix = "deinterlaced or inverse telecined" if telecine else "deinterlaced"
            self.emit_run(
                run,
                f"{content} in a stream flagged progressive {span}: moving pictures show "
                f"combing unless it is {fix}.",
            )
        else:
            self.emit_run(
                run,
                f"{content} in a stream flagged {ORDER_WORDS.get(flag, flag)} {span}: "
                "deinterlaced or shown as flagged, motion judders back and forth.",
            )

    def _emit_break(self, first: int, old: int, new: int) -> None:
        t0, t1 = self._times.get(first, (None, None))
        if t0 is None or t1 is None:
            return
        self.emit(
            t0,
            t1,
            f"3:2 pulldown cadence breaks at frame {first} ({t0:.3f} s): the combed frames "
            f"move from phase {old} to phase {new} of 5 (an edit in the telecined video); "
            "inverse telecine leaves a combed or a dropped picture there.",
            value=first,
            unit="frame",
            frame_start=first,
            frame_end=first + 1,
        )

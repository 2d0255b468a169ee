"""`dropout`: short digital-zero gaps inside otherwise continuous audio (the lost-packet click).

A gap is a run of samples where every channel is at digital zero (``|x| ≤ zero_dbfs``, −100 dBFS
by default, which lossy decoders reach on a zeroed stretch) lasting from ``min_gap_s`` (10 ms)
to ``max_gap_s`` (500 ms), with signal (a sample at or above ``context_dbfs``) within
``context_s`` on both sides: a hole in sound, not a pause. Longer quiet belongs to `silence`,
which starts at 2 s, so the two never report the same stretch; a room-tone pause between
sentences is not digital zero and is left alone.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, StreamInfo
from .base import AudioDetector, ParamsBase, param, severity_param
from .decibels import dbfs_to_amplitude
from .intervals import Interval, RunTracker, runs_of_true


@dataclass(frozen=True)
class DropoutParams(ParamsBase):
    zero_dbfs: float = param(
        -100.0,
        unit="dBFS",
        help="Samples at or below this are zero.",
        minimum=-200.0,
        maximum=0.0,
    )
    min_gap_s: float = param(0.010, unit="s", help="Shortest gap reported.")
    max_gap_s: float = param(0.500, unit="s", help="Longest gap reported (longer: silence).")
    context_dbfs: float = param(
        -50.0,
        unit="dBFS",
        help="Peak level of the signal required on both sides of a gap.",
        minimum=-200.0,
        maximum=0.0,
    )
    context_s: float = param(0.020, unit="s", help="How far each side is looked at.")
    severity: str = severity_param("warning")

    def validate(self) -> None:
        if not 0 < self.min_gap_s <= self.max_gap_s:
            raise ValueError("need 0 < min_gap_s <= max_gap_s")


class DropoutDetector(AudioDetector[DropoutParams]):
    """Keeps the envelope (the largest magnitude over channels) of the last
    ``max_gap_s + 2 × context_s`` of sound, which is all a decision needs, with the
    timestamp of each block in it, so a gap is placed by the timestamps of its own block."""

    name = "dropout"
    description = "Digital-zero gaps of 10–500 ms inside continuous audio."
    Params = DropoutParams

    def __init__(self, params: DropoutParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker(merge_gap_s=None)
        self.zero = dbfs_to_amplitude(params.zero_dbfs)
        self.present = dbfs_to_amplitude(params.context_dbfs)
        self._env = np.zeros(0, np.float32)  # recent per-sample envelope
        self._env_start = 0  # running sample number of _env[0]
        self._anchors: list[tuple[int, float]] = []  # (sample number, seconds) of each block start
        self._sr = 0
        self._done_until = 0  # gaps ending at or before this sample number were decided
        self._waiting = False  # a gap in _env waits for its right side

    def _time(self, sample: int) -> float:
        """Seconds of running sample number ``sample``, from the block it lies in."""
        k = bisect.bisect_right(self._anchors, (sample, float("inf"))) - 1
        first, t0 = self._anchors[max(k, 0)]
        return t0 + (sample - first) / self._sr

    def update(self, block: AudioBlock) -> None:
        if block.n == 0:
            return
        if not self._sr:
            self._sr = block.sample_rate
        sr, p = self._sr, self.params
        start = self._env_start
        self._anchors.append((start + self._env.size, block.t_s))
        new = block.magnitude.max(axis=0)
        env = np.concatenate([self._env, new])
        ctx = max(1, round(p.context_s * sr))
        lo, hi = round(p.min_gap_s * sr), round(p.max_gap_s * sr)
        keep = hi + 2 * ctx + 1
        if self._waiting or new.min() <= self.zero:  # else nothing to decide: the usual case
            self._decide(env, start, ctx, lo, hi)
        self._env = env[-keep:]
        self._env_start = start + env.size - self._env.size
        while len(self._anchors) > 1 and self._anchors[1][0] <= self._env_start:
            self._anchors.pop(0)  # blocks wholly out of the kept envelope

    def _decide(
        self, env: np.ndarray, start: int, ctx: int, lo: int, hi: int, final: bool = False
    ) -> None:
        """Decide the gaps of ``env`` whose right side is seen; ``final``: the stream has
        ended, so a gap followed by less than ``ctx`` of sound is decided on what there is."""
        starts, ends = runs_of_true(env <= self.zero)
        self._waiting = False
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            if e + ctx > env.size and not (final and e < env.size):
                self._waiting = True  # still open, or its right side not seen yet
                continue
            if start + e <= self._done_until:
                continue  # decided already
            self._done_until = start + e
            if s == 0 and start > 0:
                continue  # began before the kept history: longer than any dropout
            if not lo <= e - s <= hi:
                continue
            before, after = env[max(0, s - ctx) : s], env[e : e + ctx]
            if before.size and before.max() >= self.present and after.max() >= self.present:
                t_start, t_end = self._time(start + s), self._time(start + e - 1) + 1 / self._sr
                self.track(self.tracker.add(t_start, t_end, units=e - s))

    def close(self, end_s: float) -> None:
        if self._waiting and self._sr:
            p, sr = self.params, self._sr
            ctx = max(1, round(p.context_s * sr))
            lo, hi = round(p.min_gap_s * sr), round(p.max_gap_s * sr)
            self._decide(self._env, self._env_start, ctx, lo, hi, final=True)
        super().close(end_s)

    def on_run(self, run: Interval) -> None:
        ms = run.duration_s * 1000
        self.emit(
            run.start_s,
            run.end_s,
            f"Dropout on {self.stream.name}: {ms:.0f} ms of digital zero inside the sound.",
            value=run.duration_s,
            unit="s",
        )

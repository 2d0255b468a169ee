"""`dropout`: short digital-zero gaps inside otherwise continuous audio (the lost-packet click).

A gap is a run of samples where every channel is at digital zero (``|x| ≤ zero_dbfs``, −100 dBFS
by default, which lossy decoders reach on a zeroed stretch) lasting from ``min_gap_s`` (10 ms)
to ``max_gap_s`` (500 ms), with signal (a sample at or above ``context_dbfs``) within
``context_s`` on both sides: a hole in sound, not a pause. Longer quiet belongs to `silence`,
which starts at 2 s, so the two never report the same stretch; a room-tone pause between
sentences is not digital zero and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, Event, StreamInfo
from .base import Detector, ParamsBase, param, severity_param
from .clipping import runs_of_true
from .silence import dbfs_to_amplitude


@dataclass(frozen=True)
class DropoutParams(ParamsBase):
    zero_dbfs: float = param(-100.0, unit="dBFS", help="Samples at or below this are zero.")
    min_gap_s: float = param(0.010, unit="s", help="Shortest gap reported.")
    max_gap_s: float = param(0.500, unit="s", help="Longest gap reported (longer: silence).")
    context_dbfs: float = param(
        -50.0, unit="dBFS", help="Peak level of the signal required on both sides of a gap."
    )
    context_s: float = param(0.020, unit="s", help="How far each side is looked at.")
    severity: str = severity_param("warning")

    def __post_init__(self) -> None:
        if not 0 < self.min_gap_s <= self.max_gap_s:
            raise ValueError("need 0 < min_gap_s <= max_gap_s")


class DropoutDetector(Detector):
    name = "dropout"
    kind = "audio"
    description = "Digital-zero gaps of 10–500 ms inside continuous audio."
    Params = DropoutParams

    def __init__(self, params: DropoutParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.p = params
        self.events: list[Event] = []
        self.zero = dbfs_to_amplitude(params.zero_dbfs)
        self.present = dbfs_to_amplitude(params.context_dbfs)
        self._env = np.zeros(0, np.float32)  # recent per-sample envelope (max over channels)
        self._env_start = 0  # sample number of _env[0]
        self._t0: float | None = None
        self._sr = 0
        self._done_until = 0  # gaps ending before this sample were decided
        self._waiting = False  # a gap in _env waits for its right side

    def update(self, block: AudioBlock) -> None:
        if block.n == 0:
            return
        if self._t0 is None:
            self._t0, self._sr = block.t_s, block.sample_rate
        sr = self._sr
        new = block.magnitude.max(axis=0)
        env = np.concatenate([self._env, new])
        start = self._env_start
        ctx = max(1, round(self.p.context_s * sr))
        lo, hi = round(self.p.min_gap_s * sr), round(self.p.max_gap_s * sr)
        keep = hi + 2 * ctx + 1
        if not self._waiting and new.min() > self.zero:  # nothing to decide: the usual case
            self._env = env[-keep:]
            self._env_start = start + env.size - self._env.size
            return
        starts, ends = runs_of_true(env <= self.zero)
        self._waiting = False
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            if e + ctx > env.size:
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
                self._emit((start + s) / sr + self._t0, (start + e) / sr + self._t0)
        self._env = env[-keep:]
        self._env_start = start + env.size - self._env.size

    def finish(self, end_s: float) -> list[Event]:
        return self.events

    def _emit(self, start_s: float, end_s: float) -> None:
        ms = (end_s - start_s) * 1000
        self.events.append(
            Event(
                detector=self.name,
                severity=self.severity,
                start_s=start_s,
                end_s=end_s,
                value=end_s - start_s,
                unit="s",
                detail=f"Dropout: {ms:.0f} ms of digital zero inside the sound.",
                stream_index=self.stream_index,
            )
        )

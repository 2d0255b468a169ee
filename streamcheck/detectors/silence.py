"""`silence`: every channel below a level for a while (FFmpeg's silencedetect, exact start).

Decided per sample, like silencedetect: the mix is quiet while no sample of any channel reaches
``noise_dbfs``; a quiet stretch of at least ``min_duration_s`` is a finding. Start and end are
exact to the sample (silencedetect reports the start ``d`` seconds late and never closes a
silence that lasts to the end of the file). −60 dBFS for 2 s are silencedetect's defaults:
quiet speech (−45 dBFS) and the pauses between sentences stay well clear of both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, Event, StreamInfo
from .base import Detector, ParamsBase, param, severity_param


@dataclass(frozen=True)
class SilenceParams(ParamsBase):
    noise_dbfs: float = param(
        -60.0,
        unit="dBFS",
        help="Samples below this level (all channels) are silent.",
        mirrors="silencedetect n=-60dB",
    )
    min_duration_s: float = param(
        2.0, unit="s", help="Shortest silence reported.", mirrors="silencedetect d=2"
    )
    severity: str = severity_param("warning")

    def __post_init__(self) -> None:  # noise_dbfs is negative by nature
        if self.min_duration_s < 0:
            raise ValueError("min_duration_s must not be negative")
        if self.noise_dbfs > 0:
            raise ValueError("noise_dbfs must be at or below 0 dBFS")


def dbfs_to_amplitude(dbfs: float) -> float:
    """Linear amplitude (full scale = 1.0) of a level in dBFS."""
    return float(10.0 ** (dbfs / 20.0))


def loud_sample_indices(samples: np.ndarray, threshold: float) -> np.ndarray:
    """Indices of the samples (columns of a (channels, n) block) where any channel reaches
    ``threshold`` in absolute value."""
    return np.flatnonzero(np.abs(samples).max(axis=0) >= threshold)


class SilenceDetector(Detector):
    name = "silence"
    kind = "audio"
    description = "All channels below noise_dbfs for at least min_duration_s."
    Params = SilenceParams

    def __init__(self, params: SilenceParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.p = params
        self.threshold = dbfs_to_amplitude(params.noise_dbfs)
        self.events: list[Event] = []
        self._quiet_since: float | None = None  # start of the current quiet stretch, s

    def update(self, block: AudioBlock) -> None:
        if self._quiet_since is None:
            self._quiet_since = block.t_s
        loud = loud_sample_indices(block.samples, self.threshold)
        if loud.size == 0:
            return
        sr, t0 = block.sample_rate, block.t_s
        self._close(self._quiet_since, t0 + int(loud[0]) / sr)
        gaps = np.flatnonzero(np.diff(loud) > self.p.min_duration_s * sr)
        for k in gaps.tolist():
            self._close(t0 + (int(loud[k]) + 1) / sr, t0 + int(loud[k + 1]) / sr)
        self._quiet_since = t0 + (int(loud[-1]) + 1) / sr

    def finish(self, end_s: float) -> list[Event]:
        if self._quiet_since is not None:
            self._close(self._quiet_since, end_s)
        self._quiet_since = None
        return self.events

    def _close(self, start_s: float, end_s: float) -> None:
        duration = end_s - start_s
        if duration + 1e-9 < self.p.min_duration_s:
            return
        self.events.append(
            Event(
                detector=self.name,
                severity=self.severity,
                start_s=start_s,
                end_s=end_s,
                value=duration,
                unit="s",
                detail=f"Silence (all channels below {self.p.noise_dbfs:g} dBFS) "
                f"for {duration:.2f} s.",
                stream_index=self.stream_index,
            )
        )

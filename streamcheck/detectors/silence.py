"""`silence`: every channel below a level for a while (FFmpeg's silencedetect, exact start).

Decided per sample, like silencedetect: the mix is quiet while no sample of any channel reaches
``noise_dbfs``; a quiet stretch of at least ``min_duration_s`` is a finding. Start and end are
exact to the sample (silencedetect reports the start ``d`` seconds late and never closes a
silence that lasts to the end of the file). −60 dBFS for 2 s are silencedetect's defaults:
quiet speech (−45 dBFS) and the pauses between sentences stay well clear of both.

Per channel too: one channel quiet by the same rule while the mix is not (a muted or lost
channel) is a finding with ``channel`` set, for the part of it outside whole-mix silence. The
LFE channel of a surround mix is skipped (``ignore_lfe``): it is often silent by design.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import AudioBlock, Event, StreamInfo
from .base import Detector, ParamsBase, param, severity_param
from .intervals import subtract


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
    per_channel: bool = param(True, unit=None, help="Also report single muted channels.")
    ignore_lfe: bool = param(True, unit=None, help="Do not report a quiet LFE channel.")
    severity: str = severity_param("warning")

    def __post_init__(self) -> None:  # noise_dbfs is negative by nature
        if self.min_duration_s < 0:
            raise ValueError("min_duration_s must not be negative")
        if self.noise_dbfs > 0:
            raise ValueError("noise_dbfs must be at or below 0 dBFS")


def dbfs_to_amplitude(dbfs: float) -> float:
    """Linear amplitude (full scale = 1.0) of a level in dBFS."""
    return float(10.0 ** (dbfs / 20.0))


class _QuietRuns:
    """Quiet stretches of one signal (a boolean 'loud' per sample, in blocks), exact to the
    sample: the run tracker of this module."""

    def __init__(self, min_duration_s: float) -> None:
        self.min_duration_s = min_duration_s
        self.since: float | None = None  # start of the current quiet stretch, s
        self.runs: list[tuple[float, float]] = []

    def update(self, loud: np.ndarray, t0: float, sr: int) -> None:
        """``loud``: indices of the block's loud samples."""
        if self.since is None:
            self.since = t0
        if loud.size == 0:
            return
        self._close(self.since, t0 + int(loud[0]) / sr)
        gaps = np.flatnonzero(np.diff(loud) > self.min_duration_s * sr)
        for k in gaps.tolist():
            self._close(t0 + (int(loud[k]) + 1) / sr, t0 + int(loud[k + 1]) / sr)
        self.since = t0 + (int(loud[-1]) + 1) / sr

    def update_edges(self, first: int | None, last: int, t0: float, sr: int) -> None:
        """The same, from the block's first and last loud sample only (``first`` None: no
        loud sample): right when the block is shorter than ``min_duration_s``, so no quiet
        stretch inside it can count."""
        if self.since is None:
            self.since = t0
        if first is None:
            return
        self._close(self.since, t0 + first / sr)
        self.since = t0 + (last + 1) / sr

    def finish(self, end_s: float) -> list[tuple[float, float]]:
        if self.since is not None:
            self._close(self.since, end_s)
        self.since = None
        return self.runs

    def _close(self, start_s: float, end_s: float) -> None:
        if end_s - start_s + 1e-9 >= self.min_duration_s:
            self.runs.append((start_s, end_s))


class SilenceDetector(Detector):
    name = "silence"
    kind = "audio"
    description = "All channels (or one channel alone) below noise_dbfs for min_duration_s."
    Params = SilenceParams

    def __init__(self, params: SilenceParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.p = params
        self.threshold = dbfs_to_amplitude(params.noise_dbfs)
        self.mix = _QuietRuns(params.min_duration_s)
        self.channels: list[_QuietRuns] = []
        names = stream.channel_names
        self.skip = {names.index("LFE")} if params.ignore_lfe and "LFE" in names else set()

    def update(self, block: AudioBlock) -> None:
        loud = block.magnitude >= self.threshold
        sr, t0 = block.sample_rate, block.t_s
        per_channel = self.p.per_channel and loud.shape[0] >= 2
        if per_channel and not self.channels:
            self.channels = [_QuietRuns(self.p.min_duration_s) for _ in range(loud.shape[0])]
        if block.n >= self.p.min_duration_s * sr:  # a silence may sit inside the block
            self.mix.update(np.flatnonzero(loud.any(axis=0)), t0, sr)
            if per_channel:
                for ch, runs in enumerate(self.channels[: loud.shape[0]]):
                    runs.update(np.flatnonzero(loud[ch]), t0, sr)
            return
        # the usual case (400 ms blocks, 2 s minimum): only each channel's first and last
        # loud sample matter; argmax stops at the first True
        any_loud = loud.any(axis=1)
        n = block.n
        edges = [
            (int(row.argmax()), n - 1 - int(row[::-1].argmax())) if has else None
            for row, has in zip(loud, any_loud.tolist(), strict=True)
        ]
        present = [e for e in edges if e is not None]
        if present:
            first = min(e[0] for e in present)
            self.mix.update_edges(first, max(e[1] for e in present), t0, sr)
        else:
            self.mix.update_edges(None, 0, t0, sr)
        if per_channel:
            for runs, edge in zip(self.channels, edges, strict=False):
                runs.update_edges(*(edge or (None, 0)), t0, sr)

    def finish(self, end_s: float) -> list[Event]:
        mix = self.mix.finish(end_s)
        events = [self._event(s, e, None) for s, e in mix]
        for ch, runs in enumerate(self.channels):
            if ch in self.skip:
                continue
            for run in runs.finish(end_s):
                for s, e in subtract(run, mix):
                    if e - s + 1e-9 >= self.p.min_duration_s:
                        events.append(self._event(s, e, ch))
        return events

    def _event(self, start_s: float, end_s: float, channel: int | None) -> Event:
        duration = end_s - start_s
        where = "all channels" if channel is None else f"channel {channel} alone"
        return Event(
            detector=self.name,
            severity=self.severity,
            start_s=start_s,
            end_s=end_s,
            value=duration,
            unit="s",
            detail=f"Silence ({where} below {self.p.noise_dbfs:g} dBFS) for {duration:.2f} s.",
            stream_index=self.stream_index,
            channel=channel,
        )

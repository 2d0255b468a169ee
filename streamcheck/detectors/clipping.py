"""`clipping`: runs of samples stuck at full scale.

A sample is clipped at ``|x| ≥ level`` after decoding to float (1.0 = full scale; lossy codecs
overshoot past 1.0 when the source was clipped, so "at or above" counts). A run of at least
``min_run_samples`` consecutive clipped samples on one channel is a clip; a single sample that
touches full scale is a loud peak, not a clip (three in a row is the usual QC rule). Clips
closer than ``merge_gap_s`` are merged into one segment; value = clipped samples in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import AudioBlock, StreamInfo
from .base import AudioDetector, ParamsBase, on_channels, param, severity_param
from .intervals import Interval, RunTracker, SampleRun, SampleRuns


@dataclass(frozen=True)
class ClippingParams(ParamsBase):
    level: float = param(
        0.999,
        unit="ratio",
        help="Absolute sample value (1.0 = full scale) that counts as clipped.",
        maximum=2.0,
    )
    min_run_samples: int = param(
        3,
        unit="samples",
        help="Consecutive clipped samples on one channel that make a clip.",
        minimum=1,
    )
    merge_gap_s: float = param(
        0.5, unit="s", help="Clips closer than this are reported as one segment."
    )
    severity: str = severity_param("warning")


class ClippingDetector(AudioDetector[ClippingParams]):
    name = "clipping"
    description = "Runs of at least min_run_samples samples at full scale."
    Params = ClippingParams

    def __init__(self, params: ClippingParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.tracker = RunTracker(merge_gap_s=params.merge_gap_s)
        self._runs: list[SampleRuns] = []

    def update(self, block: AudioBlock) -> None:
        clipped = block.magnitude >= self.params.level
        while len(self._runs) < clipped.shape[0]:
            self._runs.append(SampleRuns(self.params.min_run_samples))
        found: list[tuple[SampleRun, int]] = []
        if clipped.any():
            for ch, runs in enumerate(self._runs[: clipped.shape[0]]):
                found += [(r, ch) for r in runs.update(clipped[ch], block.t_s, block.sample_rate)]
        else:  # nothing clipped: only runs open at the last block's end can close here
            for ch, runs in enumerate(self._runs):
                if runs.open_start_s is not None:
                    found += [
                        (r, ch) for r in runs.update(clipped[0], block.t_s, block.sample_rate)
                    ]
        self._add(found)

    def close(self, end_s: float) -> None:
        self._add([(r, ch) for ch, runs in enumerate(self._runs) for r in runs.finish()])
        super().close(end_s)

    def _add(self, clips: list[tuple[SampleRun, int]]) -> None:
        """Clips of at least min_run_samples, in time order, into the merging tracker."""
        for run, ch in sorted(clips, key=lambda c: (c[0].start_s, c[1])):
            if run.samples >= self.params.min_run_samples:
                self.track(self.tracker.add(run.start_s, run.end_s, units=run.samples, channel=ch))

    def on_run(self, run: Interval) -> None:
        where, channel = on_channels(run.channels, self.stream)
        self.emit(
            run.start_s,
            run.end_s,
            f"{run.units} clipped samples (runs of ≥ {self.params.min_run_samples} at full "
            f"scale) {where}.",
            value=float(run.units),
            unit="samples",
            channel=channel,
        )

"""`loudness` and `true_peak`: delivery loudness compliance (EBU R128, ATSC A/85, streaming).

The measurements are always made (integrated loudness, loudness range, true peak land in
files.parquet, momentary loudness in metrics.parquet); a *finding* needs a target, chosen with
the detector's ``profile``:

| profile | integrated target | tolerance | true-peak ceiling | source |
|---|---|---|---|---|
| ``ebu`` | −23 LUFS | ±1 LU | −1 dBTP | EBU R128 |
| ``atsc`` | −24 LKFS | ±2 LU | −2 dBTP | ATSC A/85 |
| ``streaming`` | −14 LUFS | ±1 LU | −1 dBTP | common streaming platforms |
| ``none`` (default) | – | – | – | measure only |

The default is ``none`` because delivery targets differ (a broadcast master at −23 LUFS is
"too quiet" for a streaming platform), so a generic scan should not fail either; pick the
profile of the delivery (``--set loudness.profile=ebu --set true_peak.profile=ebu``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..model import AudioBlock, FileFacts, Needs, StreamInfo
from .base import FileDetector, ParamsBase, ProgrammeDetector, on_channels, param, severity_param
from .decibels import amplitude_to_db, dbfs_to_amplitude
from .intervals import Interval, RunTracker

PROFILES: dict[str, tuple[float, float, float]] = {  # target LUFS, tolerance LU, ceiling dBTP
    "ebu": (-23.0, 1.0, -1.0),
    "atsc": (-24.0, 2.0, -2.0),
    "streaming": (-14.0, 1.0, -1.0),
}
PROFILE_NAMES = ("none", *PROFILES)


@dataclass(frozen=True)
class LoudnessParams(ParamsBase):
    profile: str = param(
        "none",
        unit=None,
        help="Delivery target: none (measure only), ebu, atsc or streaming.",
        mirrors="EBU R128 / ATSC A/85",
        choices=PROFILE_NAMES,
    )
    severity: str = severity_param("error")


class LoudnessDetector(FileDetector[LoudnessParams]):
    """Integrated loudness of each audio programme against the profile's target ± tolerance;
    value = integrated loudness (LUFS); spans the whole file, on the programme's first track."""

    name = "loudness"
    description = "Integrated loudness outside the profile's target ± tolerance (BS.1770-4)."
    Params = LoudnessParams

    def inspect(self, facts: FileFacts) -> None:
        if self.params.profile == "none":
            return
        target, tolerance, _ = PROFILES[self.params.profile]
        for p in facts.programmes:
            lo = p.loudness
            if lo is None or lo.integrated_lufs is None:
                continue
            off = lo.integrated_lufs - target
            if abs(off) <= tolerance:
                continue
            lra = f", LRA {lo.range_lu:.1f} LU" if lo.range_lu is not None else ""
            start = lo.start_s or 0.0
            after = f" (measured from {start:.1f} s, after the leader)" if start > 0.5 else ""
            self.emit_file(
                f"Integrated loudness of {p.label} {lo.integrated_lufs:.1f} LUFS is "
                f"{abs(off):.1f} LU {'above' if off > 0 else 'below'} the "
                f"{self.params.profile} target {target:g} ±{tolerance:g} LU{lra}{after}.",
                value=lo.integrated_lufs,
                unit="LUFS",
                stream_index=p.streams[0],
            )


@dataclass(frozen=True)
class TruePeakParams(ParamsBase):
    profile: str = param(
        "none",
        unit=None,
        help="Delivery target whose true-peak ceiling applies: none, ebu, atsc or streaming.",
        mirrors="EBU R128 −1 dBTP / ATSC A/85 −2 dBTP",
        choices=PROFILE_NAMES,
    )
    merge_gap_s: float = param(0.5, unit="s", help="Overs closer than this form one finding.")
    severity: str = severity_param("error")


class TruePeakDetector(ProgrammeDetector[TruePeakParams]):
    """Stretches where a channel's 4× oversampled true peak (BS.1770-4 Annex 2, measured by
    the measure step) passes the profile's ceiling; value = the highest true peak (dBTP)."""

    name = "true_peak"
    description = "True peak above the profile's ceiling (4× oversampled, BS.1770-4 Annex 2)."
    Params = TruePeakParams

    def __init__(self, params: TruePeakParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        on = params.profile != "none"
        self.ceiling_dbtp = PROFILES[params.profile][2] if on else math.inf
        self.ceiling = dbfs_to_amplitude(self.ceiling_dbtp) if on else math.inf
        self.tracker = RunTracker(merge_gap_s=params.merge_gap_s)

    def needs(self) -> Needs:
        if math.isinf(self.ceiling):
            return Needs()  # measured, not judged: no stretches to locate
        return Needs(true_peak_overs_above=self.ceiling)

    def update(self, block: AudioBlock) -> None:
        """Overs located to the measure step's stretches of about 10 ms (all channels merged)."""
        if math.isinf(self.ceiling):
            return
        for channel, start, end, peak in sorted(block.true_peak_overs, key=lambda o: o[1]):
            if peak > self.ceiling:
                self.track(self.tracker.add(start, end, peak, channel=channel))

    def on_run(self, run: Interval) -> None:
        where, channel = on_channels(run.channels, self.stream)
        self.emit(
            run.start_s,
            run.end_s,
            f"True peak {amplitude_to_db(run.peak):+.1f} dBTP above the {self.params.profile} "
            f"ceiling {self.ceiling_dbtp:g} dBTP {where}.",
            value=amplitude_to_db(run.peak),
            unit="dBTP",
            channel=channel,
        )

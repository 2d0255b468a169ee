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

from ..model import AudioBlock, Event, FileFacts, StreamInfo
from .base import Detector, ParamsBase, on_channels, param, severity_param
from .intervals import RunTracker

PROFILES: dict[str, tuple[float, float, float]] = {  # target LUFS, tolerance LU, ceiling dBTP
    "ebu": (-23.0, 1.0, -1.0),
    "atsc": (-24.0, 2.0, -2.0),
    "streaming": (-14.0, 1.0, -1.0),
}
PROFILE_NAMES = ("none", *PROFILES)


@dataclass(frozen=True)
class _ProfileParams(ParamsBase):
    """Params whose ``profile`` (declared by each subclass) must name a known profile."""

    def __post_init__(self) -> None:
        super().__post_init__()
        profile = getattr(self, "profile", "none")
        if profile not in PROFILE_NAMES:
            raise ValueError(f"profile must be one of {', '.join(PROFILE_NAMES)}, not {profile!r}")


def dbtp(linear: float) -> float:
    """dBTP (dB relative to full scale) of a linear true-peak value."""
    return 20.0 * math.log10(linear) if linear > 0 else -math.inf


@dataclass(frozen=True)
class LoudnessParams(_ProfileParams):
    profile: str = param(
        "none",
        unit=None,
        help="Delivery target: none (measure only), ebu, atsc or streaming.",
        mirrors="EBU R128 / ATSC A/85",
    )
    severity: str = severity_param("error")


class LoudnessDetector(Detector):
    """Integrated loudness of each audio stream against the profile's target ± tolerance;
    value = integrated loudness (LUFS); spans the whole file."""

    name = "loudness"
    kind = "file"
    description = "Integrated loudness outside the profile's target ± tolerance (BS.1770-4)."
    Params = LoudnessParams

    def __init__(self, params: LoudnessParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.events: list[Event] = []

    def update(self, facts: FileFacts) -> None:
        if self.params.profile == "none":
            return
        target, tolerance, _ = PROFILES[self.params.profile]
        for s in facts.streams:
            lo = s.loudness
            if s.info.kind != "audio" or lo is None or lo.integrated_lufs is None:
                continue
            off = lo.integrated_lufs - target
            if abs(off) <= tolerance:
                continue
            lra = f", LRA {lo.range_lu:.1f} LU" if lo.range_lu is not None else ""
            self.events.append(
                Event(
                    detector=self.name,
                    severity=self.severity,
                    start_s=0.0,
                    end_s=facts.duration_s,
                    value=lo.integrated_lufs,
                    unit="LUFS",
                    detail=f"Integrated loudness {lo.integrated_lufs:.1f} LUFS is "
                    f"{abs(off):.1f} LU {'above' if off > 0 else 'below'} the "
                    f"{self.params.profile} target {target:g} ±{tolerance:g} LU{lra}.",
                    stream_index=s.info.index,
                )
            )

    def finish(self, end_s: float) -> list[Event]:
        return self.events


@dataclass(frozen=True)
class TruePeakParams(_ProfileParams):
    profile: str = param(
        "none",
        unit=None,
        help="Delivery target whose true-peak ceiling applies: none, ebu, atsc or streaming.",
        mirrors="EBU R128 −1 dBTP / ATSC A/85 −2 dBTP",
    )
    merge_gap_s: float = param(0.5, unit="s", help="Overs closer than this form one finding.")
    severity: str = severity_param("error")


class TruePeakDetector(Detector):
    """Stretches where a channel's 4× oversampled true peak (BS.1770-4 Annex 2, measured by
    the measure step) passes the profile's ceiling; value = the highest true peak (dBTP)."""

    name = "true_peak"
    kind = "audio"
    description = "True peak above the profile's ceiling (4× oversampled, BS.1770-4 Annex 2)."
    Params = TruePeakParams

    def __init__(self, params: TruePeakParams, stream: StreamInfo) -> None:
        super().__init__(params, stream)
        self.events: list[Event] = []
        on = params.profile != "none"
        self.ceiling = 10 ** (PROFILES[params.profile][2] / 20) if on else math.inf
        self.tracker = RunTracker(merge_gap_s=params.merge_gap_s)
        self._channels: set[int] = set()

    def update(self, block: AudioBlock) -> None:
        """Overs located to the measure step's stretches of about 10 ms (all channels merged)."""
        if math.isinf(self.ceiling):
            return
        overs = sorted(o for o in block.true_peak_overs if o[3] > self.ceiling)
        if not overs:
            self._emit(self.tracker.update(False, block.t_s))
            return
        spans: list[list[float]] = []  # start s, end s, peak
        for channel, start, end, peak in overs:
            self._channels.add(channel)
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
                spans[-1][2] = max(spans[-1][2], peak)
            else:
                spans.append([start, end, peak])
        for start, end, peak in spans:
            self._emit(self.tracker.update(True, start, 0, peak))
            self._emit(self.tracker.update(False, end, 0, 0.0))

    def finish(self, end_s: float) -> list[Event]:
        self._emit(self.tracker.finish(end_s))
        return self.events

    def _emit(self, runs: list) -> None:
        for r in runs:
            where, channel = on_channels(self._channels)
            self._channels = set()
            ceiling = PROFILES[self.params.profile][2]
            self.events.append(
                Event(
                    detector=self.name,
                    severity=self.severity,
                    start_s=r.start_s,
                    end_s=r.end_s,
                    value=dbtp(r.peak),
                    unit="dBTP",
                    detail=f"True peak {dbtp(r.peak):+.1f} dBTP above the {self.params.profile} "
                    f"ceiling {ceiling:g} dBTP {where}.",
                    stream_index=self.stream_index,
                    channel=channel,
                )
            )

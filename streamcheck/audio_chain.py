"""The audio side of one file's analysis, block by block: each track's blocks to its stream
detectors (silence, clipping, dropout… per channel of each track), then to the programmes
that take it (:mod:`.programmes`); each programme's blocks to its true-peak measure, its
loudness meter (:mod:`.meter`), its programme detectors (true peak, phase…) and the metrics.

A programme whose layout changes mid-way (a TS going from 2.0 to 5.1 between programmes) has
its meter restarted for the new layout, so readings go on; its integrated loudness and range
are those of its longest stretch (BS.1770 gating does not add up across layouts), its maxima
over all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from .detectors import AnyStreamDetector
from .detectors.decibels import amplitude_to_db
from .measure import AudioMeasure
from .meter import LoudnessMeter, channel_weights
from .metrics import MetricsRecorder
from .model import (
    AudioBlock,
    Event,
    LoudnessSummary,
    Needs,
    ProgrammeFacts,
    default_names,
)
from .programmes import Programme, ProgrammeMixer


@dataclass
class ProgrammeChain:
    """One programme's consumers: mixer → true peak → loudness meter → detectors."""

    programme: Programme
    detectors: list[AnyStreamDetector]
    excluded: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.mixer = ProgrammeMixer(self.programme)
        needs = reduce(Needs.merge, (d.needs() for d in self.detectors), Needs())
        self.measure = AudioMeasure(needs.true_peak_overs_above)
        self._meter: LoudnessMeter | None = None
        # (seconds, meter) of each layout's stretch: summarised when asked, so that leaders
        # found after decoding (bars and tone) can still be left out (:meth:`exclude`)
        self._segments: list[tuple[float, LoudnessMeter]] = []
        self.start_s: float | None = None
        self.end_s: float | None = None
        self._rate = 0  # what the blocks turned out to have, for programmes that did not say
        self._names: tuple[str, ...] = ()

    def exclude(self, start_s: float, end_s: float) -> None:
        """Leave ``[start_s, end_s)`` out of the programme's integrated loudness and range (a
        leader recognised in the pictures or the sound), also after :meth:`finish`."""
        self.excluded.append((start_s, end_s))
        for _, meter in self._segments:
            meter.exclude(start_s, end_s)
        if self._meter is not None:
            self._meter.exclude(start_s, end_s)

    def add(self, block: AudioBlock, recorder: MetricsRecorder | None) -> None:
        for pb in self.mixer.add(block):
            self._consume(pb, recorder)

    def finish(self, recorder: MetricsRecorder | None) -> None:
        for pb in self.mixer.finish():
            self._consume(pb, recorder)
        self._close_meter()

    def _consume(self, block: AudioBlock, recorder: MetricsRecorder | None) -> None:
        if block.n == 0:
            return
        if self.start_s is None:
            self.start_s = block.t_s
        self.end_s = block.end_s
        self.measure.update(block)
        meter = self._meter
        if meter is None or len(meter.weights) != block.samples.shape[0]:
            self._close_meter()
            names = self.programme.channel_names
            if len(names) != block.samples.shape[0]:
                names = default_names(block.samples.shape[0]) or ("FC",) * block.samples.shape[0]
            self._rate, self._names = block.sample_rate, names
            meter = LoudnessMeter(block.sample_rate, channel_weights(names), block.t_s)
            for start, end in self.excluded:
                meter.exclude(start, end)
            self._meter = meter
        block.loudness = meter.push(block.samples)
        for det in self.detectors:
            det.update(block)
        if recorder is not None:
            recorder.add_audio(block)

    def _close_meter(self) -> None:
        if self._meter is None:
            return
        self._meter.flush()
        length = self._meter.time_s - self._meter.start_s
        self._segments.append((length, self._meter))
        self._meter = None

    def loudness(self) -> LoudnessSummary | None:
        """The programme's loudness: its longest stretch's integrated loudness and range, the
        maxima over all stretches."""
        if not self._segments:
            return None
        summaries = [(length, meter.summary()) for length, meter in self._segments]
        longest = max(summaries, key=lambda seg: seg[0])[1]
        maxima_m = [s.max_momentary_lufs for _, s in summaries if s.max_momentary_lufs]
        maxima_s = [s.max_short_term_lufs for _, s in summaries if s.max_short_term_lufs]
        return LoudnessSummary(
            integrated_lufs=longest.integrated_lufs,
            range_lu=longest.range_lu,
            max_momentary_lufs=max(maxima_m) if maxima_m else None,
            max_short_term_lufs=max(maxima_s) if maxima_s else None,
            start_s=longest.start_s,
        )

    def facts(self) -> ProgrammeFacts:
        p = self.programme
        return ProgrammeFacts(
            name=p.name,
            tracks=p.tracks,
            streams=p.streams,
            label=p.label,
            sample_rate=p.sample_rate or self._rate,
            channel_names=p.channel_names or self._names,
            loudness=self.loudness(),
            true_peak=self.measure.true_peak,
            start_s=self.start_s,
            end_s=self.end_s,
        )

    def events(self, end_s: float) -> list[Event]:
        """The programme detectors' findings, each on the track its channel belongs to."""
        out: list[Event] = []
        for det in self.detectors:
            for ev in det.finish(end_s):
                stream, channel = self.programme.locate(ev.channel)
                if self.programme.whole_stream:
                    stream, channel = self.programme.streams[0], ev.channel
                out.append(_on(ev, stream, channel))
        return out


def _on(ev: Event, stream: int, channel: int | None) -> Event:
    return dataclasses.replace(ev, stream_index=stream, channel=channel)


def true_peak_dbtp(facts: ProgrammeFacts) -> float | None:
    """The programme's highest true peak in dBTP (None when nothing was measured, or the
    programme is digital silence)."""
    tp = facts.true_peak
    return amplitude_to_db(float(tp.max())) if tp is not None and tp.size and tp.max() else None


def flatten(chains: Iterable[ProgrammeChain], end_s: float) -> list[Event]:
    """Every programme's findings."""
    return [ev for chain in chains for ev in chain.events(end_s)]

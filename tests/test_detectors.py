"""Detectors on synthetic numpy frames and blocks (no decoder, no media folder): fast, exact
checks of each rule and threshold, the tests `make mutate` runs against the detectors.

Video tests mostly run at 8 frames per second (FS = 0.125 s), so that frame times, durations
and thresholds in seconds are exact binary fractions and a boundary can be hit exactly."""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from dataclasses import dataclass
from typing import get_args

import numpy as np
import pytest

from streamcheck.detectors import (
    REGISTRY,
    is_file_level,
    names_of_kind,
    published_metrics,
)
from streamcheck.detectors.base import (
    AudioDetector,
    FileDetector,
    Kind,
    ParamsBase,
    VideoDetector,
    allowed,
    check_value,
    on_channels,
    param,
    severity_param,
)
from streamcheck.detectors.black import BlackDetector, BlackParams
from streamcheck.detectors.blockiness import (
    BlockinessDetector,
    BlockinessParams,
    blockiness_score,
    grid_contrast,
)
from streamcheck.detectors.clipping import ClippingDetector, ClippingParams
from streamcheck.detectors.dc_offset import DcOffsetDetector, DcOffsetParams
from streamcheck.detectors.decibels import amplitude_to_db, dbfs_to_amplitude
from streamcheck.detectors.decode_error import DecodeErrorDetector, DecodeErrorParams
from streamcheck.detectors.dropout import DropoutDetector, DropoutParams
from streamcheck.detectors.dual_mono import DualMonoDetector, DualMonoParams
from streamcheck.detectors.file_level import (
    AvOffsetDetector,
    AvOffsetParams,
    DurationMismatchDetector,
    DurationMismatchParams,
    MissingStreamDetector,
    MissingStreamParams,
)
from streamcheck.detectors.flash import FlashDetector, FlashParams, relative_luminance_lut
from streamcheck.detectors.freeze import FreezeDetector, FreezeParams
from streamcheck.detectors.intervals import Interval, RunTracker, SampleRuns, subtract
from streamcheck.detectors.letterbox import LetterboxDetector, LetterboxParams
from streamcheck.detectors.levels import LevelsDetector, LevelsParams
from streamcheck.detectors.loudness import (
    LoudnessDetector,
    LoudnessParams,
    TruePeakDetector,
    TruePeakParams,
)
from streamcheck.detectors.phase import PhaseDetector, PhaseParams
from streamcheck.detectors.planes import block_means, dark_code_threshold, find_bars, mean_abs_diff
from streamcheck.detectors.silence import SilenceDetector, SilenceParams
from streamcheck.detectors.timestamp_gap import TimestampGapDetector, TimestampGapParams
from streamcheck.events import finalize
from streamcheck.measure import AudioMeasure, VideoMeasure
from streamcheck.model import (
    AudioBlock,
    Event,
    FileFacts,
    LoudnessSummary,
    Needs,
    ProgrammeFacts,
    Severity,
    StreamFacts,
    StreamInfo,
    VideoFrame,
)

FS = 0.125  # seconds per frame of the video tests
VIDEO = StreamInfo(0, "video", "h264", frame_s=FS)


def vframe(
    i: int,
    luma: np.ndarray,
    *,
    t: float | None = None,
    fs: float = FS,
    step: int = 1,
    black: int = 16,
    white: int = 235,
    code_max: int = 255,
    **kw,
) -> VideoFrame:
    """Frame ``i`` (at ``i × fs`` unless ``t``) showing ``luma``; ``small`` its subsample."""
    return VideoFrame(
        index=i,
        t_s=i * fs if t is None else t,
        duration_s=fs,
        luma=luma,
        small=np.ascontiguousarray(luma[::step, ::step]),
        step=step,
        black_level=black,
        white_level=white,
        code_max=code_max,
        **kw,
    )


def run_video(det, frames, end: float | None = None, *, measure: bool = True):
    """Feed ``frames`` to ``det`` the way the pipeline does (the measure step first, when
    ``measure``), then finish at ``end`` (default: the end of the last frame)."""
    meter = VideoMeasure(Needs(blocks=True, bars=True), metrics=False)
    last = None
    for f in frames:
        if measure:
            meter.update(f)
        det.update(f)
        last = f
    return det.finish(last.end_s if end is None else end)


def texture(seed: int, shape=(64, 64), lo: int = 40, hi: int = 200) -> np.ndarray:
    return np.random.default_rng(seed).integers(lo, hi, shape).astype(np.uint8)


def feed_audio(det, x: np.ndarray, sr: int, size: int, t0: float = 0.0, end=None, stream=0):
    """Feed the samples ``x`` (channels, n) in blocks of ``size``; finish at their end."""
    for i in range(0, x.shape[1], size):
        det.update(AudioBlock(stream, t0 + i / sr, sr, x[:, i : i + size]))
    return det.finish(t0 + x.shape[1] / sr if end is None else end)


def says(detail: str, *parts: str) -> bool:
    """Whether a finding's detail says each of ``parts`` (the wording around them is free)."""
    return all(part in detail for part in parts)


def spans(events):
    return [(e.start_s, e.end_s) for e in events]


# ---- the registry ------------------------------------------------------------------------------


def test_registry_kinds_and_published_metrics():
    files = {"av_offset", "duration_mismatch", "missing_stream", "loudness"}
    assert names_of_kind("file") >= files
    assert names_of_kind("file") == {n for n, c in REGISTRY.items() if c.kind == "file"}
    assert names_of_kind("av") == {"timestamp_gap", "bars_tone"}
    video = names_of_kind("video", "av")
    assert video >= {"black", "freeze", "decode_error", "blockiness", "timestamp_gap", "flash"}
    assert "letterbox" in video and not video & {"silence", "loudness", "phase"}
    assert is_file_level("loudness") and is_file_level("missing_stream")
    assert not is_file_level("true_peak") and not is_file_level("black")
    assert not is_file_level("no_such_detector")
    names = [m.name for m in published_metrics()]
    assert names[:2] == ["black_ratio", "blockiness"] and "bars_ratio" in names
    assert names == [m.name for c in REGISTRY.values() for m in c.publishes]


def test_every_registered_detector_declares_itself():
    for name, cls in REGISTRY.items():
        assert cls.name == name and cls.description
        params = cls.Params()
        assert cls.kind in get_args(Kind)
        with pytest.raises(ValueError, match=r"^severity must be one of info, warning, error"):
            cls.Params(severity="fatal")
        assert params.severity in ("info", "warning", "error")


# ---- Params declarations and validation (base.py) ----------------------------------------------


def test_param_declares_default_and_metadata():
    f = param(2.5, unit="s", help="How long.", mirrors="x d=2")
    assert f.default == 2.5
    md = f.metadata
    assert (md["unit"], md["help"], md["mirrors"]) == ("s", "How long.", "x d=2")
    assert (md["minimum"], md["maximum"], md["choices"]) == (0.0, None, None)
    g = param("a", unit=None, help="Pick.", minimum=None, maximum=3.0, choices=["a", "b"])
    assert g.metadata["choices"] == ("a", "b") and g.metadata["mirrors"] is None
    assert g.metadata["minimum"] is None and g.metadata["maximum"] == 3.0
    s = severity_param("info")
    assert s.default == "info"
    assert s.metadata["choices"] == ("info", "warning", "error")
    assert s.metadata["unit"] is None
    assert s.metadata["help"].startswith("Severity of a finding")


@dataclass(frozen=True)
class _Demo(ParamsBase):
    ratio: float = param(0.5, unit="ratio", help="r", maximum=1.0)
    count: int = param(3, unit="n", help="c", minimum=1)
    low: float = param(-6.0, unit="dB", help="l", minimum=None, maximum=0.0)
    free: float = param(1.0, unit=None, help="f", minimum=None)
    ranged: float = param(5.0, unit=None, help="g", minimum=-2.5, maximum=10.0)
    flag: bool = param(True, unit=None, help="b")
    mode: str = param("fast", unit=None, help="m", choices=("fast", "slow"))
    label: str = param("x", unit=None, help="any text")
    severity: str = severity_param("warning")


def _field(name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(_Demo) if f.name == name)


def test_allowed_values_in_words():
    assert allowed(_field("ratio")) == "a finite number from 0 to 1"
    assert allowed(_field("count")) == "a whole number of at least 1"
    assert allowed(_field("low")) == "a finite number of at most 0"
    assert allowed(_field("free")) == "a finite number"
    assert allowed(_field("ranged")) == "a finite number from -2.5 to 10"
    assert allowed(_field("flag")) == "true or false"
    assert allowed(_field("mode")) == "one of fast, slow"
    assert allowed(_field("severity")) == "one of info, warning, error"


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("ratio", [0.0, 1.0, 0.25, 1], [-1e-9, 1.0000001, math.inf, math.nan, True, "0.5", None]),
        ("count", [1, 7], [0, 2.0, True, math.inf, "3"]),
        ("low", [-1e9, 0.0, -200], [1e-9, math.nan, -math.inf]),
        ("free", [-1e12, 1e12], [math.inf, -math.inf, False]),
        ("ranged", [-2.5, 10.0], [-2.5000001, 10.0000001]),
        ("flag", [True, False], [1, 0, "true", None]),
        ("mode", ["fast", "slow"], ["Fast", "", 1, None]),
        ("label", ["anything", ""], [1, None]),
        ("severity", ["info", "warning", "error"], ["fatal", "ERROR"]),
    ],
)
def test_check_value_accepts_what_the_declaration_allows(name, good, bad):
    f = _field(name)
    for v in good:
        check_value(f, v)
    for v in bad:
        with pytest.raises(ValueError) as err:
            check_value(f, v)
        assert str(err.value) == f"{name} must be {allowed(f)}, not {v!r}"


def test_params_are_checked_when_built():
    assert _Demo().count == 3
    assert _Demo(count=5, mode="slow").mode == "slow"
    with pytest.raises(ValueError, match=r"^count must be a whole number of at least 1, not 0$"):
        _Demo(count=0)
    with pytest.raises(ValueError, match=r"^severity must be one of info, warning, error"):
        _Demo(severity="fatal")
    with pytest.raises(ValueError, match=r"^flag must be true or false, not 1$"):
        _Demo(flag=1)
    # every declared field of the real detectors is checked, not only the first
    with pytest.raises(ValueError, match=r"^severity must be"):
        BlackParams(severity="loud")
    with pytest.raises(ValueError, match=r"^pixel_threshold must be"):
        BlackParams(pixel_threshold=1.5)


def test_params_validate_hook_runs_after_the_field_checks():
    with pytest.raises(ValueError, match=r"^need 0 < min_gap_s <= max_gap_s$"):
        DropoutParams(min_gap_s=0.6, max_gap_s=0.5)
    with pytest.raises(ValueError, match=r"^need 0 < min_gap_s <= max_gap_s$"):
        DropoutParams(min_gap_s=0.0)
    assert DropoutParams(min_gap_s=0.2, max_gap_s=0.2).max_gap_s == 0.2  # equal is fine
    with pytest.raises(ValueError, match=r"^min_gap_s must be"):  # field checks come first
        DropoutParams(min_gap_s=-1.0)


def test_params_subclass_may_not_override_post_init():
    with pytest.raises(TypeError) as err:

        @dataclass(frozen=True)
        class Sneaky(ParamsBase):
            x: float = param(1.0, unit=None, help="x")

            def __post_init__(self) -> None:
                pass

    assert str(err.value) == (
        "Sneaky must not override __post_init__; put its own checks in validate()"
    )

    @dataclass(frozen=True)
    class Fine(ParamsBase):
        x: float = param(1.0, unit=None, help="x")

        def validate(self) -> None:
            if self.x > 5:
                raise ValueError("x too big")

    assert Fine(x=2.0).x == 2.0
    with pytest.raises(ValueError, match="x too big"):
        Fine(x=6.0)
    with pytest.raises(ValueError, match=r"^x must be"):
        Fine(x=-1.0)
    # class keywords still reach the rest of the class machinery (which refuses unknown ones)
    with pytest.raises(TypeError, match="keyword"):
        type("WithKeyword", (ParamsBase,), {}, unknown=1)


def test_on_channels_words():
    assert on_channels({1}) == ("on channel 1", 1)
    assert on_channels({3, 0, 1}) == ("on channels 0, 1, 3", None)
    names = StreamInfo(2, "audio", channels=3, channel_names=("FL", "NONE"), label="track 2")
    assert on_channels({0}, names) == ("on track 2 channel FL", 0)
    assert on_channels({0, 1, 2}, names) == ("on track 2 channels FL, 1, 2", None)
    assert on_channels({1}, StreamInfo(1, "audio")) == ("on channel 1", 1)
    assert on_channels(set(), names) == ("on track 2", None)
    assert on_channels(set(), StreamInfo(1, "audio")) == ("", None)


class _Probe(VideoDetector[_Demo]):
    name = "probe"
    description = "test double"
    Params = _Demo

    def update(self, item) -> None:
        self.track(self.tracker.update(item, 0.0 if item else 1.0, 0 if item else 1))


class _AudioProbe(AudioDetector[_Demo]):
    name = "audio_probe"
    description = "test double"
    Params = _Demo

    def update(self, item) -> None:
        pass

    def on_run(self, run: Interval) -> None:
        self.emit_run(run, "audio run")


def test_stream_detector_basics():
    det = _Probe(_Demo(severity="info"), StreamInfo(4, "video"))
    assert det.severity is Severity.INFO and det.stream_index == 4
    assert det.needs() == Needs()
    assert det.open_start_s is None and det.events == []
    det.update(True)
    assert det.open_start_s == 0.0
    with pytest.raises(NotImplementedError, match=r"^_Probe uses a tracker but has no on_run$"):
        det.update(False)  # the run closes (a later one might still join it)
        det.finish(2.0)
    # emit fills in the detector's name, severity and stream; values become floats
    ev = det.emit(1, 2, "d", value=3, unit="u", channel=1, frame_start=2, frame_end=3)
    assert ev == det.events[0]
    assert (ev.detector, ev.severity, ev.stream_index, ev.channel) == ("probe", "info", 4, 1)
    assert type(ev.start_s) is float and type(ev.end_s) is float and type(ev.value) is float
    assert (ev.detail, ev.unit, ev.frame_start, ev.frame_end) == ("d", "u", 2, 3)
    other = det.emit(0.0, 1.0, "x", stream_index=9)
    assert other.stream_index == 9 and other.value is None and other.unit is None
    assert other.channel is None and other.frame_start is None


def test_emit_run_frames_only_for_video_units():
    video = _Probe(_Demo(), VIDEO)
    ev = video.emit_run(Interval(1.0, 2.5, 8, 19, units=12), "v")
    assert (ev.value, ev.unit, ev.frame_start, ev.frame_end) == (1.5, "s", 8, 20)
    ev = video.emit_run(Interval(1.0, 2.0, -1, -1), "v", value=7.0, unit="frames", channel=2)
    assert (ev.value, ev.unit, ev.frame_start, ev.frame_end, ev.channel) == (
        7.0,
        "frames",
        None,
        None,
        2,
    )
    audio = _AudioProbe(_Demo(), StreamInfo(1, "audio"))
    audio.tracker.update(True, 0.5, 3)
    (ev,) = audio.finish(2.0)
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (0.5, 2.0, None, None)
    assert ev.severity is Severity.WARNING and ev.detail == "audio run"


def test_file_detector_findings_span_the_file():
    det = MissingStreamDetector(MissingStreamParams(require_video=True))
    assert det.stream_index is None and det.events == []
    (ev,) = det.check(FileFacts(streams=[], duration_s=7.5))
    assert (ev.start_s, ev.end_s, ev.stream_index, ev.channel) == (0.0, 7.5, None, None)
    assert ev.severity is Severity.ERROR and ev.detector == "missing_stream"


class _FileProbe(FileDetector[_Demo]):
    name = "file_probe"
    description = "test double"
    Params = _Demo

    def inspect(self, facts: FileFacts) -> None:
        self.emit_file("about one channel", value=1.0, unit="u", stream_index=2, channel=1)


def test_file_detector_emit_file_carries_stream_and_channel():
    (ev,) = _FileProbe(_Demo()).check(FileFacts(streams=[], duration_s=3.0))
    assert (ev.start_s, ev.end_s, ev.stream_index, ev.channel) == (0.0, 3.0, 2, 1)
    assert (ev.value, ev.unit, ev.detail) == (1.0, "u", "about one channel")
    assert ev.detector == "file_probe" and ev.severity is Severity.WARNING


# ---- decibels ----------------------------------------------------------------------------------


def test_decibel_conversions():
    assert dbfs_to_amplitude(-20.0) == pytest.approx(0.1)
    assert dbfs_to_amplitude(6.0) == pytest.approx(1.9952623)
    assert type(dbfs_to_amplitude(-6)) is float
    assert amplitude_to_db(1.0) == 0.0
    assert amplitude_to_db(0.1) == pytest.approx(-20.0)
    assert amplitude_to_db(2.0) == pytest.approx(6.0206, abs=1e-4)
    assert amplitude_to_db(0.0) == -math.inf
    assert amplitude_to_db(-0.5) == -math.inf
    assert amplitude_to_db(dbfs_to_amplitude(-37.5)) == pytest.approx(-37.5)


# ---- run trackers (intervals.py) ---------------------------------------------------------------


def _track(tracker: RunTracker, flags: str, end: float | None = None, dt: float = FS):
    """Units ``flags`` ("1" active, "0" not) at ``i × dt``; all intervals, in order."""
    out = []
    for i, f in enumerate(flags):
        out += tracker.update(f == "1", i * dt, i, float(i))
    return out + tracker.finish(len(flags) * dt if end is None else end)


def test_run_tracker_min_duration_boundary():
    # 16 frames of 0.125 s = exactly 2 s: kept; 15 frames: dropped
    (run,) = _track(RunTracker(min_duration_s=2.0), "0000" + "1" * 16 + "00")
    assert (run.start_s, run.end_s, run.first, run.last, run.units) == (0.5, 2.5, 4, 19, 16)
    assert _track(RunTracker(min_duration_s=2.0), "0000" + "1" * 15 + "000") == []
    # still open at the end of the stream: closed there
    (run,) = _track(RunTracker(min_duration_s=1.0), "00" + "1" * 6, end=1.25)
    assert (run.start_s, run.end_s, run.last) == (0.25, 1.25, 7)


def test_run_tracker_merges_runs_within_the_gap():
    # gap of 4 frames = 0.5 s between the runs: merged at merge_gap_s=0.5 …
    (run,) = _track(RunTracker(merge_gap_s=0.5), "0111" + "0000" + "1" + "000")
    assert (run.start_s, run.end_s, run.first, run.last, run.units) == (0.125, 1.125, 1, 8, 4)
    assert (run.peak, run.low, run.total, run.mean) == (8.0, 1.0, 1 + 2 + 3 + 8, 14 / 4)
    # … not with a gap of 5 frames (0.625 s)
    runs = _track(RunTracker(merge_gap_s=0.5), "0111" + "00000" + "1" + "00")
    assert spans(runs) == [(0.125, 0.5), (1.125, 1.25)]
    # merge_gap_s=0: touching whole intervals merge, None: never
    t0 = RunTracker(merge_gap_s=0.0)
    out = t0.add(0.0, 1.0) + t0.add(1.0, 2.0) + t0.add(2.5, 3.0) + t0.finish(3.0)
    assert spans(out) == [(0.0, 2.0), (2.5, 3.0)]
    tn = RunTracker(merge_gap_s=None)
    out = tn.add(0.0, 1.0) + tn.add(1.0, 2.0) + tn.add(1.5, 3.0) + tn.finish(3.0)
    assert spans(out) == [(0.0, 1.0), (1.0, 2.0), (1.5, 3.0)]


def test_run_tracker_merges_a_long_run_begun_within_the_gap():
    (run,) = _track(RunTracker(merge_gap_s=0.5), "0111" + "0000" + "11111" + "0")
    assert (run.start_s, run.end_s) == (0.125, 1.625)


def test_run_tracker_minimum_applies_to_merged_runs():
    # runs of 0.5 s and 0.125 s, 0.25 s apart: merged they last 0.875 s
    (run,) = _track(RunTracker(min_duration_s=0.875, merge_gap_s=0.25), "1111" + "00" + "1" + "00")
    assert (run.start_s, run.end_s, run.units) == (0.0, 0.875, 5)
    assert _track(RunTracker(min_duration_s=0.875, merge_gap_s=0.125), "1111" + "00" + "1") == []


def test_run_tracker_reports_a_run_once_the_gap_has_passed():
    tracker = RunTracker(merge_gap_s=0.25)
    assert tracker.update(True, 0.0, 0) == [] and tracker.active
    assert tracker.open_start_s == 0.0
    assert tracker.update(False, 0.125, 1) == [] and not tracker.active
    assert tracker.open_start_s is None
    assert tracker.update(False, 0.25, 2) == []
    assert tracker.update(False, 0.375, 3) == []  # 0.25 s after the run ended: may still join
    (run,) = tracker.update(False, 0.5, 4)  # past the gap: final
    assert (run.start_s, run.end_s) == (0.0, 0.125)
    assert tracker.finish(1.0) == []


def test_run_tracker_collects_channels_and_counts():
    tracker = RunTracker(merge_gap_s=0.5)
    tracker.update(True, 0.0, 0, 2.0, channels={1}, counts={"a": 1})
    tracker.update(True, 0.125, 1, -1.0, channels={3}, counts={"a": 2, "b": 1})
    tracker.update(False, 0.25, 2)
    tracker.update(True, 0.5, 4, 5.0, channels=None, counts=None)
    (run,) = tracker.finish(0.75)
    assert run.channels == {1, 3} and dict(run.counts) == {"a": 3, "b": 1}
    assert (run.peak, run.low, run.total, run.units, run.first, run.last) == (5, -1, 6, 3, 0, 4)
    assert (run.start_s, run.end_s) == (0.0, 0.75)


def test_run_tracker_add_whole_intervals():
    tracker = RunTracker(merge_gap_s=0.5)
    assert tracker.add(1.0, 1.5, 4.0, units=3, first=10, last=12, channel=1, counts={"x": 1}) == []
    assert tracker.add(1.75, 2.0, 6.0, channel=0, counts={"x": 2}) == []  # first/last −1
    (merged,) = tracker.add(3.0, 3.25, 1.0, units=2, first=30, last=31)
    assert (merged.start_s, merged.end_s, merged.first, merged.last) == (1.0, 2.0, 10, 12)
    assert (merged.units, merged.peak, merged.low, merged.total) == (4, 6.0, 4.0, 18.0)
    assert merged.channels == {0, 1} and merged.counts["x"] == 3
    (last,) = tracker.finish(5.0)
    assert (last.start_s, last.end_s, last.units, last.total, last.channels) == (
        3.0,
        3.25,
        2,
        2.0,
        set(),
    )
    # a unit-wise run still open is closed before a whole interval is added
    mixed = RunTracker(merge_gap_s=None)
    mixed.update(True, 0.0, 0)
    mixed.update(True, 0.125, 1)
    (first,) = mixed.add(0.5, 1.0)
    assert (first.start_s, first.end_s, first.units) == (0.0, 0.125, 2)
    assert spans(mixed.finish(2.0)) == [(0.5, 1.0)]
    # a whole interval shorter than min_duration_s is dropped
    short = RunTracker(min_duration_s=1.0, merge_gap_s=None)
    out = short.add(0.0, 0.999) + short.add(2.0, 3.0) + short.finish(4.0)
    assert spans(out) == [(2.0, 3.0)]


def test_interval_absorb_and_mean():
    a = Interval(0.0, 1.0, -1, -1, units=0)
    assert a.mean == 0.0 and a.duration_s == 1.0
    a.absorb(Interval(0.5, 2.0, 5, 7, units=2, peak=3.0, low=-2.0, total=4.0, channels={2}))
    assert (a.start_s, a.end_s, a.first, a.last, a.units, a.mean) == (0.0, 2.0, 5, 7, 2, 2.0)
    a.absorb(Interval(1.0, 1.5, -1, -1, units=1, peak=1.0, low=1.0, total=1.0))
    assert (a.end_s, a.first, a.last, a.peak, a.low, a.total) == (2.0, 5, 7, 3.0, -2.0, 5.0)
    b = Interval(0.0, 1.0, 2, 3)
    b.absorb(Interval(1.0, 2.0, 8, 9))
    assert (b.first, b.last) == (2, 9)


def test_sample_runs_inside_and_across_blocks():
    sr = SampleRuns(min_samples=3)
    assert sr.open_start_s is None
    m = np.zeros(10, bool)
    m[1:4] = True  # 3 inside: reported
    m[5:7] = True  # 2 inside: under min_samples
    m[8:] = True  # reaches the block's end: stays open
    (r,) = sr.update(m, 0.0, 10.0)
    assert (r.start_s, r.end_s, r.samples) == (0.1, 0.4, 3)
    assert sr.open_start_s == 0.8
    assert sr.update(np.ones(10, bool), 1.0, 10.0) == []  # the whole block continues it
    assert sr.update(np.zeros(0, bool), 2.0, 10.0) == []  # an empty block changes nothing
    nxt = np.zeros(10, bool)
    nxt[:2] = True
    nxt[9] = True
    (r,) = sr.update(nxt, 2.0, 10.0)  # ends at the first False of the next block
    assert (r.start_s, r.end_s, r.samples) == (0.8, 2.2, 14)
    assert sr.open_start_s == 2.9
    (r,) = sr.finish()
    assert (r.start_s, r.end_s, r.samples) == (2.9, 3.0, 1)
    assert sr.finish() == [] and sr.open_start_s is None


def test_sample_runs_at_block_edges_are_reported_whatever_their_length():
    sr = SampleRuns(min_samples=5)
    m = np.zeros(10, bool)
    m[0] = True  # one sample at the block's start
    m[4:9] = True  # 5 inside: reported
    out = sr.update(m, 0.0, 10.0)
    assert [(r.start_s, r.end_s, r.samples) for r in out] == [(0.0, 0.1, 1), (0.4, 0.9, 5)]
    m = np.zeros(10, bool)
    m[0:4] = True
    m[9] = True
    (r,) = sr.update(m, 1.0, 10.0)  # starts exactly at the block's start
    assert (r.start_s, r.end_s, r.samples) == (1.0, 1.4, 4)
    (r,) = sr.update(np.zeros(10, bool), 2.0, 10.0)  # ended exactly at the block's end
    assert (r.start_s, r.end_s, r.samples) == (1.9, 2.0, 1)
    # a block that is True from its first sample to its last starts a run at t0
    assert sr.update(np.ones(4, bool), 3.0, 10.0) == []
    assert sr.open_start_s == 3.0
    (r,) = sr.finish(5.0)
    assert (r.start_s, r.end_s, r.samples) == (3.0, 5.0, 4)


def test_sample_runs_placed_by_the_timestamps_of_their_blocks():
    sr = SampleRuns()
    m = np.zeros(10, bool)
    m[7:] = True
    assert sr.update(m, 0.0, 10.0) == []
    m2 = np.zeros(10, bool)
    m2[:3] = True
    m2[5] = True  # a one-sample run inside, kept at min_samples=1
    out = sr.update(m2, 4.0, 10.0)  # the block after a timestamp jump: its own times
    assert [(r.start_s, r.end_s, r.samples) for r in out] == [(0.7, 4.3, 6), (4.5, 4.6, 1)]
    assert SampleRuns(min_samples=0).min_samples == 1


def test_subtract():
    assert subtract((0.0, 10.0), []) == [(0.0, 10.0)]
    assert subtract((0.0, 10.0), [(2.0, 3.0), (5.0, 6.0)]) == [(0.0, 2.0), (3.0, 5.0), (6.0, 10.0)]
    assert subtract((0.0, 10.0), [(0.0, 2.0), (8.0, 10.0)]) == [(2.0, 8.0)]
    assert subtract((0.0, 10.0), [(-1.0, 0.0), (10.0, 11.0)]) == [(0.0, 10.0)]  # touching only
    assert subtract((0.0, 10.0), [(-1.0, 11.0)]) == []
    assert subtract((2.0, 4.0), [(1.0, 3.0)]) == [(3.0, 4.0)]
    assert subtract((2.0, 4.0), [(3.0, 5.0)]) == [(2.0, 3.0)]


def test_run_tracker_units_without_values_or_indices():
    tracker = RunTracker()
    tracker.update(True, 0.0)
    tracker.update(True, 0.125)
    (run,) = tracker.finish(0.25)
    assert (run.first, run.last, run.units) == (-1, -1, 2)
    assert (run.peak, run.low, run.total) == (0.0, 0.0, 0.0)
    whole = RunTracker()
    whole.add(1.0, 2.0, units=3)
    (run,) = whole.finish(3.0)
    assert (run.units, run.peak, run.low, run.total, run.first, run.last) == (3, 0, 0, 0, -1, -1)


def test_run_tracker_min_duration_tolerates_rounding():
    tracker = RunTracker(min_duration_s=1.0)
    (run,) = tracker.add(0.0, 1.0 - 1e-9) + tracker.finish(2.0)  # short by a rounding error
    assert run.end_s == 1.0 - 1e-9
    short = RunTracker(min_duration_s=1.0)
    assert short.add(0.0, 1.0 - 2e-9) + short.finish(2.0) == []


def test_interval_absorb_takes_frame_numbers_from_zero():
    c = Interval(0.0, 0.5, -1, -1)
    c.absorb(Interval(0.5, 1.0, 0, 0))
    assert (c.first, c.last, c.end_s) == (0, 0, 1.0)


def test_sample_runs_edge_cases():
    sr = SampleRuns(min_samples=3)
    assert sr.update(np.zeros(10, bool), 0.0, 10.0) == [] and sr.open_start_s is None
    assert sr.update(np.zeros(10, bool), 1.0, 10.0) == [] and sr.open_start_s is None
    # an inner run exactly min_samples long, with one False on each side
    (r,) = sr.update(np.array([0, 1, 1, 1, 0], bool), 2.0, 10.0)
    assert (r.start_s, r.end_s, r.samples) == (pytest.approx(2.1), pytest.approx(2.4), 3)
    # a run of whole blocks, finished without an end: at its last block's end
    assert sr.update(np.ones(5, bool), 3.0, 10.0) == []
    assert sr.update(np.ones(5, bool), 3.5, 10.0) == []
    (r,) = sr.finish()
    assert (r.start_s, r.end_s, r.samples) == (3.0, 4.0, 10)


# ---- planes ------------------------------------------------------------------------------------


def test_dark_code_threshold_floors():
    assert dark_code_threshold(16, 235, 0.5) == 125  # 125.5
    assert dark_code_threshold(0, 255, 0.0) == 0
    assert dark_code_threshold(0, 1023, 1.0) == 1023
    assert dark_code_threshold(64, 940, 0.25) == 283


def test_mean_abs_diff_is_a_fraction_of_the_code_range():
    a = np.array([[10, 200], [0, 255]], np.uint8)
    b = np.array([[20, 100], [0, 250]], np.uint8)
    assert mean_abs_diff(a, b, 255) == pytest.approx((10 + 100 + 0 + 5) / 4 / 255)
    assert mean_abs_diff(b, a, 255) == mean_abs_diff(a, b, 255)
    c = np.array([[1000]], np.uint16)
    assert mean_abs_diff(c, np.zeros((1, 1), np.uint16), 1000) == 1.0


def test_block_means_tiles_and_small_planes():
    plane = np.arange(20 * 28, dtype=np.uint8).reshape(20, 28)
    means = block_means(plane)
    assert means.dtype == np.float32 and means.shape == (2, 3)  # rows 16–19, cols 24–27 dropped
    expected = plane[:16, :24].astype(np.float64).reshape(2, 8, 3, 8).mean(axis=(1, 3))
    np.testing.assert_allclose(means, expected, rtol=1e-6)
    four = block_means(plane, 4)
    assert four.shape == (5, 7) and four[4, 6] == pytest.approx(plane[16:, 24:].mean())
    for small in (plane[:5], plane[:, :7]):  # smaller than a tile in one direction
        whole = block_means(small)
        assert whole.shape == (1, 1) and whole.dtype == np.float32
        assert whole[0, 0] == pytest.approx(small.mean())


def _bars_picture() -> np.ndarray:
    return np.full((100, 50), 120, np.uint8)  # h 100, w 50: a bar row needs 49 dark samples


@pytest.mark.parametrize(
    ("edge", "bars"),
    [
        ("top", (3, 0, 0, 0)),
        ("bottom", (0, 3, 0, 0)),
        ("left", (0, 0, 3, 0)),
        ("right", (0, 0, 0, 3)),
    ],
)
def test_find_bars_each_edge(edge, bars):
    y = _bars_picture()
    region = {
        "top": np.s_[:3],
        "bottom": np.s_[-3:],
        "left": np.s_[:, :3],
        "right": np.s_[:, -3:],
    }[edge]
    y[region] = 37  # at the dark code: dark
    assert find_bars(y, 37) == bars
    y[region] = 38  # one above: not dark
    assert find_bars(y, 37) == (0, 0, 0, 0)


def test_find_bars_98_percent_rule():
    y = _bars_picture()
    y[:4] = 16
    y[0, :1] = 200  # edge row: 49 of 50 dark (98%) is still a bar row
    y[3, :2] = 200  # 48 of 50: not
    assert find_bars(y, 37) == (3, 0, 0, 0)
    y = _bars_picture()
    y[:, :2] = 16
    y[:2, 0] = 200  # 98 of 100 dark: a bar column
    y[:3, 1] = 200  # 97 of 100: not
    assert find_bars(y, 37) == (0, 0, 1, 0)
    y = _bars_picture()
    y[0, 1:] = 16  # the only dark edge holds exactly 98%: looked at, and a bar
    assert find_bars(y, 37) == (1, 0, 0, 0)


def test_find_bars_one_line_at_each_edge():
    for region, bars in (
        (np.s_[:1], (1, 0, 0, 0)),
        (np.s_[-1:], (0, 1, 0, 0)),
        (np.s_[:, :1], (0, 0, 1, 0)),
        (np.s_[:, -1:], (0, 0, 0, 1)),
    ):
        y = _bars_picture()
        y[region] = 16
        assert find_bars(y, 37) == bars


@pytest.mark.parametrize(
    ("edge", "bars"),
    [
        ("top", (1, 0, 0, 0)),
        ("bottom", (0, 1, 0, 0)),
        ("left", (0, 0, 1, 0)),
        ("right", (0, 0, 0, 1)),
    ],
)
def test_find_bars_edge_line_exactly_98_percent_dark(edge, bars):
    y = _bars_picture()  # 100 rows of 50: 49 of a row, 98 of a column
    region = {
        "top": np.s_[0, 1:],
        "bottom": np.s_[-1, 1:],
        "left": np.s_[2:, 0],
        "right": np.s_[2:, -1],
    }[edge]
    y[region] = 16
    assert find_bars(y, 37) == bars


def test_find_bars_on_a_tall_picture():
    for region, bars in ((np.s_[:, -3:], (0, 0, 0, 3)), (np.s_[:, :3], (0, 0, 3, 0))):
        y = np.full((100, 40), 120, np.uint8)
        y[region] = 16
        assert find_bars(y, 37) == bars


def test_find_bars_all_around_and_black_pictures():
    y = _bars_picture()
    y[:10], y[-12:], y[:, :4], y[:, -5:] = 16, 16, 16, 16
    assert find_bars(y, 37) == (10, 12, 4, 5)
    assert find_bars(np.full((100, 50), 16, np.uint8), 37) is None
    y = np.full((100, 50), 16, np.uint8)
    y[50:53] = 200  # three bright rows: not a black picture
    assert find_bars(y, 37) == (50, 47, 0, 0)


# ---- black -------------------------------------------------------------------------------------


def _dark_picture(dark: int, code: int, bright: int = 200, shape=(50, 64)) -> np.ndarray:
    """A picture with ``dark`` samples at ``code`` and the rest at ``bright``."""
    y = np.full(shape[0] * shape[1], bright, np.uint8 if bright < 256 else np.uint16)
    y[:dark] = code
    return y.reshape(shape)


def _black_run(pictures: list[np.ndarray], params=None, **frame_kw):
    det = BlackDetector(params or BlackParams(), VIDEO)
    frames = [vframe(i, y, **frame_kw) for i, y in enumerate(pictures)]
    return det, frames, run_video(det, frames)


def test_black_stretch_from_its_first_to_its_last_black_frame():
    grey, black = _dark_picture(0, 16), _dark_picture(3200, 16)
    _, frames, (ev,) = _black_run([grey] * 8 + [black] * 16 + [grey] * 8)
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (1.0, 3.0, 8, 24)
    assert (ev.detector, ev.severity, ev.stream_index) == ("black", Severity.ERROR, 0)
    assert (ev.value, ev.unit) == (2.0, "s")
    assert ev.detail == "Black picture for 2.00 s (16 frames)."
    assert frames[7].features["black_ratio"] == 0.0 and frames[8].features["black_ratio"] == 1.0
    # 15 black frames (1.875 s) are under min_duration_s
    assert _black_run([grey] * 8 + [black] * 15 + [grey] * 8)[2] == []
    # black to the end of the stream: closed at its end
    *_, (ev,) = _black_run([grey] * 2 + [black] * 18)
    assert (ev.start_s, ev.end_s, ev.frame_end) == (0.25, 2.5, 20)


@pytest.mark.parametrize(
    ("black", "white", "code_max", "dark_code"),
    [(16, 235, 255, 37), (0, 255, 255, 25), (64, 940, 1023, 151)],
)
def test_black_pixel_threshold_follows_the_nominal_range(black, white, code_max, dark_code):
    def pic(code):
        return np.full((50, 64), code, np.uint16 if code_max > 255 else np.uint8)

    kw = {"black": black, "white": white, "code_max": code_max}
    *_, events = _black_run([pic(dark_code)] * 16, BlackParams(min_duration_s=1.0), **kw)
    assert spans(events) == [(0.0, 2.0)]
    *_, events = _black_run([pic(dark_code + 1)] * 16, BlackParams(min_duration_s=1.0), **kw)
    assert events == []


def test_black_picture_ratio_boundary():
    at = _dark_picture(3136, 30)  # 98% of 3200 samples dark
    under = _dark_picture(3135, 30)
    p = BlackParams(min_duration_s=0.5)
    *_, events = _black_run([under] * 2 + [at] * 4 + [under] * 2, p)
    assert spans(events) == [(0.25, 0.75)]
    # the parameters are the detector's: a lower ratio and threshold count other frames
    half = _dark_picture(1600, 100)
    p = BlackParams(min_duration_s=0.5, picture_black_ratio=0.5, pixel_threshold=0.4)
    *_, events = _black_run([under] + [half] * 4, p)  # code 100 ≤ 16 + 0.4 × 219 = 103
    assert spans(events) == [(0.0, 0.625)]
    p = BlackParams(min_duration_s=0.5, picture_black_ratio=0.5, pixel_threshold=0.3)
    assert _black_run([half] * 8, p)[2] == []  # code 100 > 16 + 0.3 × 219 = 81


def test_black_ratio_is_measured_on_the_subsample():
    y = np.full((64, 64), 200, np.uint8)
    y[::2, ::2] = 16  # every sample of the step-2 subsample is black, a quarter of the picture
    _, frames, (ev,) = _black_run([y] * 16, step=2)
    assert (ev.start_s, ev.end_s) == (0.0, 2.0)
    assert frames[0].features["black_ratio"] == 1.0


# ---- freeze ------------------------------------------------------------------------------------


def _nudged(y: np.ndarray, total: int) -> np.ndarray:
    """``y`` with ``total`` code values added, one per sample in raster order (and round
    again): its block means rise by ``total`` / 64 code values together."""
    out = y.copy().reshape(-1)
    out += total // out.size
    out[: total % out.size] += 1
    return out.reshape(y.shape)


def _freeze_run(pictures, params=None, measure=True, **frame_kw):
    det = FreezeDetector(params or FreezeParams(), VIDEO)
    assert det.needs() == Needs(blocks=True, bars=True, chroma=True)
    frames = [vframe(i, y, **frame_kw) for i, y in enumerate(pictures)]
    return run_video(det, frames, measure=measure)


@pytest.mark.parametrize("measure", [True, False])
def test_freeze_runs_from_the_reference_frame(measure):
    moving = [texture(s) for s in range(4)]
    still = texture(99)
    (ev,) = _freeze_run([*moving, *[still] * 17, texture(7), texture(8)], measure=measure)
    # frame 4 is the reference, frames 5–20 equal it; frame 21 differs
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (0.5, 2.625, 4, 21)
    assert (ev.value, ev.unit, ev.detector, ev.severity) == (2.125, "s", "freeze", "error")
    assert ev.detail == "Picture frozen for 2.12 s (17 frames)."


def test_freeze_min_duration_boundary_and_end_of_stream():
    still = texture(1)
    (ev,) = _freeze_run([texture(0), *[still] * 16, texture(2)])  # 2.0 s
    assert (ev.start_s, ev.end_s) == (0.125, 2.125)
    assert _freeze_run([texture(0), *[still] * 15, texture(2)]) == []  # 1.875 s
    (ev,) = _freeze_run([texture(0), *[still] * 20])  # frozen to the end
    assert (ev.start_s, ev.end_s, ev.frame_end) == (0.125, 2.625, 21)
    p = FreezeParams(min_duration_s=0.5)
    (ev,) = _freeze_run([texture(0), *[still] * 4, texture(2)], p)
    assert (ev.start_s, ev.end_s) == (0.125, 0.625)


@pytest.mark.parametrize(("code_max", "at_noise"), [(255, 1044), (1023, 4190)])
def test_freeze_noise_threshold_on_block_means(code_max, at_noise):
    """noise = 0.001 of the code range, on the mean absolute difference of 8×8 block means:
    64×64 samples raised by one code value in ``total`` samples move the mean block by
    total / 4096 code values."""
    ref = texture(3).astype(np.uint16 if code_max > 255 else np.uint8)
    kw = {"code_max": code_max, "white": 940 if code_max > 255 else 235}
    within = _nudged(ref, at_noise)  # ≤ 0.001 × code_max × 4096 samples
    beyond = _nudged(ref, at_noise + 1)
    (ev,) = _freeze_run([ref, *[within] * 16], **kw)
    assert (ev.start_s, ev.end_s) == (0.0, 2.125)
    # alternating with the reference: frozen within noise, never frozen beyond it
    (ev,) = _freeze_run([ref, within] * 9, **kw)
    assert (ev.start_s, ev.end_s) == (0.0, 2.25)
    assert _freeze_run([ref, beyond] * 9, **kw) == []


def test_freeze_a_slow_drift_is_not_frozen():
    """Each frame is within noise of the one before, but they drift away from the first:
    compared with its reference, no stretch stays frozen."""
    base = texture(4)
    drift = [_nudged(base, 600 * k) for k in range(24)]  # 3 s, 600 code values a frame
    assert _freeze_run(drift) == []
    # while a picture held with the same small offset is
    assert len(_freeze_run([base, *[_nudged(base, 600)] * 23])) == 1


def test_freeze_at_exactly_the_noise_level():
    ref = texture(3)
    other = _nudged(ref, 1000)
    level = mean_abs_diff(block_means(other), block_means(ref), 255)
    (ev,) = _freeze_run([ref, other] * 9, FreezeParams(noise=level))
    assert (ev.start_s, ev.end_s) == (0.0, 2.25)
    assert _freeze_run([ref, other] * 9, FreezeParams(noise=float(np.nextafter(level, 0)))) == []


def test_freeze_size_change_starts_a_new_reference():
    a, b = texture(5), texture(5, shape=(72, 64))
    (ev,) = _freeze_run([a] * 17 + [b] * 3)
    assert (ev.start_s, ev.end_s, ev.frame_end) == (0.0, 2.125, 17)


def test_freeze_a_small_moving_region_is_not_frozen():
    """One 8×8 block of 64 (1.6% of the picture: a live window, a clock) changing by 10 code
    values moves the whole picture's mean by 0.16 codes, under noise (0.26): the block rule
    (3.5 codes) keeps it live; the same change spread thinly over the picture is a freeze."""
    still = texture(11)
    live = still.copy()
    live[24:32, 24:32] += 10
    assert _freeze_run([still, live] * 10) == []
    assert mean_abs_diff(block_means(live), block_means(still), 255) < FreezeParams().noise
    (ev,) = _freeze_run([still, live] * 10, FreezeParams(block_noise=10 / 255))
    assert (ev.start_s, ev.end_s) == (0.0, 2.5)
    thin = _nudged(still, 640)  # +1 code on 640 samples: ten blocks by one code value
    assert len(_freeze_run([still, thin] * 10)) == 1


@pytest.mark.parametrize("step", [1, 2])
def test_freeze_measured_inside_the_active_picture(step):
    """A pillarboxed picture (half of it black bars) whose active area changes by 0.4 code
    values: over the whole frame that is 0.2, under noise; inside the picture it is not. The
    bars come in the stream's pixels, the blocks are of the subsample (every ``step``-th)."""
    boxed_still = np.full((64 * step, 64 * step), 16, np.uint8)
    boxed_still[:, 16 * step : 48 * step] = texture(12, shape=(64 * step, 32 * step))
    changed = boxed_still.copy()
    active = boxed_still[::step, 16 * step : 48 * step : step]
    changed[::step, 16 * step : 48 * step : step] = _nudged(active, 820)  # 0.4 codes
    assert _freeze_run([boxed_still, changed] * 10, step=step) == []
    # bars unknown: the whole frame, where the change is under noise
    assert len(_freeze_run([boxed_still, changed] * 10, measure=False, step=step)) == 1


def test_freeze_colour_changes_are_not_frozen():
    """Luma constant while the colours change every frame (FFmpeg's FATE mptestsrc stretch):
    live; the same luma with constant colour is frozen."""
    y = texture(13)
    cb, cr = texture(14, shape=(32, 32)), texture(15, shape=(32, 32))
    shifted = (cb + 20, cr)
    frames = [(cb, cr), shifted] * 10
    det = FreezeDetector(FreezeParams(), VIDEO)
    changing = [vframe(i, y, chroma=c) for i, c in enumerate(frames)]
    assert run_video(det, changing) == []
    det = FreezeDetector(FreezeParams(), VIDEO)
    (ev,) = run_video(det, [vframe(i, y, chroma=(cb, cr)) for i in range(20)])
    assert (ev.start_s, ev.end_s) == (0.0, 2.5)


# ---- decode_error ------------------------------------------------------------------------------


def _decode_run(damage: dict[int, dict], keys=(0, 8, 16), n=20, end=None):
    det = DecodeErrorDetector(DecodeErrorParams(), VIDEO)
    y = np.full((16, 16), 100, np.uint8)
    frames = [vframe(i, y, key_frame=i in keys, **damage.get(i, {})) for i in range(n)]
    return run_video(det, frames, end, measure=False)


def test_decode_error_runs_to_the_next_clean_keyframe_with_counts():
    a, b = _decode_run(
        {
            3: {"decode_errors": 2},
            5: {"corrupt": True, "decode_errors": 1},
            9: {"dropped_before": 1, "evidence_t_s": 1.0625},
        }
    )
    assert (a.start_s, a.end_s, a.frame_start, a.frame_end) == (0.375, 1.0, 3, 8)
    assert (a.value, a.unit, a.severity) == (5.0, "frames", Severity.ERROR)
    assert a.detail == (
        "Decode damage (3 decoder error(s), 1 picture(s) flagged corrupt) over 5 frame(s) "
        "until the next clean keyframe."
    )
    # the dropped picture (at 1.0625) is where the damage began, before frame 9
    assert (b.start_s, b.end_s, b.frame_start, b.frame_end, b.value) == (1.0625, 2.0, 9, 16, 7.0)
    assert b.detail == (
        "Decode damage (1 picture(s) dropped by the decoder) over 7 frame(s) until the next "
        "clean keyframe."
    )


def test_decode_error_keyframes_evidence_and_end_of_stream():
    # a damaged keyframe does not end the run; the stream's end does
    (ev,) = _decode_run({6: {"dropped_before": 3}, 8: {"corrupt": True}}, end=2.5)
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end, ev.value) == (0.75, 2.0, 6, 16, 10)
    assert "3 picture(s) dropped by the decoder, 1 picture(s) flagged corrupt" in ev.detail
    # evidence after the picture's own time, or inside a run, does not move the start
    (ev,) = _decode_run({2: {"decode_errors": 1, "evidence_t_s": 0.5}}, keys=(0, 4))
    assert (ev.start_s, ev.end_s) == (0.25, 0.5)
    (ev,) = _decode_run({2: {"corrupt": True}, 3: {"corrupt": True, "evidence_t_s": 0.0}})
    assert (ev.start_s, ev.end_s, ev.value) == (0.25, 1.0, 6)
    assert ev.detail.startswith("Decode damage (2 picture(s) flagged corrupt) over 6 frame(s)")
    # open at the end: closed at the end of the stream
    (ev,) = _decode_run({17: {"decode_errors": 4}}, end=2.5)
    assert (ev.start_s, ev.end_s, ev.frame_end) == (2.125, 2.5, 20)
    assert _decode_run({}) == []


def test_decode_error_unreadable_data_before_a_picture():
    (ev,) = _decode_run(
        {4: {"lost_before_s": 0.25}, 5: {"lost_before_s": 5.75}, 6: {"decode_errors": 1}}
    )
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end, ev.value) == (0.5, 1.0, 4, 8, 4.0)
    assert ev.detail == (
        "Decode damage (6.00 s of unreadable data, 1 decoder error(s)) over 4 frame(s) until "
        "the next clean keyframe."
    )


# ---- timestamp_gap -----------------------------------------------------------------------------


def _ts_video(times, stream=VIDEO, params=None, **per_frame):
    det = TimestampGapDetector(params or TimestampGapParams(), stream)
    y = np.full((8, 8), 100, np.uint8)
    frames = [vframe(i, y, t=t, **per_frame.get(f"f{i}", {})) for i, t in enumerate(times)]
    assert det.open_start_s is None
    return run_video(det, frames, measure=False)


def test_timestamp_gap_video_gap():
    (ev,) = _ts_video([0.0, 0.125, 0.25, 0.75, 0.875])
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (0.375, 0.75, 3.0, "frames")
    assert (ev.frame_start, ev.frame_end, ev.severity) == (3, 3, Severity.WARNING)
    assert ev.detail == "Video timestamps jump after frame 2: 0.375 s (about 3 frame(s)) missing."
    assert ev.detector == "timestamp_gap" and ev.stream_index == 0


def test_timestamp_gap_step_limit_in_nominal_frames():
    # 1.5 frames is allowed, a little more is a gap of (at least) one frame
    assert _ts_video([0.0, 0.1875, 0.375]) == []
    (ev,) = _ts_video([0.0, 0.1875 + 1e-6])
    assert (ev.value, ev.start_s, ev.frame_start, ev.frame_end) == (1.0, 0.125, 1, 1)
    assert ev.detail == "Video timestamps jump after frame 0: 0.063 s (about 1 frame(s)) missing."
    (ev,) = _ts_video([0.0, 0.25])
    assert ev.value == 1.0
    # the limit is the parameter's, in frames
    assert _ts_video([0.0, 0.375], params=TimestampGapParams(max_step_frames=3.0)) == []
    (ev,) = _ts_video([0.0, 0.5], params=TimestampGapParams(max_step_frames=3.0))
    assert ev.value == 3.0
    # no nominal rate: each frame's duration is the nominal step
    (ev,) = _ts_video([0.0, 0.125, 0.625], stream=StreamInfo(0, "video"))
    assert (ev.value, ev.start_s, ev.end_s) == (3.0, 0.25, 0.625)


def test_timestamp_gap_repeats_and_jumps_back():
    rep, back = _ts_video([0.0, 0.125, 0.25, 0.25, 0.375, 0.125, 0.25])
    assert (rep.start_s, rep.end_s, rep.value, rep.unit) == (0.25, 0.25, 0.0, "s")
    assert (rep.frame_start, rep.frame_end) == (3, 4)
    assert rep.detail == "Video timestamp repeats at frame 3."
    assert (back.start_s, back.end_s, back.value, back.unit) == (0.125, 0.375, -0.25, "s")
    assert (back.frame_start, back.frame_end) == (5, 6)
    assert back.detail == "Video timestamp goes back 0.250 s at frame 5."


def test_timestamp_gap_leaves_decoder_drops_to_decode_error():
    times = [0.0, 0.125, 0.625]  # three frames missing
    assert _ts_video(times, f2={"dropped_before": 3}) == []
    assert _ts_video(times, f2={"dropped_before": 5}) == []
    (ev,) = _ts_video(times, f2={"dropped_before": 2})  # more missing than dropped: a gap
    assert ev.value == 3.0


def test_timestamp_gap_variable_frame_rate_limit():
    vfr = StreamInfo(0, "video", frame_s=FS, vfr=True)
    assert _ts_video([0.0, 0.5, 1.5, 1.625], stream=vfr) == []  # steps up to 1 s
    (ev,) = _ts_video([0.0, 0.5, 1.5 + 1e-6], stream=vfr)
    assert (ev.start_s, ev.end_s) == (0.625, 1.5 + 1e-6)
    assert ev.value == 7.0  # in nominal frames, when the stream has a nominal rate
    slow = TimestampGapParams(vfr_max_step_s=2.0)
    assert _ts_video([0.0, 2.0], stream=vfr, params=slow) == []
    (ev,) = _ts_video([0.0, 1.125], stream=StreamInfo(0, "video", vfr=True))
    assert ev.value == 8.0  # no nominal rate: counted in the frames' own durations


def test_timestamp_gap_without_any_nominal_step():
    """No declared rate and pictures without a duration: a step over the VFR limit is a gap
    of an unknown number of frames, reported as one."""
    det = TimestampGapDetector(TimestampGapParams(), StreamInfo(0, "video", vfr=True))
    y = np.full((8, 8), 100, np.uint8)
    frames = [vframe(i, y, t=t, fs=0.0) for i, t in enumerate([0.0, 0.5, 2.0])]
    (ev,) = run_video(det, frames, measure=False)
    assert (ev.start_s, ev.end_s, ev.value) == (0.5, 2.0, 1.0)


AUDIO_TS = StreamInfo(1, "audio", "aac", sample_rate=1000, channels=2)


def _ts_audio(starts, n=125, tol=0.0625):
    """Blocks of ``n`` samples at 1 kHz (0.125 s) starting at ``starts``."""
    det = TimestampGapDetector(TimestampGapParams(audio_tolerance_s=tol), AUDIO_TS)
    for t in starts:
        det.update(AudioBlock(1, t, 1000, np.zeros((2, n), np.float32)))
    return det.finish(starts[-1] + n / 1000)


def test_timestamp_gap_audio_jump_that_persists():
    (ev,) = _ts_audio([0.0, 0.125, 0.5, 0.625, 0.75])
    assert (ev.start_s, ev.end_s, ev.value, ev.unit, ev.stream_index) == (0.25, 0.5, 0.25, "s", 1)
    assert says(ev.detail, "Audio timestamps", "jump: 0.250 s missing.")
    assert (ev.frame_start, ev.frame_end, ev.channel) == (None, None, None)
    # a step in the very last block stands
    (ev,) = _ts_audio([0.0, 0.125, 0.5])
    assert (ev.start_s, ev.end_s, ev.value) == (0.25, 0.5, 0.25)


def test_timestamp_gap_audio_tolerance_and_wobble():
    assert _ts_audio([0.0, 0.125, 0.3125, 0.5]) == []  # 62.5 ms: at the tolerance
    assert _ts_audio([0.0, 0.125, 0.3125 + 1e-6, 0.4375 + 1e-6]) != []
    # a wobble the next block undoes (or undoes within the tolerance) is not a gap
    assert _ts_audio([0.0, 0.125, 0.375, 0.375, 0.5]) == []
    assert _ts_audio([0.0, 0.125, 0.5, 0.4375, 0.5625]) == []  # +0.25 then −0.1875


def test_timestamp_gap_audio_overlap_and_partial_undo():
    # +0.25 s, then −0.125 s: the first is not undone; the second persists to the end
    jump, overlap = _ts_audio([0.0, 0.125, 0.5, 0.5, 0.625])
    assert (jump.start_s, jump.end_s, jump.value) == (0.25, 0.5, 0.25)
    assert (overlap.start_s, overlap.end_s, overlap.value, overlap.unit) == (
        0.5,
        0.625,
        -0.125,
        "s",
    )
    assert says(overlap.detail, "Audio timestamps", "overlap the previous block by 0.125 s.")


# ---- blockiness --------------------------------------------------------------------------------

_BLOCKY_CACHE: dict[float, np.ndarray] = {}


def _natural(shape=(256, 256), seed=0) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    rng = np.random.default_rng(seed)
    nat = cv2.GaussianBlur((rng.random(shape) * 200 + 30).astype(np.float32), (0, 0), 2)
    small = cv2.resize(nat, (shape[1] // 8, shape[0] // 8), interpolation=cv2.INTER_AREA)
    tiles = cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return nat, tiles


def scored(target: float) -> np.ndarray:
    """A 256×256 picture whose block-edge score is within 0.5% of ``target`` (a natural
    picture blended with its own 8×8 pixelation)."""
    if target not in _BLOCKY_CACHE:
        nat, tiles = _natural()
        lo, hi = 0.0, 1.0
        for _ in range(40):
            a = (lo + hi) / 2
            y = ((1 - a) * nat + a * tiles).round().astype(np.uint8)
            s = blockiness_score(y)
            if abs(s - target) <= 0.005 * target:
                break
            lo, hi = (a, hi) if s < target else (lo, a)
        else:
            raise AssertionError(f"no picture scores {target}")
        _BLOCKY_CACHE[target] = y
    return _BLOCKY_CACHE[target]


def _blocky_run(targets, params=None, stream=VIDEO, bars=None, min_frames=1):
    """The findings and scores of ``targets`` (scores or pictures), one blocky frame enough
    for a finding unless ``min_frames`` says otherwise."""
    params = dataclasses.replace(params or BlockinessParams(), min_frames=min_frames)
    det = BlockinessDetector(params, stream)
    frames = [vframe(i, scored(s) if isinstance(s, float) else s) for i, s in enumerate(targets)]
    events = run_video(det, frames, measure=bars is None)
    return events, [f.features["blockiness"] for f in frames]


def test_blockiness_rise_over_the_files_own_baseline():
    """A file whose ordinary score is high (1.7) is not blocky; a sudden rise over it is."""
    events, scores = _blocky_run([1.7] * 24 + [2.9] + [1.7] * 8 + [2.6] + [1.7] * 4)
    (ev,) = events
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (3.0, 3.125, 24, 25)
    assert (ev.value, ev.unit, ev.severity) == (scores[24], "ratio", Severity.WARNING)
    assert (
        ev.detail
        == f"Blocky picture (score up to {scores[24]:.2f}, about 1 when clean) in 1 frame(s)."
    )
    assert scores[0] == pytest.approx(1.7, rel=0.01) and scores[24] > 1.6 * scores[0]
    assert scores[33] < 1.6 * scores[0]  # 2.6: under 1.6 × 1.7


def test_blockiness_first_frame_and_flagged_frames_stay_out_of_the_baseline():
    # the first frame has no baseline; a file that is blocky from its start stays silent
    events, _ = _blocky_run([5.0] * 10)
    assert events == []
    # flagged frames do not enter the baseline (of 4 frames here): a long burst stays blocky
    events, scores = _blocky_run(
        [1.0] * 8 + [5.0] * 8 + [1.0] * 8, BlockinessParams(baseline_s=0.5, merge_gap_s=0.0)
    )
    (ev,) = events
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (1.0, 2.0, 8, 16)
    assert ev.value == max(scores[8:16])
    assert ev.detail.endswith("in 8 frame(s).")


def test_blockiness_min_score_and_rise_ratio_boundaries():
    base, test = scored(1.0), scored(1.7)
    s_base, s_test = blockiness_score(base), blockiness_score(test)
    # exactly at min_score counts; one step above it does not
    at = BlockinessParams(min_score=s_test, min_contrast=1.0)
    assert len(_blocky_run([base, test], at)[0]) == 1
    above = BlockinessParams(min_score=float(np.nextafter(s_test, np.inf)), min_contrast=1.0)
    assert _blocky_run([base, test], above)[0] == []
    # rise_ratio: the score must reach baseline × ratio
    ratio = s_test / s_base
    ratio = next(
        r for r in (ratio, np.nextafter(ratio, 0), np.nextafter(ratio, 9)) if s_base * r == s_test
    )
    assert (
        len(
            _blocky_run([base, test], BlockinessParams(rise_ratio=float(ratio), min_contrast=1.0))[
                0
            ]
        )
        == 1
    )
    higher = BlockinessParams(rise_ratio=float(np.nextafter(ratio, np.inf)), min_contrast=1.0)
    assert _blocky_run([base, test], higher)[0] == []


@pytest.mark.parametrize(
    ("stream", "baseline_s"), [(VIDEO, 0.625), (StreamInfo(0, "video", frame_s=0.0), 0.2)]
)
def test_blockiness_baseline_length(stream, baseline_s):
    """The baseline is the median of the last baseline_s seconds of frames (5 frames here;
    0.04 s a frame when the stream declares no rate)."""
    p = BlockinessParams(baseline_s=baseline_s, min_contrast=1.0)  # the score alone
    # after three frames at 1.0 the baseline of five frames is 1.0: 1.7 is a rise
    events, _ = _blocky_run([2.0] * 8 + [1.0] * 3 + [1.7], p, stream)
    assert [e.frame_start for e in events] == [11]
    # after two it is still 2.0: 2.5 is not a rise (it would be over a 4-frame baseline)
    events, _ = _blocky_run([2.0] * 8 + [1.0] * 2 + [2.5], p, stream)
    assert events == []


def test_blockiness_graphics_on_the_grid_are_not_blocking():
    """Flat boxes and lines whose edges fall on the 8-pixel grid (a lower third, a test card)
    over a natural picture score high on the grid score, but a step that large between smooth
    sides is an edge of the content: the grid contrast keeps them out, while real pixelation
    is confirmed."""
    nat = scored(1.0)
    card = nat.copy()
    for k in range(0, 256, 32):  # boxes and bars on the grid, high contrast
        card[k : k + 16, 16:240] = 235 if (k // 32) % 2 else 16
    assert blockiness_score(card) >= 1.6 * blockiness_score(nat)
    assert grid_contrast(card) < BlockinessParams().min_contrast
    assert _blocky_run([nat] * 8 + [card] * 8)[0] == []
    assert grid_contrast(scored(4.0)) >= 3.0
    (ev,) = _blocky_run([nat] * 8 + [scored(4.0)] * 8)[0]
    assert ev.frame_start == 8
    # at exactly min_contrast a frame is confirmed
    at = BlockinessParams(min_contrast=grid_contrast(scored(4.0)))
    assert len(_blocky_run([nat] * 8 + [scored(4.0)] * 8, at)[0]) == 1
    above = BlockinessParams(min_contrast=float(np.nextafter(grid_contrast(scored(4.0)), 9)))
    assert _blocky_run([nat] * 8 + [scored(4.0)] * 8, above)[0] == []


def test_blockiness_needs_min_frames_blocky_frames_in_a_stretch():
    """A coarsely coded keyframe or transition (one to three blocky frames) is not reported;
    four blocky frames in one stretch are, gaps between them merged."""
    assert BlockinessParams().min_frames == 4
    base = [1.0] * 8
    assert _blocky_run(base + [3.0] * 3 + base, min_frames=4)[0] == []
    (ev,) = _blocky_run(base + [3.0] * 4 + base, min_frames=4)[0]
    assert (ev.frame_start, ev.frame_end) == (8, 12)
    # four blocky frames with unflagged ones between them, within the merge gap: one stretch
    (ev,) = _blocky_run([*base, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0, *base], min_frames=4)[0]
    assert (ev.frame_start, ev.frame_end) == (8, 15)
    assert ev.detail.endswith("in 4 frame(s).")


def test_blockiness_merges_blocky_frames_closer_than_the_gap():
    events, _ = _blocky_run([1.0] * 8 + [3.0, 1.0, 1.0, 1.0, 3.0] + [1.0] * 4)
    (ev,) = events  # 0.375 s apart: one finding
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (1.0, 1.625, 8, 13)
    assert ev.detail.endswith("in 2 frame(s).")
    events, _ = _blocky_run([1.0] * 8 + [3.0] + [1.0] * 5 + [3.0] + [1.0] * 4)
    assert spans(events) == [(1.0, 1.125), (1.75, 1.875)]  # 0.625 s apart: two


def test_blockiness_scores_the_picture_inside_black_bars():
    """Bars at 20 rows/columns (off the 8×8 grid): the score is that of the picture inside
    them, cut inward to the grid; the bars' own edges are not block edges."""
    content = scored(3.0)
    y = np.full((256, 256), 16, np.uint8)
    y[20:236, 20:236] = content[20:236, 20:236]
    frames = [vframe(0, y)]
    VideoMeasure(Needs(bars=True), metrics=False).update(frames[0])
    assert frames[0].bars == (20, 20, 20, 20)
    det = BlockinessDetector(BlockinessParams(), VIDEO)
    det.update(frames[0])
    assert frames[0].features["blockiness"] == blockiness_score(y[24:232, 24:232])
    assert blockiness_score(y[16:240, 16:240]) < 0.9 * frames[0].features["blockiness"]
    # a black picture (bars None) and a picture without bars are scored whole
    for bars in (None, (0, 0, 0, 0)):
        f = vframe(1, content, bars=bars)
        det.update(f)
        assert f.features["blockiness"] == blockiness_score(content)


def test_blockiness_bars_crop_needs_four_blocks_each_way():
    content = scored(3.0)
    for inner, cropped in ((32, True), (24, False)):
        y = np.full((256, 256), 16, np.uint8)
        top = (256 - inner) // 2
        y[top : top + inner] = content[top : top + inner]
        det = BlockinessDetector(BlockinessParams(line_step=8), VIDEO)
        f = vframe(0, y, bars=(top, 256 - top - inner, 0, 0))
        det.update(f)
        region = y[top : top + inner] if cropped else y
        assert f.features["blockiness"] == blockiness_score(region, 8)
        # the same across: a pillarbox
        x = np.full((256, 256), 16, np.uint8)
        x[:, top : top + inner] = content[:, top : top + inner]
        f = vframe(1, x, bars=(0, 0, top, 256 - top - inner))
        det.update(f)
        region = x[:, top : top + inner] if cropped else x
        assert f.features["blockiness"] == blockiness_score(region, 8)


def test_blockiness_needs_and_columns_of_another_step():
    det = BlockinessDetector(BlockinessParams(line_step=8), VIDEO)
    assert det.needs() == Needs(bars=True, column_step=8)
    y = scored(2.0)
    f = vframe(0, y, columns=np.zeros((256, 16), np.uint8), columns_step=16)
    det.update(f)  # columns read at 16, not the detector's 8: not used
    assert f.features["blockiness"] == blockiness_score(y, 8)
    f = vframe(1, y, columns=np.ascontiguousarray(y[:, ::8]), columns_step=8)
    det.update(f)
    assert f.features["blockiness"] == blockiness_score(y, 8)


def test_blockiness_uses_the_decode_loops_own_columns_inside_bars():
    """The decode loop's columns are every 16th of the picture (0, 16, 32 …); inside bars
    24 pixels wide the vertical steps are measured on those (32 … 224), not on every 16th
    column from the bars' edge."""
    content = scored(3.0)
    y = np.full((256, 256), 16, np.uint8)
    y[24:232, 24:232] = content[24:232, 24:232]
    det = BlockinessDetector(BlockinessParams(), VIDEO)
    f = vframe(
        0, y, bars=(24, 24, 24, 24), columns=np.ascontiguousarray(y[:, ::16]), columns_step=16
    )
    det.update(f)
    crop = y[24:232, 24:232]
    expected = blockiness_score(crop, 16, columns=np.ascontiguousarray(y[24:232, 32:232:16]))
    assert f.features["blockiness"] == expected
    assert expected != blockiness_score(crop, 16)


def test_blockiness_score_of_tiny_pictures_and_the_half_code_value():
    assert blockiness_score(np.full((6, 6), 50, np.uint8)) == 1.0
    assert blockiness_score((np.arange(36) % 7 * 30).reshape(6, 6).astype(np.uint8)) == 1.0
    # two rows of 9: one block edge (a step of 190), no step inside (7 across, 1 down)
    rows = np.array([[10] * 8 + [200]] * 2, np.uint8)
    assert blockiness_score(rows) == (190 + 0.5) / (0 + 0.5)
    # steps of 1 inside the blocks (14 of 15 inner steps), none across the edge: ½ an 8-bit
    # code value is added to both means
    pattern = np.array([[0, 1] * 4 + [1, 0] * 4] * 2, np.uint8)
    assert blockiness_score(pattern) == pytest.approx(0.5 / (14 / 15 + 0.5))
    eps = 0.5 * 1023 / 255
    ten = pattern.astype(np.uint16)
    assert blockiness_score(ten, code_max=1023) == pytest.approx(eps / (14 / 15 + eps))


def test_blockiness_score_of_a_picture_one_row_high():
    assert blockiness_score(np.zeros((1, 64), np.uint8)) == 1.0


def test_blockiness_baseline_of_one_frame_and_no_warnings():
    p = BlockinessParams(baseline_s=0.125, min_contrast=1.0)  # one frame, the score alone
    events, _ = _blocky_run([2.0] * 3 + [1.0, 1.7], p)
    assert [e.frame_start for e in events] == [4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the first frame has no baseline, and no warning
        assert _blocky_run([5.0, 5.0])[0] == []


def test_blockiness_at_ten_bits():
    """At 10 bits the half code value added to both means is half an 8-bit code (2.006)."""
    y = (scored(2.0).astype(np.uint16) * 4) | 1
    det = BlockinessDetector(BlockinessParams(), VIDEO)
    f = vframe(0, y, black=64, white=940, code_max=1023)
    det.update(f)
    assert f.features["blockiness"] == blockiness_score(y, code_max=1023)
    assert f.features["blockiness"] != blockiness_score(y)


# ---- flash -------------------------------------------------------------------------------------


def rel_lum(code: float) -> float:
    """Relative luminance of a code value at 8-bit limited range (the documented rule: linear
    light through the nominal range and a 2.2 gamma)."""
    return min(max((code - 16) / 219, 0.0), 1.0) ** 2.2


def _flash_run(pictures, times=None, params=None, measure=True, **kw):
    det = FlashDetector(params or FlashParams(), VIDEO)
    assert det.needs() == Needs(blocks=True)
    frames = [
        vframe(i, y, t=None if times is None else times[i], **kw) for i, y in enumerate(pictures)
    ]
    return run_video(det, frames, measure=measure)


def _toggling(toggles, n, lo=16, hi=235, shape=(64, 64)):
    """``n`` frames that start at code ``lo`` and switch between ``lo`` and ``hi`` at each
    frame in ``toggles``."""
    a, b = np.full(shape, lo, np.uint8), np.full(shape, hi, np.uint8)
    out, state = [], False
    for k in range(n):
        if k in toggles:
            state = not state
        out.append(b if state else a)
    return out


def test_flash_more_than_six_transitions_in_one_second():
    (ev,) = _flash_run(_toggling(range(8, 15), 24))  # 7 transitions at 1.0 … 1.75 s
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (1.0, 1.875, 7.0, "transitions/s")
    assert (ev.severity, ev.frame_start, ev.channel) == (Severity.ERROR, None, None)
    assert ev.detail == (
        "Flashing: up to 7 luminance transitions (3.5 flashes) in one second, over the "
        "3-flash limit."
    )
    assert _flash_run(_toggling(range(8, 14), 24)) == []  # 6 transitions
    assert _flash_run(_toggling(range(8, 15), 24), params=FlashParams(max_transitions=7)) == []


def test_flash_window_is_one_second_exactly():
    # the 7th transition exactly 1 s after the first: the first has left the window
    assert _flash_run(_toggling([*range(8, 14), 16], 24)) == []
    (ev,) = _flash_run(_toggling([*range(8, 14), 15], 24))
    assert (ev.start_s, ev.end_s) == (1.0, 2.0)


def test_flash_failing_windows_merge_into_one_finding():
    (ev,) = _flash_run(_toggling(range(8, 24), 32), measure=False)  # 2 s at 8 transitions/s
    assert (ev.start_s, ev.end_s, ev.value) == (1.0, 3.0, 8.0)
    assert "up to 8 luminance transitions (4 flashes)" in ev.detail


def test_flash_consecutive_changes_the_same_way_count_once():
    codes = [16, 126, 235, 126, 16] * 6  # up, up, down, down …: 8 changes, 4 transitions a second
    assert rel_lum(126) - rel_lum(16) >= 0.1 and rel_lum(235) - rel_lum(126) >= 0.1
    assert _flash_run([np.full((64, 64), c, np.uint8) for c in codes]) == []


def test_flash_min_delta_in_relative_luminance():
    just = next(c for c in range(16, 236) if rel_lum(c) >= 0.1)
    assert rel_lum(just) - 0.1 > 1e-4 and 0.1 - rel_lum(just - 1) > 1e-3
    assert len(_flash_run(_toggling(range(8, 15), 24, hi=just))) == 1
    assert _flash_run(_toggling(range(8, 15), 24, hi=just - 1)) == []
    # the delta is the parameter's
    p = FlashParams(min_delta=rel_lum(just - 1) - 1e-4)
    assert len(_flash_run(_toggling(range(8, 15), 24, hi=just - 1), params=p)) == 1


def test_flash_darker_state_must_be_below_the_dark_limit():
    """Bright to brighter is not a flash: the darker state must be under 0.8 of white."""
    dark = next(c for c in range(235, 16, -1) if rel_lum(c) < 0.8)
    assert 0.8 - rel_lum(dark) > 1e-3 and rel_lum(dark + 1) - 0.8 > 1e-4
    assert rel_lum(235) - rel_lum(dark + 1) >= 0.1
    assert len(_flash_run(_toggling(range(8, 15), 24, lo=dark))) == 1
    assert _flash_run(_toggling(range(8, 15), 24, lo=dark + 1)) == []
    p = FlashParams(dark_limit=0.9)
    assert len(_flash_run(_toggling(range(8, 15), 24, lo=dark + 1), params=p)) == 1


def test_flash_min_area_a_quarter_of_the_picture():
    def pics(blocks: int):
        dark = np.full((64, 64), 16, np.uint8)
        lit = dark.copy()
        for b in range(blocks):  # whole 8×8 blocks of the 8×8-block thumbnail
            r, c = divmod(b, 8)
            lit[r * 8 : r * 8 + 8, c * 8 : c * 8 + 8] = 235
        return [lit if k in (8, 10, 12, 14) else dark for k in range(24)]

    assert len(_flash_run(pics(16))) == 1  # 16 of 64 blocks: 25%
    assert _flash_run(pics(15)) == []
    assert len(_flash_run(pics(15), params=FlashParams(min_area=15 / 64))) == 1


def test_flash_ranges_and_depths():
    # full range: code 0 is black and 255 white; 10-bit limited: 64 … 940
    (ev,) = _flash_run(_toggling(range(8, 15), 24, lo=0, hi=255), black=0, white=255)
    assert ev.value == 7.0
    ten = [y.astype(np.uint16) * 4 for y in _toggling(range(8, 15), 24, lo=16, hi=235)]
    (ev,) = _flash_run(ten, black=64, white=940, code_max=1023)
    assert ev.value == 7.0
    # full range read as limited: codes 0 and 20 are both black, no transition
    assert _flash_run(_toggling(range(8, 15), 24, lo=0, hi=20)) == []


def test_flash_bursts_half_a_second_apart_are_separate_findings():
    a, b = _flash_run(_toggling([*range(8, 15), *range(20, 27)], 32))
    assert (a.start_s, a.end_s, a.value) == (1.0, 1.875, 7.0)
    assert (b.start_s, b.end_s, b.value) == (2.5, 3.375, 7.0)


def _blocks_set(base: int, to: int, count: int) -> np.ndarray:
    """A picture at code ``base`` whose first ``count`` 8×8 blocks are at code ``to``."""
    y = np.full((64, 64), base, np.uint8)
    for b in range(count):
        r, c = divmod(b, 8)
        y[r * 8 : r * 8 + 8, c * 8 : c * 8 + 8] = to
    return y


@pytest.mark.parametrize("way", ["darkening", "brightening"])
def test_flash_steps_over_less_than_a_quarter_each_are_not_transitions(way):
    """Going one way in steps of 15 of the 64 blocks (23%) and back at once, 8 times a
    second: only the large changes are transitions, and they all go the same way."""
    lo, hi = (235, 16) if way == "darkening" else (16, 235)
    cycle = [_blocks_set(lo, hi, k) for k in (0, 15, 30, 45, 60, 64)]
    pictures = cycle * 8
    times = [k / 48 for k in range(len(pictures))]
    assert _flash_run(pictures, times) == []


def test_flash_a_still_picture_between_steps_is_no_transition():
    """A quarter of the picture lights up, holds, the next quarter lights up …: one transition."""
    steps = [_blocks_set(16, 235, 16 * k) for k in range(5)]
    pictures = [steps[0], steps[1], steps[1], steps[2], steps[2], steps[3], steps[3], steps[4]]
    assert _flash_run(pictures) == []


def test_flash_change_of_exactly_min_delta_and_dark_limit():
    lut = relative_luminance_lut(16, 235, 255)
    delta = float(lut[93] - lut[16])
    toggles = _toggling(range(8, 15), 24, lo=16, hi=93)
    assert len(_flash_run(toggles, params=FlashParams(min_delta=delta))) == 1
    above = float(np.nextafter(np.float32(delta), np.float32(1)))
    assert _flash_run(toggles, params=FlashParams(min_delta=above)) == []
    # the darker state exactly at dark_limit is not below it
    limit = float(lut[213])
    toggles = _toggling(range(8, 15), 24, lo=213, hi=235)
    assert _flash_run(toggles, params=FlashParams(dark_limit=limit)) == []
    above = float(np.nextafter(np.float32(limit), np.float32(1)))
    assert len(_flash_run(toggles, params=FlashParams(dark_limit=above))) == 1


def test_relative_luminance_table():
    lut = relative_luminance_lut(64, 940, 1023)
    assert lut.dtype == np.float32 and lut.shape == (1024,)
    assert lut[64] == 0.0 and lut[940] == 1.0 and lut[0] == 0.0 and lut[1023] == 1.0
    assert lut[502] == pytest.approx(0.5**2.2, rel=1e-6)


def test_flash_no_transition_across_a_change_of_depth_or_size():
    det = FlashDetector(FlashParams(), VIDEO)
    eight = _toggling(range(1, 7), 8)  # 6 transitions
    frames = [vframe(i, y) for i, y in enumerate(eight)]  # ends dark
    white10 = np.full((64, 64), 940, np.uint16)
    frames += [vframe(8 + i, white10, black=64, white=940, code_max=1023) for i in range(4)]
    assert run_video(det, frames) == []
    det = FlashDetector(FlashParams(), VIDEO)
    frames = [vframe(i, y) for i, y in enumerate(eight)]
    frames += [vframe(8 + i, np.full((72, 64), 235, np.uint8)) for i in range(4)]
    assert run_video(det, frames) == []


# ---- letterbox ---------------------------------------------------------------------------------

LB = LetterboxParams(min_bar=0.0625)  # 4 rows of 64, 8 columns of 128: exact in binary


def boxed(top=0, bottom=0, left=0, right=0, shape=(64, 128)) -> np.ndarray:
    y = np.full(shape, 16, np.uint8)
    y[top : shape[0] - bottom, left : shape[1] - right] = texture(11, shape)[
        top : shape[0] - bottom, left : shape[1] - right
    ]
    return y


def _letterbox_run(pictures, params=LB, step=1):
    det = LetterboxDetector(params, VIDEO)
    assert det.needs() == Needs(bars=True)
    frames = [vframe(i, y, step=step) for i, y in enumerate(pictures)]
    return run_video(det, frames), frames


def test_letterbox_pair_of_bars_for_two_seconds():
    plain, lb = boxed(), boxed(top=8, bottom=8)
    (ev,), frames = _letterbox_run([plain] * 4 + [lb] * 16 + [plain] * 4)
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (0.5, 2.5, 4, 20)
    assert (ev.value, ev.unit, ev.severity, ev.detector) == (0.25, "ratio", "info", "letterbox")
    assert ev.detail == (
        "Black bars (letterbox: top 12%, bottom 12%, left 0%, right 0%), 25% of the picture."
    )
    assert frames[4].features["bars_ratio"] == 0.25 and frames[0].features["bars_ratio"] == 0.0
    assert _letterbox_run([plain] * 4 + [lb] * 15 + [plain] * 4)[0] == []  # 1.875 s
    (ev,), _ = _letterbox_run([plain] * 4 + [lb] * 16)  # to the end of the stream
    assert (ev.start_s, ev.end_s) == (0.5, 2.5)


def test_letterbox_one_dark_edge_is_content():
    for one in (boxed(top=16), boxed(bottom=16), boxed(left=32), boxed(right=32)):
        assert _letterbox_run([one] * 24)[0] == []


def test_letterbox_each_bar_at_least_min_bar():
    (ev,), _ = _letterbox_run([boxed(top=4, bottom=6)] * 16)  # 4 rows = 0.0625 × 64
    assert ev.value == 10 / 64
    assert _letterbox_run([boxed(top=3, bottom=16)] * 16)[0] == []
    (ev,), _ = _letterbox_run([boxed(left=8, right=8)] * 16)  # 8 columns = 0.0625 × 128
    assert ev.detail.startswith("Black bars (pillarbox: top 0%, bottom 0%, left 6%, right 6%)")
    assert _letterbox_run([boxed(left=7, right=20)] * 16)[0] == []
    assert _letterbox_run([boxed(top=8, bottom=8)] * 16, LetterboxParams(min_bar=0.2))[0] == []


def test_letterbox_and_pillarbox_together():
    (ev,), _ = _letterbox_run([boxed(8, 8, 16, 16)] * 16)
    assert ev.value == 1 - (48 * 96) / (64 * 128)
    assert ev.detail == (
        "Black bars (letterbox and pillarbox: top 12%, bottom 12%, left 12%, right 12%), "
        "44% of the picture."
    )
    # a single side bar beside a letterbox is not a pillarbox: not counted in the area
    (ev,), _ = _letterbox_run([boxed(8, 8, 16, 0)] * 16)
    assert ev.value == 0.25
    assert ev.detail.startswith("Black bars (letterbox: top 12%, bottom 12%, left 0%, right 0%)")
    (ev,), _ = _letterbox_run([boxed(0, 12, 16, 16)] * 16)
    assert ev.value == 0.25 and "(pillarbox: top 0%, bottom 0%, left 12%, right 12%)" in ev.detail


def test_letterbox_black_frames_keep_the_state():
    plain, lb, black = boxed(), boxed(top=8, bottom=8), np.full((64, 128), 16, np.uint8)
    (ev,), frames = _letterbox_run([lb] * 8 + [black] * 4 + [lb] * 8 + [plain])
    assert (ev.start_s, ev.end_s, ev.frame_end) == (0.0, 2.5, 20)
    assert frames[8].bars is None
    assert _letterbox_run([plain] * 8 + [black] * 16 + [plain])[0] == []


def test_letterbox_each_finding_reports_its_own_shape():
    plain, lb, pb = boxed(), boxed(top=8, bottom=8), boxed(left=16, right=16)
    first, second = _letterbox_run([lb] * 16 + [plain] * 2 + [pb] * 17)[0]
    assert "(letterbox:" in first.detail and first.end_s == 2.0
    assert "(pillarbox:" in second.detail and second.start_s == 2.25


def test_letterbox_from_the_measure_steps_subsample():
    """The bars are found on the subsample and scaled to full-resolution pixels."""
    (ev,), frames = _letterbox_run([boxed(top=8, bottom=8)] * 16, step=2)
    assert frames[0].bars == (8, 8, 0, 0)
    assert ev.value == 0.25


def test_letterbox_details_of_the_shape():
    plain, lb, black = boxed(), boxed(top=8, bottom=8), np.full((64, 128), 16, np.uint8)
    assert _letterbox_run([black] * 16 + [plain] * 4)[0] == []  # black from the start: no bars
    # the shape most frames show
    (ev,), _ = _letterbox_run([boxed(8, 8, 16, 16)] + [lb] * 16)
    assert "(letterbox: top 12%, bottom 12%, left 0%, right 0%)" in ev.detail
    # one bar beside a pair is not in the shape
    (ev,), _ = _letterbox_run([boxed(top=8, left=16, right=16)] * 16)
    assert "(pillarbox: top 0%, bottom 0%, left 12%, right 12%)" in ev.detail
    (ev,), _ = _letterbox_run([boxed(8, 8, 0, 16)] * 16)
    assert "(letterbox: top 12%, bottom 12%, left 0%, right 0%)" in ev.detail
    (ev,), _ = _letterbox_run([boxed(16, 16, 32, 32)] * 16)
    assert ev.value == 0.75
    assert ev.detail == (
        "Black bars (letterbox and pillarbox: top 25%, bottom 25%, left 25%, right 25%), "
        "75% of the picture."
    )


def test_letterbox_stretch_right_after_another():
    plain, lb, black = boxed(), boxed(top=8, bottom=8), np.full((64, 128), 16, np.uint8)
    events, _ = _letterbox_run([lb] * 16 + [plain] + [lb] + [black] * 15)
    assert spans(events) == [(0.0, 2.0), (2.125, 4.125)]


def test_letterbox_value_ignores_black_frames():
    lb, black = boxed(top=8, bottom=8), np.full((64, 128), 16, np.uint8)
    (ev,), _ = _letterbox_run([lb] * 8 + [black] * 8 + [lb] * 8)
    assert ev.value == 0.25


def test_letterbox_shape_not_taken_from_dropped_short_runs():
    plain, lb, pb = boxed(), boxed(top=8, bottom=8), boxed(left=16, right=16)
    (ev,), _ = _letterbox_run([lb] * 12 + [plain] * 2 + [lb] * 12 + [plain] * 2 + [pb] * 17)
    assert "(pillarbox:" in ev.detail


# ---- levels ------------------------------------------------------------------------------------


def legal(code: int = 120, shape=(64, 64)) -> np.ndarray:
    return np.full(shape, code, np.uint8)


def marked(code: int, per_1024: int, base: int = 120) -> np.ndarray:
    """A 64×64 picture at ``base`` with ``per_1024`` of every 1024 samples at ``code``, in
    2×2 blocks: every-other-row-and-column grids see the same share as the whole picture."""
    y = legal(base)
    for k in range(per_1024):
        r, c = divmod(k, 32)
        y[2 * r : 2 * r + 2, 2 * c : 2 * c + 2] = code
    return y


def neutral(shape=(32, 32)) -> tuple[np.ndarray, np.ndarray]:
    return np.full(shape, 128, np.uint8), np.full(shape, 128, np.uint8)


def _levels(pictures, params=None, chroma=None, **kw):
    det = LevelsDetector(params or LevelsParams(), VIDEO)
    assert det.needs().chroma
    frames = []
    for i, y in enumerate(pictures):
        c = chroma[i] if isinstance(chroma, list) else chroma
        frames.append(vframe(i, y, chroma=c, **kw))
    return run_video(det, frames, measure=False), frames


def test_levels_luma_outside_on_more_than_one_percent():
    pictures = [legal()] * 4 + [marked(13, 11)] * 8 + [legal()] * 4  # 11 of 1024 below −1%
    (ev,), frames = _levels(pictures)
    assert (ev.start_s, ev.end_s, ev.frame_start, ev.frame_end) == (0.5, 1.5, 4, 12)
    assert (ev.value, ev.unit, ev.severity, ev.detector) == (
        11 / 1024,
        "ratio",
        "warning",
        "levels",
    )
    assert says(
        ev.detail, "(luma outside the EBU R 103 range)", "up to 1.1% of the picture", "1.00 s"
    )
    assert (
        frames[4].features["luma_min"] == 13 / 255 and frames[4].features["luma_max"] == 120 / 255
    )
    assert frames[3].features["luma_max"] == 120 / 255
    assert _levels([legal()] * 4 + [marked(13, 10)] * 8)[0] == []  # 10 of 1024: within 1%
    assert _levels([marked(14, 100)] * 8 + [marked(241, 100)] * 8)[0] == []  # −0.9%, 102.7%
    (ev,), _ = _levels([marked(242, 11)] * 8)  # above 103%
    assert ev.value == 11 / 1024
    assert _levels([marked(13, 11)] * 7 + [legal()])[0] == []  # 0.875 s: under min_duration_s
    p = LevelsParams(max_area=0.02, min_duration_s=0.5)
    assert _levels([marked(13, 20)] * 8, p)[0] == []
    assert len(_levels([marked(13, 21)] * 4, p)[0]) == 1
    p = LevelsParams(luma_low=-0.02, luma_high=1.04)
    assert _levels([marked(13, 50)] * 8 + [marked(243, 50)] * 8, p)[0] == []


def test_levels_chroma_and_gamut():
    u, v = neutral()
    u[:11, 0] = 13  # 11 of 1024 Cb samples below 16 − 1%
    (ev,), _ = _levels([legal()] * 8, chroma=(u, v))
    assert says(ev.detail, "(chroma outside")
    assert ev.value == 11 / 1024
    u[10, 0] = 14
    assert _levels([legal()] * 8, chroma=(u, v))[0] == []
    u, v = neutral()
    v[:11, 1] = 243  # Cr above 240 + 1%
    (ev,), _ = _levels([legal()] * 8, chroma=(u, v))
    assert says(ev.detail, "(chroma outside")
    # saturated red on white: R′ far above 105% on 6% of the picture (gamut area 5%)
    y = legal(235)
    u, v = neutral()
    v[:2, :31] = 240  # 62 of 1024 samples
    (ev,), _ = _levels([y] * 8, chroma=(u, v))
    assert says(ev.detail, "(RGB gamut outside") and ev.value == 62 / 1024
    v[:2, 25:] = 128  # 50 samples: within 5%
    assert _levels([y] * 8, chroma=(u, v))[0] == []
    assert len(_levels([y] * 8, LevelsParams(gamut_area=0.01), chroma=(u, v))[0]) == 1


def test_levels_stretch_edges_exact_though_one_frame_in_four_is_judged():
    """One frame in four is judged; where two judged frames disagree, the frames between are
    judged too: a stretch's edges land on their frames wherever they fall between judged
    frames, for luma and for chroma."""
    bad_u, v = neutral()
    bad_u[:20, 0] = 13
    good = neutral()
    for first in (4, 5, 6, 7):
        for length in (10, 11, 12, 13):
            chroma = [good] * first + [(bad_u, v)] * length + [good] * 6
            (ev,), _ = _levels([legal()] * len(chroma), chroma=chroma)
            assert (ev.frame_start, ev.frame_end) == (first, first + length)
            assert says(ev.detail, "(chroma outside")
            pictures = [legal()] * first + [marked(242, 20)] * length + [legal()] * 6
            (ev,), _ = _levels(pictures, LevelsParams(min_duration_s=1.0))
            assert (ev.frame_start, ev.frame_end) == (first, first + length)
    # a stretch that runs to the end of the stream, its last frames never followed by a
    # judged one, ends at the stream's end
    (ev,), _ = _levels([legal()] * 5 + [marked(242, 20)] * 10)
    assert (ev.frame_start, ev.frame_end) == (5, 15)


def test_levels_full_range_content_flagged_limited():
    full = legal()
    full[:16] = 0  # 25% below black …
    full[-16:] = 255  # … and 25% above white
    events, _ = _levels([full] * 6 + [legal()] * 4)
    (ev,) = events  # replaces the stretch of illegal levels it explains
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (0.0, 1.25, 0.6, "ratio")
    assert says(ev.detail, "Full-range content", "flagged limited", "60% of the frames")
    # in fewer than half of the frames: stretches of illegal levels
    (ev,), _ = _levels([full] * 9 + [legal()] * 11)
    assert ev.detail.startswith("Illegal levels") and (ev.start_s, ev.end_s) == (0.0, 1.125)
    # only one end used (superwhites): not full-range content
    over = legal()
    over[-16:] = 255
    (ev,), _ = _levels([over] * 10)
    assert ev.detail.startswith("Illegal levels")


def test_levels_limited_content_flagged_full():
    y = legal()
    y[:4] = 16
    y[-4:] = 235
    kw = {"black": 0, "white": 255}
    (ev,), frames = _levels([y] * 8, **kw)
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (0.0, 1.0, 16.0, "code")
    assert says(ev.detail, "Limited-range content", "flagged full", "16…235")
    assert frames[0].features["luma_min"] == 16 / 255
    y2 = y.copy()
    y2[:4] = 0  # uses the codes below 16: full-range content indeed
    assert _levels([y2] * 8, **kw)[0] == []
    y3 = legal()  # never near black or white: nothing to say
    assert _levels([y3] * 8, **kw)[0] == []


# ---- silence -----------------------------------------------------------------------------------

SR = 1000  # audio tests: 1 kHz, so a sample is a millisecond
STEREO = StreamInfo(0, "audio", "pcm", sample_rate=SR, channels=2, channel_names=("FL", "FR"))
SURROUND = StreamInfo(
    0,
    "audio",
    "ac3",
    sample_rate=SR,
    channels=6,
    channel_names=("FL", "FR", "FC", "LFE", "SL", "SR"),
)


def loud(channels: int, seconds: float, level: float = 0.1, seed: int = 0) -> np.ndarray:
    """Noise whose every sample has magnitude ``level`` (random signs)."""
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0], np.float32), (channels, round(seconds * SR)))
    return (signs * level).astype(np.float32)


def _silence(x, params=None, stream=STEREO, block=256, end=None):
    det = SilenceDetector(params or SilenceParams(), stream)
    return feed_audio(det, x, SR, block, end=end)


@pytest.mark.parametrize("block", [100, 256, 8000])
def test_silence_over_a_hiss_floor(block):
    """Hiss at -70 dBFS RMS has peaks above -60 dBFS (a sample-peak rule misses it): silent by
    the RMS of its 10 ms windows, to the window; a floor at -55 dBFS RMS is sound."""
    rng = np.random.default_rng(3)
    x = loud(2, 8.0)
    hiss = rng.normal(0.0, 10 ** (-70 / 20), (2, 4000)).astype(np.float32)
    assert 20 * np.log10(np.abs(hiss).max()) > -60  # its peaks cross the threshold
    x[:, 2000:6000] = hiss
    (ev,) = _silence(x, block=block)
    assert ev.channel is None
    assert ev.start_s == pytest.approx(2.0, abs=0.010) and ev.end_s == pytest.approx(6.0, abs=0.010)
    x[:, 2000:6000] = hiss * 10 ** (15 / 20)  # -55 dBFS RMS: room tone, not silence
    assert _silence(x, block=block) == []


@pytest.mark.parametrize("block", [100, 256, 8000])
def test_silence_of_the_mix_exact_to_the_sample(block):
    x = loud(2, 8.0)
    x[:, 2000:4500] = 0.0
    (ev,) = _silence(x, block=block)
    assert (ev.start_s, ev.end_s, ev.value, ev.unit, ev.channel) == (2.0, 4.5, 2.5, "s", None)
    assert (ev.severity, ev.detector, ev.frame_start) == (Severity.WARNING, "silence", None)
    assert says(ev.detail, "Silence", "(all channels below -60 dBFS) for 2.50 s.")


@pytest.mark.parametrize("block", [100, 8000])
def test_silence_min_duration_boundary(block):
    x = loud(2, 8.0)
    x[:, 1000:3000] = 0.0  # 2.000 s
    x[:, 4000:5999] = 0.0  # 1.999 s
    (ev,) = _silence(x, block=block)
    assert (ev.start_s, ev.end_s) == (1.0, 3.0)
    (a, b) = _silence(x, SilenceParams(min_duration_s=1.5), block=block)
    assert spans([a, b]) == [(1.0, 3.0), (4.0, pytest.approx(5.999))]


def test_silence_level_threshold():
    x = loud(2, 6.0)
    x[:, 1000:4000] = 0.00099  # under −60 dBFS: silent
    x[:, 4000:] = 0.00101  # just over: sound
    (ev,) = _silence(x)
    assert (ev.start_s, ev.end_s) == (1.0, 4.0)
    quiet = loud(2, 4.0, level=0.005)  # −46 dBFS
    assert _silence(quiet) == []
    (ev,) = _silence(quiet, SilenceParams(noise_dbfs=-40.0))
    assert (ev.start_s, ev.end_s) == (0.0, 4.0)
    assert says(ev.detail, "(all channels below -40 dBFS) for 4.00 s.")


def test_silence_to_the_end_of_the_stream_and_open_start():
    det = SilenceDetector(SilenceParams(), STEREO)
    assert det.open_start_s is None
    x = loud(2, 5.0)
    x[:, 2500:] = 0.0
    det.update(AudioBlock(0, 0.0, SR, x[:, :3000]))
    assert det.open_start_s == 2.5
    det.update(AudioBlock(0, 3.0, SR, x[:, 3000:]))
    (ev,) = det.finish(5.5)  # the stream ends later than the last block
    assert (ev.start_s, ev.end_s) == (2.5, 5.5)


def test_silence_of_one_channel_outside_the_mix_silence():
    x = loud(2, 8.0)
    x[1, 1000:6000] = 0.0  # channel 1 muted 1–6 s
    x[0, 3000:4500] = 0.0  # and channel 0 too, 3–4.5 s: the mix is silent there
    p = SilenceParams(min_duration_s=1.0)
    mix, a, b = _silence(x, p)
    assert (mix.start_s, mix.end_s, mix.channel) == (3.0, 4.5, None)
    assert (a.start_s, a.end_s, a.channel, a.value) == (1.0, 3.0, 1, 2.0)
    assert says(a.detail, "Silence", "(channel 1", "alone below -60 dBFS) for 2.00 s.")
    assert (b.start_s, b.end_s, b.channel) == (4.5, 6.0, 1)
    # a piece left shorter than min_duration_s is dropped; exactly as long is kept
    x = loud(2, 8.0)
    x[1, 2500:5500] = 0.0
    x[0, 3000:4500] = 0.0
    assert [(e.start_s, e.end_s, e.channel) for e in _silence(x, p)] == [
        (3.0, 4.5, None),
        (4.5, 5.5, 1),
    ]
    assert [
        e.channel for e in _silence(x, SilenceParams(min_duration_s=1.0, per_channel=False))
    ] == [None]


def test_silence_per_channel_needs_two_channels():
    x = loud(1, 5.0)
    x[0, 1000:4000] = 0.0
    (ev,) = _silence(x, stream=StreamInfo(0, "audio", sample_rate=SR, channels=1))
    assert ev.channel is None and (ev.start_s, ev.end_s) == (1.0, 4.0)


def test_silence_skips_the_lfe_of_a_surround_mix():
    x = loud(6, 5.0)
    x[3] = 0.0  # LFE silent all along: by design
    assert _silence(x, stream=SURROUND) == []
    (ev,) = _silence(x, SilenceParams(ignore_lfe=False), stream=SURROUND)
    assert (ev.channel, ev.start_s, ev.end_s) == (3, 0.0, 5.0)
    x[4, 1000:4000] = 0.0  # a surround channel lost: reported
    (ev,) = _silence(x, stream=SURROUND)
    assert (ev.channel, ev.start_s, ev.end_s) == (4, 1.0, 4.0)
    # no LFE in the layout: nothing skipped
    y = loud(2, 5.0)
    y[1] = 0.0
    (ev,) = _silence(y, stream=STEREO)
    assert (ev.channel, ev.start_s, ev.end_s) == (1, 0.0, 5.0)
    (ev,) = _silence(y, stream=StreamInfo(0, "audio", sample_rate=SR, channels=2))
    assert ev.channel == 1


def test_silence_names_the_channel_by_the_layout():
    x = loud(2, 5.0)
    x[1, 1000:4000] = 0.0
    (ev,) = _silence(x, stream=STEREO)
    assert says(ev.detail, "channel 1 (FR) alone")
    (ev,) = _silence(x, stream=StreamInfo(0, "audio", sample_rate=SR, channels=2))
    assert says(ev.detail, "channel 1 alone")
    short = StreamInfo(0, "audio", sample_rate=SR, channels=2, channel_names=("FL",))
    (ev,) = _silence(x, stream=short)
    assert says(ev.detail, "channel 1 alone")


def test_silence_level_is_strictly_below():
    x = loud(2, 8.0)
    at = np.float32(dbfs_to_amplitude(-60.0))
    x[:, 1000:4000] = np.nextafter(at, np.float32(0))
    x[:, 5000:] = at  # at −60 dBFS: not below it
    (ev,) = _silence(x)
    assert (ev.start_s, ev.end_s) == (1.0, 4.0)


def test_silence_per_channel_whatever_the_block_sizes():
    x = loud(2, 6.0)
    x[1, 1000:5000] = 0.0
    x[1, 3000] = 0.5  # one sample of sound, in a block of its own
    det = SilenceDetector(SilenceParams(min_duration_s=1.0), STEREO)
    for a, b in ((0, 1), (1, 3000), (3000, 3001), (3001, 6000)):
        det.update(AudioBlock(0, a / SR, SR, x[:, a:b]))
    first, second = det.finish(6.0)
    assert (first.start_s, first.end_s, first.channel) == (1.0, 3.0, 1)
    assert (second.start_s, second.end_s, second.channel) == (3.001, 5.0, 1)


def test_silence_of_one_channel_to_the_end_of_the_stream():
    x = loud(2, 4.0)
    x[1, 2000:] = 0.0
    (ev,) = _silence(x, end=4.5)  # the stream ends after the last block
    assert (ev.start_s, ev.end_s, ev.channel) == (2.0, 4.5, 1)


def test_silence_piece_as_long_as_min_duration_up_to_rounding():
    x = loud(2, 6.0)
    x[1, 1000:4000] = 0.0
    x[0, 2500:4000] = 0.0  # mix silent 2.5–4.0 s: channel 1 alone 1.0–2.5 s
    p = SilenceParams(min_duration_s=1.5 + 1e-9)
    assert [(e.start_s, e.end_s, e.channel) for e in _silence(x, p)] == [
        (2.5, 4.0, None),
        (1.0, 2.5, 1),
    ]


# ---- clipping ----------------------------------------------------------------------------------


def _clips(x, params=None, block=1000, stream=STEREO):
    det = ClippingDetector(params or ClippingParams(), stream)
    return feed_audio(det, x, SR, block)


def test_clipping_level_and_run_length():
    level = np.float32(0.999)
    x = np.zeros((2, 3000), np.float32)
    x[0, 100:103] = level  # at the level: clipped
    x[1, 1100:1103] = -np.float32(1.0)
    x[0, 2100:2103] = np.nextafter(level, np.float32(0))  # just under: not
    x[0, 2500:2502] = 1.0  # two samples: a loud peak, not a clip
    p = ClippingParams(merge_gap_s=0.0)
    a, b = _clips(x, p)
    assert (a.start_s, a.end_s, a.value, a.unit, a.channel) == (0.1, 0.103, 3.0, "samples", 0)
    assert a.detail == "3 clipped samples (runs of ≥ 3 at full scale) on channel FL."
    assert (b.start_s, b.end_s, b.channel, a.severity) == (1.1, 1.103, 1, Severity.WARNING)
    lower = _clips(x, ClippingParams(merge_gap_s=0.0, min_run_samples=2, level=0.9))
    assert [(e.start_s, e.value) for e in lower] == [(0.1, 3), (1.1, 3), (2.1, 3), (2.5, 2)]
    long = ClippingParams(merge_gap_s=0.0, min_run_samples=4)
    assert _clips(x, long) == []


def test_clipping_runs_at_block_boundaries():
    x = np.zeros((2, 4000), np.float32)
    x[1, 997:1000] = 1.0  # ends exactly at the block's end; the next block is clean
    x[0, 2000:2002] = 1.0  # 2 at a block's start
    x[0, 1998:2000] = 1.0  # … and 2 before it: one run of 4 across the boundary
    x[1, 3998:] = 1.0  # 2 at the very end: under the minimum
    a, b = _clips(x, ClippingParams(merge_gap_s=0.0))
    assert (a.start_s, a.end_s, a.channel, a.value) == (0.997, 1.0, 1, 3.0)
    assert (b.start_s, b.end_s, b.channel, b.value) == (1.998, 2.002, 0, 4.0)
    x = np.zeros((2, 2000), np.float32)
    x[0, 1500:] = 1.0  # clipped to the end of the stream
    (c,) = _clips(x, block=700)
    assert (c.start_s, c.end_s, c.value) == (1.5, 2.0, 500.0)


def test_clipping_merge_gap_and_channels():
    x = np.zeros((2, 4000), np.float32)
    x[0, 200:205] = 1.0  # ends at 0.205
    x[1, 705:708] = 1.0  # starts 0.5 s later: merged
    x[1, 1209:1212] = 1.0  # 0.501 s after: not
    a, b = _clips(x)
    assert (a.start_s, a.end_s, a.value, a.channel) == (0.2, 0.708, 8.0, None)
    assert a.detail == "8 clipped samples (runs of ≥ 3 at full scale) on channels FL, FR."
    assert (b.start_s, b.end_s, b.channel) == (1.209, 1.212, 1)


def test_clipping_in_time_order_across_channels():
    x = np.zeros((2, 1000), np.float32)
    x[0, 500:503] = 1.0
    x[1, 200:203] = 1.0  # earlier, on the higher channel
    a, b = _clips(x, ClippingParams(merge_gap_s=0.0))
    assert [(a.start_s, a.channel), (b.start_s, b.channel)] == [(0.2, 1), (0.5, 0)]


def test_clipping_in_blocks_of_one_sample():
    x = np.zeros((2, 40), np.float32)
    x[1, 10:14] = 1.0
    (ev,) = _clips(x, block=1)
    assert (ev.start_s, ev.end_s, ev.channel, ev.value) == (0.01, pytest.approx(0.014), 1, 4.0)


def test_clipping_runs_that_end_with_their_block():
    x = np.zeros((2, 3000), np.float32)
    x[:, 997:1000] = 1.0  # both channels, to the block's end; the next block is clean
    x[0, 2000:2003] = 1.0  # a new clip at the start of the third block
    a, b = _clips(x, ClippingParams(merge_gap_s=0.0))
    assert (a.start_s, a.end_s, a.value, a.channel) == (0.997, 1.0, 6.0, None)
    assert a.detail == "6 clipped samples (runs of ≥ 3 at full scale) on channels FL, FR."
    assert (b.start_s, b.end_s, b.value, b.channel) == (2.0, 2.003, 3.0, 0)
    mono = np.zeros((1, 2000), np.float32)
    mono[0, 997:1000] = 1.0
    (c,) = _clips(mono, stream=StreamInfo(0, "audio", sample_rate=SR, channels=1))
    assert (c.start_s, c.end_s, c.channel) == (0.997, 1.0, 0)
    whole = np.zeros((1, 2000), np.float32)
    whole[0, 1500:] = 1.0  # the last block clipped from its start to its end
    (d,) = _clips(whole, block=500)
    assert (d.start_s, d.end_s, d.value) == (1.5, 2.0, 500.0)


# ---- dropout -----------------------------------------------------------------------------------

DSR = 8000  # dropout tests: 8 kHz; 10 ms = 80 samples, 20 ms of context = 160


def sound(seconds: float, channels: int = 2, level: float = 0.2, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0], np.float32), (channels, round(seconds * DSR)))
    return (signs * level).astype(np.float32)


def _dropouts(x, block=1024, params=None, times=None):
    det = DropoutDetector(params or DropoutParams(), StreamInfo(0, "audio", sample_rate=DSR))
    for k, i in enumerate(range(0, x.shape[1], block)):
        t = i / DSR if times is None else times[k]
        det.update(AudioBlock(0, t, DSR, x[:, i : i + block]))
    return det.finish(x.shape[1] / DSR)


@pytest.mark.parametrize("block", [64, 1024, 16000])
def test_dropout_a_zero_gap_inside_sound(block):
    x = sound(2.0)
    x[:, 4000:4400] = 0.0  # 50 ms at 0.5 s
    (ev,) = _dropouts(x, block)
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (0.5, 0.55, pytest.approx(0.05), "s")
    assert (ev.channel, ev.severity, ev.detector) == (None, Severity.WARNING, "dropout")
    assert says(ev.detail, "Dropout", ": 50 ms of digital zero inside the sound.")


@pytest.mark.parametrize("block", [64, 1000, 40000])
def test_dropout_gap_length_limits(block):
    x = sound(4.0)
    x[:, 4000:4080] = 0.0  # 80 samples = 10 ms: the shortest
    x[:, 8000:8079] = 0.0  # 79: too short
    x[:, 12000:16000] = 0.0  # 4000 = 500 ms: the longest
    x[:, 20000:24001] = 0.0  # 4001: silence's, not a dropout
    a, b = _dropouts(x, block)
    assert (a.start_s, a.end_s) == (0.5, 0.51)
    assert (b.start_s, b.end_s) == (1.5, 2.0)
    assert says(b.detail, ": 500 ms of digital zero")
    p = DropoutParams(min_gap_s=0.005, max_gap_s=0.6)
    assert [e.start_s for e in _dropouts(x, block, p)] == [0.5, 1.0, 1.5, 2.5]


def test_dropout_zero_is_at_or_below_the_zero_level():
    x = sound(1.0)
    x[:, 2000:2400] = 0.9e-5  # −101 dBFS: digital zero after a lossy decoder
    x[:, 5000:5400] = 1.1e-5  # −99 dBFS: not zero
    (ev,) = _dropouts(x)
    assert ev.start_s == 0.25
    assert _dropouts(x, params=DropoutParams(zero_dbfs=-120.0)) == []


def test_dropout_only_where_every_channel_is_zero():
    x = sound(1.0)
    x[0, 2000:2400] = 0.0
    assert _dropouts(x) == []
    x[1, 2000:2400] = 0.0
    assert len(_dropouts(x)) == 1


@pytest.mark.parametrize("block", [64, 1024])
def test_dropout_needs_sound_on_both_sides(block):
    """A zero gap with silence (room tone under −50 dBFS) within 20 ms on one side is a
    pause, not a dropout; one sample of sound anywhere within the 20 ms is enough."""
    for side in ("before", "after"):
        for offset, found in ((160, True), (161, False)):
            x = sound(1.0)
            x[:, 3000:3600] = 0.001  # −60 dBFS room tone …
            x[:, 3600:4000] = 0.0  # … then digital zero …
            x[:, 4000:4600] = 0.001  # … then room tone again
            pos = 3600 - offset if side == "before" else 4000 + offset - 1
            x[0, pos] = 0.2  # one sample of sound, 20 ms (or one sample more) from the gap
            if side == "before":
                x[:, 4000:4600] = sound(0.075)
            else:
                x[:, 3000:3600] = sound(0.075)
            assert len(_dropouts(x, block)) == found, (side, offset)


def test_dropout_context_level():
    for level, found in ((0.0032, True), (0.0031, False)):  # −50 dBFS = 0.00316
        x = sound(1.0, level=level)
        x[:, 4000:4400] = 0.0
        assert len(_dropouts(x)) == found
    x = sound(1.0, level=0.01)
    x[:, 4000:4400] = 0.0
    assert _dropouts(x, params=DropoutParams(context_dbfs=-30.0)) == []
    x = sound(1.0)
    x[:, 3900:4000] = 0.001  # room tone for 12.5 ms before the gap: sound within 20 ms
    x[:, 4000:4400] = 0.0
    assert len(_dropouts(x)) == 1
    assert _dropouts(x, params=DropoutParams(context_s=0.01)) == []


def test_dropout_not_at_the_edges_of_the_stream():
    x = sound(1.0)
    x[:, :400] = 0.0  # from the very start: no sound before it
    x[:, -400:] = 0.0  # to the very end: no sound after it
    assert _dropouts(x) == []
    y = sound(1.0)
    y[:, -600:-200] = 0.0  # 25 ms of sound after it
    (ev,) = _dropouts(y)
    assert (ev.start_s, ev.end_s) == (0.925, pytest.approx(0.975, abs=1e-12))


def test_dropout_just_before_the_end_of_the_stream():
    y = sound(1.0)
    y[:, -500:-100] = 0.0  # 12.5 ms of sound after it: sound within 20 ms on both sides
    (ev,) = _dropouts(y)
    assert ev.start_s == 0.9375


def test_dropout_long_zero_stretch_out_of_history_is_not_a_dropout():
    x = sound(3.0)
    x[:, 4000:16000] = 0.0  # 1.5 s of zero, longer than the kept history
    assert _dropouts(x, block=256) == []


def test_dropout_placed_by_the_timestamps_of_its_blocks():
    x = sound(1.0)
    x[:, 2200:2500] = 0.0  # inside the 3rd block of 1000
    x[:, 4900:5100] = 0.0  # across the 5th and 6th blocks
    times = [0.0, 0.125, 2.0, 2.125, 2.25, 5.0, 5.125, 5.25]  # jumps at the 3rd and 6th block
    a, b = _dropouts(x, block=1000, times=times)
    assert (a.start_s, a.end_s) == (2.025, 2.0625)
    assert (b.start_s, b.end_s) == (
        2.3625,
        pytest.approx(5.0125, abs=1e-12),
    )  # start and end each by its own block


def test_dropouts_close_together_stay_separate():
    x = sound(1.0)
    x[:, 2000:2400] = 0.0
    x[:, 2560:2960] = 0.0  # 20 ms later
    assert spans(_dropouts(x, block=128)) == [(0.25, 0.3), (0.32, 0.37)]
    det = DropoutDetector(DropoutParams(), StreamInfo(0, "audio", sample_rate=DSR))
    det.update(AudioBlock(0, 0.0, DSR, np.zeros((2, 0), np.float32)))  # an empty block
    assert det.finish(0.0) == []


def test_dropout_exact_levels():
    x = sound(1.0)
    x[:, 4000:4400] = np.float32(dbfs_to_amplitude(-100.0))  # at −100 dBFS: digital zero
    assert len(_dropouts(x, block=16000)) == 1
    present = np.float32(dbfs_to_amplitude(-50.0))
    for side in (np.s_[:, 3000:4000], np.s_[:, 4400:5400]):
        y = sound(1.0)
        y[:, 4000:4400] = 0.0
        y[side] = present  # the sound on this side exactly at −50 dBFS
        assert len(_dropouts(y)) == 1


def test_dropout_context_of_one_sample():
    p = DropoutParams(context_s=1 / DSR)
    x = sound(1.0)
    x[:, 4000:4400] = 0.0
    assert len(_dropouts(x, params=p)) == 1
    x[:, 3999] = 0.001  # the one sample before the gap is room tone
    assert _dropouts(x, params=p) == []


def test_dropout_context_reaching_the_first_sample():
    x = sound(1.0)
    x[:, 1:100] = 0.001  # room tone after the very first sample of sound
    x[:, 100:500] = 0.0
    (ev,) = _dropouts(x)
    assert ev.start_s == 0.0125


def test_dropout_right_context_ending_with_the_stream():
    x = sound(1.0)
    x[:, 7440:7840] = 0.0  # 20 ms of sound after it, to the last sample
    (ev,) = _dropouts(x, block=16000)
    assert (ev.start_s, ev.end_s) == (0.93, pytest.approx(0.98, abs=1e-12))


def test_dropout_after_a_long_zero_stretch_in_the_same_block():
    x = sound(3.0)
    x[:, 4000:16000] = 0.0  # 1.5 s of zero (silence's, not a dropout)
    x[:, 16500:16900] = 0.0  # then a dropout
    det = DropoutDetector(DropoutParams(), StreamInfo(0, "audio", sample_rate=DSR))
    cuts = [*range(0, 15360, 1024), 15360, 18000, 24000]
    for a, b in itertools.pairwise(cuts):
        det.update(AudioBlock(0, a / DSR, DSR, x[:, a:b]))
    (ev,) = det.finish(3.0)
    assert (ev.start_s, ev.end_s) == (2.0625, pytest.approx(2.1125, abs=1e-12))


def test_dropout_placed_across_several_blocks_and_jumps():
    x = sound(3.0)
    gaps = [(12700, 13100), (8000 + 250, 12250), (20000, 20300)]
    for a, b in gaps:
        x[:, a:b] = 0.0
    block = 256
    starts = list(range(0, x.shape[1], block))
    t = [
        k * block / DSR + (10.0 if k >= 40 else 0) + (5.0 if k >= 50 else 0)
        for k in range(len(starts))
    ]

    def when(sample: int) -> float:  # the time of a sample, by the block it lies in
        k = sample // block
        return t[k] + (sample - starts[k]) / DSR

    events = _dropouts(x, block=block, times=t)
    expected = sorted((when(a), when(b - 1) + 1 / DSR) for a, b in gaps)
    assert [(e.start_s, e.end_s) for e in events] == [
        (pytest.approx(a, abs=1e-9), pytest.approx(b, abs=1e-9)) for a, b in expected
    ]


def test_dropout_longest_gap_starting_in_the_oldest_kept_block():
    """A 500 ms gap decided when its start lies in the oldest block still kept: placed by that
    block's timestamp (7 s after the jump), not by an older one."""
    x = sound(3.0)
    x[:, 2851:6851] = 0.0
    times = [k * 1000 / DSR + (7.0 if k >= 1 else 0.0) for k in range(24)]
    (ev,) = _dropouts(x, block=1000, times=times)
    assert ev.start_s == pytest.approx(7.25 + 851 / DSR, abs=1e-9)
    assert ev.end_s == pytest.approx(7.75 + 851 / DSR, abs=1e-9)


def test_dropout_detail_in_milliseconds():
    x = sound(2.0)
    x[:, 4000:9600] = 0.0  # 700 ms
    (ev,) = _dropouts(x, params=DropoutParams(max_gap_s=1.0))
    assert says(ev.detail, "Dropout", ": 700 ms of digital zero inside the sound.")


# ---- phase -------------------------------------------------------------------------------------


def walsh(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two ±1 sequences that are exactly orthogonal over every 4 samples."""
    k = np.arange(n)
    return np.where(k % 2, -1.0, 1.0), np.where((k // 2) % 2, -1.0, 1.0)


def pair(seconds: float, corr: float, level: float = 0.1) -> np.ndarray:
    """Two channels whose correlation over any window of 4k samples is ``corr``."""
    a, b = walsh(round(seconds * SR))
    right = corr * a + math.sqrt(1 - corr * corr) * b
    return (np.stack([a, right]) * level).astype(np.float32)


def _phase(x, stream=STEREO, params=None, block=300, end=None):
    det = PhaseDetector(params or PhaseParams(), stream)
    return feed_audio(det, x, SR, block, end=end)


def test_phase_inverted_channel_over_the_whole_file():
    (ev,) = _phase(pair(2.8, -1.0), stream=StreamInfo(0, "audio", sample_rate=SR, channels=2))
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (0.0, pytest.approx(2.8), -1.0, "ratio")
    assert (ev.severity, ev.channel, ev.detector) == (Severity.WARNING, None, "phase")
    assert says(ev.detail, "olarity", "0/1", "(correlation -1.00) for 2.8 s", "the whole file")


def test_phase_last_partial_window():
    """The last, partial window counts when it holds a quarter of a window or more."""
    (ev,) = _phase(pair(3.0, -1.0), block=400)  # 7 windows and half a window
    assert (ev.start_s, ev.end_s) == (0.0, 3.0)
    (ev,) = _phase(pair(2.9, -1.0), block=400)  # … and a quarter
    assert (ev.start_s, ev.end_s) == (0.0, pytest.approx(2.9))
    (ev,) = _phase(pair(2.899, -1.0), block=400)  # … and less
    assert (ev.start_s, ev.end_s) == (0.0, pytest.approx(2.8))


def test_phase_out_of_phase_stretch():
    x = np.concatenate([pair(2.0, 0.9), pair(2.4, -0.6), pair(2.0, 0.9)], axis=1)
    (ev,) = _phase(x)
    assert (ev.start_s, ev.end_s) == (2.0, pytest.approx(4.4))
    assert ev.value == pytest.approx(-0.6)
    assert says(ev.detail, "Channels FL/FR ", "out of phase (correlation -0.60) for 2.4 s.")
    assert "olarity" not in ev.detail


def test_phase_correlation_threshold_and_duration():
    assert len(_phase(pair(2.8, -0.31))) == 1
    assert _phase(pair(2.8, -0.29)) == []
    assert _phase(pair(2.8, -0.31), params=PhaseParams(max_correlation=-0.32)) == []
    # five windows (2.0 s) are enough, four are not
    x = np.concatenate([pair(1.2, 0.0), pair(2.0, -1.0), pair(1.2, 0.0)], axis=1)
    (ev,) = _phase(x)
    assert (ev.start_s, ev.end_s) == (pytest.approx(1.2), pytest.approx(3.2))
    assert "whole file" not in ev.detail
    x = np.concatenate([pair(1.2, 0.0), pair(1.6, -1.0), pair(1.2, 0.0)], axis=1)
    assert _phase(x) == []
    assert len(_phase(x, params=PhaseParams(min_duration_s=1.6))) == 1


def test_phase_quiet_windows_do_not_count():
    """Both channels need an RMS level of −50 dBFS (0.00316) in a window."""
    assert len(_phase(pair(2.8, -1.0, level=0.0032))) == 1
    assert _phase(pair(2.8, -1.0, level=0.0031)) == []
    assert _phase(pair(2.8, -1.0, level=0.0031), params=PhaseParams(min_level_dbfs=-60.0)) != []
    one_quiet = pair(2.8, -1.0)
    one_quiet[1] *= 0.03  # −50.5 dBFS on the right only
    assert _phase(one_quiet) == []
    one_quiet = pair(2.8, -1.0)
    one_quiet[0] *= 0.03
    assert _phase(one_quiet) == []
    # a quiet window inside the stretch (a pause) is bridged when the signal after it is
    # still out of phase; a quiet stretch longer than 2 s ends it where the quiet began
    x = np.concatenate([pair(2.0, -1.0), pair(0.4, -1.0, level=0.001), pair(2.0, -1.0)], axis=1)
    (a,) = _phase(x, block=400)
    assert (a.start_s, a.end_s, a.value) == (0.0, 4.4, -1.0)
    x = np.concatenate([pair(2.0, -1.0), pair(2.4, -1.0, level=0.001), pair(2.0, -1.0)], axis=1)
    a, b = _phase(x, block=400)
    assert (a.start_s, a.end_s) == (0.0, 2.0)
    assert (b.start_s, b.end_s) == (4.4, 6.4)
    # a pause followed by in-phase sound: the stretch ended where the pause began
    x = np.concatenate([pair(2.0, -1.0), pair(0.8, -1.0, level=0.001), pair(2.0, 0.9)], axis=1)
    (a,) = _phase(x, block=400)
    assert (a.start_s, a.end_s) == (0.0, 2.0)


def test_phase_weak_windows_do_not_end_a_stretch():
    """A window whose correlation is weak (|r| < 0.3: the content's channels unrelated for
    a moment) inside an inverted stretch is no evidence: bridged like a pause; weak windows
    for longer than 2 s end the stretch where they began, and an in-phase one ends it."""
    x = np.concatenate([pair(2.0, -0.6), pair(0.4, -0.25), pair(2.0, -0.6)], axis=1)
    (a,) = _phase(x, block=400)
    assert (a.start_s, a.end_s, a.value) == (0.0, 4.4, pytest.approx(-0.6))
    x = np.concatenate([pair(2.0, -0.6), pair(2.4, 0.2), pair(2.0, -0.6)], axis=1)
    a, b = _phase(x, block=400)
    assert (a.start_s, a.end_s, b.start_s, b.end_s) == (0.0, 2.0, 4.4, 6.4)
    x = np.concatenate([pair(2.0, -0.6), pair(0.4, 0.35), pair(2.0, -0.6)], axis=1)
    a, b = _phase(x, block=400)
    assert (a.end_s, b.start_s) == (2.0, 2.4)
    # out-of-phase windows scattered among weak ones (a wide ambience): bridged into 3.6 s,
    # but the five out-of-phase windows are 2.0 s, the minimum, and four are not enough
    scattered = [pair(0.4, -0.5) if k % 2 == 0 else pair(0.4, 0.0) for k in range(9)]
    (a,) = _phase(np.concatenate(scattered, axis=1), block=400)
    assert (a.start_s, a.end_s) == (0.0, pytest.approx(3.6))
    assert _phase(np.concatenate(scattered[:7], axis=1), block=400) == []


def test_phase_polarity_and_the_whole_file():
    """A stretch at −0.95 or lower is one channel's polarity inverted; "the whole file" when
    it covers 90% of the windows with signal and the file's correlation is −0.95 or lower."""
    lv = 0.125  # sums exact in binary
    # 19 of 20 signal windows inverted, one uncorrelated (and one quiet): exactly −0.95
    x = np.concatenate(
        [pair(7.6, -1.0, lv), pair(0.4, 0.0, lv), pair(0.4, -1.0, level=0.001)], axis=1
    )
    (ev,) = _phase(x, block=400)
    assert (ev.start_s, ev.end_s) == (0.0, pytest.approx(7.6))
    assert says(ev.detail, "olarity", "FL/FR", "(correlation -1.00) for 7.6 s", "the whole file")
    # 18 of 20: −0.9 for the file
    x = np.concatenate([pair(7.2, -1.0, lv), pair(0.8, 0.0, lv)], axis=1)
    (ev,) = _phase(x, block=400)
    assert says(ev.detail, "olarity") and "whole file" not in ev.detail
    # two stretches (an in-phase window between them), neither 90% of the file
    x = np.concatenate([pair(4.0, -1.0, lv), pair(0.4, 0.5, lv), pair(4.0, -1.0, lv)], axis=1)
    a, b = _phase(x, block=400)
    assert (a.end_s, b.start_s) == (pytest.approx(4.0), pytest.approx(4.4))
    assert "whole file" not in a.detail and "whole file" not in b.detail
    # the whole file at −0.9: out of phase, not an inverted channel
    (ev,) = _phase(pair(3.2, -0.9))
    assert "olarity" not in ev.detail and ev.value == pytest.approx(-0.9)


def test_phase_whole_file_judged_at_its_end():
    x = np.concatenate([pair(8.0, -1.0), pair(60.0, 0.0)], axis=1)  # 8 s of 68
    (ev,) = _phase(x, block=1000)
    assert (ev.start_s, ev.end_s) == (0.0, pytest.approx(8.0))
    assert "whole file" not in ev.detail


def test_phase_whole_file_weighs_windows_by_their_energy():
    """18 of 20 signal windows inverted (90%: enough) and loud, two quiet uncorrelated ones:
    the file's correlation is about −1, the whole file."""
    x = np.concatenate([pair(7.2, -1.0, 0.5), pair(0.8, 0.0, 0.01)], axis=1)
    (ev,) = _phase(x, block=400)
    assert ev.detail.endswith("for 7.2 s (the whole file).")
    # the same 18 windows inverted at the level of the others: not the whole file
    x = np.concatenate([pair(7.2, -1.0, 0.125), pair(0.8, 0.0, 0.125)], axis=1)
    (ev,) = _phase(x, block=400)
    assert ev.detail.endswith("for 7.2 s.")


def test_phase_polarity_from_a_mean_of_exactly_minus_095():
    """Three windows at −1 and one at exactly −0.8: a mean of −0.95 is a polarity inversion."""
    a, b = walsh(400)
    lv = 0.125
    inverted = np.stack([a, -a]) * lv
    partly = np.stack([a, -0.5 * a + 0.375 * b]) * lv  # correlation −0.5 / 0.625 = −0.8
    x = np.concatenate([inverted] * 3 + [partly], axis=1).astype(np.float32)
    (ev,) = _phase(x, params=PhaseParams(min_duration_s=1.6), block=400)
    assert ev.value == -0.95
    assert says(ev.detail, "olarity")


def test_phase_layout_read_from_the_blocks():
    """A stream that declared no layout takes it from its blocks, even when its first block
    is mono."""
    bare = StreamInfo(0, "audio", sample_rate=SR)
    (ev,) = _phase(pair(2.8, -0.6), stream=bare)
    assert says(ev.detail, "FL/FR")
    det = PhaseDetector(PhaseParams(), bare)
    det.update(AudioBlock(0, 0.0, SR, pair(0.4, 0.0)[:1]))
    det.update(AudioBlock(0, 0.4, SR, pair(2.4, -0.6)))
    (ev,) = det.finish(2.8)
    assert (ev.start_s, ev.end_s) == (0.4, pytest.approx(2.8))


def test_phase_surround_pairs_by_name():
    x = np.zeros((6, 3200), np.float32)
    x[[0, 1]] = pair(3.2, 0.8)
    x[[4, 5]] = pair(3.2, -1.0)
    x[2] = pair(3.2, 0.0)[0]
    x[3] = -x[2]  # FC and LFE are not a pair
    (ev,) = _phase(x, stream=SURROUND)
    assert says(ev.detail, "SL/SR")
    back = StreamInfo(
        0, "audio", sample_rate=SR, channels=6, channel_names=("FL", "FR", "FC", "LFE", "BL", "BR")
    )
    (ev,) = _phase(x, stream=back)
    assert says(ev.detail, "BL/BR")
    unnamed = StreamInfo(0, "audio", sample_rate=SR, channels=2, channel_names=("NONE", "NONE"))
    (ev,) = _phase(pair(3.2, -0.6), stream=unnamed)
    assert says(ev.detail, "Channels 0/1 ", "out of phase")
    # a stream that declared no layout takes the default one of its channel count (3.0)
    three = StreamInfo(0, "audio", sample_rate=SR, channels=3)
    (ev,) = _phase(np.concatenate([pair(3.2, -0.6), pair(3.2, 0)[:1]]), stream=three)
    assert says(ev.detail, "Channels FL/FR ")
    mono = StreamInfo(0, "audio", sample_rate=SR, channels=1)
    assert _phase(pair(3.2, -1.0)[:1], stream=mono) == []


def test_phase_layout_shrinking_mid_stream():
    det = PhaseDetector(PhaseParams(), SURROUND)
    x = np.zeros((6, 2400), np.float32)
    x[[4, 5]] = pair(2.4, -1.0)
    x[[0, 1]] = pair(2.4, 0.9)
    det.update(AudioBlock(0, 0.0, SR, x))
    det.update(AudioBlock(0, 2.4, SR, pair(2.4, 0.9)))  # now stereo: no SL/SR
    (ev,) = det.finish(4.8)
    assert (ev.start_s, ev.end_s) == (0.0, pytest.approx(2.4))
    assert det.update(AudioBlock(0, 4.8, SR, np.zeros((2, 0), np.float32))) is None


def test_phase_window_length_and_timestamps():
    # 0.25 s windows: the stretch is measured in them
    x = np.concatenate([pair(1.0, 0.5), pair(2.0, -1.0), pair(1.0, 0.5)], axis=1)
    (ev,) = _phase(x, params=PhaseParams(window_s=0.25), block=333)
    assert (ev.start_s, ev.end_s) == (1.0, 3.0)
    # windows are placed by the timestamps of the blocks they end in
    det = PhaseDetector(PhaseParams(), STEREO)
    y = pair(2.4, -1.0)
    det.update(AudioBlock(0, 10.0, SR, y[:, :1200]))
    det.update(AudioBlock(0, 11.2, SR, y[:, 1200:]))
    (ev,) = det.finish(12.4)
    assert (ev.start_s, ev.end_s) == (10.0, pytest.approx(12.4))


def test_phase_pair_names_and_empty_blocks():
    # one channel of a pair named: no named pair, a stereo stream still has its pair
    odd = StreamInfo(0, "audio", sample_rate=SR, channels=2, channel_names=("FL", "FC"))
    (ev,) = _phase(pair(3.2, -1.0), stream=odd)
    assert says(ev.detail, "FL/FC")
    # an empty block does not start the first window
    det = PhaseDetector(PhaseParams(), STEREO)
    det.update(AudioBlock(0, 0.0, SR, np.zeros((2, 0), np.float32)))
    det.update(AudioBlock(0, 1.0, SR, pair(2.4, -1.0)))
    (ev,) = det.finish(3.4)
    assert (ev.start_s, ev.end_s) == (1.0, pytest.approx(3.4))


def test_phase_windows_of_one_sample():
    (ev,) = _phase(pair(2.001, -1.0), params=PhaseParams(window_s=0.001), block=1000)
    assert (ev.start_s, ev.end_s) == (0.0, pytest.approx(2.001, abs=1e-9))


def test_phase_layouts_that_lose_channels():
    # 5.1 to 5.0 (no SR): the SL/SR pair is gone, the others go on
    det = PhaseDetector(PhaseParams(), SURROUND)
    x = np.zeros((6, 2400), np.float32)
    x[[0, 1]] = pair(2.4, -1.0)
    det.update(AudioBlock(0, 0.0, SR, x))
    det.update(AudioBlock(0, 2.4, SR, x[:5]))
    (ev,) = det.finish(4.8)
    assert says(ev.detail, "FL/FR") and ev.end_s == pytest.approx(4.8)
    # 7.1 to 5.1: SL/SR (channels 6, 7) gone, BL/BR (4, 5) still there
    names = ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR")
    det = PhaseDetector(
        PhaseParams(), StreamInfo(0, "audio", sample_rate=SR, channels=8, channel_names=names)
    )
    x = np.zeros((8, 2400), np.float32)
    x[[4, 5]] = pair(2.4, -1.0)
    det.update(AudioBlock(0, 0.0, SR, x))
    det.update(AudioBlock(0, 2.4, SR, x[:6]))
    (ev,) = det.finish(4.8)
    assert says(ev.detail, "BL/BR") and ev.end_s == pytest.approx(4.8)


def test_phase_exact_limits():
    # full scale on both channels is exactly 0 dBFS RMS: at min_level_dbfs=0 it counts
    (ev,) = _phase(pair(2.4, -1.0, level=1.0), params=PhaseParams(min_level_dbfs=0.0))
    assert ev.value == -1.0
    # a correlation of exactly −1 is not below max_correlation=−1
    assert _phase(pair(2.4, -1.0, level=0.125), params=PhaseParams(max_correlation=-1.0)) == []
    # a stretch of one window has that window's correlation
    x = np.concatenate([pair(0.4, 0.5), pair(0.4, -1.0), pair(0.4, 0.5)], axis=1)
    (ev,) = _phase(x, params=PhaseParams(min_duration_s=0.4), block=400)
    assert (ev.start_s, ev.end_s, ev.value) == (0.4, 0.8, -1.0)


# ---- dc_offset ---------------------------------------------------------------------------------


def _dc(x, params=None, stream=STEREO, block=300, end=None):
    det = DcOffsetDetector(params or DcOffsetParams(), stream)
    return feed_audio(det, x, SR, block, end=end)


def with_dc(seconds: float, dc: tuple[float, ...], level: float = 0.1) -> np.ndarray:
    """Two channels of zero-mean signal (over every 4 samples) plus a DC on each."""
    a, b = walsh(round(seconds * SR))
    return (np.stack([a, b]) * level + np.array(dc)[:, None]).astype(np.float32)


def test_dc_offset_per_channel():
    x = np.concatenate([with_dc(2.0, (0.0, 0.0)), with_dc(3.0, (0.0, 0.0102))], axis=1)
    x = np.concatenate([x, with_dc(1.0, (0.0, 0.0))], axis=1)
    x[1, 3000:4000] -= 0.04  # one window at −0.0298 (−30.5 dBFS), the sign does not matter
    (ev,) = _dc(x)
    assert (ev.start_s, ev.end_s, ev.channel, ev.unit) == (2.0, 5.0, 1, "dBFS")
    assert ev.value == pytest.approx(amplitude_to_db(0.0298), abs=1e-3)
    assert (ev.severity, ev.detector, ev.stream_index) == (Severity.WARNING, "dc_offset", 0)
    assert says(ev.detail, "-30.5 dBFS", "(3% of full scale)", "on channel FR", "for 3.0 s")


def test_dc_offset_threshold_and_duration():
    assert len(_dc(with_dc(3.0, (0.0102, 0.0)))) == 1  # −39.8 dBFS
    assert _dc(with_dc(3.0, (0.0098, 0.0))) == []  # −40.2 dBFS
    assert len(_dc(with_dc(3.0, (0.0098, 0.0)), DcOffsetParams(threshold_dbfs=-41.0))) == 1
    # two windows (2 s) are enough, one is not
    x = np.concatenate([with_dc(1.0, (0, 0)), with_dc(2.0, (0.02, 0)), with_dc(1.0, (0, 0))], 1)
    (ev,) = _dc(x)
    assert (ev.start_s, ev.end_s, ev.channel) == (1.0, 3.0, 0)
    x = np.concatenate([with_dc(1.0, (0, 0)), with_dc(1.0, (0.02, 0)), with_dc(1.0, (0, 0))], 1)
    assert _dc(x) == []
    assert len(_dc(x, DcOffsetParams(min_duration_s=1.0))) == 1
    # windows of the parameter's length
    x = np.concatenate([with_dc(1.0, (0, 0)), with_dc(2.5, (0.02, 0)), with_dc(1.0, (0, 0))], 1)
    (ev,) = _dc(x, DcOffsetParams(window_s=0.5, min_duration_s=2.5))
    assert (ev.start_s, ev.end_s) == (1.0, 3.5)


def test_dc_offset_on_both_channels_and_at_the_end():
    (a, b) = _dc(with_dc(3.0, (0.05, -0.05)))  # to the end of the stream
    assert [(e.channel, e.start_s, e.end_s) for e in (a, b)] == [(0, 0.0, 3.0), (1, 0.0, 3.0)]
    # the last, partial window counts when it holds a quarter of a window or more
    p = DcOffsetParams(min_duration_s=1.25)
    (ev,) = _dc(np.concatenate([with_dc(1.0, (0, 0)), with_dc(1.25, (0.05, 0))], 1), p)
    assert (ev.start_s, ev.end_s) == (1.0, 2.25)
    assert _dc(np.concatenate([with_dc(1.0, (0, 0)), with_dc(1.249, (0.05, 0))], 1), p) == []


def test_dc_offset_layout_change_closes_the_runs():
    det = DcOffsetDetector(DcOffsetParams(), STEREO)
    det.update(AudioBlock(0, 0.0, SR, with_dc(3.0, (0.05, 0.0))))
    six = np.zeros((6, 3000), np.float32)
    det.update(AudioBlock(0, 3.0, SR, six))
    (ev,) = det.finish(6.0)
    assert (ev.start_s, ev.end_s, ev.channel) == (0.0, 3.0, 0)


def test_dc_offset_partial_window_and_exact_level():
    # a last window under a quarter is left out: the stretch ends with the last whole window
    (ev,) = _dc(with_dc(3.1, (0.05, 0.0)))
    assert (ev.start_s, ev.end_s) == (0.0, 3.0)
    # a quarter of the parameter's window counts
    p = DcOffsetParams(window_s=0.5)
    (ev,) = _dc(np.concatenate([with_dc(1.0, (0, 0)), with_dc(2.2, (0.05, 0))], 1), p)
    assert (ev.start_s, ev.end_s) == (1.0, pytest.approx(3.2))
    # a DC exactly at the threshold counts
    dc = 2.0**-7
    x = with_dc(3.0, (dc, 0.0), level=0.125)
    (ev,) = _dc(x, DcOffsetParams(threshold_dbfs=amplitude_to_db(dc)))
    assert ev.value == amplitude_to_db(dc)
    # the share of full scale in the detail
    (ev,) = _dc(with_dc(3.0, (0.0124, 0.0), level=0.125))
    assert says(ev.detail, "(1.2% of full scale)")


# ---- dual_mono ---------------------------------------------------------------------------------


def _dual(x, params=None, stream=STEREO, block=1000):
    det = DualMonoDetector(params or DualMonoParams(), stream)
    return feed_audio(det, x, SR, block)


def test_dual_mono_identical_channels():
    (ev,) = _dual(pair(31.0, 1.0))
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (0.0, 31.0, 0.0, "dB")
    assert (ev.severity, ev.detector, ev.frame_start, ev.channel) == (
        "info",
        "dual_mono",
        None,
        None,
    )
    assert says(ev.detail, "one signal (identical) for 31.0 s", "mono as stereo")


def test_dual_mono_one_channel_a_copy_at_another_gain():
    x = pair(31.0, 1.0)
    x[1] *= 0.5
    (ev,) = _dual(x)
    assert ev.value == pytest.approx(-6.0206, abs=1e-3)
    assert says(ev.detail, "one signal (the same signal, right -6.0 dB)")
    x = pair(31.0, 1.0)
    x[1] *= 0.995  # −0.04 dB: identical
    (ev,) = _dual(x)
    assert says(ev.detail, "(identical)")


def test_dual_mono_thresholds():
    assert len(_dual(pair(31.0, 0.9995))) == 1
    assert _dual(pair(31.0, 0.998)) == []
    assert len(_dual(pair(31.0, 0.998), DualMonoParams(min_correlation=0.99))) == 1
    assert _dual(pair(29.0, 1.0)) == []  # 29 s
    assert len(_dual(pair(30.0, 1.0))) == 1  # 30 s
    assert len(_dual(pair(10.0, 1.0), DualMonoParams(min_duration_s=10.0, window_s=0.5))) == 1
    # both channels need signal
    assert _dual(pair(31.0, 1.0, level=0.0031)) == []
    assert len(_dual(pair(31.0, 1.0, level=0.0032))) == 1
    assert len(_dual(pair(31.0, 1.0, level=0.0031), DualMonoParams(min_level_dbfs=-60.0))) == 1
    quiet = pair(31.0, 1.0)
    quiet[1] *= 0.02
    assert _dual(quiet) == []


def test_dual_mono_only_two_channel_programmes():
    six = np.tile(pair(31.0, 1.0), (3, 1))
    assert _dual(six, stream=SURROUND) == []
    det = DualMonoDetector(DualMonoParams(), STEREO)
    det.update(AudioBlock(0, 0.0, SR, np.zeros((2, 0), np.float32)))
    det.update(AudioBlock(0, 5.0, SR, pair(31.0, 1.0)))
    (ev,) = det.finish(36.0)
    assert (ev.start_s, ev.end_s) == (5.0, 36.0)


def test_dual_mono_stretch_ends_where_the_channels_part():
    """30 s of one signal, then real stereo: the finding ends exactly at 30 s, whatever the
    blocks (700 samples here, across the 1 s windows)."""
    x = np.concatenate([pair(30.0, 1.0), pair(5.0, 0.0)], axis=1)
    (ev,) = _dual(x, block=700)
    assert (ev.start_s, ev.end_s) == (0.0, pytest.approx(30.0, abs=1e-9))


def test_dual_mono_exact_limits():
    # identical channels correlate at exactly 1: at min_correlation=1 they count
    assert len(_dual(pair(31.0, 1.0, level=0.125), DualMonoParams(min_correlation=1.0))) == 1
    # full scale is exactly 0 dBFS RMS: at min_level_dbfs=0 it counts
    assert len(_dual(pair(31.0, 1.0, level=1.0), DualMonoParams(min_level_dbfs=0.0))) == 1
    # the left channel quiet is as good as the right
    quiet = pair(31.0, 1.0)
    quiet[0] *= 0.02
    assert _dual(quiet) == []
    # a copy 0.45 dB lower is not identical
    x = pair(31.0, 1.0)
    x[1] *= 0.95
    (ev,) = _dual(x)
    assert says(ev.detail, "(the same signal, right -0.4 dB)")


# ---- loudness and true peak --------------------------------------------------------------------


def _loud_facts(*integrated, lra=5.0, duration=60.0, start=None) -> FileFacts:
    """A file with one audio programme per value of ``integrated`` (on tracks 1, 2 …; "none":
    not measured)."""
    programmes = []
    for k, lufs in enumerate(integrated):
        summary = None if lufs == "none" else LoudnessSummary(lufs, lra, -10.0, -12.0, start)
        programmes.append(
            ProgrammeFacts(f"p{k}", (k + 1,), (k + 1,), f"track {k + 1}", loudness=summary)
        )
    video = StreamFacts(StreamInfo(0, "video"), 0.0, duration, 100)
    return FileFacts(streams=[video], duration_s=duration, programmes=programmes)


@pytest.mark.parametrize(
    ("profile", "target", "tolerance"),
    [("ebu", -23.0, 1.0), ("atsc", -24.0, 2.0), ("streaming", -14.0, 1.0)],
)
def test_loudness_target_and_tolerance_per_profile(profile, target, tolerance):
    det = LoudnessDetector(LoudnessParams(profile=profile))
    edges = (target - tolerance, target + tolerance)
    assert det.check(_loud_facts(*edges, target)) == []  # at the edges: compliant
    below, above = target - tolerance - 0.1, target + tolerance + 0.1
    det = LoudnessDetector(LoudnessParams(profile=profile))
    low, high = det.check(_loud_facts(below, above))
    assert (low.value, low.unit, low.stream_index, low.severity) == (below, "LUFS", 1, "error")
    assert (low.start_s, low.end_s, high.stream_index) == (0.0, 60.0, 2)
    assert low.detail == (
        f"Integrated loudness of track 1 {below:.1f} LUFS is {tolerance + 0.1:.1f} LU below "
        f"the {profile} target {target:g} ±{tolerance:g} LU, LRA 5.0 LU."
    )
    assert f"LU above the {profile} target" in high.detail


def test_loudness_measured_only_without_a_profile_and_skips_what_it_cannot_judge():
    assert LoudnessDetector(LoudnessParams()).check(_loud_facts(-40.0, -5.0)) == []
    det = LoudnessDetector(LoudnessParams(profile="ebu"))
    facts = _loud_facts(None, "none", -30.0, lra=None)  # gated out, not measured, too quiet
    (ev,) = det.check(facts)
    assert ev.stream_index == 3
    assert ev.detail == (
        "Integrated loudness of track 3 -30.0 LUFS is 7.0 LU below the ebu target -23 ±1 LU."
    )


def test_loudness_judges_every_programme_and_names_a_leader():
    (ev,) = LoudnessDetector(LoudnessParams(profile="ebu")).check(_loud_facts(-23.0, -30.0))
    assert ev.stream_index == 2 and ev.value == -30.0
    (ev,) = LoudnessDetector(LoudnessParams(profile="ebu")).check(_loud_facts(-30.0, start=12.0))
    assert ev.detail.endswith("LRA 5.0 LU (measured from 12.0 s, after the leader).")
    (ev,) = LoudnessDetector(LoudnessParams(profile="ebu")).check(_loud_facts(-30.0, start=1.0))
    assert ev.detail.endswith("LRA 5.0 LU (measured from 1.0 s, after the leader).")
    (ev,) = LoudnessDetector(LoudnessParams(profile="ebu")).check(_loud_facts(-30.0, start=0.5))
    assert ev.detail.endswith("LRA 5.0 LU.")


def test_true_peak_overs_taken_in_order_of_their_starts():
    det = TruePeakDetector(TruePeakParams(profile="ebu", merge_gap_s=0.0), STEREO)
    _overs(det, (1, 1.2, 1.3, 0.95), (0, 1.0, 1.5, 0.95))
    (ev,) = det.finish(5.0)
    assert (ev.start_s, ev.end_s, ev.channel) == (1.0, 1.5, None)


def _overs(det, *overs, t=0.0):
    block = AudioBlock(0, t, 48000, np.zeros((2, 4800), np.float32))
    block.true_peak_overs = list(overs)
    det.update(block)


@pytest.mark.parametrize(
    ("profile", "ceiling_db"), [("ebu", -1.0), ("atsc", -2.0), ("streaming", -1.0)]
)
def test_true_peak_ceiling_per_profile(profile, ceiling_db):
    det = TruePeakDetector(TruePeakParams(profile=profile), STEREO)
    ceiling = dbfs_to_amplitude(ceiling_db)
    assert det.needs() == Needs(true_peak_overs_above=ceiling)
    over = float(np.nextafter(ceiling, 2.0))
    _overs(det, (0, 1.0, 1.01, ceiling), (1, 2.0, 2.01, over), (0, 2.005, 2.02, 1.0))
    (ev,) = det.finish(10.0)  # exactly at the ceiling is compliant
    assert (ev.start_s, ev.end_s, ev.value, ev.unit) == (2.0, 2.02, 0.0, "dBTP")
    assert (ev.channel, ev.severity, ev.detector) == (None, Severity.ERROR, "true_peak")
    assert ev.detail == (
        f"True peak +0.0 dBTP above the {profile} ceiling {ceiling_db:g} dBTP on channels FL, FR."
    )


def test_true_peak_overs_merge_within_the_gap():
    det = TruePeakDetector(TruePeakParams(profile="atsc"), STEREO)
    _overs(det, (1, 3.0, 3.01, 0.9), (1, 1.0, 1.01, 0.85))  # out of order in one block
    _overs(det, (1, 3.51, 3.52, 0.95), t=3.5)  # 0.5 s after the last: merged
    _overs(det, (1, 4.03, 4.04, 0.9), t=4.0)  # 0.51 s after: not
    a, b, c = det.finish(10.0)
    assert (a.start_s, a.end_s, a.channel) == (1.0, 1.01, 1)
    assert (b.start_s, b.end_s, b.value) == (3.0, 3.52, pytest.approx(amplitude_to_db(0.95)))
    assert b.detail == "True peak -0.4 dBTP above the atsc ceiling -2 dBTP on channel FR."
    assert (c.start_s, c.end_s) == (4.03, 4.04)


def test_true_peak_without_a_profile_is_measured_not_judged():
    det = TruePeakDetector(TruePeakParams(), STEREO)
    assert det.needs() == Needs()
    _overs(det, (0, 1.0, 1.01, 2.0))
    assert det.finish(10.0) == []


def test_true_peak_from_the_measure_step():
    """The measure step locates the overs the detector asks for (to its 512-sample windows)."""
    det = TruePeakDetector(TruePeakParams(profile="ebu"), STEREO)
    meter = AudioMeasure(det.needs().true_peak_overs_above)
    x = np.zeros((2, 48000), np.float32)
    n = np.arange(1920)
    burst = np.sin(2 * np.pi * 1000 * n / 48000) * np.hanning(1920)  # 40 ms of 1 kHz
    x[1, 9600:11520] = 0.95 * burst  # −0.45 dBTP: over the −1 dBTP ceiling
    x[0, 28800:30720] = 0.85 * burst  # −1.4 dBTP: under it
    for i in range(0, 48000, 4800):
        block = AudioBlock(0, i / 48000, 48000, x[:, i : i + 4800])
        meter.update(block)
        det.update(block)
    (ev,) = det.finish(1.0)
    assert ev.channel == 1 and 0.2 <= ev.start_s < ev.end_s <= 0.24
    assert ev.value == pytest.approx(amplitude_to_db(0.95), abs=0.05)


# ---- file-level detectors ----------------------------------------------------------------------

V = StreamInfo(0, "video", "h264", frame_s=FS)


def _facts(video=(0.0, 10.0), *audios, items=100, duration=None) -> FileFacts:
    streams = [] if video is None else [StreamFacts(V, video[0], video[1], items)]
    for k, (start, end) in enumerate(audios):
        info = StreamInfo(k + 1, "audio", "aac", sample_rate=48000, channels=2)
        streams.append(StreamFacts(info, start, end, 0 if start is None and end is None else 50))
    ends = [s.end_s for s in streams if s.end_s is not None]
    return FileFacts(streams=streams, duration_s=duration or max(ends, default=0.0))


@pytest.mark.parametrize(
    ("start", "found", "detail"),
    [
        (0.125, False, None),
        (0.125 + 1e-6, True, "Audio (stream 1) starts 125 ms late against the picture."),
        (-0.045, False, None),
        (-0.045 - 1e-6, True, "Audio (stream 1) starts 45 ms early against the picture."),
        (-0.5, True, "Audio (stream 1) starts 500 ms early against the picture."),
    ],
)
def test_av_offset_window_edges(start, found, detail):
    events = AvOffsetDetector(AvOffsetParams()).check(_facts((0.0, 10.0), (start, 10.0)))
    assert [e.detail for e in events] == ([detail] if found else [])
    if found:
        ev = events[0]
        assert (ev.value, ev.unit, ev.stream_index, ev.severity) == (start, "s", 1, "error")
        assert (ev.start_s, ev.end_s) == (0.0, 10.0)


def test_av_offset_against_the_first_picture_per_audio_stream():
    facts = _facts((1.0, 10.0), (1.1, 10.0), (1.2, 10.0), (None, None))
    (ev,) = AvOffsetDetector(AvOffsetParams()).check(facts)  # 100 ms late is fine, 200 is not
    assert ev.stream_index == 2 and ev.value == pytest.approx(0.2)
    p = AvOffsetParams(early_limit_s=0.0, late_limit_s=0.3)
    assert AvOffsetDetector(p).check(facts) == []
    assert AvOffsetDetector(p).check(_facts((1.0, 10.0), (0.99, 10.0)))[0].value == pytest.approx(
        -0.01
    )
    assert AvOffsetDetector(AvOffsetParams()).check(_facts(None, (5.0, 10.0))) == []
    assert AvOffsetDetector(AvOffsetParams()).check(_facts((None, None), (5.0, 10.0))) == []


def test_av_offset_streams_after_one_without_audio_and_detail_in_ms():
    facts = _facts((1.0, 10.0), (None, None), (1.7, 10.0))
    (ev,) = AvOffsetDetector(AvOffsetParams()).check(facts)
    assert ev.stream_index == 2
    assert ev.detail == "Audio (stream 2) starts 700 ms late against the picture."


@pytest.mark.parametrize(
    ("audio_end", "found", "detail"),
    [
        (9.75, False, None),  # 2 frames (0.25 s) short: allowed
        (
            9.75 - 1e-6,
            True,
            "Audio (stream 1) is 0.250 s shorter than the video (9.750 s vs 10.000 s).",
        ),
        (12.0, False, None),  # 2 s long: allowed
        (
            12.0 + 1e-6,
            True,
            "Audio (stream 1) is 2.000 s longer than the video (12.000 s vs 10.000 s).",
        ),
    ],
)
def test_duration_mismatch_rule(audio_end, found, detail):
    events = DurationMismatchDetector(DurationMismatchParams()).check(
        _facts((0.0, 10.0), (0.0, audio_end))
    )
    assert [e.detail for e in events] == ([detail] if found else [])
    if found:
        ev = events[0]
        assert (ev.value, ev.unit, ev.stream_index, ev.severity) == (
            pytest.approx(audio_end - 10.0),
            "s",
            1,
            "warning",
        )


def test_duration_mismatch_what_it_compares():
    # durations, not end times: both streams start late by the same amount
    assert (
        DurationMismatchDetector(DurationMismatchParams()).check(_facts((5.0, 15.0), (5.0, 15.0)))
        == []
    )
    (ev,) = DurationMismatchDetector(DurationMismatchParams()).check(
        _facts((0.0, 10.0), (0.0, 10.0), (1.0, 10.0), (None, None))
    )
    assert ev.stream_index == 2
    p = DurationMismatchParams(short_frames=8.0, long_s=0.5)
    assert DurationMismatchDetector(p).check(_facts((0.0, 10.0), (0.0, 9.0))) == []
    (ev,) = DurationMismatchDetector(p).check(_facts((0.0, 10.0), (0.0, 10.6)))
    assert ev.detail == "Audio (stream 1) is 0.600 s longer than the video (10.600 s vs 10.000 s)."
    # no video, or a video stream that decoded nothing: nothing to compare with
    assert DurationMismatchDetector(DurationMismatchParams()).check(_facts(None, (0.0, 1.0))) == []
    facts = _facts((0.0, 10.0), (0.0, 1.0), items=0)
    assert DurationMismatchDetector(DurationMismatchParams()).check(facts) == []


def test_missing_stream_declared_but_empty():
    facts = _facts((0.0, 10.0), (0.0, 10.0), (None, None))
    facts.streams[2].messages = ["Invalid data found", "second"]
    (ev,) = MissingStreamDetector(MissingStreamParams()).check(facts)
    assert (ev.stream_index, ev.value, ev.unit, ev.start_s, ev.end_s) == (
        2,
        0.0,
        "frames",
        0.0,
        10.0,
    )
    assert ev.detail == (
        "Audio stream 2 (aac) is declared but yields no decodable frames: Invalid data found."
    )
    facts = _facts((0.0, 10.0), items=0)
    (ev,) = MissingStreamDetector(MissingStreamParams()).check(facts)
    assert ev.detail == "Video stream 0 (h264) is declared but yields no decodable frames."


def test_missing_stream_configured_programme_the_file_cannot_have():
    facts = _facts((0.0, 10.0), (0.0, 10.0))
    facts.programme_notes = ["programme 'main' on tracks 3+4, but the file has 1 audio track"]
    (ev,) = MissingStreamDetector(MissingStreamParams()).check(facts)
    assert ev.detail == "Configured programme 'main' on tracks 3+4, but the file has 1 audio track."
    assert (ev.start_s, ev.end_s, ev.stream_index) == (0.0, 10.0, None)


@pytest.mark.parametrize(
    ("require_video", "require_audio", "facts", "details"),
    [
        (False, False, "audio only", []),
        (True, False, "audio only", ["The file has no video stream."]),
        (True, False, "video only", []),
        (False, True, "video only", ["The file has no audio stream."]),
        (True, True, "both", []),
        (True, True, "neither", ["The file has no video stream.", "The file has no audio stream."]),
    ],
)
def test_missing_stream_required_kinds(require_video, require_audio, facts, details):
    made = {
        "audio only": _facts(None, (0.0, 5.0)),
        "video only": _facts((0.0, 5.0)),
        "both": _facts((0.0, 5.0), (0.0, 5.0)),
        "neither": FileFacts(streams=[], duration_s=0.0),
    }[facts]
    det = MissingStreamDetector(
        MissingStreamParams(require_video=require_video, require_audio=require_audio)
    )
    events = det.check(made)
    assert [e.detail for e in events] == details
    assert all(e.stream_index is None and e.value is None for e in events)


# ---- rules between detectors (streamcheck.detectors.rules, applied by events.finalize) ---------


def _ev(detector: str, start: float, end: float, stream: int | None = 0) -> Event:
    return Event(detector, Severity.WARNING, start, end, f"{detector}.", stream_index=stream)


def _spans(events, detector: str) -> list[tuple[float, float]]:
    return [(e.start_s, e.end_s) for e in events if e.detector == detector]


def test_rule_no_letterbox_inside_black():
    """An all-black picture shows no bars: a letterbox stretch is cut where black is, and a
    piece shorter than letterbox's own minimum is dropped."""
    out = finalize(
        [_ev("letterbox", 0.0, 10.0), _ev("black", 4.0, 6.0), _ev("letterbox", 20.0, 23.0)],
        30.0,
        min_duration_s={"letterbox": 2.0},
    )
    assert _spans(out, "letterbox") == [(0.0, 4.0), (6.0, 10.0), (20.0, 23.0)]
    out = finalize(
        [_ev("letterbox", 0.0, 5.0), _ev("black", 1.0, 5.0)],
        30.0,
        min_duration_s={"letterbox": 2.0},
    )
    assert _spans(out, "letterbox") == []


def test_rule_silence_inside_an_audio_gap_of_its_own_stream_is_reported_once():
    events = [_ev("silence", 2.0, 8.0, 1), _ev("timestamp_gap", 2.0, 8.0, 1)]
    assert _spans(finalize(events, 30.0), "silence") == []
    # a gap on another stream does not explain the silence
    events = [_ev("silence", 2.0, 8.0, 1), _ev("timestamp_gap", 2.0, 8.0, 2)]
    assert _spans(finalize(events, 30.0), "silence") == [(2.0, 8.0)]


def test_rule_timestamp_jumps_inside_decode_damage_are_the_damage():
    events = [
        _ev("decode_error", 4.0, 6.0),
        *[_ev("timestamp_gap", 4.0 + k / 5, 4.1 + k / 5) for k in range(9)],
        _ev("timestamp_gap", 12.0, 12.4),
    ]
    out = finalize(events, 30.0)
    assert _spans(out, "timestamp_gap") == [(12.0, 12.4)]
    assert _spans(out, "decode_error") == [(4.0, 6.0)]

"""Unit tests of the pure score functions and property tests of the interval logic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcheck.detectors.black import black_ratio
from streamcheck.detectors.clipping import ClippingDetector, ClippingParams
from streamcheck.detectors.decibels import dbfs_to_amplitude
from streamcheck.detectors.intervals import RunTracker, runs_of_true
from streamcheck.detectors.planes import block_means, dark_code_threshold, mean_abs_diff
from streamcheck.detectors.silence import SilenceDetector, SilenceParams
from streamcheck.model import AudioBlock, StreamInfo


def test_dark_code_threshold_follows_range_and_depth():
    assert dark_code_threshold(16, 235, 0.10) == 37  # 8-bit limited
    assert dark_code_threshold(0, 255, 0.10) == 25  # 8-bit full
    assert dark_code_threshold(64, 940, 0.10) == 151  # 10-bit limited


def test_black_ratio_counts_dark_samples():
    plane = np.full((10, 10), 16, np.uint8)
    assert black_ratio(plane, 37) == 1.0
    plane[0, :] = 200
    assert black_ratio(plane, 37) == pytest.approx(0.9)
    assert black_ratio(np.full((4, 4), 38, np.uint8), 37) == 0.0


def test_block_means_and_mean_abs_diff():
    plane = np.arange(256, dtype=np.uint8).reshape(16, 16)
    means = block_means(plane, 8)
    assert means.shape == (2, 2)
    assert means[0, 0] == pytest.approx(plane[:8, :8].mean())
    assert block_means(np.ones((3, 3), np.uint8)).shape == (1, 1)
    a = np.zeros((4, 4), np.uint8)
    b = np.full((4, 4), 51, np.uint8)
    assert mean_abs_diff(a, b, 255) == pytest.approx(0.2)
    assert mean_abs_diff(b, b, 255) == 0.0


def test_runs_of_true():
    starts, ends = runs_of_true(np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1], bool))
    assert starts.tolist() == [1, 4, 7] and ends.tolist() == [3, 5, 10]
    starts, ends = runs_of_true(np.zeros(5, bool))
    assert starts.size == 0 and ends.size == 0


def test_dbfs_to_amplitude():
    assert dbfs_to_amplitude(-60) == pytest.approx(0.001)
    assert dbfs_to_amplitude(0) == 1.0


def _blocks(signal: np.ndarray, sr: int, size: int):
    for i in range(0, signal.shape[1], size):
        yield AudioBlock(0, i / sr, sr, signal[:, i : i + size])


@pytest.mark.parametrize("block", [64, 1000, 4096])
def test_silence_exact_to_the_sample_whatever_the_block_size(block):
    sr = 8000
    x = np.full((2, sr * 10), 0.1, np.float32)
    x[:, int(2.5 * sr) : int(5.25 * sr)] = 0.0  # 2.75 s of silence
    x[1, int(3.0 * sr)] = 0.5  # one loud sample on one channel splits it
    x[:, int(7 * sr) : int(8 * sr)] = 0.0  # 1 s
    x[:, int(8.1 * sr) : int(8.4 * sr)] = 0.0  # 0.3 s: too short
    x[:, int(8.5 * sr) :] = 0.0005  # −66 dBFS to the end: silent, closed at EOF
    det = SilenceDetector(SilenceParams(min_duration_s=0.4), StreamInfo(0, "audio"))
    for b in _blocks(x, sr, block):
        det.update(b)
    ev = det.finish(10.0)
    got = [t for e in ev for t in (e.start_s, e.end_s)]
    assert got == pytest.approx([2.5, 3.0, 3.0 + 1 / sr, 5.25, 7.0, 8.0, 8.5, 10.0])
    assert all(type(e.start_s) is float and type(e.end_s) is float for e in ev)


def test_clipping_runs_across_blocks_and_merged():
    sr = 1000
    x = np.zeros((2, 3000), np.float32)
    x[0, 998:1003] = 1.0  # 5-sample run across a block boundary at 1000
    x[1, 1100:1102] = -1.0  # 2 samples: a peak, not a clip
    x[1, 1200:1204] = -1.2  # overshoot counts
    x[0, 2500:2510] = 1.0  # far away: a second segment
    det = ClippingDetector(ClippingParams(merge_gap_s=0.5), StreamInfo(0, "audio"))
    for b in _blocks(x, sr, 1000):
        det.update(b)
    ev = det.finish(3.0)
    assert [(e.start_s, e.end_s, e.value) for e in ev] == [
        (0.998, 1.204, 9.0),
        (2.5, 2.51, 10.0),
    ]
    assert ev[0].channel is None and ev[1].channel == 0


# ---- property tests of the run tracker -------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    flags=st.lists(st.booleans(), min_size=1, max_size=300),
    min_units=st.integers(min_value=0, max_value=20),
    gap_units=st.integers(min_value=0, max_value=5),
)
def test_run_tracker_intervals(flags, min_units, gap_units):
    dt = 0.04
    min_d, gap = min_units * dt, gap_units * dt
    tracker = RunTracker(min_duration_s=min_d, merge_gap_s=gap)
    out = []
    for i, f in enumerate(flags):
        out += tracker.update(f, i * dt, i)
    end = len(flags) * dt
    out += tracker.finish(end)
    prev_end = -1.0
    for iv in out:
        assert iv.start_s < iv.end_s or min_d == 0
        assert iv.start_s >= prev_end  # ordered, no overlaps
        assert iv.duration_s + 1e-9 >= min_d  # min duration respected
        assert iv.start_s >= 0.0 and iv.end_s <= end + 1e-9  # inside the media
        assert flags[iv.first] and flags[iv.last]  # starts and ends on active units
        prev_end = iv.end_s
    # every active unit is covered when nothing is dropped for being short
    if min_units == 0:
        covered = {i for iv in out for i in range(iv.first, iv.last + 1)}
        assert {i for i, f in enumerate(flags) if f} <= covered
    # a run still open at the end is closed at the end of the stream
    if flags[-1]:
        last_start = (len(flags) - flags[::-1].index(False)) * dt if False in flags else 0.0
        if end - last_start + 1e-9 >= min_d:
            assert out and out[-1].end_s == pytest.approx(end)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 40)), min_size=1, max_size=30))
def test_run_tracker_without_merge_matches_a_plain_scan(segments):
    """With no merge gap and no minimum, intervals are exactly the runs of active units."""
    flags = [f for f, n in segments for _ in range(n)]
    tracker = RunTracker()
    out = []
    for i, f in enumerate(flags):
        out += tracker.update(f, float(i), i)
    out += tracker.finish(float(len(flags)))
    expected, i = [], 0
    while i < len(flags):
        if flags[i]:
            j = i
            while j < len(flags) and flags[j]:
                j += 1
            expected.append((float(i), float(j)))
            i = j
        else:
            i += 1
    assert [(iv.start_s, iv.end_s) for iv in out] == expected

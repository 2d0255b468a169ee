"""The scorer on hand-made truth and findings (``pytest eval/test_score.py``)."""

from __future__ import annotations

import pytest

from eval.score import (
    Event,
    FileEval,
    clean_seconds,
    match,
    score,
    score_measured_loudness,
    table,
    total,
)


def E(det: str, s: float, e: float, **kw: object) -> Event:
    return Event(det, s, e, **kw)  # type: ignore[arg-type]


def test_overlap_and_near_misses_match_one_to_one():
    truth = [E("black", 10, 12.5), E("black", 30, 33)]
    found = [E("black", 10.04, 12.5), E("black", 12.9, 13.5), E("black", 33.4, 34)]
    # the first overlaps; the second finding is 0.4 s after the first truth, but that truth is
    # taken; the third is 0.4 s after the second truth (within 0.5 s)
    assert match(truth, found) == [(0, 0), (1, 2)]
    assert match([E("black", 10, 12)], [E("black", 12.6, 14)]) == []  # 0.6 s apart


def test_one_long_finding_covers_only_one_truth():
    truth = [E("letterbox", 0, 10), E("letterbox", 13, 20)]
    found = [E("letterbox", 0, 20)]
    sc = score([FileEval("f", 20, truth, found)], ["letterbox"])["letterbox"]
    assert (sc.tp, sc.fp, sc.fn) == (1, 0, 1)
    assert sc.precision == 1.0 and sc.recall == 0.5


def test_silence_channel_must_agree_and_streams_never_cross():
    truth = [E("silence", 3, 6, channel=1, stream_index=1)]
    assert match(truth, [E("silence", 3, 6, channel=None, stream_index=1)]) == []
    assert match(truth, [E("silence", 3, 6, channel=1, stream_index=2)]) == []
    assert match(truth, [E("silence", 3.01, 6, channel=1, stream_index=1)]) == [(0, 0)]
    # clipping ignores the channel
    assert match([E("clipping", 1, 2, channel=0)], [E("clipping", 1, 2, channel=1)]) == [(0, 0)]


def test_file_level_classes_match_by_value():
    t = [E("av_offset", 0, 10, value=0.3)]
    assert match(t, [E("av_offset", 0, 10, value=0.33)]) == [(0, 0)]
    assert match(t, [E("av_offset", 0, 10, value=0.35)]) == []
    d = [E("duration_mismatch", 0, 10, value=-1.5)]
    assert match(d, [E("duration_mismatch", 0, 10, value=-1.45)]) == [(0, 0)]
    assert match(d, [E("duration_mismatch", 0, 10, value=1.5)]) == []
    assert match([E("loudness", 0, 9, value=-16.0)], [E("loudness", 0, 9, value=-16.9)]) == [(0, 0)]
    m = [E("missing_stream", 0, 9, stream_index=2)]
    assert match(m, [E("missing_stream", 0, 9, stream_index=1)]) == []
    assert match(m, [E("missing_stream", 0, 9, stream_index=2)]) == [(0, 0)]


def test_metrics_errors_and_false_alarms_per_clean_hour():
    # one hour file: truth 100-103 s; clean = 3600 - (3 + 2 padding) = 3595 s
    f = FileEval(
        "a.mp4",
        3600.0,
        [E("freeze", 100, 103)],
        [E("freeze", 100.2, 103.4), E("freeze", 2000, 2003), E("freeze", 103.5, 104)],
    )
    assert clean_seconds(f) == pytest.approx(3595.0)
    sc = score([f], ["freeze"])["freeze"]
    assert (sc.tp, sc.fp, sc.fn) == (1, 2, 0)
    assert sc.start_errors == [pytest.approx(0.2)] and sc.end_errors == [pytest.approx(0.4)]
    # only the finding far from the truth is on clean material
    assert sc.fp_clean == 1
    assert sc.fa_per_clean_hour == pytest.approx(1 / (3595 / 3600))
    assert sc.f1 == pytest.approx(2 * (1 / 3) * 1 / (1 / 3 + 1))


def test_file_level_false_alarm_is_clean_only_in_a_file_without_truth():
    clean = FileEval("c", 60, [], [E("av_offset", 0, 60, value=0.2)])
    dirty = FileEval("d", 60, [E("black", 5, 8)], [E("av_offset", 0, 60, value=0.2)])
    sc = score([clean, dirty], ["av_offset"])["av_offset"]
    assert (sc.fp, sc.fp_clean) == (2, 1)


def test_unanalysed_file_misses_its_truth():
    f = FileEval("x", 10, [E("black", 1, 4)], [], status="error")
    sc = score([f], ["black"])["black"]
    assert (sc.tp, sc.fn) == (0, 1) and "not analysed" in sc.misses[0]


def test_measured_loudness_total_and_table():
    files = [
        FileEval("a", 10, [], [], integrated_truth=-23.0, integrated_found=-23.4),
        FileEval("b", 10, [], [], integrated_truth=-16.0, integrated_found=-17.5),
        FileEval("c", 10, [], []),
    ]
    ml = score_measured_loudness(files)
    assert (ml.truth, ml.tp, ml.fn) == (2, 1, 1)
    rows = list(
        score(
            [FileEval("f", 3600, [E("black", 1, 4)], [E("black", 1, 4), E("black", 900, 903)])],
            ["black", "freeze"],
        ).values()
    )
    t = total([*rows, ml])
    assert (t.truth, t.tp, t.fp, t.fn) == (1, 1, 1, 0)  # the measured row is not summed
    assert t.fa_per_clean_hour == pytest.approx(rows[0].fa_per_clean_hour)
    md = table([*rows, ml, t])
    assert md.splitlines()[0].startswith("| class |") and "**all classes**" in md


def test_findings_on_ambiguous_truth_are_ignored():
    truth = [E("blockiness", 10, 12, ambiguous=True), E("blockiness", 30, 31)]
    found = [E("blockiness", 10.5, 11), E("blockiness", 30, 31), E("blockiness", 50, 51)]
    f = FileEval("f", 100, truth, found)
    sc = score([f], ["blockiness"])["blockiness"]
    assert (sc.truth, sc.tp, sc.fp, sc.fn, sc.ignored) == (1, 1, 1, 0, 1)
    assert clean_seconds(f) == pytest.approx(100 - 3)  # the ambiguous stretch stays clean


def test_av_sync_offsets_and_drifts_match_their_own_kind():
    offset = [E("av_sync", 0, 60, value=0.3, unit="s")]
    assert match(offset, [E("av_sync", 0, 60, value=0.37, unit="s")]) == [(0, 0)]
    assert match(offset, [E("av_sync", 0, 60, value=0.39, unit="s")]) == []
    drift = [E("av_sync", 0, 120, value=50.0, unit="ms/min")]
    assert match(drift, [E("av_sync", 0, 110, value=58.0, unit="ms/min")]) == [(0, 0)]
    assert match(drift, [E("av_sync", 0, 110, value=0.05, unit="s")]) == []
    assert match(offset, [E("av_sync", 0, 60, value=0.3, unit="ms/min")]) == []

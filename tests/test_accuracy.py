"""Detectors against the ground truth of generated recordings: each injected defect found at the
right time on every codec/container, and nothing found on hard clean content."""

from __future__ import annotations

import pytest

from streamcheck.detectors import names_of_kind
from streamcheck.testmedia.catalog import AUDIO_SPECS, DEFECT_SPECS, INTEGRITY_SPECS, NEGATIVE_SPECS
from tests.conftest import per_second

AUDIO_TOL_S = 0.020  # the tolerance for audio event edges
LOSSY_CLIP_CODECS = {"aac"}  # AAC does not keep a clipped waveform flat: edges blur (see README)
# MPEG-2's intra refresh every GOP (12 frames) moves a held picture's block means by about the
# −60 dB threshold; a freeze may then be confirmed up to one GOP late (see README).
GOP_LATE_CODECS = {"mpeg2video": 12}
FILE_LEVEL = names_of_kind("file")
AUDIO = names_of_kind("audio", "programme")
AUDIO_BLOCK_S = 1024 / 48000  # one AAC frame: the av_offset accuracy the issue asks for


def _match(events, detector: str, start: float, end: float):
    """The event of ``detector`` overlapping [start, end) the most."""
    best, best_overlap = None, -1.0
    for e in events:
        if e.detector != detector:
            continue
        overlap = min(e.end_s, end) - max(e.start_s, start)
        if overlap > best_overlap:
            best, best_overlap = e, overlap
    return best


def _check(spec, d: dict, ev, offset: float, duration: float) -> None:
    frame = 1.0 / spec.fps + 1e-6
    start, end = d["start_s"] + offset, d["end_s"] + offset
    det = d["detector"]
    if det in FILE_LEVEL:  # a file-level finding spans the whole file
        assert ev.start_s == 0.0 and ev.end_s == pytest.approx(duration)
        assert ev.value == pytest.approx(d["value"], abs=AUDIO_BLOCK_S + 0.001)
        return
    audio = det in AUDIO or d["stream"] == "audio"
    tol = AUDIO_TOL_S if audio else frame
    late = 0.0
    if det == "freeze":
        late = GOP_LATE_CODECS.get(spec.vcodec, 0) / spec.fps
    if det == "flash":  # findings start at the first transition (the first white frame)
        late = 2 * frame
    assert start - tol <= ev.start_s <= start + tol + late, (d, ev)
    if det == "clipping" and spec.acodec in LOSSY_CLIP_CODECS:
        assert start <= ev.end_s <= end + tol, (d, ev)
    else:
        assert abs(ev.end_s - end) <= tol + (frame if det == "flash" else 0), (d, ev)
    if not audio and det not in ("flash",):
        assert ev.frame_start is not None and ev.frame_end is not None
    if d["value"] is not None:
        if det == "timestamp_gap" and not audio:
            assert ev.value == d["value"]  # missing frames
        else:
            assert ev.value == pytest.approx(d["value"], abs=0.02), (d, ev)


@pytest.mark.parametrize("spec", DEFECT_SPECS + INTEGRITY_SPECS + AUDIO_SPECS, ids=lambda s: s.name)
def test_injected_defects_found_at_the_right_time(analysed, spec):
    a = analysed(spec.name)
    assert a.result.status.value == "ok", a.result.error
    offset = a.timeline_offset_s
    events = a.result.events
    for d in a.truth["defects"]:
        shift = 0.0 if d["presentation"] else offset
        ev = _match(events, d["detector"], d["start_s"] + shift, d["end_s"] + shift)
        assert ev is not None, f"{d} not found: {events}"
        _check(spec, d, ev, shift, a.result.info.duration_s)
    # nothing but the injected defects (one finding per defect, on the right channel)
    found = sorted((e.detector, e.channel if e.detector == "silence" else None) for e in events)
    truth = [
        (d["detector"], d["channel"] if d["detector"] == "silence" else None)
        for d in a.truth["defects"]
    ]
    assert found == sorted(truth), events


@pytest.mark.parametrize("spec", NEGATIVE_SPECS, ids=lambda s: s.name)
def test_hard_clean_content_has_no_findings(analysed, spec):
    a = analysed(spec.name)
    assert a.result.status.value == "ok", a.result.error
    assert a.result.events == []


def test_freeze_not_reported_inside_black(analysed):
    a = analysed("h264_aac_mp4")
    black = [e for e in a.result.events if e.detector == "black"]
    freezes = [e for e in a.result.events if e.detector == "freeze"]
    assert black and freezes
    for f in freezes:
        for b in black:
            assert f.end_s <= b.start_s or f.start_s >= b.end_s


def test_ten_bit_limited_range_black(analysed):
    """ProRes is 10-bit: black is judged against 64–940, not 8-bit codes."""
    a = analysed("prores10_pcm_mov")
    assert any(e.detector == "black" for e in a.result.events)
    assert per_second(a.result, "black_ratio")[0] < 0.5  # first second: textured picture


def test_decode_damage_evidence_is_named(analysed):
    ts = analysed("damaged_h264_ts").result
    damage = [e for e in ts.events if e.detector == "decode_error"]
    assert len(damage) == 2
    for ev in damage:
        assert ev.severity.value == "error" and ev.unit == "frames" and ev.value >= 1
        assert "decoder error" in ev.detail or "flagged corrupt" in ev.detail
    assert any("decoder error" in ev.detail for ev in damage)
    mkv = analysed("damaged_hevc_mkv").result
    assert any("dropped" in e.detail or "error" in e.detail for e in mkv.events)


def test_results_carry_file_facts(analysed):
    r = analysed("h264_aac_mp4").result
    assert r.info.video_codec == "h264" and r.info.audio_codec == "aac"
    assert (r.info.width, r.info.height) == (320, 240)
    assert r.info.fps == pytest.approx(25.0)
    assert r.info.frames == 250
    assert r.info.duration_s == pytest.approx(10.0, abs=0.05)
    assert r.cpu_s > 0 and r.wall_s > 0


def test_metrics_are_per_second_and_plausible(analysed):
    r = analysed("h264_aac_mp4").result
    t_video, t_audio = per_second(r, "t_s"), per_second(r, "t_s", audio=True)
    # one row per second and source; AAC's last frame is padded, so a few ms of second 10 may
    # appear in the audio
    assert t_video == [float(s) for s in range(10)]
    assert t_audio[:10] == t_video and len(t_audio) <= 11
    assert set(r.metrics["programme"]) == {None, "1"}
    black, luma, motion = (per_second(r, c) for c in ("black_ratio", "luma_mean", "motion"))
    rms, peak = per_second(r, "rms_dbfs", audio=True), per_second(r, "peak_dbfs", audio=True)
    # black from 2.0 to 4.4: seconds 2 and 3 are fully black
    assert black[2] > 0.98 and black[3] > 0.98
    assert black[0] < 0.1
    assert luma[2] < 0.1 < luma[0]
    # silence from 1.5 to 4.0: seconds 2 and 3 are at the floor; second 0 carries music
    assert rms[2] < -100 and rms[0] > -40
    assert peak[0] <= 0.5
    # frozen from 6.0 to 8.6: no motion in second 7; motion in second 0
    assert motion[7] < 0.001 < motion[0]
    assert 0.8 < per_second(r, "blockiness")[0] < 1.3  # clean coded picture scores about 1
    assert per_second(r, "rms_dbfs") == [None] * 10  # audio columns are not on video rows
    letterbox = analysed("letterbox_mp4").result
    assert per_second(letterbox, "bars_ratio")[0] == pytest.approx(0.25, abs=0.02)

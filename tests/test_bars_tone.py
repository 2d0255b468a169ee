"""`bars_tone`: colour bars, line-up tone and a slate at the head of a master are reported as
information with their extent; black, freeze and silence inside them are expected, and the
programme's loudness leaves them out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streamcheck import analyze_file
from streamcheck.config import Config
from streamcheck.detectors.bars_tone import classify_bars, tone_level
from streamcheck.testmedia import Spec, generate
from streamcheck.testmedia.content import AUDIO_KINDS, VIDEO_KINDS, Sound
from streamcheck.testmedia.leader import Leader, colour_bars, line_up_tone, write_leader


def _of(result, text: str):
    return [e for e in result.events if e.detector == "bars_tone" and text in e.detail]


@pytest.fixture(scope="module")
def leader_mp4(tmp_path_factory) -> Path:
    return write_leader(tmp_path_factory.mktemp("leader") / "leader.mp4", Leader())


def test_bars_tone_and_slate_leader_then_programme(leader_mp4: Path):
    result = analyze_file(leader_mp4)
    (bars,) = _of(result, "colour bars")
    assert bars.detail.startswith("EBU colour bars (100%)") and bars.severity.value == "info"
    assert (bars.start_s, bars.end_s) == (0.0, pytest.approx(5.0, abs=0.041))
    (tone,) = _of(result, "tone")
    assert tone.value == pytest.approx(-18.0, abs=0.2) and tone.unit == "dBFS"
    assert tone.start_s <= 0.15 and tone.end_s >= 4.85  # edges to 100 ms
    assert "1000 Hz" in tone.detail and "track 1" in tone.detail
    (card,) = _of(result, "Slate")
    assert (card.start_s, card.end_s) == (pytest.approx(5.0, abs=0.041), pytest.approx(8.0))
    inside = [e for e in result.events if e.detector in ("freeze", "silence", "black")]
    assert {e.detector for e in inside} >= {"freeze", "silence"}
    assert all(e.expected and "inside the leader" in e.detail for e in inside)
    # nothing but information and expected findings: the master is clean
    assert all(e.expected or e.severity.value == "info" for e in result.events)


def test_the_programme_loudness_leaves_the_leader_out(tmp_path: Path, leader_mp4: Path):
    with_leader = analyze_file(leader_mp4).info
    alone = analyze_file(write_leader(tmp_path / "alone.mp4", Leader(bars_s=0, slate_s=0))).info
    assert with_leader.loudness_start_s == pytest.approx(8.0, abs=0.1)
    assert with_leader.integrated_lufs == pytest.approx(alone.integrated_lufs, abs=0.1)
    # the tone counted in, the integrated loudness would differ
    counted = analyze_file(leader_mp4, Config().with_detectors(["black", "loudness"])).info
    assert abs(counted.integrated_lufs - alone.integrated_lufs) > 0.3
    assert counted.loudness_start_s == pytest.approx(0.0, abs=0.1)


def test_without_the_detector_the_leader_is_a_freeze(leader_mp4: Path):
    result = analyze_file(leader_mp4, Config().with_detectors(["freeze", "silence"]))
    freezes = [e for e in result.events if e.detector == "freeze"]
    assert freezes and not any(e.expected for e in freezes)


def test_smpte_bars_with_glits_tone_at_minus_20(tmp_path: Path):
    path = write_leader(
        tmp_path / "smpte.mp4", Leader(bars="smpte75", tone_dbfs=-20.0, glits=True, bars_s=9)
    )
    result = analyze_file(path)
    (bars,) = _of(result, "colour bars")
    assert bars.detail.startswith("SMPTE colour bars (75%)")
    (tone,) = _of(result, "tone")  # one finding across the left channel's breaks
    assert tone.value == pytest.approx(-20.0, abs=0.2)
    assert tone.end_s >= 8.85


def test_ebu_75_bars_in_mxf_with_pcm(tmp_path: Path):
    result = analyze_file(write_leader(tmp_path / "leader.mxf", Leader(bars="ebu75")))
    (bars,) = _of(result, "colour bars")
    assert bars.detail.startswith("EBU colour bars (75%)")
    (tone,) = _of(result, "tone")
    assert (tone.start_s, tone.end_s) == (0.0, pytest.approx(5.0, abs=0.1))


@pytest.mark.parametrize("video", VIDEO_KINDS)
def test_no_leader_in_programmes(tmp_path: Path, video: str):
    audio = AUDIO_KINDS[VIDEO_KINDS.index(video) % len(AUDIO_KINDS)]
    path = generate(Spec(f"p_{video}", video=video, audio=audio, duration_s=6.0), tmp_path)
    assert [e for e in analyze_file(path).events if e.detector == "bars_tone"] == []


def _normalised(planes, hd=False):
    y, u, v = planes
    return (y.astype(np.float32) - 16) / 219, (
        (u.astype(np.float32) - 128) / 224,
        (v.astype(np.float32) - 128) / 224,
    )


def test_classify_bars_and_what_is_not_bars():
    y, chroma = _normalised(colour_bars(320, 240, "ebu100"))
    assert classify_bars(y, chroma, 0.04, "bt601") == "EBU colour bars (100%)"
    y75, chroma75 = _normalised(colour_bars(1280, 720, "ebu75"))
    assert classify_bars(y75, chroma75, 0.04, "bt709") == "EBU colour bars (75%)"
    # a grey staircase falls the same way but has no colour
    grey = (np.zeros_like(chroma[0]), np.zeros_like(chroma[1]))
    assert classify_bars(y, grey, 0.04, "bt601") is None
    # bars in the wrong order, or with noise beyond the flatness, are not bars
    assert (
        classify_bars(y[:, ::-1], (chroma[0][:, ::-1], chroma[1][:, ::-1]), 0.04, "bt601") is None
    )
    noisy = y + np.random.default_rng(1).normal(0, 0.05, y.shape).astype(np.float32)
    assert classify_bars(noisy, chroma, 0.04, "bt601") is None


def test_tone_level_is_a_pure_1khz_sine_within_the_levels():
    rate = 48000
    tone = line_up_tone(4800, 0, rate, -18.0)
    assert tone_level(tone, rate, 1000.0, -30.0, -9.0) == pytest.approx(-18.0, abs=0.05)
    one_side = tone.copy()
    one_side[0] = 0.0  # a silent channel beside the tone (GLITS' break) is fine
    assert tone_level(one_side, rate, 1000.0, -30.0, -9.0) == pytest.approx(-18.0, abs=0.05)
    assert tone_level(line_up_tone(4800, 0, rate, -40.0), rate, 1000.0, -30.0, -9.0) is None
    assert tone_level(line_up_tone(4800, 0, rate, -18.0, hz=440.0), rate, 1000, -30, -9) is None
    music = Sound("music", rate, 2, seed=3).block(0, 4800)
    assert tone_level(music, rate, 1000.0, -30.0, -9.0) is None
    mixed = tone.copy()
    mixed[1] = music[1]
    assert tone_level(mixed, rate, 1000.0, -30.0, -9.0) is None

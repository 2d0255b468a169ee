"""Unit tests of the video-integrity and A/V detectors on synthetic frames, blocks and facts."""

from __future__ import annotations

import av
import av.logging
import numpy as np
import pytest

from streamcheck.decode.anomalies import (
    DecodeOrder,
    DropTracker,
    LogTap,
    annex_b,
    zero_run_inside,
)
from streamcheck.detectors.blockiness import blockiness_score
from streamcheck.detectors.decode_error import DecodeErrorDetector, DecodeErrorParams
from streamcheck.detectors.file_level import (
    AvOffsetDetector,
    AvOffsetParams,
    DurationMismatchDetector,
    DurationMismatchParams,
    MissingStreamDetector,
    MissingStreamParams,
)
from streamcheck.detectors.flash import FlashDetector, FlashParams, relative_luminance_lut
from streamcheck.detectors.planes import find_bars
from streamcheck.detectors.timestamp_gap import TimestampGapDetector, TimestampGapParams
from streamcheck.model import AudioBlock, FileFacts, StreamFacts, StreamInfo, VideoFrame
from streamcheck.pipeline import analyze_file
from streamcheck.testmedia import Spec, generate

VIDEO = StreamInfo(0, "video", "h264", frame_s=0.04)
AUDIO = StreamInfo(1, "audio", "aac", sample_rate=48000, channels=2)


def frame(i: int, t: float | None = None, y: np.ndarray | None = None, **kw) -> VideoFrame:
    y = np.full((64, 64), 120, np.uint8) if y is None else y
    return VideoFrame(
        index=i,
        t_s=i * 0.04 if t is None else t,
        duration_s=0.04,
        luma=y,
        small=y,
        step=1,
        black_level=16,
        white_level=235,
        code_max=255,
        **kw,
    )


def test_blockiness_score_flat_natural_and_pixelated():
    rng = np.random.default_rng(0)
    assert blockiness_score(np.full((64, 64), 100, np.uint8), line_step=4) == pytest.approx(1.0)
    natural = (rng.random((64, 64)) * 200).astype(np.uint8)
    assert blockiness_score(natural, line_step=4) == pytest.approx(1.0, abs=0.15)
    tiles = (rng.random((8, 8)) * 200).astype(np.uint8)
    blocky = np.repeat(np.repeat(tiles, 8, axis=0), 8, axis=1)
    assert blockiness_score(blocky, line_step=4) > 10


def test_blockiness_uses_the_decode_loops_columns_inside_black_bars():
    """The decode loop hands blockiness every 16th column of the whole picture; inside black
    bars the detector must score the same picture region from them as from its own read (a
    crop that kept the bars' edges would raise the score of a clean picture)."""
    import cv2

    from streamcheck.detectors.blockiness import BlockinessDetector, BlockinessParams

    rng = np.random.default_rng(5)
    picture = cv2.GaussianBlur((rng.random((1080, 1920)) * 200 + 30).astype(np.float32), (0, 0), 3)
    clean = np.full((1080, 1920), 16, np.uint8)  # letterbox 136 px, pillarbox 200 px (8 mod 16)
    clean[136:944, 200:1720] = picture[136:944, 200:1720].astype(np.uint8)
    scores = {}
    for given in (False, True):
        det = BlockinessDetector(BlockinessParams(), VIDEO)
        f = frame(0, y=clean, bars=(136, 136, 200, 200))
        if given:
            f.columns = np.ascontiguousarray(clean[:, ::16])
        det.update(f)
        scores[given] = f.features["blockiness"]
    uncropped = blockiness_score(clean)
    assert scores[False] == pytest.approx(1.0, abs=0.1)
    assert scores[True] == pytest.approx(scores[False], abs=0.03)
    assert uncropped > scores[False] + 0.2  # the bars' edges would show


def test_relative_luminance_lut():
    lut = relative_luminance_lut(16, 235, 255)
    assert lut[16] == 0.0 and lut[235] == 1.0 and lut[0] == 0.0 and lut[255] == 1.0
    assert 0.2 < lut[126] < 0.25  # mid-grey code is about 22% of white in linear light


def test_find_bars():
    y = np.full((100, 80), 120, np.uint8)
    y[:10] = 16
    y[-12:] = 16
    y[:, :4] = 16
    assert find_bars(y, 37) == (10, 12, 4, 0)
    assert find_bars(np.full((10, 10), 16, np.uint8), 37) is None  # a black frame


def test_decode_error_runs_to_the_next_clean_keyframe():
    det = DecodeErrorDetector(DecodeErrorParams(), VIDEO)
    for i in range(20):
        damaged = {"decode_errors": 1} if i == 5 else {"dropped_before": 2} if i == 7 else {}
        ev_t = {"evidence_t_s": 0.16} if i == 5 else {}
        det.update(frame(i, key_frame=i in (0, 10), **damaged, **ev_t))
    (ev,) = det.finish(0.8)
    assert ev.start_s == pytest.approx(0.16)  # the dropped picture's time, before frame 5
    assert ev.end_s == pytest.approx(0.4) and ev.value == 5.0
    assert (ev.frame_start, ev.frame_end) == (5, 10)


def test_timestamp_gap_video_gap_repeat_and_decoder_drops():
    det = TimestampGapDetector(TimestampGapParams(), VIDEO)
    times = [0.0, 0.04, 0.08, 0.24, 0.28, 0.28, 0.32]
    for i, t in enumerate(times):
        det.update(frame(i, t))
    det.update(frame(7, 0.48, dropped_before=3))  # holes the decoder made are decode damage
    gap, repeat = det.finish(0.52)
    assert (gap.start_s, gap.end_s, gap.value, gap.unit) == (0.12, 0.24, 3.0, "frames")
    assert repeat.value == 0.0 and "repeats" in repeat.detail


def test_timestamp_gap_vfr_tolerates_irregular_steps():
    det = TimestampGapDetector(
        TimestampGapParams(), StreamInfo(0, "video", frame_s=1 / 60, vfr=True)
    )
    t = 0.0
    for i, step in enumerate([1 / 60, 1 / 12, 1 / 30, 0.5, 1 / 60, 1.5]):
        t += step
        det.update(frame(i, t))
    (ev,) = det.finish(t)
    assert ev.end_s - ev.start_s == pytest.approx(1.5 - 0.04)


def _block(t: float, n: int = 480) -> AudioBlock:
    return AudioBlock(1, t, 48000, np.zeros((2, n), np.float32))


def test_timestamp_gap_audio_real_jump_versus_wobble():
    det = TimestampGapDetector(TimestampGapParams(), AUDIO)
    for t in (0.0, 0.01, 0.03, 0.03, 0.04):  # a 10 ms wobble that the next block undoes
        det.update(_block(t))
    assert det.finish(0.05) == []
    det = TimestampGapDetector(TimestampGapParams(), AUDIO)
    for t in (0.0, 0.01, 0.32, 0.33):  # 0.3 s missing, and the timeline stays moved
        det.update(_block(t))
    (ev,) = det.finish(0.34)
    assert ev.value == pytest.approx(0.3) and ev.start_s == pytest.approx(0.02)


def test_flash_counts_opposing_transitions_in_one_second():
    det = FlashDetector(FlashParams(), VIDEO)
    dark, white = np.full((64, 64), 20, np.uint8), np.full((64, 64), 235, np.uint8)
    for i in range(100):  # 25 fps: 2 s of content, then 8 Hz flashing from frame 50
        y = (white if (i // 2) % 2 else dark) if i >= 50 else dark
        det.update(frame(i, y=y))
    (ev,) = det.finish(4.0)
    assert ev.start_s == pytest.approx(2.0) and ev.value > 6  # frame 50 is the first white
    slow = FlashDetector(FlashParams(), VIDEO)  # 2 flashes per second: allowed
    for i in range(100):
        slow.update(frame(i, y=white if (i // 6) % 2 else dark))
    assert slow.finish(4.0) == []


def _facts(v=(0.0, 10.0), a=(0.0, 10.0), items=(250, 470)) -> FileFacts:
    streams = [
        StreamFacts(VIDEO, start_s=v[0], end_s=v[1], items=items[0]),
        StreamFacts(AUDIO, start_s=a[0], end_s=a[1], items=items[1]),
    ]
    return FileFacts(streams=streams, duration_s=max(v[1], a[1]))


@pytest.mark.parametrize(
    ("audio_start", "found"),
    [(0.0, False), (0.12, False), (0.13, True), (-0.04, False), (-0.05, True)],
)
def test_av_offset_window(audio_start, found):
    det = AvOffsetDetector(AvOffsetParams())
    events = det.check(_facts(a=(audio_start, 10.0)))
    assert bool(events) is found
    if found:
        assert events[0].value == pytest.approx(audio_start)
        assert (events[0].start_s, events[0].end_s) == (0.0, 10.0)


@pytest.mark.parametrize(
    ("audio_end", "found"), [(9.95, False), (9.9, True), (11.9, False), (12.1, True)]
)
def test_duration_mismatch_rule(audio_end, found):
    det = DurationMismatchDetector(DurationMismatchParams())
    assert bool(det.check(_facts(a=(0.0, audio_end)))) is found


def test_missing_stream():
    det = MissingStreamDetector(MissingStreamParams())
    (ev,) = det.check(_facts(items=(250, 0)))
    assert ev.stream_index == 1 and "no decodable" in ev.detail
    strict = MissingStreamDetector(MissingStreamParams(require_audio=True))
    (ev,) = strict.check(FileFacts(streams=[StreamFacts(VIDEO, 0.0, 5.0, 125)], duration_s=5.0))
    assert "no audio stream" in ev.detail


def test_drop_tracker():
    drops = DropTracker()
    for t in (0.0, 0.04, 0.08, 0.12):
        drops.packet(t, discard=False)
    drops.packet(0.16, discard=True)  # edit-list pre-roll: not expected to show
    assert drops.frame(0.0, 0.02) == (0, None)
    assert drops.frame(0.12, 0.02) == (2, 0.04)
    assert drops.reliable


def test_decode_order_finds_the_b_pictures_a_damaged_reference_spoils():
    """I P B B P B B in decode order (presentation 0, 0.12, 0.04, 0.08, 0.24, 0.16, 0.20): a
    damaged P shown at 0.12 spoils the B-pictures decoded after it, shown from 0.04."""
    order = DecodeOrder()
    for t in (0.0, 0.12, 0.04, 0.08, 0.24, 0.16, 0.20):
        order.packet(t)
    assert order.shown_before(0.12, 0.02) == pytest.approx(0.04)
    assert order.shown_before(0.24, 0.02) == pytest.approx(0.16)
    assert order.shown_before(0.20, 0.02) is None  # nothing decoded after it
    assert order.shown_before(0.0, 0.02) is None  # decoded after it, but all shown later
    assert order.shown_before(1.0, 0.02) is None  # not among the remembered packets


def test_zero_runs_inside_annex_b_data():
    """Three zero bytes or more are legal before a start code (00 00 01) and at the end;
    followed by anything else they are data lost inside a coded picture."""
    assert not zero_run_inside(b"\x00\x00\x00\x01\x65abc\x00\x00\x01\x41")
    assert not zero_run_inside(b"\x00\x00\x01\x65ab" + bytes(5))  # zeros to the end
    assert not zero_run_inside(b"\x00\x00\x01\x65\x00\x00\x03\x00")  # emulation prevention
    assert not zero_run_inside(bytes(2000) + b"\x01x")  # long stuffing before a start code
    assert zero_run_inside(b"\x00\x00\x01\x65ab\x00\x00\x00\x00\x07cd")
    assert zero_run_inside(b"\x00\x00\x01x" + bytes(180) + b"y")
    assert zero_run_inside(b"\x00\x00\x01x\x00\x00\x00\x01y\x00\x00\x00y")  # the second
    avcc = b"\x01\x64\x00\x1f"  # MP4/Matroska: length-prefixed NAL units
    assert annex_b("hevc", None, b"\x00\x00\x00\x01\x40")
    assert annex_b("h264", b"\x00\x00\x00\x01\x67", b"\x00\x00\x01\x09")
    assert not annex_b("h264", avcc, b"\x00\x00\x01\x09")  # a length of 265 bytes
    assert not annex_b("h264", None, b"\x00\x00\x02\xa3")
    assert not annex_b("mpeg2video", None, b"\x00\x00\x01\xb3")


def test_zeroed_data_in_an_hevc_ts_is_decode_damage(tmp_path):
    """A TS packet's payload of an HEVC picture blanked with zeros: FFmpeg decodes the rest of
    the picture as copied blocks without a word; the zero run is the evidence, and the finding
    starts at the B-pictures decoded after the damaged one."""
    path = generate(
        Spec("zeroed", "ts", "libx265", "aac", duration_s=4.0, width=320, height=240, gop=25),
        tmp_path,
    )
    with av.open(str(path)) as c:
        origin = (c.start_time or 0) / av.time_base
        packets = sorted(
            (float(p.pts * p.time_base) - origin, p.pos, p.size)
            for p in c.demux(c.streams.video[0])
            if p.size and not p.is_keyframe and p.pts is not None
        )
    t, pos, _ = next(p for p in packets if p[0] >= 2.0 and p[2] >= 3 * 184)
    data = bytearray(path.read_bytes())
    data[pos + 188 + 8 : pos + 2 * 188] = bytes(180)  # its second TS packet's payload
    path.write_bytes(bytes(data))
    (ev,) = [e for e in analyze_file(path).events if e.detector == "decode_error"]
    assert 1.8 < ev.start_s < t and ev.end_s == pytest.approx(3.0, abs=0.05)
    assert "1 decoder error(s)" in ev.detail


def test_log_tap_keeps_errors_and_the_warnings_that_mean_damage():
    """FFmpeg's HEVC decoder reports a slice it threw away only as a warning (the damaged
    HEVC-in-TS pictures of the eval corpus leave no other trace); other warnings are noise.
    The lines go through FFmpeg's own av_log."""
    with LogTap() as tap:
        av.logging.log(av.logging.WARNING, "hevc", "Skipping invalid undecodable NALU: 1\n")
        av.logging.log(av.logging.WARNING, "h264", "Increasing reorder buffer to 1\n")
        av.logging.log(av.logging.ERROR, "h264", "error while decoding MB 5 2\n")
        av.logging.log(av.logging.INFO, "hevc", "Skipping invalid undecodable NALU: 1\n")
        lines = tap.take()
    assert lines == [
        ("hevc", "Skipping invalid undecodable NALU: 1"),
        ("h264", "error while decoding MB 5 2"),
    ]

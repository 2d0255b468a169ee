"""`timecode`: the start timecode into files.parquet (container or codec), breaks in the
timecode an MPEG-2 stream carries (an edit without new timecode), drop-frame on a wrong rate.

The recordings are real MPEG-2 streams encoded here by FFmpeg's encoder (its GOP headers carry
the timecode given to it) in the containers that declare one (MXF, MOV)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from streamcheck import analyze_file
from streamcheck.config import Config
from streamcheck.detectors.timecode import frames_per_day, parse_timecode

W, H = 160, 128


def _mpeg2(
    path: Path,
    *,
    frames: int = 50,
    rate: Fraction = Fraction(25),
    gop_timecode: str | None = None,
    declared: str | None = None,
    fmt: str | None = None,
) -> Path:
    """``frames`` pictures of a moving gradient, MPEG-2 with a GOP every 12 frames whose
    headers carry ``gop_timecode``; ``declared``: the container's timecode tag."""
    options = {"gop_timecode": gop_timecode} if gop_timecode else {}
    with av.open(str(path), "w", format=fmt) as out:
        if declared:
            out.metadata["timecode"] = declared
        stream = out.add_stream("mpeg2video", rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.gop_size = 12
        if declared:
            stream.metadata["timecode"] = declared
        ramp = np.linspace(0, 200, W, dtype=np.float32)
        for i in range(frames):
            rgb = np.roll(ramp, 3 * i)[None, :, None].repeat(H, 0).repeat(3, 2).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _timecode_events(result):
    return [e for e in result.events if e.detector == "timecode"]


def test_parse_timecode_counts_drop_frame_numbers():
    assert parse_timecode("00:00:01:00", 25).frames == 25
    assert parse_timecode("10:00:00:00", 25).frames == 36000 * 25
    # drop-frame at 29.97: 00:00:59;29 is followed by 00:01:00;02 (numbers 00 and 01 skipped)
    assert parse_timecode("00:01:00;02", 30).frames == parse_timecode("00:00:59;29", 30).frames + 1
    assert parse_timecode("00:10:00;00", 30).frames == 17982  # 9 of 10 minutes drop 2
    assert parse_timecode("00:00:00:25", 25) is None  # no frame 25 at 25 fps
    assert parse_timecode("24:00:00:00", 25) is None
    assert frames_per_day(30, True) == 2589408  # SMPTE ST 12-1 drop-frame day
    assert frames_per_day(25, False) == 2160000


def test_start_timecode_from_the_container_and_from_gop_headers(tmp_path: Path):
    mxf = _mpeg2(tmp_path / "declared.mxf", declared="09:59:30:00", gop_timecode="09:59:30:00")
    mov = _mpeg2(tmp_path / "declared.mov", declared="01:00:00:00")
    gop = _mpeg2(tmp_path / "gop.mpg", gop_timecode="10:00:00:00", fmt="mpeg")
    plain = _mpeg2(tmp_path / "plain.mpg", fmt="mpeg")
    results = {p.name: analyze_file(p) for p in (mxf, mov, gop, plain)}
    assert results["declared.mxf"].info.start_timecode == "09:59:30:00"
    assert results["declared.mov"].info.start_timecode == "01:00:00:00"
    # exact, though FFmpeg hands the GOP's stamp to the picture after
    assert results["gop.mpg"].info.start_timecode == "10:00:00:00"
    # FFmpeg's encoder writes 00:00:00:00 when told nothing: that is what the file says
    assert results["plain.mpg"].info.start_timecode == "00:00:00:00"
    for r in results.values():
        assert r.status.value == "ok"
        assert _timecode_events(r) == [], r.path
    video = next(s for s in results["gop.mpg"].streams if s.kind == "video")
    assert video.start_timecode == "10:00:00:00"


def test_a_timecode_break_at_an_edit_is_one_finding_where_it_breaks(tmp_path: Path):
    """Two MPEG-2 elementary streams joined byte for byte, as an edit without new timecode:
    2 s from 10:00:00:00, then 2 s from 10:00:10:00 (a jump of 8 s)."""
    first = _mpeg2(tmp_path / "a.m2v", gop_timecode="10:00:00:00", fmt="mpeg2video")
    second = _mpeg2(tmp_path / "b.m2v", gop_timecode="10:00:10:00", fmt="mpeg2video")
    joined = tmp_path / "edit.m2v"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    result = analyze_file(joined)
    (event,) = _timecode_events(result)
    assert 1.9 <= event.start_s <= 2.1
    assert event.value == pytest.approx(8.0, abs=0.05)
    assert event.unit == "s" and event.severity.value == "warning"
    assert "10:00:10:0" in event.detail and "10:00:01:" in event.detail
    assert result.info.start_timecode == "10:00:00:00"


def test_drop_frame_timecode_on_25_fps_is_wrong_and_at_29_97_is_right(tmp_path: Path):
    wrong = _mpeg2(tmp_path / "df25.mkv", declared="10:00:00;00")  # MOV/MXF refuse to write it
    right = _mpeg2(tmp_path / "df2997.mov", declared="10:00:00;00", rate=Fraction(30000, 1001))
    (event,) = _timecode_events(analyze_file(wrong))
    assert "Drop-frame" in event.detail and event.value == pytest.approx(25.0)
    assert _timecode_events(analyze_file(right)) == []


def test_continuous_drop_frame_gop_timecode_across_a_minute_has_no_break(tmp_path: Path):
    """29.97 fps drop-frame from 00:00:59;00: the stamps skip ;00 and ;01 at the minute."""
    path = _mpeg2(
        tmp_path / "df.mpg",
        frames=90,
        rate=Fraction(30000, 1001),
        gop_timecode="00:00:59;00",
        fmt="mpeg",
    )
    result = analyze_file(path)
    assert result.info.start_timecode == "00:00:59;00"
    assert _timecode_events(result) == []


def test_start_timecode_is_read_with_the_timecode_detector_off(tmp_path: Path):
    path = _mpeg2(tmp_path / "gop.mpg", gop_timecode="10:00:00:00", fmt="mpeg")
    result = analyze_file(path, Config().with_detectors(["black"]))
    assert result.info.start_timecode == "10:00:00:00"
    assert _timecode_events(result) == []

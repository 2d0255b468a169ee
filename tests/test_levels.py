"""`levels`: illegal luma, chroma and RGB gamut (EBU R 103), and content whose range does not
match the declared range, on encoded files and on synthetic frames."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from streamcheck.config import Config
from streamcheck.detectors.levels import (
    MATRICES,
    GamutTable,
    LevelsDetector,
    LevelsParams,
    gamut_bad,
    outside_count,
)
from streamcheck.pipeline import analyze_file

W, H, FPS = 320, 240, 25


def _encode(
    path: Path, pictures, full_range: bool = False, yuvj: bool = False, bt709: bool = False
) -> Path:
    """H.264 from (Y, U, V) uint8 planes (4:2:0); ``bt709``: the stream declares BT.709."""
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=FPS, options={"crf": "12"})
        st.width, st.height = W, H
        st.pix_fmt = "yuvj420p" if yuvj else "yuv420p"
        if bt709:
            st.codec_context.colorspace = 1  # AVCOL_SPC_BT709
        if full_range:
            st.codec_context.color_range = 2
        for i, (y, u, v) in enumerate(pictures):
            img = np.concatenate([y, u.reshape(-1, W), v.reshape(-1, W)])
            frame = av.VideoFrame.from_ndarray(img, format="yuv420p")
            if full_range:
                frame.color_range = 2
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for p in st.encode(frame):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


def _scene(i: int, low: int = 30, high: int = 200) -> tuple[np.ndarray, ...]:
    """A moving gradient between ``low`` and ``high`` luma, neutral chroma."""
    ramp = np.linspace(low, high, W)[None, :].repeat(H, 0)
    y = np.roll(ramp, 3 * i, axis=1).astype(np.uint8)
    grey = np.full((H // 2, W // 2), 128, np.uint8)
    return y, grey, grey


def _levels(r) -> list:
    return [e for e in r.events if e.detector == "levels"]


def test_superwhite_and_subblack_stretches(tmp_path: Path):
    """Two seconds with 10% of the picture at code 250 (114% of range), then two with 5% at
    code 4 (−5%): two findings, each exact to the frame; a clean second between."""
    pictures = []
    for i in range(7 * FPS):
        y, u, v = _scene(i)
        if 2 * FPS <= i < 4 * FPS:
            y = y.copy()
            y[: H // 10] = 250
        if 5 * FPS <= i < 7 * FPS:
            y = y.copy()
            y[-H // 20 :] = 4
        pictures.append((y, u, v))
    r = analyze_file(_encode(tmp_path / "illegal.mp4", pictures))
    high, low = _levels(r)
    assert (high.start_s, high.end_s) == pytest.approx((2.0, 4.0), abs=0.041)
    assert (low.start_s, low.end_s) == pytest.approx((5.0, 7.0), abs=0.041)
    assert high.value == pytest.approx(0.10, abs=0.02) and "luma" in high.detail
    maxima = [m for m in r.metrics["luma_max"] if m is not None]
    assert max(maxima) > 240 / 255


def test_small_excursions_pass_the_area_rule(tmp_path: Path):
    """Ringing at an edge: a line over 103% (half a percent of the picture) is not a finding,
    however the grids fall on it."""
    pictures = []
    for i in range(3 * FPS):
        y, u, v = _scene(i)
        y = y.copy()
        y[: max(1, H // 200), : W // 2] = 250
        pictures.append((y, u, v))
    assert _levels(analyze_file(_encode(tmp_path / "edge.mp4", pictures))) == []


def test_full_range_content_flagged_limited(tmp_path: Path):
    pictures = [_scene(i, 0, 255) for i in range(3 * FPS)]
    r = analyze_file(_encode(tmp_path / "fullcontent.mp4", pictures))
    flagged = [e for e in _levels(r) if "Full-range content" in e.detail]
    assert len(flagged) == 1 and flagged[0].value > 0.5


def test_limited_content_flagged_full_range(tmp_path: Path):
    pictures = [_scene(i, 16, 235) for i in range(3 * FPS)]
    r = analyze_file(_encode(tmp_path / "washed.mp4", pictures, full_range=True, yuvj=True))
    (ev,) = _levels(r)
    assert "Limited-range content in a stream flagged full range" in ev.detail
    right = _encode(tmp_path / "right.mp4", [_scene(i, 0, 255) for i in range(3 * FPS)], True, True)
    assert _levels(analyze_file(right)) == []


def test_out_of_gamut_colour(tmp_path: Path):
    """Bright luma with strong red chroma: R′ far above 105% on a third of the picture."""
    pictures = []
    for i in range(3 * FPS):
        y, u, v = _scene(i, 150, 220)
        v = v.copy()
        v[: H // 6] = 230
        pictures.append((y, u, v))
    (ev,) = _levels(analyze_file(_encode(tmp_path / "gamut.mp4", pictures)))
    assert "RGB gamut" in ev.detail and ev.value > 0.2


def test_the_matrix_the_stream_declares(tmp_path: Path):
    """A 75% red made with BT.709's matrix, on a third of an SD-sized picture: legal in a
    stream that declares BT.709; read with BT.601 (the convention for an SD stream that
    declares nothing) its G′ is −8%, out of gamut."""
    pictures = []
    for i in range(2 * FPS):
        y, u, v = (a.copy() for a in _scene(i, 60, 180))
        y[: H // 3], u[: H // 6], v[: H // 6] = 51, 109, 212
        pictures.append((y, u, v))
    declared = analyze_file(_encode(tmp_path / "bt709.mp4", pictures, bt709=True))
    assert _levels(declared) == []
    (ev,) = _levels(analyze_file(_encode(tmp_path / "unspecified.mp4", pictures)))
    assert "RGB gamut" in ev.detail and ev.value > 0.3


def test_pure_functions():
    y = np.full((10, 10), 100, np.uint8)
    assert outside_count(np.bincount(y.ravel(), minlength=256), 13.8, 241.6) == 0
    y[0, :5] = 250
    y[1, :2] = 13
    y[1, 2:4] = (14, 241)  # inside: 13.8 and 241.6 are legal bounds, not codes
    assert outside_count(np.bincount(y.ravel(), minlength=256), 13.8, 241.6) == 7
    matrix = np.array([[1.0, 0.0, 1.5748], [1.0, -0.1873, -0.4681], [1.0, 1.8556, 0.0]])
    grey = np.full((4, 4), 128, np.uint8)
    white = np.full((4, 4), 235, np.uint8)
    assert gamut_bad(white, grey, grey, 16, 235, 255, matrix, 0.05).mean() == 0.0
    red = np.full((4, 4), 240, np.uint8)  # Cr at its top: R′ = 1 + 1.5748 × 0.5
    assert gamut_bad(white, grey, red, 16, 235, 255, matrix, 0.05).mean() == 1.0


@pytest.mark.parametrize("code_max", [255, 1023])
def test_gamut_table_agrees_with_the_matrix(code_max: int):
    """The 7-bit table gives the exact verdict except within half a bin of the boundary."""
    scale = (code_max + 1) // 256
    black, white = 16 * scale, 235 * scale
    rng = np.random.default_rng(1)
    y, cb, cr = (rng.integers(0, code_max + 1, 200_000).astype(np.uint16) for _ in range(3))
    table = GamutTable(black, white, code_max, MATRICES["bt709"], 0.05)
    exact = gamut_bad(y, cb, cr, black, white, code_max, MATRICES["bt709"], 0.05)
    by_table = table.table[
        ((y >> table.shift).astype(np.int32) << 14)
        | ((cb >> table.shift).astype(np.int32) << 7)
        | (cr >> table.shift)
    ]
    assert 0.2 < exact.mean() < 0.9  # random triples: both verdicts well represented
    assert np.mean(exact != by_table) < 0.01
    assert table.outside_count(y, cb, cr) / y.size == pytest.approx(exact.mean(), abs=0.005)


def test_real_footage_is_legal():
    from tests.conftest import NO_MEDIA, SHARED_MEDIA

    if not SHARED_MEDIA.is_dir():
        pytest.skip(NO_MEDIA)
    config = Config().with_detectors(["levels"])
    for name in ("intel_car-detection.mp4", "intel_bottle-detection.mp4"):
        r = analyze_file(SHARED_MEDIA / name, config)
        assert r.events == [], (name, r.events)


def test_ten_bit_levels():
    """10-bit: the legal range is 64…940 (×4), judged the same way."""
    from streamcheck.model import StreamInfo, VideoFrame

    det = LevelsDetector(LevelsParams(min_duration_s=0.0), StreamInfo(0, "video", frame_s=0.04))
    luma = np.full((64, 64), 500, np.uint16)
    luma[:8] = 1000  # 12% of the picture above 103% (942.5)
    for i in range(5):
        det.update(VideoFrame(i, i * 0.04, 0.04, luma, luma[::2, ::2].copy(), 2, 64, 940, 1023))
    (ev,) = det.finish(0.2)
    assert ev.value == pytest.approx(0.125, abs=0.01)

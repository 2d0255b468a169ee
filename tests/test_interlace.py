"""The `interlace` detector: its measures on tiny arrays, then generated recordings whose
content and flags are known (woven fields, 3:2 pulldown with an edit), the clean catalogue and
real progressive footage."""

from __future__ import annotations

import importlib
from pathlib import Path

import av
import numpy as np
import pytest

from streamcheck.detectors.interlace import (
    PULLDOWN,
    Cadence,
    InterlaceDetector,
    InterlaceParams,
    field_distances,
    flagged_scan,
    judge,
    window_verdict,
)
from streamcheck.model import Severity, StreamInfo, VideoFrame
from streamcheck.pipeline import analyze_file
from streamcheck.testmedia.catalog import NEGATIVE_SPECS
from tests.conftest import NO_MEDIA, SHARED_MEDIA, shared_media

gen = importlib.import_module("streamcheck.testmedia.generate")  # the package exports a function
Spec = gen.Spec

# ---- the measures, on tiny pictures -------------------------------------------------------------


def _scene(t: float, h: int = 32, w: int = 8) -> np.ndarray:
    """A soft vertical pattern moving down 4 lines per unit of time, sampled at time t."""
    y = np.arange(h, dtype=np.float64)[:, None] + np.zeros((1, w))
    return (128 + 80 * np.sin((y - 4 * t) / 3.0)).astype(np.uint8)


def _weave(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    out = top.copy()
    out[1::2] = bottom[1::2]
    return out


def test_field_distances_tell_progressive_from_either_field_order():
    prog = field_distances(_scene(1.0), _scene(0.0))
    own, tff, bff = prog
    assert own < 0.5 * min(tff, bff) and tff == pytest.approx(bff, rel=0.05)
    # top field first: the top field at t, the bottom one half a frame later
    own, tff, bff = field_distances(
        _weave(_scene(1.0), _scene(1.5)), _weave(_scene(0.0), _scene(0.5))
    )
    assert own == pytest.approx(tff, rel=0.1) and bff > 1.5 * tff
    own, tff, bff = field_distances(
        _weave(_scene(1.5), _scene(1.0)), _weave(_scene(0.5), _scene(0.0))
    )
    assert own == pytest.approx(bff, rel=0.1) and tff > 1.5 * bff
    # a static picture: all three alike; an odd number of rows and 16-bit samples work too
    still = _scene(0.0, h=33).astype(np.uint16) * 4
    own, tff, bff = field_distances(still, still)
    assert own == tff == bff > 0  # the picture's own vertical detail, no motion


def test_judge_votes_and_kinds():
    assert judge(5.0, 5.2, 5.1) == ("", "?")  # nothing moved: no evidence
    assert judge(2.0, 8.0, 8.1) == ("P", "P")
    assert judge(6.0, 6.0, 12.0) == ("T", "R")
    assert judge(6.0, 12.0, 6.0) == ("B", "R")
    assert judge(20.0, 4.0, 24.0) == ("T", "X")  # mixes two pictures: telecine's BC and CD
    # the floor (half a code value) keeps flat pictures equal
    assert judge(0.0, 0.0, 0.0) == ("", "?")
    assert judge(0.0, 0.05, 0.0, floor=0.5) == ("", "?")


def test_window_verdict_needs_enough_consistent_votes():
    assert window_verdict(20, 0, 3, 25) == "tff"
    assert window_verdict(0, 20, 3, 25) == "bff"
    assert window_verdict(15, 0, 10, 25) == "tff"  # telecine: 60% ordered, 40% clean
    assert window_verdict(0, 0, 25, 25) == "progressive"
    assert window_verdict(4, 0, 18, 25) is None  # neither order nor progressive enough
    assert window_verdict(5, 4, 0, 25) is None  # random orders: a static picture's tremor
    assert window_verdict(3, 0, 1, 25) is None  # too few votes in the window
    assert window_verdict(0, 0, 0, 25) is None


def _frame(interlaced: bool, order: str) -> VideoFrame:
    z = np.zeros((4, 4), np.uint8)
    return VideoFrame(0, 0.0, 0.04, z, z, 1, 16, 235, 255, interlaced=interlaced, field_order=order)


def test_flagged_scan():
    assert flagged_scan(_frame(False, "progressive")) == "progressive"
    assert flagged_scan(_frame(False, "unknown")) == "progressive"
    assert flagged_scan(_frame(True, "tff")) == "tff"
    assert flagged_scan(_frame(True, "bff")) == "bff"
    assert flagged_scan(_frame(True, "unknown")) == "interlaced"


def _kinds(n: int, start: int = 0, phase: int = 0) -> list[tuple[int, str]]:
    return [(i, PULLDOWN[(i - phase) % 5]) for i in range(start, start + n)]


def test_cadence_breaks_where_its_phase_jumps():
    cad = Cadence()
    jumps = [j for n, k in _kinds(40) + _kinds(40, 40, 3) if (j := cad.update(n, k))]
    assert jumps == [(40, 0, 3)]
    # one odd frame (compression) and static frames are no break
    cad = Cadence()
    seq = _kinds(40)
    seq[22] = (22, "R")
    seq[30:35] = [(i, "?") for i in range(30, 35)]
    jumps = [j for n, k in seq if (j := cad.update(n, k))]
    assert not jumps
    assert cad.phase == 0
    # progressive and interlaced content never lock a cadence
    for kind in "PR":
        cad = Cadence()
        for i in range(50):
            cad.update(i, kind)
        assert cad.phase is None


def test_detector_on_synthetic_frames_decides_and_reports():
    """Woven top-field-first frames flagged progressive, 4 s at 25 fps: one finding, the
    measured scan in the stream facts."""
    det = InterlaceDetector(InterlaceParams(), StreamInfo(0, "video", frame_s=0.04))
    for i in range(100):
        luma = _weave(_scene(i, h=64, w=32), _scene(i + 0.5, h=64, w=32))
        det.update(
            VideoFrame(i, i * 0.04, 0.04, luma, luma, 1, 16, 235, 255, field_order="progressive")
        )
    events = det.finish(4.0)
    assert [e.detail.split(" in ")[0] for e in events] == ["Interlaced content (top field first)"]
    # from the first frame that voted (frame 0 has no previous fields to be compared with)
    assert events[0].start_s == 0.04 and events[0].end_s == 4.0
    assert det.stream_facts() == {"scan": "interlaced-tff"}


def test_a_stretch_runs_from_its_first_voting_frame_to_its_last():
    """Interlaced frames from 2 s to 4 s of moving progressive ones: the window (1 s) decides
    the frames up to half a window around the stretch too, but the finding keeps to the
    frames that voted for it, to the frame."""
    det = InterlaceDetector(InterlaceParams(), StreamInfo(0, "video", frame_s=0.04))
    for i in range(150):
        if 50 <= i < 100:
            luma = _weave(_scene(i, h=64, w=32), _scene(i + 0.5, h=64, w=32))
        else:
            luma = _scene(i, h=64, w=32)
        det.update(
            VideoFrame(i, i * 0.04, 0.04, luma, luma, 1, 16, 235, 255, field_order="progressive")
        )
    (ev,) = det.finish(6.0)
    assert ev.detail.startswith("Interlaced content (top field first)")
    # frame 100's top field pairs with the last woven frame's bottom field, half a frame
    # before it, as interlaced fields do: it votes with them
    assert (ev.frame_start, ev.frame_end) == (50, 101)
    assert (ev.start_s, ev.end_s) == pytest.approx((2.0, 4.04))


def test_still_pictures_do_not_end_a_stretch_a_progressive_verdict_does():
    """Interlaced frames, 3 s of a still picture, interlaced frames again: one stretch over
    all of it (the still pictures cannot tell); then moving progressive frames end it at the
    last interlaced frame, and interlaced frames after them are a second stretch."""
    det = InterlaceDetector(InterlaceParams(), StreamInfo(0, "video", frame_s=0.04))
    still = _weave(_scene(60, h=64, w=32), _scene(60, h=64, w=32))
    for i in range(300):
        if i < 50 or 125 <= i < 175 or i >= 250:
            luma = _weave(_scene(i, h=64, w=32), _scene(i + 0.5, h=64, w=32))
        elif i < 125:
            luma = still
        else:
            luma = _scene(i, h=64, w=32)
        det.update(
            VideoFrame(i, i * 0.04, 0.04, luma, luma, 1, 16, 235, 255, field_order="progressive")
        )
    first, second = det.finish(12.0)
    assert (first.frame_start, second.frame_start) == (1, 250)
    assert first.frame_end in (175, 176) and second.frame_end == 300
    assert [e.detail.split(" in ")[0] for e in (first, second)] == [
        "Interlaced content (top field first)"
    ] * 2


# ---- generated recordings ----------------------------------------------------------------------

SPECS = {
    s.name: s
    for s in (
        # interlaced content, flagged as progressive (H.264 frame coding)
        Spec("tff_as_progressive", "mp4", "libx264", None, fields="tff", flag_fields="progressive"),
        # bottom field first content in a stream coded top field first (MPEG-2 field DCT)
        Spec("bff_as_tff", "ts", "mpeg2video", None, fields="bff", flag_fields="tff", seed=2),
        # flagged as it is: MPEG-2 top field first, H.264 MBAFF bottom field first
        Spec("tff_right", "ts", "mpeg2video", None, fields="tff", seed=3),
        Spec("bff_right", "mkv", "libx264", None, fields="bff", seed=4),
        Spec("progressive", "mp4", "libx264", None, seed=5),
        # progressive pictures coded as fields (progressive segmented frames)
        Spec("progressive_as_tff", "ts", "mpeg2video", None, flag_fields="tff", seed=6),
        # a locked-off interlaced camera: noise and sub-pixel tremor, nothing moves
        Spec(
            "static_as_progressive",
            "ts",
            "mpeg2video",
            None,
            video="static_noisy",
            fields="tff",
            flag_fields="progressive",
            seed=7,
        ),
        # film telecined to 29.97 (top field first), two frames cut out at 5 s
        Spec(
            "telecine_edit",
            "ts",
            "mpeg2video",
            None,
            width=720,
            height=480,
            fps=30,
            ntsc=True,
            telecine=True,
            telecine_break_at_s=5.0,
            seed=8,
        ),
        Spec(
            "telecine_as_progressive",
            "mp4",
            "libx264",
            None,
            fps=30,
            ntsc=True,
            telecine=True,
            flag_fields="progressive",
            seed=9,
        ),
    )
}
# what the decoder must say about each: (interlaced_frame, codec field order)
FLAGS = {
    "tff_as_progressive": (False, 1),
    "bff_as_tff": (True, 2),
    "tff_right": (True, 2),
    "bff_right": (True, 3),
    "progressive": (False, 1),
    "progressive_as_tff": (True, 2),
    "static_as_progressive": (False, 1),
    "telecine_edit": (True, 2),
    "telecine_as_progressive": (False, 1),
}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("interlace")
    return {name: gen.generate(spec, out) for name, spec in SPECS.items()}


@pytest.fixture(scope="module")
def results(recordings: dict[str, Path]):
    return {name: analyze_file(path) for name, path in recordings.items()}


def _found(result) -> list:
    return [e for e in result.events if e.detector == "interlace"]


def _scan(result) -> str | None:
    return next(s.scan for s in result.streams if s.kind == "video")


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_generated_files_carry_the_flags_asked_for(recordings, name: str):
    with av.open(str(recordings[name])) as c:
        stream = c.streams.video[0]
        seen = {(f.interlaced_frame, stream.codec_context.field_order) for f in c.decode(stream)}
    assert seen == {FLAGS[name]}


def test_telecine_weaves_the_pulldown_pattern_and_jumps_at_the_edit():
    fields = gen._Fields(SPECS["telecine_edit"])
    assert [fields.pictures(i, i / 29.97) for i in range(5)] == [
        (0, 0),
        (1, 1),
        (1, 2),
        (2, 3),
        (3, 3),
    ]
    rate = float(gen.frame_rate(SPECS["telecine_edit"]))
    assert fields.pictures(149, 149 / rate) == (119, 119)  # DD of cycle 29
    assert fields.pictures(150, 150 / rate) == (121, 122)  # BC of cycle 30: two frames cut


def test_interlaced_content_flagged_progressive(results):
    r = results["tff_as_progressive"]
    (e,) = _found(r)
    assert e.detail.startswith("Interlaced content (top field first) in a stream flagged progr")
    assert e.start_s <= 0.5 and e.end_s >= 9.5
    assert e.severity == Severity.WARNING
    assert _scan(r) == "interlaced-tff"


def test_wrong_field_order(results):
    r = results["bff_as_tff"]
    (e,) = _found(r)
    assert "(bottom field first) in a stream flagged top field first" in e.detail
    assert e.start_s <= 0.5 and e.end_s >= 9.5
    assert _scan(r) == "interlaced-bff"


@pytest.mark.parametrize(("name", "scan"), [("tff_right", "tff"), ("bff_right", "bff")])
def test_interlaced_content_flagged_right(results, name: str, scan: str):
    assert not _found(results[name])
    assert _scan(results[name]) == f"interlaced-{scan}"


def test_progressive_content(results):
    assert not _found(results["progressive"])
    assert _scan(results["progressive"]) == "progressive"


def test_progressive_content_flagged_interlaced(results):
    r = results["progressive_as_tff"]
    (e,) = _found(r)
    assert e.detail.startswith("Progressive content in a stream flagged interlaced (top field")
    assert _scan(r) == "progressive"


def test_a_static_interlaced_picture_says_nothing(results):
    assert not _found(results["static_as_progressive"])
    assert _scan(results["static_as_progressive"]) is None


def test_telecine_cadence_break_at_the_edit(results):
    r = results["telecine_edit"]
    (e,) = _found(r)  # flagged top field first, as telecine is: only the break
    edit = 150  # the first frame at or after 5.0 s at 29.97 fps
    assert e.detail.startswith("3:2 pulldown cadence breaks at frame")
    assert abs(e.value - edit) <= 1 and e.frame_start == e.value and e.unit == "frame"
    assert _scan(r) == "interlaced-tff"


def test_telecine_flagged_progressive(results):
    r = results["telecine_as_progressive"]
    (e,) = _found(r)
    assert e.detail.startswith("Telecined film (3:2 pulldown, top field first) in a stream flagged")
    assert e.start_s <= 0.5 and e.end_s >= 9.5


# ---- clean content -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def negatives(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("negatives")
    return [gen.generate(s, out) for s in NEGATIVE_SPECS if s.video]


def test_no_finding_on_the_clean_catalogue(negatives: list[Path]):
    for path in negatives:
        r = analyze_file(path)
        assert not _found(r), (path.name, _found(r))
        assert _scan(r) in ("progressive", None), path.name


@pytest.mark.skipif(not SHARED_MEDIA.is_dir(), reason=NO_MEDIA)
def test_no_finding_on_real_progressive_footage():
    videos = [p for p in shared_media() if p.suffix in (".mp4", ".mkv")]
    assert videos
    for path in videos:
        r = analyze_file(path)
        assert not _found(r), (path.name, _found(r))
        assert _scan(r) in ("progressive", None), path.name

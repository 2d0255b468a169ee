"""``--fast`` triage (issue 20 §3): the decoder does less (no deblocking filter on H.264/HEVC,
reduced resolution on MPEG-2 and other DCT codecs), the detectors that need full pictures are
left out and the run says so; the findings of the others stay those of a full run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from streamcheck.config import Config
from streamcheck.decode import DecodeStats, iter_decoded, open_media
from streamcheck.decode.stream import fast_options
from streamcheck.detectors import REGISTRY
from streamcheck.model import FileResult, VideoFrame
from streamcheck.pipeline import analyze_file
from streamcheck.report.parquet import read_run_meta
from streamcheck.testmedia import Defect, Spec, generate

from .cli import run

LEFT_OUT = ("blockiness", "interlace", "levels")
DEFECTS = (
    Defect("clipping", 0.3, 0.7),
    Defect("black", 1.0, 3.4),
    Defect("freeze", 4.0, 6.6),
    Defect("silence", 5.2, 7.6),
)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """H.264 at 640×360 (deblocking skipped), MPEG-2 at 720×576 (decoded at half size) and
    MPEG-2 at 1280×720 with letterbox bars (half size), each with black, freeze, silence and
    clipping, or bars, at known times."""
    out = tmp_path_factory.mktemp("fast")
    specs = {
        "h264": Spec("h264", "mp4", "libx264", "aac", duration_s=8, width=640, height=360),
        "mpeg2": Spec("mpeg2", "ts", "mpeg2video", "aac", duration_s=8, width=720, height=576),
        "bars": Spec(
            "bars",
            "ts",
            "mpeg2video",
            "aac",
            duration_s=5,
            width=1280,
            height=720,
            defects=(Defect("letterbox", 0.0, 5.0, value=0.25),),
        ),
    }
    paths = {}
    for key, spec in specs.items():
        if key != "bars":
            spec = Spec(**{**spec.__dict__, "defects": DEFECTS})
        paths[key] = generate(spec, out)
    return paths


def _both(path: Path) -> tuple[FileResult, FileResult]:
    full = analyze_file(path, Config(decoder_threads=1))
    fast = analyze_file(path, Config(decoder_threads=1, fast=True))
    assert full.status.value == fast.status.value == "ok"
    return full, fast


def _findings(result: FileResult, leave_out: tuple[str, ...] = ()) -> list[tuple]:
    return sorted(
        (e.detector, e.start_s, e.end_s, e.channel)
        for e in result.events
        if e.detector not in leave_out
    )


def test_options_by_codec():
    """Deblocking is skipped for every codec (FFmpeg's generic option, ignored where there is
    no loop filter); reduced resolution only where the decoder supports it, keeping 240 lines."""
    assert fast_options("h264", 1080) == {"skip_loop_filter": "all"}
    assert fast_options("hevc", 2160) == {"skip_loop_filter": "all"}
    assert fast_options("mpeg2video", 1080)["lowres"] == "2"
    assert fast_options("mpeg2video", 576)["lowres"] == "1"
    assert fast_options("mjpeg", 720)["lowres"] == "1"
    assert "lowres" not in fast_options("mpeg2video", 360)
    assert "lowres" not in fast_options("prores", 1080)


def test_left_out_is_declared_by_the_detectors():
    assert tuple(n for n, cls in REGISTRY.items() if not cls.fast_ok) == LEFT_OUT
    assert all(REGISTRY[n].fast_note for n in LEFT_OUT)
    config = Config(fast=True)
    assert config.left_out() == LEFT_OUT
    assert not set(LEFT_OUT) & set(config.running())
    assert Config().left_out() == () and Config().running() == Config().detectors
    assert Config(fast=True).with_detectors(["black"]).left_out() == ()
    # a full run's digest is unchanged by the new field; a fast run's differs (incremental
    # runs do not keep full results for a fast run, nor the reverse)
    assert "fast" not in json.dumps(Config().digest())
    assert Config(fast=True).digest() != Config().digest()
    meta = Config(fast=True).mode_meta()
    assert meta == {"fast": "true", "left_out": ",".join(LEFT_OUT)}
    assert Config().mode_meta() == {}


def test_mpeg2_is_decoded_at_half_size(media: dict[str, Path]):
    """The decoder option really applies: MPEG-2 720×576 comes out at 360×288, scale 2."""
    for fast, shape, scale in ((False, (576, 720), 1), (True, (288, 360), 2)):
        with open_media(media["mpeg2"]) as m:
            frames = [
                f
                for f in iter_decoded(m, DecodeStats(), threads=1, fast=fast)
                if isinstance(f, VideoFrame)
            ]
        assert {f.luma.shape for f in frames} == {shape}
        assert {f.scale for f in frames} == {scale}
        assert {f.size for f in frames} == {(576, 720)}


def test_h264_deblocking_is_skipped(media: dict[str, Path]):
    """Same frames, same size, but different pictures: the deblocking filter did not run
    (intra pictures move too: H.264 deblocks them as well)."""
    lumas = {}
    for fast in (False, True):
        with open_media(media["h264"]) as m:
            lumas[fast] = [
                f.luma.astype(np.int16)
                for f in iter_decoded(m, DecodeStats(), threads=1, fast=fast)
                if isinstance(f, VideoFrame) and f.index < 25  # before the black
            ]
    assert len(lumas[False]) == len(lumas[True]) == 25
    assert lumas[False][0].shape == lumas[True][0].shape == (360, 640)
    changed = [
        int(np.count_nonzero(a != b)) for a, b in zip(lumas[False], lumas[True], strict=True)
    ]
    assert min(changed) > 0


@pytest.mark.parametrize("name", ["h264", "mpeg2"])
def test_same_findings_as_a_full_run(media: dict[str, Path], name: str):
    """Black, freeze, silence and clipping at the same times (within a frame) as the full run;
    the left-out detectors find nothing; width and height are the stream's own."""
    full, fast = _both(media[name])
    frame_s = 1 / 25
    a, b = _findings(full, LEFT_OUT), _findings(fast)
    assert [x[0] for x in a] == [x[0] for x in b]
    for x, y in zip(a, b, strict=True):
        assert abs(x[1] - y[1]) <= frame_s + 1e-6 and abs(x[2] - y[2]) <= frame_s + 1e-6, (x, y)
        assert x[3] == y[3]
    assert {"black", "freeze", "silence", "clipping"} <= {x[0] for x in b}
    assert not {e.detector for e in fast.events} & set(LEFT_OUT)
    assert (fast.info.width, fast.info.height) == (full.info.width, full.info.height)
    video = [(r.width, r.height) for r in fast.streams if r.kind == "video"]
    assert video == [(full.info.width, full.info.height)]
    assert video == [(r.width, r.height) for r in full.streams if r.kind == "video"]


def test_letterbox_at_half_size_reports_the_true_bars(media: dict[str, Path]):
    """Bars measured on a picture decoded at half size are reported in the stream's pixels:
    the same finding and value (share of the picture) as the full run."""
    full, fast = _both(media["bars"])
    a = [e for e in full.events if e.detector == "letterbox"]
    b = [e for e in fast.events if e.detector == "letterbox"]
    assert len(a) == len(b) == 1
    assert b[0].detail == a[0].detail
    assert b[0].value == pytest.approx(a[0].value, abs=0.01)
    assert (fast.info.width, fast.info.height) == (1280, 720)


def test_cli_fast_says_what_it_left_out(media: dict[str, Path], tmp_path: Path):
    out = tmp_path / "report"
    done = run("scan", str(media["h264"]), "--fast", "--out", str(out))
    assert done.returncode == 1, done.stderr  # black and freeze are errors
    text = " ".join(done.stdout.split())
    assert "Fast triage (--fast): left out blockiness, interlace, levels" in text
    meta = read_run_meta(out / "files.parquet")
    assert meta["fast"] == "true" and meta["left_out"] == "blockiness,interlace,levels"
    assert json.loads(meta["config"])["fast"] is True
    again = run("report", str(out))  # the summary shown again from the reports says it too
    assert "left out blockiness, interlace, levels" in " ".join(again.stdout.split())
    files = pq.read_table(out / "files.parquet").to_pylist()
    assert (files[0]["width"], files[0]["height"]) == (640, 360)
    full = tmp_path / "full"
    done = run("scan", str(media["h264"]), "--out", str(full))
    assert done.returncode == 1 and "Fast triage" not in done.stdout
    assert "fast" not in read_run_meta(full / "files.parquet")

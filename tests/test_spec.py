"""`spec`: a file against a delivery template ([spec] / a profile), one finding per key that
does not match, and templates refused when they name an unknown key or a wrong type."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from streamcheck import analyze_file
from streamcheck.config import load_config
from streamcheck.detectors.spec import chroma_of
from streamcheck.errors import ParameterError
from streamcheck.testmedia import Spec, generate


def _spec_events(result):
    return {e.detail.split(":")[0]: e for e in result.events if e.detector == "spec"}


@pytest.fixture(scope="module")
def stereo_mp4(tmp_path_factory) -> Path:
    """320×240 25 fps H.264 with one stereo AAC track, 4 s."""
    out = tmp_path_factory.mktemp("spec")
    return generate(Spec("stereo", duration_s=4.0), out)


def _xdcam(path: Path, tracks: int = 8, seconds: float = 1.0) -> Path:
    """1080i25 MPEG-2 4:2:2 (top field first, BT.709) in MXF with ``tracks`` mono 24-bit
    48 kHz PCM tracks: what the xdcam-hd422 template asks for."""
    with av.open(str(path), "w", format="mxf") as out:
        video = out.add_stream("mpeg2video", rate=25)
        video.width, video.height, video.pix_fmt = 1920, 1080, "yuv422p"
        ctx = video.codec_context
        ctx.bit_rate = 50_000_000
        ctx.options = {"flags": "+ildct+ilme", "top": "1"}
        ctx.color_primaries = ctx.color_trc = ctx.colorspace = 1  # BT.709
        ctx.color_range = 1
        ctx.sample_aspect_ratio = Fraction(1, 1)
        audio = []
        for _ in range(tracks):
            a = out.add_stream("pcm_s24le", rate=48000, layout="mono")
            audio.append(a)
        # the frames marked top field first (FFmpeg's setfield): MPEG-2 codes their order
        graph = av.filter.Graph()
        src = graph.add_buffer(
            width=1920, height=1080, format=av.VideoFormat("yuv422p"), time_base=Fraction(1, 25)
        )
        field, sink = graph.add("setfield", "tff"), graph.add("buffersink")
        src.link_to(field)
        field.link_to(sink)
        graph.configure()
        frames = round(25 * seconds)
        grey = np.full((1080, 1920, 3), 120, np.uint8)
        tone = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(1920) / 48000)).astype(np.float32)
        for i in range(frames):
            picture = av.VideoFrame.from_ndarray(grey, format="rgb24").reformat(format="yuv422p")
            picture.pts = i
            picture.time_base = Fraction(1, 25)
            graph.push(picture)
            for packet in video.encode(graph.pull()):
                out.mux(packet)
            for a in audio:
                block = av.AudioFrame.from_ndarray(tone[None, :], format="flt", layout="mono")
                block.sample_rate = 48000
                block.pts = i * 1920
                for packet in a.encode(block):
                    out.mux(packet)
        for s in [video, *audio]:
            for packet in s.encode():
                out.mux(packet)
    return path


def test_a_file_violating_a_template_in_resolution_rate_and_audio_layout(stereo_mp4: Path):
    config = load_config(
        overrides=[
            "spec.width=1920",
            "spec.height=1080",
            "spec.frame_rate=29.97,30",
            "spec.channels=1",
            "spec.audio_streams=8",
        ]
    )
    found = _spec_events(analyze_file(stereo_mp4, config))
    assert set(found) == {"width", "height", "frame_rate", "channels", "audio_streams"}
    assert found["width"].detail == "width: expected 1920, found 320."
    assert found["width"].value == 320
    assert found["frame_rate"].detail == "frame_rate: expected 29.97 or 30, found 25."
    assert found["frame_rate"].value == pytest.approx(25.0)
    assert found["channels"].detail == "channels: expected 1, found 2 (track 1 of 1)."
    assert found["audio_streams"].value == 1
    assert all(e.severity.value == "error" for e in found.values())
    assert all(e.start_s == 0 and e.end_s > 3.9 for e in found.values())  # the whole file


def test_a_file_matching_its_template_has_no_finding(stereo_mp4: Path):
    config = load_config(
        overrides=[
            "spec.container=mp4",
            "spec.video_codec=h264",
            "spec.width=320",
            "spec.height=240",
            "spec.frame_rate=25",
            "spec.scan=progressive",
            "spec.chroma=4:2:0",
            "spec.bit_depth=8",
            "spec.dar=4:3",
            "spec.sar=1:1",
            "spec.audio_codec=aac",
            "spec.sample_rate=48000",
            "spec.channels=2",
            "spec.audio_streams=1",
            "spec.min_duration_s=3",
            "spec.max_duration_s=5",
        ]
    )
    assert _spec_events(analyze_file(stereo_mp4, config)) == {}
    longer = load_config(overrides=["spec.min_duration_s=10", "spec.container=mxf,mkv"])
    found = _spec_events(analyze_file(stereo_mp4, longer))
    assert set(found) == {"min_duration_s", "container"}
    assert found["min_duration_s"].detail.startswith("min_duration_s: expected at least 10")
    assert "found mov,mp4" in found["container"].detail


def test_the_xdcam_hd422_template_passes_its_file_and_names_what_differs(tmp_path: Path):
    config = load_config(profile="xdcam-hd422", overrides=["spec.color_range=tv"])
    good = analyze_file(_xdcam(tmp_path / "good.mxf"), config)
    assert good.status.value == "ok"
    assert _spec_events(good) == {}, [e.detail for e in good.events]
    four = analyze_file(_xdcam(tmp_path / "four.mxf", tracks=4), config)
    assert set(_spec_events(four)) == {"audio_streams"}
    assert _spec_events(four)["audio_streams"].value == 4


def test_a_field_the_file_does_not_declare_is_unknown(tmp_path: Path):
    wav = generate(Spec("tone", container="wav", vcodec=None, acodec="pcm_s16le"), tmp_path)
    config = load_config(overrides=["spec.width=1920", "spec.audio_bit_depth=24"])
    found = _spec_events(analyze_file(wav, config))
    assert found["width"].detail == "width: expected 1920, found no video stream."
    assert found["width"].value is None
    assert found["audio_bit_depth"].value == 16
    mp4 = generate(Spec("plain", duration_s=2.0), tmp_path)
    colour = _spec_events(analyze_file(mp4, load_config(overrides=["spec.color_primaries=bt709"])))
    assert colour["color_primaries"].detail == "color_primaries: expected bt709, found unknown."


def test_chroma_of_pixel_formats():
    assert chroma_of("yuv420p") == "4:2:0"
    assert chroma_of("yuv422p10le") == "4:2:2"
    assert chroma_of("yuvj444p") == "4:4:4"
    assert chroma_of("nv12") == "4:2:0"
    assert chroma_of("gray10le") == "4:0:0"
    assert chroma_of("rgb24") is None


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[spec]\nwidht = 1920\n", "unknown parameter 'spec.widht'; spec has: container"),
        ('[spec]\nwidth = "big"\n', "spec.width"),
        ('[spec]\nscan = "sideways"\n', "scan must be a value or a list of values"),
        ('[spec]\ndar = "wide"\n', "dar must be a ratio like 16:9"),
        ("[spec]\nframe_rate = [25, -1]\n", "frame_rate must be"),
    ],
)
def test_a_bad_template_is_refused_naming_the_allowed(tmp_path: Path, toml: str, message: str):
    path = tmp_path / "streamcheck.toml"
    path.write_text(toml)
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        load_config(path)


def test_template_lists_in_toml_and_from_the_command_line(tmp_path: Path, stereo_mp4: Path):
    path = tmp_path / "delivery.toml"
    path.write_text('[spec]\nframe_rate = [25, 50]\nvideo_codec = "h264"\nchannels = 2\n')
    spec = load_config(path).params_for("spec")
    assert spec.frame_rate == (25.0, 50.0) and spec.video_codec == ("h264",)
    assert spec.channels == (2,)
    bad = tmp_path / "bad.toml"
    bad.write_text("[spec]\nwidth = 1920.5\n")
    run = subprocess.run(
        [sys.executable, "-m", "streamcheck", "scan", str(stereo_mp4), "--config", str(bad),
         "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert run.returncode == 2
    assert "spec.width" in run.stderr and "whole number" in run.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "streamcheck", "detectors", "--profile", "xdcam-hd422"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "120", "PATH": ""},
    )
    assert shown.returncode == 0
    assert "delivery template of profile xdcam-hd422" in shown.stdout
    assert "spec.video_profile" in shown.stdout and "4:2:2" in shown.stdout

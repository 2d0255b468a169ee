"""Broadcast audio: programmes measured across tracks, a broadcast MXF with 8 mono tracks
(tracks 1+2 the programme) against FFmpeg's own amerge + ebur128, findings that name their
track, streams.parquet, and the programme configuration."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.filter
import numpy as np
import pyarrow.parquet as pq
import pytest

from streamcheck.config import Config, load_config
from streamcheck.errors import ParameterError
from streamcheck.pipeline import analyze_file
from tests.cli import run

SR = 48000
SECONDS = 12


def _signals() -> list[np.ndarray]:
    """Eight mono tracks: 1+2 a stereo programme (music, the right a little different), 3+4
    a louder noise bed, 5–8 silent (unused tracks of the master)."""
    t = np.arange(SECONDS * SR) / SR
    rng = np.random.default_rng(1)
    music = 0.3 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    other = 0.2 * rng.standard_normal(t.size)
    silent = np.zeros_like(t)
    tracks = [music, 0.7 * music + 0.05 * other, other, 0.5 * other] + [silent] * 4
    return [x.astype(np.float32) for x in tracks]


@pytest.fixture(scope="module")
def eight_track_mxf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XDCAM/AS-11-style MXF: MPEG-2 4:2:2 video and 8 mono 24-bit 48 kHz PCM tracks."""
    path = tmp_path_factory.mktemp("mxf") / "master.mxf"
    out = av.open(str(path), "w", format="mxf")
    video = out.add_stream("mpeg2video", rate=25)
    video.width, video.height, video.pix_fmt = 720, 576, "yuv422p"
    tracks = [out.add_stream("pcm_s24le", rate=SR, layout="mono") for _ in range(8)]
    signals = _signals()
    ramp = np.tile(np.arange(720, dtype=np.uint8)[None, :, None], (576, 1, 3))
    for i in range(SECONDS * 25):
        frame = av.VideoFrame.from_ndarray(np.roll(ramp, i * 4, axis=1), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, 25)
        for p in video.encode(frame):
            out.mux(p)
        a0, a1 = i * SR // 25, (i + 1) * SR // 25
        for stream, x in zip(tracks, signals, strict=True):
            af = av.AudioFrame.from_ndarray(x[None, a0:a1].copy(), format="flt", layout="mono")
            af.sample_rate, af.pts, af.time_base = SR, a0, Fraction(1, SR)
            for p in stream.encode(af):
                out.mux(p)
    for stream in [video, *tracks]:
        for p in stream.encode():
            out.mux(p)
    out.close()
    return path


def _ffmpeg_programme_loudness(path: Path, tracks: tuple[int, int]) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of two mono tracks merged into stereo, as FFmpeg's
    ``amerge`` + ``ebur128=peak=true`` give them (in-process, libavfilter)."""
    with av.open(str(path)) as c:
        audio = [c.streams.audio[t - 1] for t in tracks]
        indexes = [s.index for s in audio]
        frames: dict[int, list[av.AudioFrame]] = {i: [] for i in indexes}
        for packet in c.demux(*audio):
            frames[packet.stream.index] += packet.decode()
    graph = av.filter.Graph()
    sources = []
    for index in indexes:
        first = frames[index][0]
        sources.append(
            graph.add_abuffer(
                sample_rate=SR, format=first.format.name, layout="mono", time_base=Fraction(1, SR)
            )
        )
    merge = graph.add("amerge", "inputs=2")
    meter = graph.add("ebur128", "metadata=1:peak=true")
    sink = graph.add("abuffersink")
    for i, src in enumerate(sources):
        src.link_to(merge, 0, i)
    merge.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    last: dict[str, str] = {}
    for k in range(max(len(v) for v in frames.values())):
        for src, index in zip(sources, indexes, strict=True):
            if k < len(frames[index]):
                src.push(frames[index][k])
        last = _drain(sink, last)
    for src in sources:
        src.push(None)
    last = _drain(sink, last)
    peaks = [float(v) for k, v in last.items() if k.startswith("lavfi.r128.true_peaks_ch")]
    return float(last["lavfi.r128.I"]), 20 * float(np.log10(max(peaks)))


def _drain(sink, last: dict[str, str]) -> dict[str, str]:
    while True:
        try:
            out = sink.pull()
        except (av.BlockingIOError, av.EOFError):
            return last
        if out.metadata and "lavfi.r128.I" in out.metadata:
            last = dict(out.metadata)


def test_the_programme_on_tracks_1_and_2_reads_as_ffmpeg_measures_it(eight_track_mxf: Path):
    """Before: track 1 alone, as mono, in files.parquet (−22.6 LUFS against FFmpeg's −17.2)."""
    lufs, dbtp = _ffmpeg_programme_loudness(eight_track_mxf, (1, 2))
    r = analyze_file(eight_track_mxf)
    assert r.status.value == "ok", r.error
    assert r.info.integrated_lufs == pytest.approx(lufs, abs=0.1)
    assert r.info.true_peak_dbtp == pytest.approx(dbtp, abs=0.2)
    programmes = [s for s in r.streams if s.kind == "programme"]
    assert [p.programme for p in programmes] == ["1+2", "3+4", "5+6", "7+8"]
    assert programmes[0].integrated_lufs == r.info.integrated_lufs
    assert programmes[0].tracks == "1+2" and programmes[0].layout == "stereo"
    assert programmes[2].integrated_lufs is None and programmes[2].true_peak_dbtp is None
    streams = [s for s in r.streams if s.kind != "programme"]
    assert [s.kind for s in streams] == ["video"] + ["audio"] * 8
    assert all(s.codec == "pcm_s24le" and s.bit_depth == 24 for s in streams[1:])
    assert streams[0].pix_fmt == "yuv422p" and streams[0].codec == "mpeg2video"


def test_broadcast_ebu_judges_programmes_not_tracks(eight_track_mxf: Path):
    config = load_config(profile="broadcast-ebu")
    r = analyze_file(eight_track_mxf, config)
    loud = [e for e in r.events if e.detector == "loudness"]
    # tracks 1+2 and 3+4 are programmes (both louder than −23 LUFS); 5–8 are silent
    assert sorted(e.stream_index for e in loud) == [1, 3]
    assert all("programme '" in e.detail for e in loud)
    silent = sorted((e.stream_index, e.detail) for e in r.events if e.detector == "silence")
    assert [s for s, _ in silent] == [5, 6, 7, 8]
    assert [d.split(" (")[0] for _, d in silent] == [f"Silence on track {n}" for n in (5, 6, 7, 8)]
    for e in r.events:  # every audio finding names its stream
        if e.detector in ("loudness", "silence", "true_peak"):
            assert e.stream_index is not None


def test_configured_programmes(eight_track_mxf: Path, tmp_path: Path):
    cfg = tmp_path / "qc.toml"
    cfg.write_text(
        '[[programme]]\nname = "main"\ntracks = [1, 2]\nlayout = "stereo"\n'
        '[[programme]]\nname = "surround"\ntracks = [3, 4, 5, 6, 7, 8]\nlayout = "5.1"\n'
    )
    r = analyze_file(eight_track_mxf, load_config(cfg))
    rows = {s.programme: s for s in r.streams if s.kind == "programme"}
    assert set(rows) == {"main", "surround"}
    assert rows["surround"].tracks == "3+4+5+6+7+8" and rows["surround"].layout == "5.1"
    assert rows["surround"].channels == 6
    assert rows["main"].integrated_lufs == pytest.approx(r.info.integrated_lufs)
    each = analyze_file(eight_track_mxf, Config().with_overrides(["programmes.default=streams"]))
    assert [s.programme for s in each.streams if s.kind == "programme"] == [
        str(n) for n in range(1, 9)
    ]


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('[[programme]]\nname = "x"\ntracks = [1, 2]\nlayout = "7.2"\n', "layout must be one of"),
        ('[[programme]]\nname = "x"\ntracks = [0]\nlayout = "mono"\n', "track numbers from 1"),
        ('[[programme]]\nname = "x"\ntracks = "1"\nlayout = "mono"\n', "track numbers from 1"),
        ('[[programme]]\ntracks = [1]\nlayout = "mono"\n', "name must be"),
        ('[[programme]]\nname = "x"\ntracks = [1]\nlayout = "mono"\nbus = 1\n', "unknown key"),
        ('[programmes]\ndefault = "all"\n', "programmes.default must be one of pairs, streams"),
    ],
)
def test_bad_programme_configuration(tmp_path: Path, toml: str, says: str):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    with pytest.raises(ParameterError, match=says):
        load_config(cfg)


def test_a_programme_the_file_cannot_have_is_a_finding(eight_track_mxf: Path, tmp_path: Path):
    cfg = tmp_path / "qc.toml"
    cfg.write_text('[[programme]]\nname = "ad"\ntracks = [9, 10]\nlayout = "stereo"\n')
    r = analyze_file(eight_track_mxf, load_config(cfg))
    (missing,) = [e for e in r.events if e.detector == "missing_stream"]
    assert "programme 'ad'" in missing.detail and "8 audio track(s)" in missing.detail


def test_streams_parquet_and_per_programme_metrics(eight_track_mxf: Path, tmp_path: Path):
    out = tmp_path / "rep"
    r = run("scan", str(eight_track_mxf), "-o", str(out), "--fail-on", "never")
    assert r.returncode == 0, r.stderr
    streams = pq.read_table(out / "streams.parquet").to_pylist()
    assert [s["kind"] for s in streams].count("audio") == 8
    assert [s["programme"] for s in streams if s["kind"] == "programme"] == [
        "1+2",
        "3+4",
        "5+6",
        "7+8",
    ]
    metrics = pq.read_table(out / "metrics.parquet").to_pylist()
    by_source = {(m["stream_index"], m["programme"]) for m in metrics}
    assert by_source == {(0, None), (1, "1+2"), (3, "3+4"), (5, "5+6"), (7, "7+8")}
    files = pq.read_table(out / "files.parquet").to_pylist()
    assert files[0]["integrated_lufs"] == pytest.approx(
        next(s for s in streams if s["programme"] == "1+2")["integrated_lufs"]
    )


def _wav(path: Path, x: np.ndarray, layout: str = "stereo") -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s24le", rate=SR, layout=layout)
        for i in range(0, x.shape[1], SR):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(x[:, i : i + SR]), format="fltp", layout=layout
            )
            frame.sample_rate, frame.pts, frame.time_base = SR, i, Fraction(1, SR)
            for p in stream.encode(frame):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    return path


def test_dc_offset_on_one_channel(tmp_path: Path):
    t = np.arange(20 * SR) / SR
    music = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    x = np.stack([music, np.roll(music, 100)])
    x[1, 5 * SR : 12 * SR] += 0.03  # −30.5 dBFS of DC on the right channel for 7 s
    r = analyze_file(_wav(tmp_path / "dc.wav", x))
    (dc,) = [e for e in r.events if e.detector == "dc_offset"]
    assert (dc.start_s, dc.end_s, dc.channel) == (5.0, 12.0, 1)
    assert dc.value == pytest.approx(-30.46, abs=0.1) and "track 1 channel FR" in dc.detail
    clean = analyze_file(_wav(tmp_path / "clean.wav", np.stack([music, np.roll(music, 100)])))
    assert not [e for e in clean.events if e.detector == "dc_offset"]


def test_dual_mono_and_a_real_stereo_mix(tmp_path: Path):
    t = np.arange(40 * SR) / SR
    rng = np.random.default_rng(4)
    voice = (0.2 * np.sin(2 * np.pi * 200 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    copy = _wav(tmp_path / "copy.wav", np.stack([voice, 0.5 * voice]))  # right 6 dB down
    (ev,) = [e for e in analyze_file(copy).events if e.detector == "dual_mono"]
    assert (ev.start_s, ev.end_s) == (0.0, 40.0) and ev.value == pytest.approx(-6.02, abs=0.05)
    assert ev.severity.value == "info" and "one signal" in ev.detail
    # centred dialogue over a stereo ambience: mostly the same, not one signal
    ambience = (0.02 * rng.standard_normal((2, t.size))).astype(np.float32)
    mix = _wav(tmp_path / "mix.wav", np.stack([voice, voice]) + ambience)
    assert not [e for e in analyze_file(mix).events if e.detector == "dual_mono"]


def test_a_channel_with_inverted_polarity_is_called_so(tmp_path: Path):
    """It was one finding ending at 18.4 s of a 20 s file, and not called an inversion."""
    t = np.arange(20 * SR) / SR
    music = (0.3 * np.sin(2 * np.pi * 330 * t) * (1 + 0.5 * np.sin(t))).astype(np.float32)
    r = analyze_file(_wav(tmp_path / "inverted.wav", np.stack([music, -music])))
    (ph,) = [e for e in r.events if e.detector == "phase"]
    assert (ph.start_s, ph.end_s) == (0.0, 20.0)
    assert "Polarity of one channel" in ph.detail and "the whole file" in ph.detail

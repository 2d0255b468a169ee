"""Loudness and true peak against the EBU test signals, synthesized from the definitions in EBU
Tech 3341 (loudness, cases 1–6) and Tech 3342 (loudness range, cases 1–4)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from streamcheck.config import Config
from streamcheck.pipeline import analyze_file

SR = 48000


def write_wav(path: Path, channels: np.ndarray, layout: str) -> Path:
    """float32 (channels, n) → 32-bit float WAV, in 1 s blocks."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_f32le", rate=SR, layout=layout)
        for i in range(0, channels.shape[1], SR):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(channels[:, i : i + SR]), format="fltp", layout=layout
            )
            frame.sample_rate, frame.pts, frame.time_base = SR, i, Fraction(1, SR)
            for p in stream.encode(frame):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    return path


def tone(segments: list[tuple[float, float]], freq: float = 1000.0) -> np.ndarray:
    """A 1 kHz sine through (level dBFS, seconds) segments."""
    parts = []
    for level, seconds in segments:
        t = np.arange(round(seconds * SR)) / SR
        parts.append(10 ** (level / 20) * np.sin(2 * np.pi * freq * t))
    return np.concatenate(parts).astype(np.float32)


def stereo(segments: list[tuple[float, float]]) -> np.ndarray:
    x = tone(segments)
    return np.stack([x, x])


# (case, signal builder, expected integrated LUFS) — EBU Tech 3341, section 4
TECH_3341 = [
    (1, lambda: stereo([(-23, 20)]), -23.0),
    (2, lambda: stereo([(-33, 20)]), -33.0),
    (3, lambda: stereo([(-36, 10), (-23, 60), (-36, 10)]), -23.0),
    (4, lambda: stereo([(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)]), -23.0),
    (5, lambda: stereo([(-26, 20), (-20, 20.1), (-26, 20)]), -23.0),
]
# EBU Tech 3342, section 4: expected loudness range (LU)
TECH_3342 = [
    (1, [(-20, 20), (-30, 20)], 10.0),
    (2, [(-20, 20), (-15, 20)], 5.0),
    (3, [(-40, 20), (-20, 20)], 20.0),
    (4, [(-50, 20), (-35, 20), (-20, 20), (-35, 20), (-50, 20)], 15.0),
]


@pytest.mark.parametrize(
    ("case", "build", "lufs"), TECH_3341, ids=[f"3341-{c[0]}" for c in TECH_3341]
)
def test_tech_3341_integrated(tmp_path: Path, case, build, lufs):
    r = analyze_file(write_wav(tmp_path / f"case{case}.wav", build(), "stereo"))
    assert r.status.value == "ok", r.error
    assert r.info.integrated_lufs == pytest.approx(lufs, abs=0.1)
    if case == 1:  # a steady tone: momentary and short-term read the same
        assert r.info.max_momentary_lufs == pytest.approx(-23.0, abs=0.1)
        assert r.info.max_short_term_lufs == pytest.approx(-23.0, abs=0.1)
        assert max(m for m in r.metrics["momentary_lufs"] if m is not None) == pytest.approx(
            -23.0, abs=0.1
        )


def _bs1770(levels_dbfs: dict[str, float]) -> float:
    """Integrated loudness BS.1770-4 gives 1 kHz sines at these peak levels per channel:
    −0.691 + 10·log10(Σ Gᵢ·zᵢ) with zᵢ = Aᵢ²/2, G = 1.41 for surrounds, LFE left out; the
    K-filter's +0.691 dB at 1 kHz cancels the constant."""
    weight = {"FL": 1.0, "FR": 1.0, "FC": 1.0, "LFE": 0.0, "BL": 1.41, "BR": 1.41}
    total = sum(weight[ch] * (10 ** (lv / 20)) ** 2 / 2 for ch, lv in levels_dbfs.items())
    return float(10 * np.log10(total))


@pytest.mark.parametrize(
    "levels",
    [
        {"BL": -24.5, "BR": -24.5},  # the surround pair alone reads −23.0: weight +1.5 dB
        {"FL": -28.0, "FR": -28.0, "FC": -28.0, "BL": -24.5, "BR": -24.5},
        {"FL": -23.0, "FR": -23.0, "LFE": -10.0},  # the LFE channel does not count
    ],
    ids=["surrounds", "five-channels", "lfe-excluded"],
)
def test_surround_channel_weighting(tmp_path: Path, levels):
    """Tech 3341's 5-channel case checks BS.1770's channel weights; this checks them directly
    against the formula, on a 5.1 file (FL FR FC LFE BL BR)."""
    order = ("FL", "FR", "FC", "LFE", "BL", "BR")
    silent = np.zeros(20 * SR, np.float32)
    x = np.stack([tone([(levels[ch], 20)]) if ch in levels else silent for ch in order])
    r = analyze_file(write_wav(tmp_path / "surround.wav", x, "5.1"))
    assert r.info.integrated_lufs == pytest.approx(_bs1770(levels), abs=0.1)
    if set(levels) == {"BL", "BR"}:
        assert r.info.integrated_lufs == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize(
    ("case", "segments", "lra"), TECH_3342, ids=[f"3342-{c[0]}" for c in TECH_3342]
)
def test_tech_3342_loudness_range(tmp_path: Path, case, segments, lra):
    r = analyze_file(write_wav(tmp_path / f"lra{case}.wav", stereo(segments), "stereo"))
    assert r.info.loudness_range_lu == pytest.approx(lra, abs=1.0)


def test_true_peak_between_samples(tmp_path: Path):
    """A 12 kHz sine whose peaks fall between samples: the sample peak reads 3 dB low, the
    4× oversampled true peak finds it (within the 4× method's own bound, 0.69 dB)."""
    t = np.arange(5 * SR) / SR
    x = (0.5 * np.sin(2 * np.pi * 12000 * t + np.pi / 4)).astype(np.float32)
    r = analyze_file(write_wav(tmp_path / "tp.wav", np.stack([x, x]), "stereo"))
    assert max(r.metrics["peak_dbfs"]) == pytest.approx(-9.03, abs=0.05)
    assert -6.02 - 0.69 <= r.info.true_peak_dbtp <= -6.02 + 0.05


def _lufs_two_parts() -> float:
    """BS.1770 for 5 s at −10 dBFS then 5 s at −0.5 dBFS, stereo (gating keeps both)."""
    z = [(10 ** (lv / 20)) ** 2 for lv in (-10.0, -0.5)]  # stereo: 2 × A²/2 per part
    return float(10 * np.log10(np.mean(z)))


def test_profiles_turn_compliance_findings_on(tmp_path: Path):
    path = write_wav(tmp_path / "loud.wav", stereo([(-10, 5), (-0.5, 5)]), "stereo")
    assert analyze_file(path).events == []  # profile none: measured, not judged
    ebu = Config().with_overrides(["loudness.profile=ebu", "true_peak.profile=ebu"])
    events = {e.detector: e for e in analyze_file(path, ebu).events}
    assert events["loudness"].value == pytest.approx(_lufs_two_parts(), abs=0.1)
    assert "above" in events["loudness"].detail and events["loudness"].unit == "LUFS"
    tp = events["true_peak"]  # the −0.5 dBFS half is over the −1 dBTP ceiling
    assert tp.value == pytest.approx(-0.5, abs=0.1) and tp.unit == "dBTP"
    # located to the measure step's 512-sample stretches (11 ms), whatever the block size
    assert tp.start_s == pytest.approx(5.0, abs=0.011) and tp.end_s == pytest.approx(
        10.0, abs=0.011
    )
    streaming = Config().with_overrides(["loudness.profile=streaming"])
    (ev,) = analyze_file(path, streaming).events
    assert ev.detector == "loudness" and "LU above the streaming target -14" in ev.detail
    with pytest.raises(ValueError, match="profile"):
        Config().with_overrides(["loudness.profile=loud"])


def test_true_peak_keeps_every_channels_maximum_when_the_layout_changes():
    """A TS programme switching 2.0 → 5.1 → 2.0: the stream's maximum keeps all six."""
    from streamcheck.measure import AudioMeasure
    from streamcheck.model import AudioBlock

    def block(t: float, levels: list[float]) -> AudioBlock:
        n = 4800
        tone = np.sin(2 * np.pi * 1000 * np.arange(n) / 48000).astype(np.float32)
        return AudioBlock(1, t, 48000, np.stack([tone * a for a in levels]))

    m = AudioMeasure()
    m.update(block(0.0, [0.1, 0.1]))
    m.update(block(0.1, [0.2, 0.2, 0.3, 0.05, 0.9, 0.4]))
    m.update(block(0.2, [0.5, 0.1]))
    assert m.true_peak is not None and m.true_peak.shape == (6,)
    assert m.true_peak == pytest.approx([0.5, 0.2, 0.3, 0.05, 0.9, 0.4], abs=0.01)


@pytest.mark.parametrize("blocks", ["fixed", "uneven"])
def test_true_peak_screening_is_exact_where_it_matters(blocks: str):
    """Windows that cannot matter are not oversampled; check against oversampling everything
    (numpy's convolution, phase by phase): the stream's maximum is the same, every block value
    at or above the ceiling asked for (−2 dBTP here) is the same, and no value is above the full
    computation's."""
    from streamcheck.measure import WINDOW, AudioMeasure, _interpolator
    from streamcheck.model import AudioBlock

    rng = np.random.default_rng(7)
    sr, n, size = 48000, 48000 * 4, 4800
    t = np.arange(n) / sr
    envelope = 0.05 + 0.3 * (np.sin(2 * np.pi * 0.7 * t) > 0.6)  # loud from 0.15 to 0.56 s …
    x = (rng.standard_normal((3, n)) * envelope).astype(np.float32)
    # … quiet from 0.6 s. Two equal samples peak 2 dB higher between them (and the peak is
    # computed a few values later): such pairs at a screening window's end, a block's start,
    x[0, 7 * size + WINDOW - 2 : 7 * size + WINDOW] = 0.8
    x[1, 9 * size : 9 * size + 2] = -0.8
    x[2, 12 * size - 2 : 12 * size] = 0.8  # and a block's end
    x[0, 150_001:150_003] = [0.9, -0.9]  # a full-scale swing
    x[2, 160_000:] *= 0.1  # and a channel that goes quiet
    phases = _interpolator()
    full = np.concatenate([np.zeros((3, phases.shape[1] - 1), np.float32), x], axis=1)
    reference = np.stack(
        [
            np.max([np.abs(np.convolve(full[c], p, mode="valid")) for p in phases], axis=0)
            for c in range(3)
        ]
    )
    sizes = [size] * (n // size) if blocks == "fixed" else rng.integers(200, 6000, size=200)
    ceiling = 10 ** (-2 / 20)  # the lowest delivery ceiling (ATSC A/85)
    m = AudioMeasure(overs_above=ceiling)
    start = checked = skipped = 0
    for length in sizes:
        stop = min(n, start + int(length))
        if stop <= start:
            break
        block = AudioBlock(1, start / sr, sr, x[:, start:stop])
        m.update(block)
        sample_peak = np.abs(x[:, start:stop]).max(axis=1)
        want = np.maximum(reference[:, start:stop].max(axis=1), sample_peak)
        got = block.true_peak
        assert got is not None
        assert np.all(got <= want + 1e-6) and np.all(got >= sample_peak - 1e-7)
        loud = want >= ceiling
        np.testing.assert_allclose(got[loud], want[loud], rtol=1e-5)
        for ch in np.flatnonzero(loud).tolist():  # the overs' stretches hold the same peak
            over = [tp for c, _, _, tp in block.true_peak_overs if c == ch]
            assert max(over) == pytest.approx(float(got[ch]), rel=1e-6)
        checked += int(loud.sum())
        skipped += int(np.sum(got < want - 1e-6))
        start = stop
    assert checked >= 4 and skipped > 0  # both paths ran
    seen = np.maximum(reference[:, :start].max(axis=1), np.abs(x[:, :start]).max(axis=1))
    np.testing.assert_allclose(m.true_peak, seen, rtol=1e-5)


def test_meter_readings_do_not_depend_on_when_they_are_pulled():
    """The meter pulls from the filter only once a whole 100 ms frame has been pushed; with
    decoded frames of odd sizes it gives the same readings, with the same times and after the
    same pushes, as pulling after every push."""
    import av.filter

    from streamcheck.decode.loudness import R128Meter

    rng = np.random.default_rng(3)
    sr = 48000
    x = (rng.standard_normal((2, sr * 5)) * np.linspace(0.01, 0.3, sr * 5)).astype(np.float32)
    frames, pos = [], 0
    for size in rng.integers(300, 3000, size=400):
        if pos >= x.shape[1]:
            break
        f = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(x[:, pos : pos + int(size)]), format="fltp", layout="stereo"
        )
        f.sample_rate, f.pts, f.time_base = sr, pos, Fraction(1, sr)
        frames.append(f)
        pos += int(size)

    graph = av.filter.Graph()
    src = graph.add_abuffer(
        sample_rate=sr, format="fltp", layout="stereo", time_base=Fraction(1, sr)
    )
    meter, sink = graph.add("ebur128", "metadata=1"), graph.add("abuffersink")
    src.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    want, want_after = [], []
    for f in [*frames, None]:
        graph.push(f)
        want_after.append(len(want))
        while True:
            try:
                out = graph.pull()
            except (av.BlockingIOError, av.EOFError):
                break
            md = out.metadata
            want.append((out.time, float(md["lavfi.r128.M"]), float(md["lavfi.r128.S"])))
        want_after[-1] = len(want)

    ours = R128Meter(0.0)
    got, got_after = [], []
    for f in [*frames, None]:
        got += ours.push(f)
        got_after.append(len(got))
    assert len(want) == 50 and got == want and got_after == want_after

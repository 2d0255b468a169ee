"""Broken input gets a row with a clear one-line reason, never a traceback."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from streamcheck.pipeline import analyze_file


def _cut(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def test_truncated_matroska_reports_where_the_data_ends(media_dir: Path, tmp_path: Path):
    r = analyze_file(_cut(media_dir / "hevc_opus_mkv.mkv", tmp_path / "cut.mkv", 0.6))
    assert r.status.value == "error"
    assert r.error.startswith("truncated: data ends at ")
    assert "of 10.0" in r.error  # the declared duration
    ends = float(r.error.split("data ends at ")[1].split(" s")[0])
    assert 3.0 < ends < 9.0 and r.info.duration_s == pytest.approx(ends)
    # what was there was analysed: the black stretch at 2.0-4.4 s is still found
    assert any(e.detector == "black" and e.start_s == pytest.approx(2.0) for e in r.events)


def test_mp4_without_index(media_dir: Path, tmp_path: Path):
    r = analyze_file(_cut(media_dir / "h264_aac_mp4.mp4", tmp_path / "cut.mp4", 0.5))
    assert r.status.value == "error" and "moov atom not found" in r.error


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.mp4", b"", "empty file"),
        ("notes.mp4", b"hello, this is a text file\n" * 20, "not a media file"),
        ("noise.mkv", bytes(range(256)) * 64, "not a media file"),
    ],
)
def test_non_media(tmp_path: Path, name: str, content: bytes, reason: str):
    p = tmp_path / name
    p.write_bytes(content)
    r = analyze_file(p)
    assert r.status.value == "error" and reason in r.error
    assert "\n" not in r.error and r.info.size_bytes == len(content)


def test_missing_and_broken_link(tmp_path: Path):
    link = tmp_path / "link.mp4"
    os.symlink(tmp_path / "nowhere.mp4", link)
    r = analyze_file(link)
    assert r.status.value == "error" and "broken symbolic link" in r.error
    r = analyze_file(tmp_path / "gone.mp4")
    assert r.status.value == "error" and "not found" in r.error


@pytest.mark.parametrize("layouts", [(2, 6, 2), (6, 2, 6)])
def test_audio_layout_change_mid_stream(tmp_path: Path, layouts: tuple[int, int, int]):
    """Broadcast TS recordings switch 2.0 ↔ 5.1 between programmes on the same PID: two real
    TS files (stereo AAC, then 5.1 AAC, then stereo again) joined byte for byte. Every
    per-channel measurement must cope with the channel count changing under it."""
    from streamcheck.testmedia import Spec, generate

    parts = []
    for i, channels in enumerate(layouts):
        spec = Spec(f"part{i}", "ts", "libx264", "aac", seed=40 + i, duration_s=3.0)
        spec = dataclasses.replace(spec, channels=channels)
        parts.append(generate(spec, tmp_path))
    joined = tmp_path / "programmes.ts"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    import av

    with av.open(str(joined)) as c:
        counts = [len(f.layout.channels) for f in c.decode(audio=0)]
    # the decoder really changes its channel count under the analysis
    assert [k for i, k in enumerate(counts) if i == 0 or k != counts[i - 1]] == list(layouts)
    r = analyze_file(joined)
    assert r.status.value == "ok", r.error
    assert r.info.true_peak_dbtp is not None and r.info.integrated_lufs is not None
    # the loudness meter follows it (each part restarts the timeline at 0: 3 s of it), and
    # the programme's true peak has all six channels
    momentary = [
        m
        for m, prog in zip(r.metrics["momentary_lufs"], r.metrics["programme"], strict=True)
        if prog is not None
    ]
    assert len(momentary) >= 3 and all(m is not None for m in momentary[:3])
    (programme,) = [row for row in r.streams if row.kind == "programme"]
    assert programme.channels == 6 and programme.integrated_lufs is not None
    # all three parts were decoded: 3 × 3 s of pictures
    assert r.info.frames is not None and r.info.frames >= 3 * 3 * 25 - 3

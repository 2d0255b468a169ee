"""Broken input gets a row with a clear one-line reason, never a traceback."""

from __future__ import annotations

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

"""Finding the media files, and building the configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streamcheck.config import Config
from streamcheck.discover import MEDIA_EXTENSIONS, discover
from streamcheck.errors import ParameterError, UsageError


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in (
        "a/one.MP4",
        "a/b/two.mkv",
        "a/b/notes.txt",
        "a/.secret.mp4",
        ".hidden/x.mp4",
        "three.wav",
        "name with spaces é.mov",
    ):
        (tmp_path / rel).write_bytes(b"x")
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "loop")  # a symlink loop
    os.symlink(tmp_path / "gone.mp4", tmp_path / "a" / "broken.mp4")  # a broken link
    return tmp_path


def test_walks_recursively_skips_hidden_and_loops(tree: Path):
    found = [Path(p).relative_to(tree).as_posix() for p in discover([str(tree)])]
    assert found == sorted(found)
    assert set(found) == {
        "a/one.MP4",
        "a/b/two.mkv",
        "a/broken.mp4",
        "three.wav",
        "name with spaces é.mov",
    }


def test_duplicates_removed_and_paths_absolute(tree: Path):
    one = tree / "a" / "one.MP4"
    found = discover([str(one), str(tree / "a"), str(one), os.path.relpath(one)])
    assert found.count(str(one)) == 1
    assert all(os.path.isabs(p) for p in found)


def test_globs_and_explicit_files(tree: Path):
    assert discover([str(tree / "a" / "**" / "*.mkv")]) == [str(tree / "a" / "b" / "two.mkv")]
    notes = tree / "a" / "b" / "notes.txt"
    assert discover([str(notes)]) == [str(notes)]  # named explicitly: taken


def test_missing_path_is_a_usage_error(tree: Path):
    with pytest.raises(UsageError, match=r"nope\.mp4"):
        discover([str(tree / "nope.mp4")])
    with pytest.raises(UsageError, match="matches"):
        discover([str(tree / "*.nothing")])


def test_extension_list_is_generous():
    for ext in (
        "mp4",
        "mov",
        "mkv",
        "webm",
        "avi",
        "ts",
        "m2ts",
        "mxf",
        "flv",
        "wmv",
        "mpg",
        "m4v",
        "wav",
        "flac",
        "mp3",
        "m4a",
        "aac",
        "ogg",
        "opus",
    ):
        assert ext in MEDIA_EXTENSIONS


def test_config_overrides_and_validation():
    c = Config().with_overrides(["black.min_duration_s=3", "clipping.min_run_samples=5"])
    assert c.params_for("black").min_duration_s == 3.0
    assert c.params_for("clipping").min_run_samples == 5
    assert Config().params_for("black").min_duration_s == 2.0  # defaults untouched
    assert c.digest() != Config().digest()
    with pytest.raises(ParameterError, match=r"unknown detector 'blak'"):
        Config().with_overrides(["blak.min_duration_s=3"])
    with pytest.raises(ParameterError, match="min_duration_s"):
        Config().with_overrides(["black.min=3"])
    with pytest.raises(ParameterError, match="severity"):
        Config().with_overrides(["black.severity=fatal"])
    with pytest.raises(ParameterError, match="at least 0"):
        Config().with_overrides(["freeze.min_duration_s=-1"])
    with pytest.raises(ValueError):  # a ParameterError is a ValueError
        Config().with_detectors(["nonsense"])
    assert Config().with_detectors(["silence", "black"]).detectors == ("black", "silence")

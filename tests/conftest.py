"""Shared fixtures: the standard test recordings, generated once per session with PyAV."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import ClassVar

import pytest

from streamcheck.pipeline import analyze_file
from streamcheck.testmedia import generate
from streamcheck.testmedia.catalog import SETS
from streamcheck.testmedia.generate import timeline_offset

# Real footage and recordings (../shared/media beside the checkout; STREAMCHECK_MEDIA points
# elsewhere). Tests that need them are skipped where they are absent; the core detector tests
# do not need them.
SHARED_MEDIA = Path(
    os.environ.get("STREAMCHECK_MEDIA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "media"
)
# the skip reason of every test that needs them: says where they are looked for
NO_MEDIA = f"real media not present in {SHARED_MEDIA} (set STREAMCHECK_MEDIA to their folder)"


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("media")
    for spec in SETS["all"]:
        generate(spec, out)
    return out


class Analysed:
    """A generated recording, its ground truth and the result of analysing it (cached)."""

    _cache: ClassVar[dict[Path, object]] = {}

    def __init__(self, path: Path) -> None:
        self.path = path
        self.truth = json.loads(path.with_suffix(".json").read_text())
        if path not in self._cache:
            self._cache[path] = analyze_file(path)
        self.result = self._cache[path]

    @property
    def timeline_offset_s(self) -> float:
        return timeline_offset(self.path)


@pytest.fixture(scope="session")
def analysed(media_dir: Path):
    def get(name: str) -> Analysed:
        matches = [p for p in media_dir.iterdir() if p.stem == name and p.suffix != ".json"]
        assert matches, f"no generated recording named {name}"
        return Analysed(matches[0])

    return get


def shared_media() -> list[Path]:
    if not SHARED_MEDIA.is_dir():
        return []
    return sorted(p for p in SHARED_MEDIA.rglob("*") if p.is_file() and p.suffix.lower() != ".md")


os.environ.setdefault("SVT_LOG", "1")


def per_second(result, name: str, audio: bool = False) -> list:
    """One metric column of a result, per second, for the video stream (or, with ``audio``,
    the first audio programme): metrics have a row per second per source."""
    m = result.metrics
    programmes = [p for p in m["programme"] if p is not None]
    want = programmes[0] if audio and programmes else None
    return [v for v, p in zip(m[name], m["programme"], strict=True) if p == want]

"""The documentation says what the code declares: docs/detectors.md is generated from the
registry (``make docs``) and must be current."""

from __future__ import annotations

from pathlib import Path

from streamcheck.report.catalogue import markdown

ROOT = Path(__file__).resolve().parents[1]


def test_detector_docs_are_generated_from_the_declarations():
    written = (ROOT / "docs" / "detectors.md").read_text()
    assert written == markdown(), "docs/detectors.md is out of date: run make docs"


def test_every_detector_is_named_in_the_readme():
    from streamcheck.detectors import REGISTRY

    readme = (ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in REGISTRY)

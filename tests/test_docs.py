"""The README's detector table says what the Params dataclasses say."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from streamcheck.config import Config
from streamcheck.detectors import REGISTRY

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_detector_table_matches_the_dataclasses():
    rows = {}
    for line in README.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].strip("`") in REGISTRY:
            rows[(cells[0].strip("`"), cells[1].strip("`"))] = cells[2:5]
    expected = {}
    config = Config()
    for name in REGISTRY:
        params = config.params_for(name)
        for f in dataclasses.fields(params):
            expected[(name, f.name)] = [
                str(getattr(params, f.name)),
                f.metadata.get("unit") or "",
                f.metadata.get("mirrors") or "",
            ]
    assert rows == expected

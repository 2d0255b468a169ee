"""`streamcheck selftest`: clean on this build, and it notices a configuration that breaks a
detector."""

from __future__ import annotations

from pathlib import Path

from streamcheck.detectors import REGISTRY
from tests import cli


def run(*args: str):
    return cli.run("selftest", *args, timeout=600)


def test_selftest_passes_and_scores_every_detector(tmp_path: Path):
    r = run("--jobs", "2", "--keep", str(tmp_path / "clips"))
    assert r.returncode == 0, r.stdout + r.stderr
    for name in REGISTRY:
        assert name in r.stdout
    assert "MISSED" not in r.stdout and "\n  false alarm" not in r.stdout
    assert len(list((tmp_path / "clips").glob("*.json"))) >= 20  # clips kept with their truth


def test_selftest_fails_when_a_profile_breaks_a_detector():
    # a freeze must now last 5 s: the injected 2.6 s freezes are missed
    r = run("--jobs", "2", "--set", "freeze.min_duration_s=5")
    assert r.returncode == 1
    assert "MISSED" in r.stdout and "missed freeze" in r.stdout

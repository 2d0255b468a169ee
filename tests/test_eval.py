"""`make eval`'s quick subset as accuracy tests (issue 15: per-class figures, not single
files), and the scoring-time measurement of freezes the codec made (eval/decoded.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import run as eval_run
from eval import score as S
from eval.decoded import codec_made_freezes, codec_made_levels, decoded_freezes
from eval.defects import weave_truth
from streamcheck.testmedia import Defect
from tests.conftest import NO_MEDIA, SHARED_MEDIA
from tests.smallmedia import clip
from tests.test_levels import FPS, H, _encode, _scene

ROOT = Path(__file__).resolve().parents[1]


def _held(folder: Path) -> Path:
    """8 s of H.264 whose picture is held from 3 s to 6 s."""
    return clip(folder, "held", Defect("freeze", 3.0, 6.0), duration_s=8.0)


def test_freezes_on_the_decoded_pictures(tmp_path: Path):
    held = _held(tmp_path)  # 3 s to 6 s: one picture
    ((a, b),) = decoded_freezes(held, 3.5, 5.5)
    assert a == pytest.approx(3.0, abs=0.05) and b == pytest.approx(6.0, abs=0.05)
    moving = clip(tmp_path, "moving", duration_s=8.0)
    assert decoded_freezes(moving, 3.0, 6.0) == []
    # freezedetect's d = 2 s, within the scorer's 0.5 s matching tolerance
    short = clip(tmp_path, "short", Defect("freeze", 3.0, 4.7), duration_s=8.0)
    ((a, b),) = decoded_freezes(short, 3.0, 5.0)
    assert b - a == pytest.approx(1.7, abs=0.05)
    shorter = clip(tmp_path, "shorter", Defect("freeze", 3.0, 4.3), duration_s=8.0)
    assert decoded_freezes(shorter, 3.0, 5.0) == []


def test_a_freeze_finding_on_pictures_the_codec_repeats_is_ambiguous(tmp_path: Path):
    held = _held(tmp_path)
    finding = S.Event("freeze", 3.0, 6.0)
    (extra,) = codec_made_freezes(held, [], [finding])
    assert extra.ambiguous and extra.detector == "freeze" and extra.note == "codec-made freeze"
    # where the source truth has the freeze, nothing is added; elsewhere, nothing to confirm
    assert codec_made_freezes(held, [S.Event("freeze", 3.0, 6.0)], [finding]) == []
    assert codec_made_freezes(held, [], [S.Event("freeze", 0.2, 2.4)]) == []
    # scored: the finding is neither right nor wrong
    f = S.FileEval("held.mp4", 8.0, [extra], [finding])
    score = S.score([f], ["freeze"])["freeze"]
    assert (score.tp, score.fp, score.ignored) == (0, 0, 1)


@pytest.mark.slow
def test_levels_the_codec_kept_or_made_legal_on_the_decoded_pictures(tmp_path: Path):
    """Seconds 1-3 hold 10% of the picture at code 250 (plainly illegal), the rest is legal.
    Judged on the decoded pictures: a truth event there stays, one where the pictures are legal
    becomes ambiguous (made legal by the codec); a finding no truth covers gets an ambiguous
    event where the decoded pictures are illegal, none where they are legal."""
    pictures = []
    for i in range(6 * FPS):
        y, u, v = _scene(i)
        if FPS <= i < 3 * FPS:
            y = y.copy()
            y[: H // 10] = 250
        pictures.append((y, u, v))
    path = _encode(tmp_path / "levels.mp4", pictures)
    truth = [S.Event("levels", 1.0, 3.0), S.Event("levels", 4.0, 5.5)]
    kept, added = codec_made_levels(path, truth, [])
    assert [(t.start_s, t.ambiguous, t.note) for t in kept] == [
        (1.0, False, ""),
        (4.0, True, "made legal by the codec"),
    ]
    assert added == []
    found = [S.Event("levels", 1.0, 3.0), S.Event("levels", 4.0, 5.5)]
    kept, added = codec_made_levels(path, [], found)
    ((a, b, ambiguous, note),) = [(e.start_s, e.end_s, e.ambiguous, e.note) for e in added]
    assert (a, b) == pytest.approx((1.0, 3.0), abs=0.05) and ambiguous
    assert note == "codec-made levels" and kept == []


def test_weave_truth_splits_where_the_pictures_stop_moving():
    """Interlaced pictures that do not move cannot show their scan: a second or more of them
    is its own (ambiguous) part; a shorter pause stays inside its part."""
    f = 0.04

    def pics(*runs: tuple[float, bool]) -> list[tuple[float, float, bool]]:
        out, t = [], 0.0
        for dur, moving in runs:
            for _ in range(round(dur / f)):
                out.append((t, t + f, moving))
                t += f
        return out

    parts = weave_truth(pics((3.0, True), (0.6, False), (2.0, True), (1.2, False), (1.0, True)))
    assert [(round(a, 2), round(z, 2), share) for a, z, share in parts] == [
        (0.0, 5.6, round(5.0 / 5.6, 3)),  # the 0.6 s pause does not split
        (5.6, 6.8, 0.0),
        (6.8, 7.8, 1.0),
    ]
    ((a, z, share),) = weave_truth(pics((2.0, False)))  # still throughout
    assert (round(a, 2), round(z, 2), share) == (0.0, 2.0, 0.0)
    parts = weave_truth(pics((1.0, False), (2.0, True)))  # still at the start
    assert [(round(a, 2), round(z, 2), share) for a, z, share in parts] == [
        (0.0, 1.0, 0.0),
        (1.0, 3.0, 1.0),
    ]


def test_quick_subset_meets_the_targets(tmp_path: Path):
    """The quick subset of the corpus (built into .cache/eval/corpus, reused when up to
    date): every class with truth at precision and recall 1, no false alarm on its clean
    material."""
    if not SHARED_MEDIA.is_dir():
        pytest.skip(NO_MEDIA)
    out = tmp_path / "quick.json"
    corpus = ROOT / ".cache" / "eval" / "corpus"
    assert eval_run.main(["--subset", "quick", "--corpus", str(corpus), "--json", str(out)]) == 0
    rows = {c["class"]: c for c in json.loads(out.read_text())["classes"]}
    scored = [r for name, r in rows.items() if r["truth"] and name != "all classes"]
    assert len(scored) >= 18, sorted(rows)
    for r in scored:
        assert (r["precision"], r["recall"]) == (1.0, 1.0), r
    assert rows["all classes"]["fp"] == 0, rows["all classes"]

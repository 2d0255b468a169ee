"""The decode loop's audio blocks: joined across the millisecond timestamps of Matroska, split
at a real jump."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

from streamcheck.decode import DecodeStats, iter_decoded, open_media
from streamcheck.decode.stream import BLOCK_S
from streamcheck.model import AudioBlock
from streamcheck.pipeline import analyze_file
from streamcheck.testmedia import Spec, generate
from streamcheck.testmedia.generate import Defect


def test_aac_in_matroska_is_joined_into_blocks_and_split_at_a_jump(tmp_path: Path):
    """Matroska stores milliseconds: AAC's 21.33 ms frames land up to 1 ms off where the last
    one ended. That is rounding, not a discontinuity: the frames still join into blocks of
    about BLOCK_S (before, they came one or two frames each: 156 blocks here, now 15), while the
    injected 0.3 s jump still starts a block and is the file's only timestamp finding."""
    spec = Spec(
        "aac_mkv",
        "mkv",
        "libx264",
        "aac",
        duration_s=6.0,
        seed=61,
        defects=(Defect("timestamp_gap", 3.0, 3.3, stream="audio", value=0.3),),
    )
    path = generate(spec, tmp_path)
    with open_media(str(path)) as media:
        assert media.audio[0].time_base == Fraction(1, 1000)  # what makes the frames land off
        blocks = [b for b in iter_decoded(media, DecodeStats()) if isinstance(b, AudioBlock)]
    assert len(blocks) <= 6.3 / BLOCK_S + 3
    steps = [b.t_s - a.end_s for a, b in itertools.pairwise(blocks)]
    jumps = [s for s in steps if abs(s) > 0.002]
    assert len(jumps) == 1 and abs(jumps[0] - 0.3) < 0.03
    found = [e for e in analyze_file(path).events if e.detector == "timestamp_gap"]
    assert len(found) == 1 and found[0].stream_index == blocks[0].stream_index

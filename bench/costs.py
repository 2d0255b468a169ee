"""The cost of each delivery-QC detector (issues 17 and 18), as a share of decoding.

``make bench`` runs this after bench.py. For each input, one decoder thread: decode-only CPU,
a full scan (every detector on), and a scan with one detector left out, run in turn and the
fastest of ``RUNS`` kept (so that a slow spell of a shared machine falls on all alike). A
detector's cost is full − without it, printed as a percentage of decode-only CPU; the spec and
timecode checks work on facts the decode step reads anyway and cost about nothing. Inputs:
bench.py's 1080i MPEG-2 (interlaced, in TS) and 720p HEVC with stereo sound, generated into
.cache/bench.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
from streamcheck.config import Config
from streamcheck.detectors import REGISTRY
from streamcheck.pipeline import analyze_file

DETECTORS = ("interlace", "levels", "bars_tone", "timecode", "spec", "av_sync")
RUNS = 2


def scan(path: Path, leave_out: str | None) -> None:
    names = [n for n in REGISTRY if n != leave_out]
    analyze_file(path, Config(decoder_threads=1).with_detectors(names))


def main() -> int:
    names = [n for n in DETECTORS if n in REGISTRY]
    paths = [p for p in bench.make_inputs() if p.name.startswith(("mpeg2_", "hevc_"))]
    print("\n### Cost of the delivery-QC detectors (% of decode-only CPU, one thread)\n")
    bench.row("input", "decode s", "full scan s", *names)
    bench.row(*["---"] * (3 + len(names)))
    for path in paths:
        fns = [lambda p=path: bench.decode_only(p), lambda p=path: scan(p, None)]
        fns += [lambda p=path, n=n: scan(p, n) for n in names]
        decode, full, *without = bench.best_interleaved(fns, RUNS)
        costs = [f"{100 * (full - w) / decode:+.1f}%" for w in without]
        bench.row(path.name, f"{decode:.2f}", f"{full:.2f}", *costs)
    print(
        "\n(a cost within ±2% is inside the run-to-run noise of a shared machine; "
        "negative: cheaper than the noise)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

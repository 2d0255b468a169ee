"""The cost of each delivery-QC detector (issues 17 and 18), as a share of decoding.

``make bench`` runs this after bench.py. For each input: decode-only CPU (one decoder thread,
the fastest of ``RUNS``), and each detector's own CPU inside one full pass of the pipeline, its
``update`` calls timed in thread CPU time where they run (bench/consumers.py, ``make profile``:
on pictures the decoder has just produced). Measuring "a full scan minus a scan without it"
instead moved by ±20% from run to run on a shared 2-core VM, more than the costs themselves.
Inputs: bench.py's 1080i MPEG-2 (interlaced, in TS) and 720p HEVC with stereo sound, generated
into .cache/bench.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from consumers import measure

import bench
from streamcheck.detectors import REGISTRY

DETECTORS = ("interlace", "levels", "bars_tone", "timecode", "spec", "av_sync")
RUNS = 3


def main() -> int:
    names = [n for n in DETECTORS if n in REGISTRY]
    paths = [p for p in bench.make_inputs() if p.name.startswith(("mpeg2_", "hevc_"))]
    print("\n### Cost of the delivery-QC detectors (% of decode-only CPU, one thread)\n")
    bench.row("input", "decode s", *names, "together")
    bench.row(*["---"] * (3 + len(names)))
    for path in paths:
        (decode,) = bench.best_interleaved([lambda p=path: bench.decode_only(p)], RUNS)
        _, spent, _ = measure(str(path))
        own = {n: sum(s for (_, c), s in spent.items() if c.split(" ")[0] == n) for n in names}
        cells = [f"{100 * own[n] / decode:.1f}%" for n in names]
        bench.row(path.name, f"{decode:.2f}", *cells, f"{100 * sum(own.values()) / decode:.1f}%")
    print("\n(target of issue 17: all of them together at most 5% of decoding)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

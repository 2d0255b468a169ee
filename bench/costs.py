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

from consumers import measure_steady

import bench
from streamcheck.detectors import REGISTRY

DETECTORS = ("interlace", "levels", "bars_tone", "timecode", "spec", "av_sync")
RUNS = 3
# steady state from here: past bars_tone's head (head_s 5 s + slate_within_s 2 s) and every
# detector's first frames
STEADY_FROM_S = 8.0


def main() -> int:
    names = [n for n in DETECTORS if n in REGISTRY]
    paths = [p for p in bench.make_inputs() if p.name.startswith(("mpeg2_", "hevc_"))]
    print("\n### Cost of the delivery-QC detectors (% of decode-only CPU, one thread)\n")
    bench.row("input", "decode s", *names, "together")
    bench.row(*["---"] * (3 + len(names)))
    steady_rows = []
    for path in paths:
        (decode,) = bench.best_interleaved([lambda p=path: bench.decode_only(p)], RUNS)
        _, spent, counts, steady, steady_counts = measure_steady(str(path), STEADY_FROM_S)
        own = _own(spent, names)
        cells = [f"{100 * own[n] / decode:.1f}%" for n in names]
        bench.row(path.name, f"{decode:.2f}", *cells, f"{100 * sum(own.values()) / decode:.1f}%")
        # per frame, from STEADY_FROM_S on, against decoding's mean cost per frame
        share = steady_counts["video"] / max(1, counts["video"])
        late = _own(steady, names)
        steady_rows.append(
            (path.name, [100 * late[n] / (decode * share) for n in names] if share else [])
        )
    print(
        f"\nThe same from {STEADY_FROM_S:.0f} s on (what each costs per frame on a programme of "
        "any length: a table built once, bars_tone's look at the file's head, left out)\n"
    )
    bench.row("input", *names, "together")
    bench.row(*["---"] * (2 + len(names)))
    for name, shares in steady_rows:
        bench.row(name, *[f"{v:.1f}%" for v in shares], f"{sum(shares):.1f}%")
    print("\n(target of issue 17: all of them together at most 5% of decoding)")
    return 0


def _own(spent: dict[tuple[str, str], float], names: list[str]) -> dict[str, float]:
    """Each detector's CPU seconds, its video and audio sides together."""
    return {n: sum(s for (_, c), s in spent.items() if c.split(" ")[0] == n) for n in names}


if __name__ == "__main__":
    raise SystemExit(main())

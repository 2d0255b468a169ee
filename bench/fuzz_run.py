"""``make fuzz``: scan the fuzzed variants (``streamcheck.testmedia.fuzz``) as a user would,
then print the summary table the README shows: inputs, one row per input, statuses,
tracebacks (must be 0), the worst wall time of one file, and the peak RSS of any process of
the run (the command, its workers and the analyses under them).

Usage: python bench/fuzz_run.py VARIANTS_DIR REPORT_DIR
"""

from __future__ import annotations

import collections
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq


def main(variants: Path, report: Path) -> int:
    inputs = [p for p in variants.iterdir() if p.is_file()]
    t0 = time.perf_counter()
    command = [sys.executable, "-m", "streamcheck", "scan", str(variants), "--out", str(report)]
    proc = subprocess.run(
        [*command, "-q", "--file-timeout", "120"],
        capture_output=True,
        text=True,
        errors="replace",
    )
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = pq.read_table(report / "files.parquet").to_pylist()
    statuses = collections.Counter(r["status"] for r in rows)
    tracebacks = (proc.stdout + proc.stderr).count("Traceback")
    worst = max(rows, key=lambda r: r["wall_s"] or 0.0)
    print(f"exit code {proc.returncode} (3: some files could not be analysed, as expected)")
    print(
        "| inputs | rows | " + " | ".join(sorted(statuses)) + " | tracebacks | worst wall "
        "| peak RSS | run wall |"
    )
    print("|---" * (len(statuses) + 6) + "|")
    print(
        f"| {len(inputs)} | {len(rows)} | "
        + " | ".join(str(statuses[s]) for s in sorted(statuses))
        + f" | {tracebacks} | {worst['wall_s']:.1f} s | {peak_mb:.0f} MB | {wall:.0f} s |"
    )
    print(f"slowest: {os.path.basename(worst['path'])} ({worst['status']})")
    errors = collections.Counter((r["error"] or "ok")[:70] for r in rows)
    for text, n in errors.most_common(15):
        print(f"{n:6d}  {text}")
    ok = len(rows) == len(inputs) and tracebacks == 0 and proc.returncode in (0, 1, 3)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))

"""Summary of a `mutmut run` (``make mutate``): mutants killed, surviving and not covered per
module of streamcheck/detectors/, the kill ratio, and the surviving mutants that are not
listed as equivalent in bench/equivalent_mutants.txt (with the reason each is equivalent)."""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

EQUIVALENT = Path(__file__).with_name("equivalent_mutants.txt")


def main() -> int:
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    equivalent = {
        line.split()[0]
        for line in EQUIVALENT.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    per_module: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    open_survivors = []
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        module = name.split(".x")[0]
        if status == "survived" and name in equivalent:
            status = "equivalent"
        per_module[module][status] += 1
        if status == "survived":
            open_survivors.append(name)
    total: collections.Counter[str] = collections.Counter()
    print(f"{'module':45} {'killed':>7} {'survived':>9} {'equiv.':>7} {'no tests':>9}")
    for module, c in sorted(per_module.items()):
        total.update(c)
        print(
            f"{module:45} {c['killed']:7d} {c['survived']:9d} {c['equivalent']:7d} "
            f"{c['no tests']:9d}"
        )
    judged = total["killed"] + total["survived"] + total["no tests"]
    ratio = total["killed"] / judged if judged else 0.0
    print(
        f"\n{total['killed']} killed, {total['survived']} survived, {total['equivalent']} "
        f"equivalent (listed), {total['no tests']} not covered: kill ratio {ratio:.1%} "
        "(equivalent mutants left out)"
    )
    for name in open_survivors:
        print(f"  survived: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

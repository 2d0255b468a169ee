"""``python -m streamcheck.testmedia OUT_DIR [SET]``: write a set of test recordings
(demo, defects, negatives or all) with their ground truth into OUT_DIR."""

from __future__ import annotations

import sys

from .catalog import SETS
from .generate import generate


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0 if argv else 2
    out, name = argv[0], (argv[1] if len(argv) > 1 else "demo")
    if name not in SETS:
        print(f"unknown set {name!r}; known: {', '.join(SETS)}", file=sys.stderr)
        return 2
    for spec in SETS[name]:
        path = generate(spec, out)
        print(f"wrote {path}")
    return 0


sys.exit(main(sys.argv[1:]))

"""Broken variants of valid media, for robustness tests: ``python -m streamcheck.testmedia.fuzz
OUT_DIR COUNT [SEED]`` writes COUNT variants of the standard recordings into OUT_DIR.

Each variant is one of: bit flips in the first kilobytes (headers), bit flips in the payload,
truncation at a random point, a block of random bytes spliced in, the head of one file followed
by the tail of another, or a file renamed to another container's extension.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MUTATIONS = ("flip_header", "flip_payload", "truncate", "splice_garbage", "chimera", "rename")


def mutate(data: bytes, other: bytes, kind: str, rng: np.random.Generator) -> bytes:
    """``data`` broken by mutation ``kind`` (``other`` is a second file, for chimeras)."""
    buf = bytearray(data)
    n = len(buf)
    if kind == "flip_header":
        for pos in rng.integers(0, min(n, 4096), 8):
            buf[pos] ^= 1 << int(rng.integers(0, 8))
    elif kind == "flip_payload":
        for pos in rng.integers(min(n - 1, 4096), n, 64):
            buf[pos] ^= 1 << int(rng.integers(0, 8))
    elif kind == "truncate":
        buf = buf[: int(rng.integers(1, n))]
    elif kind == "splice_garbage":
        at = int(rng.integers(0, n))
        buf[at:at] = rng.integers(0, 256, int(rng.integers(16, 8192)), np.uint8).tobytes()
    elif kind == "chimera":
        buf = buf[: n // 2] + bytearray(other[len(other) // 2 :])
    return bytes(buf)


def make_variants(sources: list[Path], out_dir: Path, count: int, seed: int = 0) -> list[Path]:
    """Write ``count`` broken variants of ``sources`` into ``out_dir``."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    exts = sorted({p.suffix for p in sources})
    written = []
    for i in range(count):
        src = sources[i % len(sources)]
        other = sources[(i + 1) % len(sources)]
        kind = MUTATIONS[i % len(MUTATIONS)]
        ext = src.suffix
        if kind == "rename":
            ext = exts[(exts.index(src.suffix) + 1) % len(exts)]
            data = src.read_bytes()
        else:
            data = mutate(src.read_bytes(), other.read_bytes(), kind, rng)
        path = out_dir / f"fuzz{i:04d}_{kind}_{src.stem}{ext}"
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip())
        return 2
    from .catalog import DEFECT_SPECS
    from .generate import generate

    out = Path(argv[0])
    count = int(argv[1])
    seed = int(argv[2]) if len(argv) > 2 else 0
    sources = [generate(spec, out / "sources") for spec in DEFECT_SPECS]
    variants = make_variants(sources, out / "variants", count, seed)
    print(f"wrote {len(variants)} variants into {out / 'variants'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

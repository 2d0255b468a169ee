"""Floors under streamcheck's cost, beyond decoding (``make floors``): experiments behind the
performance notes, not part of streamcheck. CPU seconds, best of 3 run in turn.

1. Loudness. On the bench's 10-minute 5.1 AAC file: decoding alone; decoding plus libavfilter's
   ``ebur128`` (FFmpeg's reference meter, the floor the issue measures against); decoding into
   0.4 s numpy blocks (which streamcheck does anyway); and that plus streamcheck's K-weighting
   (:mod:`streamcheck.meter`: the two biquads of BS.1770 as one 4th-order filter, evaluated 64
   samples at a time as matrix products), with the 100 ms energies and the gated integrated
   loudness. Its integrated loudness is printed next to
   ebur128's: the floor is only a floor if it measures the same thing.
2. Memory. On the bench's 1080p H.264 input: decoding alone vs decoding plus one read of every
   decoded luma plane (its sum): what it costs to bring each picture back from memory.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in streamcheck's workers

import av
import numpy as np
from r128 import R128Meter

from streamcheck.decode.audio import block_samples
from streamcheck.meter import CHUNK, ChunkedFilter, k_weighting

FRAMES_PER_BLOCK = 19  # AAC frames of 1024 samples per block: about 0.4 s, as streamcheck's


def integrated(energies: list[np.ndarray], weights: np.ndarray) -> float:
    """Gated integrated loudness (LUFS) from per-channel mean squares of 100 ms steps."""
    z = np.concatenate(energies, axis=1)  # (channels, steps)
    z = np.stack([z[:, i : z.shape[1] - 3 + i] for i in range(4)]).mean(axis=0)  # 400 ms
    power = weights @ z
    loud = -0.691 + 10 * np.log10(np.maximum(power, 1e-20))
    kept = power[loud > -70]
    relative = -0.691 + 10 * math.log10(kept.mean()) - 10
    return -0.691 + 10 * math.log10(power[(loud > -70) & (loud > relative)].mean())


def channel_weights(layout: av.AudioLayout) -> np.ndarray:
    """BS.1770's channel weights: LFE left out, surrounds +1.5 dB (1.41), others 1."""
    surround = {"SL", "SR", "BL", "BR"}
    names = [ch.name for ch in layout.channels]
    return np.array([0.0 if n == "LFE" else 1.41 if n in surround else 1.0 for n in names])


def run(path: Path, mode: str) -> float | None:
    """Decode the file's first audio stream and, by ``mode``: nothing more ("decode"); meter it
    with ebur128; gather it into blocks as streamcheck does ("blocks"); or gather and meter it
    with :class:`ChunkedFilter` ("numpy"). The integrated loudness of the metered modes."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        stream.codec_context.thread_count = 1
        meter, filt, pending, energies = R128Meter(0.0), None, [], []
        for frame in c.decode(stream):
            if mode == "ebur128":
                meter.push(frame)
            elif mode in ("blocks", "numpy"):
                pending.append(frame)
                if len(pending) < FRAMES_PER_BLOCK:
                    continue
                x = block_samples(pending)
                pending = []
                if mode == "blocks":
                    continue
                if filt is None:
                    filt = ChunkedFilter(*k_weighting(frame.sample_rate), x.shape[0])
                y = filt(x[:, : x.shape[1] // CHUNK * CHUNK])
                step = frame.sample_rate // 10
                y = y[:, : y.shape[1] // step * step].reshape(x.shape[0], -1, step)
                energies.append(np.einsum("cij,cij->ci", y, y) / step)
        if mode == "ebur128":
            summary = meter.finish()
            return summary.integrated_lufs if summary else None
        if mode == "numpy":
            return integrated(energies, channel_weights(stream.layout))
    return None


def read_pictures(path: Path, touch: bool) -> None:
    """Decode the video (one thread); with ``touch``, sum every luma plane once."""
    import cv2

    from streamcheck.decode.video import luma_plane

    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.codec_context.thread_count = 1
        for frame in c.decode(stream):
            if touch:
                cv2.sumElems(luma_plane(frame)[0])


def bench_input(audio: bool) -> Path:
    """The bench's audio-only or first video input, generated as make bench does."""
    from bench import CACHE, INPUTS, generate

    spec = next(s for s in INPUTS if (s.video is None) == audio)
    path = CACHE / spec.filename
    if not path.exists():
        print(f"generating {path} …", flush=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        generate(spec, CACHE)
    return path


def main() -> int:
    from bench import best_interleaved

    path = bench_input(audio=True)
    modes = ("decode", "ebur128", "blocks", "numpy")
    readings: dict[str, float | None] = {}

    def measure(mode: str) -> None:
        readings[mode] = run(path, mode)

    best = dict(zip(modes, best_interleaved([lambda m=m: measure(m) for m in modes]), strict=True))
    print(f"1. Loudness, {path.name}: CPU s, best of 3 run in turn\n")
    print("| | CPU s | meter alone | integrated LUFS |")
    print("| --- | --- | --- | --- |")
    print(f"| decode only | {best['decode']:.2f} | | |")
    print(f"| decode into 0.4 s numpy blocks | {best['blocks']:.2f} | | |")
    for mode, label, base in (
        ("ebur128", "decode + ebur128", "decode"),
        ("numpy", "decode into blocks + numpy K-weighting", "blocks"),
    ):
        value = readings[mode]
        shown = f"{value:.2f}" if value is not None else "-"
        print(f"| {label} | {best[mode]:.2f} | {best[mode] - best[base]:.2f} | {shown} |")

    path = bench_input(audio=False)
    plain, touched = best_interleaved(
        [lambda: read_pictures(path, False), lambda: read_pictures(path, True)]
    )
    print(f"\n2. Memory, {path.name} (video only): CPU s, best of 3 run in turn\n")
    print("| decode only | decode + one read of every luma plane | ratio |")
    print("| --- | --- | --- |")
    print(f"| {plain:.2f} | {touched:.2f} | {touched / plain:.3f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

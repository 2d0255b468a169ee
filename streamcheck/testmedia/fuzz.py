"""Broken, hostile and oddly named variants of valid media, for robustness runs:
``python -m streamcheck.testmedia.fuzz OUT_DIR COUNT [SEED]`` writes COUNT variants into
OUT_DIR/variants (``make fuzz``; the test suite uses :func:`make_variants` on a few).

- **Sources**: a short recording of every container and codec family streamcheck reads
  (:data:`SOURCES`: MP4, MOV, MKV, WebM, MPEG-TS, AVI, FLV, ASF, MXF, NUT; H.264, HEVC, VP9,
  AV1, MPEG-2, MPEG-4, ProRes, MJPEG, FFV1, FLV1, WMV2, HuffYUV; AAC, Opus, Vorbis, MP3, MP2,
  AC-3, ALAC, FLAC, PCM 16/24-bit, WMA), plus audio-only WAV, FLAC, MP3, Ogg, M4A and AC-3.
- **Mutations** of them (:data:`MUTATIONS`): bit flips in the first kilobytes (headers) or in
  the payload, truncation at a random point, a block of random bytes spliced in, a zeroed
  range, the head of one file followed by the tail of another, a file renamed to another
  container's extension.
- **Resource bombs** (:func:`bombs`): huge declared picture dimensions, 4096-channel audio,
  10⁵ tiny packets, a sparse file spanning 10 hours, timestamps 10¹¹ units apart.
- **Odd names**: every tenth variant gets a name with bytes that are not UTF-8, control
  characters (ESC, BEL), a leading dash, or markup.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .generate import Spec, generate

MUTATIONS = (
    "flip_header",
    "flip_payload",
    "truncate",
    "splice_garbage",
    "zero_range",
    "chimera",
    "rename",
)


def _av(name: str, ext: str, vcodec: str, acodec: str, seed: int, rate: int = 48000) -> Spec:
    return Spec(name, ext, vcodec, acodec, 2.0, 160, 120, sample_rate=rate, seed=seed)


SOURCES = (
    _av("f_h264_aac", "mp4", "libx264", "aac", 1),
    _av("f_hevc_opus", "mkv", "libx265", "libopus", 2),
    _av("f_vp9_opus", "webm", "libvpx-vp9", "libopus", 3),
    _av("f_mpeg2_mp2", "ts", "mpeg2video", "mp2", 4),
    _av("f_prores_s24", "mov", "prores_ks", "pcm_s24le", 5),
    _av("f_av1_flac", "mkv", "libsvtav1", "flac", 6),
    _av("f_mjpeg_pcm", "avi", "mjpeg", "pcm_s16le", 7),
    _av("f_mpeg4_mp3", "avi", "mpeg4", "libmp3lame", 8),
    _av("f_flv1_mp3", "flv", "flv", "libmp3lame", 9, rate=44100),
    _av("f_wmv2_wma", "wmv", "wmv2", "wmav2", 10, rate=44100),
    _av("f_ffv1_alac", "mkv", "ffv1", "alac", 11),
    _av("f_mpeg2_pcm_mxf", "mxf", "mpeg2video", "pcm_s16le", 12),
    _av("f_huffyuv_ac3", "nut", "huffyuv", "ac3", 13),
    _av("f_h264_ac3_ts", "ts", "libx264", "ac3", 14),
    Spec("f_wav", "wav", None, "pcm_s16le", video=None, seed=15, duration_s=2.0),
    Spec("f_wav24", "wav", None, "pcm_s24le", video=None, seed=16, duration_s=2.0),
    Spec("f_flac", "flac", None, "flac", video=None, seed=17, duration_s=2.0),
    Spec("f_mp3", "mp3", None, "libmp3lame", video=None, seed=18, duration_s=2.0),
    Spec("f_vorbis", "ogg", None, "vorbis", video=None, seed=19, duration_s=2.0),
    Spec("f_opus", "ogg", None, "libopus", video=None, seed=20, duration_s=2.0),
    Spec("f_alac", "m4a", None, "alac", video=None, seed=21, duration_s=2.0),
    Spec("f_ac3", "ac3", None, "ac3", video=None, seed=22, duration_s=2.0),
)
ODD_NAMES = (
    b"caf\xe9 latin-1",
    b"esc\x1b[31mred\x1b]0;title\x07",
    b"-rf --leading-dash",
    b"<b>markup<\\b> & \"quotes\" 'too'",
    b"new\nline\ttab",
)


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
    elif kind == "zero_range":
        at = int(rng.integers(0, n))
        size = int(rng.integers(1, max(2, n // 4)))
        buf[at : at + size] = bytes(min(size, n - at))
    elif kind == "chimera":
        buf = buf[: n // 2] + bytearray(other[len(other) // 2 :])
    return bytes(buf)


def _odd_name(i: int, stem: str, ext: str) -> bytes:
    odd = ODD_NAMES[(i // 10) % len(ODD_NAMES)]
    return odd + b" " + stem.encode() + ext.encode()


def make_variants(
    sources: list[Path], out_dir: Path, count: int, seed: int = 0, odd_names: bool = False
) -> list[Path]:
    """Write ``count`` broken variants of ``sources`` into ``out_dir``; with ``odd_names``,
    every tenth gets an odd file name (:data:`ODD_NAMES`)."""
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
        stem = f"fuzz{i:04d}_{kind}_{src.stem}"
        if odd_names and i % 10 == 9:
            path = Path(os.fsdecode(os.fsencode(out_dir) + b"/" + _odd_name(i, stem, ext)))
        else:
            path = out_dir / f"{stem}{ext}"
        path.write_bytes(data)
        written.append(path)
    return written


# ---- resource bombs --------------------------------------------------------------------------


def _huge_dimensions(path: Path) -> None:
    """An MJPEG AVI whose pictures and header declare 16000×16000 (the data is 4000×4000)."""
    out = av.open(str(path), "w", format="avi")
    st = out.add_stream("mjpeg", rate=1)
    st.width, st.height, st.pix_fmt = 4000, 4000, "yuvj444p"
    for i in range(2):
        f = av.VideoFrame(4000, 4000, "yuvj444p")
        for plane in f.planes:
            np.frombuffer(memoryview(plane), np.uint8)[:] = 90
        f.pts, f.time_base = i, Fraction(1, 1)
        for p in st.encode(f):
            out.mux(p)
    for p in st.encode():
        out.mux(p)
    out.close()
    data = bytearray(path.read_bytes())
    at = 0
    while (at := data.find(b"\xff\xc0", at)) >= 0:  # JPEG SOF0: length, precision, h, w
        if struct.unpack_from(">HH", data, at + 5) == (4000, 4000):
            struct.pack_into(">HH", data, at + 5, 16000, 16000)
        at += 2
    path.write_bytes(
        bytes(data).replace(struct.pack("<ii", 4000, 4000), struct.pack("<ii", 16000, 16000))
    )


def _many_channels(path: Path) -> None:
    """A WAV declaring 4096 channels of 16-bit PCM, with a second of (zero) samples."""
    channels, rate = 4096, 8000
    data = bytes(channels * 2 * rate)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def _tiny_packets(path: Path, count: int = 100_000) -> None:
    """A Matroska file of 10⁵ PCM packets of one sample each."""
    with av.open(str(path), "w") as out:
        st = out.add_stream("pcm_s16le", rate=48000, layout="mono")
        for i in range(count):
            p = av.Packet(struct.pack("<h", (i * 37) % 2000 - 1000))
            p.pts = p.dts = i
            p.time_base, p.stream = Fraction(1, 48000), st
            out.mux(p)


def _spread(path: Path, times_s: list[float], time_base: Fraction) -> None:
    """A few H.264 pictures at ``times_s`` (seconds) in a Matroska file."""
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=25, options={"g": "1"})
        st.width, st.height, st.pix_fmt = 64, 48, "yuv420p"
        packets = []
        for i in range(len(times_s)):
            f = av.VideoFrame.from_ndarray(np.full((72, 64), 50 + 40 * i, np.uint8), "yuv420p")
            f.pts, f.time_base = i, Fraction(1, 25)
            packets += st.encode(f)
        packets += st.encode()
        for p, t in zip(packets, times_s, strict=False):
            p.pts = p.dts = round(t / time_base)
            p.time_base = time_base
            out.mux(p)


def bombs(out_dir: Path) -> list[Path]:
    """Write the resource bombs into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made: dict[str, Callable[[Path], None]] = {
        "bomb_huge_dimensions.avi": _huge_dimensions,
        "bomb_4096_channels.wav": _many_channels,
        "bomb_tiny_packets.mkv": _tiny_packets,
        "bomb_sparse_10h.mkv": lambda p: _spread(p, [0.0, 0.04, 36_000.0], Fraction(1, 1000)),
        "bomb_huge_gap.mkv": lambda p: _spread(p, [0.0, 1e8, 2e8], Fraction(1, 1000)),
    }
    paths = []
    for name, make in made.items():
        path = out_dir / name
        make(path)
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip())
        return 2
    out = Path(argv[0])
    count = int(argv[1])
    seed = int(argv[2]) if len(argv) > 2 else 0
    sources = [generate(spec, out / "sources") for spec in SOURCES]
    variants = out / "variants"
    made = bombs(variants)
    written = make_variants(sources, variants, count - len(made), seed, odd_names=True)
    print(f"wrote {len(written) + len(made)} variants of {len(sources)} sources into {variants}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

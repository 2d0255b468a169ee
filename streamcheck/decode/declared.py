"""How long a file says it is, read from its own header where FFmpeg does not tell.

A WAV cut in half, or a FLAC cut to its first second, decodes cleanly up to the cut: FFmpeg
takes the length of what is there and reports no error. Their headers still say how long the
recording was, and the difference is the finding (status ``error``, "truncated"):

- WAV / RF64 / BW64: the ``data`` chunk's declared size (RF64/BW64: the ``ds64`` chunk's) over
  the ``fmt`` chunk's bytes per sample frame; a size of 0 or 0xFFFFFFFF (a file still being
  written, or streamed) declares nothing;
- FLAC: STREAMINFO's total samples over its sample rate (0 samples: unknown);
- MP3: a Xing/Info (or VBRI) header's frame count × samples per frame over the sample rate.

Everything is read from the first 64 KiB; anything unexpected gives None (no claim).
"""

from __future__ import annotations

import struct

HEAD_BYTES = 1 << 16

_MP3_RATES = {  # MPEG version bits → sample rates by index
    3: (44100, 48000, 32000),  # MPEG-1
    2: (22050, 24000, 16000),  # MPEG-2
    0: (11025, 12000, 8000),  # MPEG-2.5
}


def declared_duration(path: str, format_name: str) -> float | None:
    """Seconds the header of ``path`` (a file of FFmpeg format ``format_name``) declares, or
    None when the format declares nothing or the header cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return None
    try:
        if format_name.startswith("wav") or head[:4] in (b"RF64", b"BW64"):
            return _wav(head)
        if format_name == "flac":
            return _flac(head)
        if format_name == "mp3":
            return _mp3(head)
    except (struct.error, IndexError, ZeroDivisionError):
        return None
    return None


def _wav(head: bytes) -> float | None:
    if head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
        return None
    pos = 12
    data_size: int | None = None
    block_align: int | None = None
    rate: int | None = None
    big_size: int | None = None
    while pos + 8 <= len(head):
        chunk, size = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if chunk == b"ds64":
            big_size = struct.unpack_from("<Q", head, body + 8)[0]  # RIFF size, then data size
        elif chunk == b"fmt ":
            rate = struct.unpack_from("<I", head, body + 4)[0]
            block_align = struct.unpack_from("<H", head, body + 12)[0]
        elif chunk == b"data":
            data_size = big_size if size == 0xFFFFFFFF and big_size else size
            break
        pos = body + size + (size & 1)
    if not data_size or data_size == 0xFFFFFFFF or not block_align or not rate:
        return None
    return data_size / block_align / rate


def _flac(head: bytes) -> float | None:
    if head[:4] != b"fLaC" or head[4] & 0x7F != 0:  # STREAMINFO is the first block
        return None
    info = head[8 : 8 + 34]
    bits = int.from_bytes(info[10:18], "big")  # rate 20, channels 3, depth 5, samples 36
    rate = bits >> 44
    samples = bits & ((1 << 36) - 1)
    if not rate or not samples:
        return None
    return samples / rate


def _mp3(head: bytes) -> float | None:
    pos = 0
    if head[:3] == b"ID3":  # ID3v2: a syncsafe size after the 10-byte header
        size = 0
        for b in head[6:10]:
            size = (size << 7) | (b & 0x7F)
        pos = 10 + size
    while pos + 4 <= len(head) and not (head[pos] == 0xFF and head[pos + 1] & 0xE0 == 0xE0):
        pos += 1
    if pos + 4 > len(head):
        return None
    h = struct.unpack_from(">I", head, pos)[0]
    version, layer, rate_index = (h >> 19) & 3, (h >> 17) & 3, (h >> 10) & 3
    if version == 1 or layer != 1 or rate_index == 3:  # reserved, or not layer III
        return None
    rate = _MP3_RATES[version][rate_index]
    mono = (h >> 6) & 3 == 3
    per_frame = 1152 if version == 3 else 576
    side = (17 if mono else 32) if version == 3 else (9 if mono else 17)
    xing = pos + 4 + side
    if head[xing : xing + 4] in (b"Xing", b"Info"):
        flags = struct.unpack_from(">I", head, xing + 4)[0]
        if not flags & 1:
            return None
        frames = struct.unpack_from(">I", head, xing + 8)[0]
    elif head[pos + 36 : pos + 40] == b"VBRI":
        frames = struct.unpack_from(">I", head, pos + 36 + 14)[0]
    else:
        return None
    return frames * per_frame / rate if frames else None

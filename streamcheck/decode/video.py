"""Luma planes of decoded pictures, as numpy views of the decoder's own buffer.

Converting every frame to gray or RGB (PyAV's ndarray conversion with a format) costs more
than decoding it; the luma plane of a YUV frame is already the picture's brightness, so we
wrap it in place.
"""

from __future__ import annotations

import math
from typing import Any

import av
import numpy as np

# AVCOL_RANGE_JPEG: full range (0–255 at 8 bit); anything else is treated as limited range,
# which is what FFmpeg assumes for unspecified YUV.
_FULL_RANGE = 2
_YUV_PREFIXES = (
    "yuv",
    "yuvj",
    "nv12",
    "nv16",
    "nv20",
    "nv21",
    "nv24",
    "p010",
    "p016",
    "p210",
    "p216",
    "p410",
    "p416",
    "gray",
    "ya",
)


def is_planar_luma(fmt: av.VideoFormat) -> bool:
    """True when plane 0 of frames in ``fmt`` is luma (YUV, NV12-like and gray formats)."""
    return fmt.name.startswith(_YUV_PREFIXES) and not fmt.is_rgb


def luma_plane(frame: av.VideoFrame) -> tuple[np.ndarray, int]:
    """The (height, width) luma plane of ``frame`` and its bit depth.

    A view of the frame's buffer (no copy) for YUV and gray formats; for the rare RGB or
    palette formats, one conversion to gray by FFmpeg.
    """
    fmt = frame.format
    if not is_planar_luma(fmt):
        frame = frame.reformat(format="gray")
        fmt = frame.format
    bits = fmt.components[0].bits
    plane = frame.planes[0]
    dtype: np.dtype[Any]
    if bits <= 8:
        dtype = np.dtype(np.uint8)
    else:
        dtype = np.dtype(">u2" if fmt.name.endswith("be") else "<u2")
    row = plane.line_size // dtype.itemsize
    data = np.frombuffer(memoryview(plane), dtype=dtype, count=row * plane.height)
    return data.reshape(plane.height, row)[:, : plane.width], bits


def chroma_planes(frame: av.VideoFrame, bits: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The (Cb, Cr) planes of a planar or semi-planar YUV frame as numpy views of the
    decoder's buffer (no copy), in the luma plane's dtype; None for gray and RGB formats."""
    fmt = frame.format
    if not is_planar_luma(fmt) or fmt.name.startswith(("gray", "ya")) or len(frame.planes) < 2:
        return None
    dtype = np.dtype(np.uint8) if bits <= 8 else np.dtype("<u2")
    if len(frame.planes) >= 3:
        out = []
        for plane in frame.planes[1:3]:
            row = plane.line_size // dtype.itemsize
            data = np.frombuffer(memoryview(plane), dtype=dtype, count=row * plane.height)
            out.append(data.reshape(plane.height, row)[:, : plane.width])
        return out[0], out[1]
    plane = frame.planes[1]  # NV12-like: Cb and Cr interleaved
    row = plane.line_size // dtype.itemsize
    data = np.frombuffer(memoryview(plane), dtype=dtype, count=row * plane.height)
    both = data.reshape(plane.height, row)[:, : 2 * plane.width]
    first, second = both[:, 0::2], both[:, 1::2]
    return (second, first) if fmt.name.startswith("nv21") else (first, second)


FIELD_ORDERS = {0: "unknown", 1: "progressive", 2: "tff", 3: "bff", 4: "bff", 5: "tff"}


# FFmpeg's names of the colour properties a stream declares (AVColorPrimaries,
# AVColorTransferCharacteristic, AVColorSpace, AVColorRange), as ffprobe prints them;
# a value missing here (2 = unspecified) reads as None
COLOR_PRIMARIES = {
    1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film",
    9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "jedec-p22",
}  # fmt: skip
COLOR_TRANSFERS = {
    1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear",
    9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
    14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67",
}  # fmt: skip
COLOR_MATRICES = {
    0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco",
    9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 14: "ictcp",
}  # fmt: skip
COLOR_RANGES = {1: "tv", 2: "pc"}


def colour_names(ctx: object) -> dict[str, str | None]:
    """The colour properties a video codec context declares, by FFmpeg's names (None where
    unspecified): primaries, transfer, matrix and range (``tv`` limited, ``pc`` full)."""

    def name(table: dict[int, str], attr: str) -> str | None:
        return table.get(int(getattr(ctx, attr, 0) or 0))

    return {
        "color_primaries": name(COLOR_PRIMARIES, "color_primaries"),
        "color_transfer": name(COLOR_TRANSFERS, "color_trc"),
        "color_matrix": name(COLOR_MATRICES, "colorspace"),
        "color_range": name(COLOR_RANGES, "color_range"),
    }


def field_order(ctx: object) -> str:
    """The coded field order the decoder reports (AVFieldOrder): tff (TT, BT), bff (BB, TB),
    progressive or unknown."""
    return FIELD_ORDERS.get(int(getattr(ctx, "field_order", 0) or 0), "unknown")


def nominal_range(frame: av.VideoFrame, bits: int) -> tuple[int, int, int]:
    """(black level, white level, largest code) of the frame's luma in code values:
    16·2^(bits−8) – 235·2^(bits−8) for limited range, 0 – 2^bits−1 for full range."""
    code_max = (1 << bits) - 1
    name = frame.format.name
    full = name.startswith(("yuvj", "gray", "ya")) or frame.color_range == _FULL_RANGE
    if full:
        return 0, code_max, code_max
    scale = 1 << (bits - 8) if bits >= 8 else 1
    return 16 * scale, 235 * scale, code_max


def subsample_step(height: int, width: int, target: int = 65536) -> int:
    """Row/column step that brings a plane down to about ``target`` samples (1 = every
    sample): 5 for 1080p, 3 for 720p, 1 at SD. Enough samples for black ratios and frame
    differences to be within a fraction of a percent of the full-plane values."""
    return max(1, int(math.sqrt(height * width / target)))

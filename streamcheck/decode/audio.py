"""Decoded audio as float32 arrays of shape (channels, samples), full scale = 1.0."""

from __future__ import annotations

import av
import numpy as np

# sample format (without the planar "p") -> divisor to full scale, offset
_SCALE = {
    "u8": (128.0, 128.0),
    "s16": (32768.0, 0.0),
    "s32": (2147483648.0, 0.0),
    "s64": (9223372036854775808.0, 0.0),
    "flt": (1.0, 0.0),
    "dbl": (1.0, 0.0),
}


def float_planar(frame: av.AudioFrame) -> np.ndarray:
    """The samples of ``frame`` as float32 (channels, n). Lossy decoders may return values
    beyond ±1.0; they are kept (clipping detection relies on them)."""
    fmt = frame.format
    data = frame.to_ndarray()
    if not fmt.is_planar:  # (nb_channels: len(layout.channels) builds an object per channel)
        data = data.reshape(-1, frame.layout.nb_channels).T
    if fmt.name == "fltp":
        return data
    divisor, offset = _SCALE[fmt.name.rstrip("p")]
    out = data.astype(np.float32)
    if offset:
        out -= offset
    if divisor != 1.0:
        out *= np.float32(1.0 / divisor)
    return out

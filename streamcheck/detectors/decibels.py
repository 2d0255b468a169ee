"""Level conversions the audio detectors share."""

from __future__ import annotations

import math


def dbfs_to_amplitude(dbfs: float) -> float:
    """Linear amplitude (full scale = 1.0) of a level in dBFS."""
    return float(10.0 ** (dbfs / 20.0))


def amplitude_to_db(linear: float) -> float:
    """dB relative to full scale of a linear amplitude (dBFS, or dBTP for a true peak);
    −inf for 0."""
    return 20.0 * math.log10(linear) if linear > 0 else -math.inf

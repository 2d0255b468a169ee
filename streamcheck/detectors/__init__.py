"""Detector registry: the one list of every detector streamcheck runs.

Adding a detector = one module in this package + one line in :data:`REGISTRY`.
"""

from __future__ import annotations

from .base import Detector, ParamsBase
from .black import BlackDetector
from .blockiness import BlockinessDetector
from .clipping import ClippingDetector
from .decode_error import DecodeErrorDetector
from .dropout import DropoutDetector
from .file_level import AvOffsetDetector, DurationMismatchDetector, MissingStreamDetector
from .flash import FlashDetector
from .freeze import FreezeDetector
from .letterbox import LetterboxDetector
from .loudness import LoudnessDetector, TruePeakDetector
from .phase import PhaseDetector
from .silence import SilenceDetector
from .timestamp_gap import TimestampGapDetector

REGISTRY: dict[str, type[Detector]] = {
    cls.name: cls
    for cls in (
        BlackDetector,
        FreezeDetector,
        DecodeErrorDetector,
        BlockinessDetector,
        TimestampGapDetector,
        FlashDetector,
        LetterboxDetector,
        SilenceDetector,
        ClippingDetector,
        DropoutDetector,
        LoudnessDetector,
        TruePeakDetector,
        PhaseDetector,
        AvOffsetDetector,
        DurationMismatchDetector,
        MissingStreamDetector,
    )
}

__all__ = ["REGISTRY", "Detector", "ParamsBase"]

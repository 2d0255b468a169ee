"""Detector registry: the one list of every detector streamcheck runs, and what the rest of
streamcheck may ask of it (names by kind, declared metric columns, the rules between
detectors).

Adding a detector = one module in this package + one line in :data:`REGISTRY` (+ its row in
the README's table, which a test checks against the declarations).
"""

from __future__ import annotations

from typing import Any

from .av_sync import AvSyncDetector
from .bars_tone import BarsToneDetector
from .base import (
    Detector,
    FileDetector,
    Kind,
    Metric,
    PairDetector,
    ParamsBase,
    StreamDetector,
)
from .black import BlackDetector
from .blockiness import BlockinessDetector
from .clipping import ClippingDetector
from .dc_offset import DcOffsetDetector
from .decode_error import DecodeErrorDetector
from .dropout import DropoutDetector
from .dual_mono import DualMonoDetector
from .file_level import AvOffsetDetector, DurationMismatchDetector, MissingStreamDetector
from .flash import FlashDetector
from .freeze import FreezeDetector
from .interlace import InterlaceDetector
from .letterbox import LetterboxDetector
from .levels import LevelsDetector
from .loudness import LoudnessDetector, TruePeakDetector
from .phase import PhaseDetector
from .rules import RULES, Rule
from .silence import SilenceDetector
from .spec import SpecDetector
from .timecode import TimecodeDetector
from .timestamp_gap import TimestampGapDetector

AnyDetector = Detector[Any]
AnyStreamDetector = StreamDetector[Any]
AnyFileDetector = FileDetector[Any]
AnyPairDetector = PairDetector[Any]

REGISTRY: dict[str, type[AnyDetector]] = {
    cls.name: cls
    for cls in (
        BlackDetector,
        FreezeDetector,
        DecodeErrorDetector,
        BlockinessDetector,
        TimestampGapDetector,
        FlashDetector,
        LetterboxDetector,
        InterlaceDetector,
        LevelsDetector,
        TimecodeDetector,
        BarsToneDetector,
        SilenceDetector,
        ClippingDetector,
        DropoutDetector,
        LoudnessDetector,
        TruePeakDetector,
        PhaseDetector,
        DcOffsetDetector,
        DualMonoDetector,
        AvOffsetDetector,
        AvSyncDetector,
        DurationMismatchDetector,
        MissingStreamDetector,
        SpecDetector,
    )
}


def names_of_kind(*kinds: Kind) -> frozenset[str]:
    """Names of the registered detectors of these kinds (``file``: decided once per file,
    whose findings span the file and have no place on a timeline)."""
    return frozenset(n for n, cls in REGISTRY.items() if cls.kind in kinds)


def is_file_level(detector: str) -> bool:
    """True when findings of ``detector`` are about the whole file (no place in time)."""
    cls = REGISTRY.get(detector)
    return cls is not None and cls.kind == "file"


def published_metrics() -> tuple[Metric, ...]:
    """The per-second metric columns the registered detectors publish, in registry order."""
    return tuple(m for cls in REGISTRY.values() for m in cls.publishes)


__all__ = [
    "REGISTRY",
    "RULES",
    "AnyDetector",
    "AnyFileDetector",
    "AnyPairDetector",
    "AnyStreamDetector",
    "Detector",
    "FileDetector",
    "Kind",
    "Metric",
    "PairDetector",
    "ParamsBase",
    "Rule",
    "StreamDetector",
    "is_file_level",
    "names_of_kind",
    "published_metrics",
]

"""Detector registry: the one list of every detector streamcheck runs.

Adding a detector = one module in this package + one line in :data:`REGISTRY`.
"""

from __future__ import annotations

from .base import Detector, ParamsBase
from .black import BlackDetector
from .clipping import ClippingDetector
from .freeze import FreezeDetector
from .silence import SilenceDetector

REGISTRY: dict[str, type[Detector]] = {
    cls.name: cls
    for cls in (
        BlackDetector,
        FreezeDetector,
        SilenceDetector,
        ClippingDetector,
    )
}

__all__ = ["REGISTRY", "Detector", "ParamsBase"]

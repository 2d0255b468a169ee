"""Test media with ground truth: real files encoded by PyAV from seeded, moving, textured
content, with defects injected at known times and a JSON ground truth beside each file.

Used by the test suite, by ``make demo`` and (later) by ``streamcheck selftest``.
"""

from .generate import Defect, Spec, generate, ground_truth

__all__ = ["Defect", "Spec", "generate", "ground_truth"]

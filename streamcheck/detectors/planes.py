"""Pure functions over luma planes that several detectors (and the measure step) share."""

from __future__ import annotations

import cv2
import numpy as np

BLOCK = 8  # block edge, in samples of the frame's subsample


def mean_abs_diff(a: np.ndarray, b: np.ndarray, code_max: float) -> float:
    """Mean absolute difference of two equal-shape arrays of one dtype, as a 0–1 fraction of
    ``code_max`` (OpenCV's L1 norm: one call, summed in double)."""
    return cv2.norm(a, b, cv2.NORM_L1) / a.size / code_max


def block_means(plane: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """float32 means of the ``block``×``block`` tiles of a 2-D plane (edges that do not fill
    a tile are dropped; a plane smaller than a tile is averaged whole): OpenCV's area resize
    of a float copy, exact to float32. (An integral image gives the same values but was slower
    in the pipeline: its 0.3 MB int32 result is written for every frame.)"""
    h, w = plane.shape[0] // block, plane.shape[1] // block
    if h == 0 or w == 0:
        return np.array([[plane.mean()]], dtype=np.float32)
    tiles = plane[: h * block, : w * block].astype(np.float32)
    return cv2.resize(tiles, (w, h), interpolation=cv2.INTER_AREA)


def dark_code_threshold(black_level: int, white_level: int, pixel_threshold: float) -> int:
    """Highest luma code value that counts as dark: ``black + th × (white − black)``, floored
    (37 at 8-bit limited range, 25 at full range for th = 0.10)."""
    return int(black_level + pixel_threshold * (white_level - black_level))

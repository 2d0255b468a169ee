"""Pure functions over luma planes that several detectors (and the measure step) share."""

from __future__ import annotations

import cv2
import numpy as np

BLOCK = 8  # block edge, in samples of the frame's subsample
# Black bars: a row or column is bar when at least BAR_DARK_RATIO of its samples are at or below
# BAR_PIXEL_THRESHOLD of the nominal range (blackdetect's pixel rule, pixel_black_th=0.10, and
# its picture rule, picture_black_ratio_th=0.98, applied to one row or column).
BAR_PIXEL_THRESHOLD = 0.10
BAR_DARK_RATIO = 0.98


def mean_abs_diff(a: np.ndarray, b: np.ndarray, code_max: float) -> float:
    """Mean absolute difference of two equal-shape arrays of one dtype, as a 0–1 fraction of
    ``code_max`` (OpenCV's L1 norm: one call, summed in double)."""
    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size / code_max


def block_means(plane: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """float32 means of the ``block``×``block`` tiles of a 2-D plane (edges that do not fill
    a tile are dropped; a plane smaller than a tile is averaged whole): OpenCV's area resize
    of a float copy, exact to float32. (An integral image gives the same values but was slower
    in the pipeline: its 0.3 MB int32 result is written for every frame.)"""
    h, w = plane.shape[0] // block, plane.shape[1] // block
    if h == 0 or w == 0:
        return np.array([[plane.mean()]], dtype=np.float32)
    tiles = plane[: h * block, : w * block].astype(np.float32)
    out: np.ndarray = cv2.resize(tiles, (w, h), interpolation=cv2.INTER_AREA)
    return out


def dark_code_threshold(black_level: int, white_level: int, pixel_threshold: float) -> int:
    """Highest luma code value that counts as dark: ``black + th × (white − black)``, floored
    (37 at 8-bit limited range, 25 at full range for th = 0.10)."""
    return int(black_level + pixel_threshold * (white_level - black_level))


def _leading(flags: np.ndarray) -> int:
    """Number of leading True values."""
    off = np.flatnonzero(~flags)
    return int(off[0]) if off.size else int(flags.size)


def find_bars(small: np.ndarray, dark_code: int) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) dark bars of a plane, in its own rows/columns, by the
    :data:`BAR_DARK_RATIO` rule; None when every row is dark (a black picture)."""
    h, w = small.shape
    # most pictures have no bars: when no edge row or column is dark, none is
    edges = np.concatenate((small[0], small[-1], small[:, 0], small[:, -1])) <= dark_code
    if (
        np.count_nonzero(edges[:w]) < BAR_DARK_RATIO * w
        and np.count_nonzero(edges[w : 2 * w]) < BAR_DARK_RATIO * w
        and np.count_nonzero(edges[2 * w : 2 * w + h]) < BAR_DARK_RATIO * h
        and np.count_nonzero(edges[2 * w + h :]) < BAR_DARK_RATIO * h
    ):
        return 0, 0, 0, 0
    dark = small <= dark_code
    rows = np.count_nonzero(dark, axis=1) >= BAR_DARK_RATIO * w
    if rows.all():
        return None
    cols = np.count_nonzero(dark, axis=0) >= BAR_DARK_RATIO * h
    return _leading(rows), _leading(rows[::-1]), _leading(cols), _leading(cols[::-1])

"""Thumbnails of video findings, taken in the same decode pass (``--thumbnails``).

A finding is only known when its run closes (after its minimum duration, or at the next
keyframe), by then its first picture is long decoded. So this keeps a small grey copy of the
last :data:`RING_S` seconds of pictures (from the frame's shared luma subsample, 160 pixels
wide: about 3 MB for 10 s of 30 fps), and pins the picture where a detector's run opens while
the run is still being confirmed. At the end of the file each video finding gets the JPEG of
its first picture (``start_s``), encoded by OpenCV; the bytes travel back in the FileResult
and the parent writes them under ``DIR/thumbs/``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import deque

import cv2
import numpy as np

from .model import Event, VideoFrame

RING_S = 10.0
WIDTH = 160
QUALITY = 80


class ThumbnailKeeper:
    def __init__(self, path: str) -> None:
        self.prefix = hashlib.sha1(path.encode()).hexdigest()[:10]
        self._ring: deque[tuple[float, int, np.ndarray]] = deque()
        self._pinned: dict[float, tuple[int, np.ndarray]] = {}

    def update(self, frame: VideoFrame, detectors: list) -> None:
        small = frame.small
        h, w = small.shape
        scale = WIDTH / w
        if frame.code_max > 255:  # 10-bit and deeper: to 8 bits for the JPEG
            small = (small >> (int(np.log2(frame.code_max + 1)) - 8)).astype(np.uint8)
        thumb = cv2.resize(small, (WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        self._ring.append((frame.t_s, frame.index, thumb))
        while self._ring and self._ring[0][0] < frame.t_s - RING_S:
            self._ring.popleft()
        for det in detectors:  # a run opening now: keep its first picture until it closes
            start = getattr(getattr(det, "tracker", None), "open_start_s", None)
            if start is not None and start not in self._pinned:
                found = self._find(start)
                if found is not None:
                    self._pinned[start] = found

    def _find(self, t_s: float) -> tuple[int, np.ndarray] | None:
        best = min(self._ring, key=lambda e: abs(e[0] - t_s), default=None)
        if best is None or abs(best[0] - t_s) > 0.5:
            return None
        return best[1], best[2]

    def attach(self, events: list[Event]) -> tuple[list[Event], dict[str, bytes]]:
        """Events with their ``thumbnail`` set, and the JPEG bytes by relative path."""
        images: dict[str, bytes] = {}
        out = []
        for ev in events:
            if ev.frame_start is None:
                out.append(ev)
                continue
            pinned = min(
                ((abs(t - ev.start_s), v) for t, v in self._pinned.items()),
                key=lambda x: x[0],
                default=None,
            )
            found = pinned[1] if pinned and pinned[0] <= 0.5 else self._find(ev.start_s)
            if found is None:
                out.append(ev)
                continue
            index, img = found
            name = f"thumbs/{self.prefix}_{index:07d}.jpg"
            if name not in images:
                ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
                if not ok:
                    out.append(ev)
                    continue
                images[name] = jpg.tobytes()
            out.append(dataclasses.replace(ev, thumbnail=name))
        return out, images

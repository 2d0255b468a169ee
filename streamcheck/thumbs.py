"""Thumbnails of video findings, taken in the same decode pass (``--thumbnails``).

A finding is only known when its run closes (after its minimum duration, or at the next
keyframe), by then its first picture is long decoded. So this keeps a small grey copy of the
last :data:`RING_S` seconds of pictures (from the frame's shared luma subsample, 160 pixels
wide: about 3 MB for 10 s of 30 fps), and pins the picture where a detector's run opens while
the run is still being confirmed. A run that lasts :data:`LONG_S` or more also gets a picture
from its middle: while it is open, at most :data:`RUN_SAMPLES` pictures spread evenly over it
are kept (every other one is dropped and the spacing doubled when they are too many), and when
it closes only the one nearest its middle stays. At the end of the file each video finding gets
the JPEG of its first picture (``start_s``) and, when long, of its middle; OpenCV encodes them,
the bytes travel back in the FileResult and the parent writes them under ``DIR/thumbs/``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import deque
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from .detectors import AnyStreamDetector
from .model import Event, VideoFrame

RING_S = 10.0
WIDTH = 160
QUALITY = 80
LONG_S = 2.0  # a finding this long (seconds) also gets a middle picture
RUN_SAMPLES = 16  # pictures kept per open run: the middle is found within 1/16 of the run
MATCH_S = 0.5  # a kept picture stands for a time this close (seconds)

Thumb = tuple[float, int, np.ndarray]  # (time in seconds, frame index, grey picture)


class _RunSampler:
    """Pictures spread evenly over one open run, at most :data:`RUN_SAMPLES` of them."""

    def __init__(self, start_s: float) -> None:
        self.start_s = start_s
        self.step_s = 0.125
        self.samples: list[Thumb] = []

    def add(self, thumb: Thumb) -> None:
        if self.samples and thumb[0] - self.samples[-1][0] < self.step_s:
            return
        self.samples.append(thumb)
        if len(self.samples) > RUN_SAMPLES:
            self.samples = self.samples[::2]
            self.step_s *= 2

    def middle(self, end_s: float) -> Thumb | None:
        mid = (self.start_s + end_s) / 2
        return min(self.samples, key=lambda s: abs(s[0] - mid), default=None)


def _nearest(thumbs: Iterable[Thumb], t_s: float, tolerance_s: float) -> Thumb | None:
    best = min(thumbs, key=lambda s: abs(s[0] - t_s), default=None)
    return best if best is not None and abs(best[0] - t_s) <= tolerance_s else None


class ThumbnailKeeper:
    def __init__(self, path: str) -> None:
        self.prefix = hashlib.sha1(path.encode()).hexdigest()[:10]
        self._ring: deque[Thumb] = deque()
        self._kept: list[Thumb] = []  # pinned run starts and middles of closed long runs
        self._pinned: set[float] = set()
        self._open: dict[float, _RunSampler] = {}

    def update(self, frame: VideoFrame, detectors: Sequence[AnyStreamDetector]) -> None:
        small = frame.small
        h, w = small.shape
        scale = WIDTH / w
        if frame.code_max > 255:  # 10-bit and deeper: to 8 bits for the JPEG
            small = (small >> (int(np.log2(frame.code_max + 1)) - 8)).astype(np.uint8)
        picture = cv2.resize(small, (WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        thumb = (frame.t_s, frame.index, picture)
        self._ring.append(thumb)
        while self._ring and self._ring[0][0] < frame.t_s - RING_S:
            self._ring.popleft()
        opens = {det.open_start_s for det in detectors if det.open_start_s is not None}
        for start in opens:
            if start not in self._pinned:  # a run opening now: keep its first picture
                self._pinned.add(start)
                found = _nearest(self._ring, start, MATCH_S)
                if found is not None:
                    self._kept.append(found)
            self._open.setdefault(start, _RunSampler(start)).add(thumb)
        for start in [s for s in self._open if s not in opens]:  # closed runs
            sampler = self._open.pop(start)
            if frame.t_s - start >= LONG_S:
                mid = sampler.middle(frame.t_s)
                if mid is not None:
                    self._kept.append(mid)

    def _picture(self, t_s: float, tolerance_s: float = MATCH_S) -> Thumb | None:
        still_open = (s for sampler in self._open.values() for s in sampler.samples)
        return _nearest([*self._kept, *self._ring, *still_open], t_s, tolerance_s)

    def attach(self, events: list[Event]) -> tuple[list[Event], dict[str, bytes]]:
        """Events with ``thumbnail`` (and, when long, ``thumbnail_middle``) set, and the JPEG
        bytes by relative path."""
        images: dict[str, bytes] = {}

        def jpeg(thumb: Thumb | None) -> str | None:
            if thumb is None:
                return None
            name = f"thumbs/{self.prefix}_{thumb[1]:07d}.jpg"
            if name not in images:
                ok, data = cv2.imencode(".jpg", thumb[2], [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
                if not ok:
                    return None
                images[name] = data.tobytes()
            return name

        out = []
        for ev in events:
            if ev.frame_start is None:
                out.append(ev)
                continue
            first = jpeg(self._picture(ev.start_s))
            middle = None
            if ev.end_s - ev.start_s >= LONG_S:
                # the samplers keep the middle within 1/RUN_SAMPLES of the run
                tolerance = max(MATCH_S, (ev.end_s - ev.start_s) / 8)
                middle = jpeg(self._picture((ev.start_s + ev.end_s) / 2, tolerance))
            out.append(dataclasses.replace(ev, thumbnail=first, thumbnail_middle=middle))
        return out, images

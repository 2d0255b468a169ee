"""A programme's picture as a timeline: segments of content (each a function of its own local
time), transitions between them (cut, dissolve, fade through black), graphics overlaid on
ranges of time, and the per-frame facts the ground truth needs (is the picture boxed?).

Content kinds (:mod:`eval.content`) return :class:`Segment`; a :class:`Timeline` places them;
:meth:`Timeline.frame` renders the programme picture at time ``t``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from . import picture as pic
from .picture import Planes


@dataclass
class Ctx:
    """What every content function knows: the picture size and rate, and a seeded generator
    (each content function draws from its own child generator, so adding a segment does not
    change the others)."""

    w: int
    h: int
    fps: Fraction
    seed: int
    _children: int = 0

    def rng(self) -> np.random.Generator:
        self._children += 1
        return np.random.default_rng([self.seed, self._children])


@dataclass
class Segment:
    """``dur`` seconds of content; ``render(t)`` gives the picture at local time ``t``.
    ``kind`` names the content (it is recorded in the ground truth); ``boxed``: the share of the
    picture that is black bars (letterbox or pillarbox) all along, 0 for none."""

    kind: str
    dur: float
    render: Callable[[float], Planes]
    boxed: float = 0.0
    note: str = ""


@dataclass
class Clip:
    seg: Segment
    start: float
    dissolve_in: float = 0.0  # overlaps the previous clip by this much
    fade_in: float = 0.0  # from black
    fade_out: float = 0.0  # to black

    @property
    def end(self) -> float:
        return self.start + self.seg.dur


@dataclass
class Overlay:
    """Graphics drawn over [start, end): ``draw(planes, t_local)`` in place."""

    start: float
    end: float
    draw: Callable[[Planes, float], None]
    kind: str = "graphics"


@dataclass
class Timeline:
    ctx: Ctx
    clips: list[Clip] = field(default_factory=list)
    overlays: list[Overlay] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return max((c.end for c in self.clips), default=0.0)

    def add(
        self,
        seg: Segment,
        *,
        dissolve: float = 0.0,
        fade_in: float = 0.0,
        fade_out: float = 0.0,
        gap: float = 0.0,
    ) -> Clip:
        """Append ``seg`` after the last clip (overlapping it by ``dissolve``; after ``gap``
        seconds of black)."""
        start = self.duration + gap - dissolve
        clip = Clip(seg, start, dissolve, fade_in, fade_out)
        self.clips.append(clip)
        return clip

    def overlay(
        self,
        start: float,
        end: float,
        draw: Callable[[Planes, float], None],
        kind: str = "graphics",
    ) -> None:
        self.overlays.append(Overlay(start, end, draw, kind))

    def segments(self) -> list[dict[str, object]]:
        """The content of the programme for the ground truth: kind, start, end, note."""
        out: list[dict[str, object]] = [
            {
                "kind": c.seg.kind,
                "start_s": round(c.start, 6),
                "end_s": round(c.end, 6),
                **({"note": c.seg.note} if c.seg.note else {}),
            }
            for c in self.clips
        ]
        out += [
            {"kind": o.kind, "start_s": round(o.start, 6), "end_s": round(o.end, 6)}
            for o in self.overlays
        ]
        return out

    def _gain(self, c: Clip, t: float) -> float:
        g = 1.0
        if c.fade_in > 0 and t - c.start < c.fade_in:
            g = min(g, (t - c.start) / c.fade_in)
        if c.fade_out > 0 and c.end - t < c.fade_out:
            g = min(g, (c.end - t) / c.fade_out)
        return max(0.0, g)

    def frame(self, t: float) -> tuple[Planes, float]:
        """The picture at programme time ``t`` and the share of it that is black bars."""
        w, h = self.ctx.w, self.ctx.h
        live = [c for c in self.clips if c.start <= t < c.end]
        if not live:
            out, boxed = pic.canvas(w, h), 0.0
        else:
            c = live[-1]
            out = pic.fade(c.seg.render(t - c.start), self._gain(c, t))
            boxed = c.seg.boxed
            if len(live) > 1 and c.dissolve_in > 0 and t - c.start < c.dissolve_in:
                prev = live[-2]
                under = pic.fade(prev.seg.render(t - prev.start), self._gain(prev, t))
                out = pic.blend(under, out, (t - c.start) / c.dissolve_in)
                boxed = boxed if prev.seg.boxed else 0.0
        if any(o.start <= t < o.end for o in self.overlays):
            out = pic.copy(out)
            for o in self.overlays:
                if o.start <= t < o.end:
                    o.draw(out, t - o.start)
        return out, boxed

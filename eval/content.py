"""Picture content kinds: one function per kind of content real programmes contain, each
returning a :class:`~eval.program.Segment` (a picture as a function of local time), and the
graphics overlaid on them (one function per kind too). Real footage and stills come from
:mod:`eval.sources`; everything else is drawn here from a seeded generator.

Kinds: ``footage`` (real camera footage, with zoom, pan, mirror, grade, speed, sensor noise or
film grain; also dark, low-key and night scenes), ``slideshow`` (real stills held and
cross-faded), ``kenburns`` (slow pans and zooms over stills), ``pip`` (a static photo with a
small live window), ``bars`` (EBU or SMPTE colour bars, or a test card, with a burned-in
timecode and optionally a flashing white box), ``animation`` (flat-colour animation drawn on
twos), ``screen`` (a text editor being typed in), ``chroma_wash`` (luma constant, chroma
changing every frame), ``boxed`` (any of these letterboxed or pillarboxed), ``black``.

Graphics: ``bug`` (station logo), ``lower_third`` (name strap sliding in and out), ``ticker``
(scrolling text band), ``captions`` (subtitles), ``timecode`` (burned-in), ``clock``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from . import picture as pic
from . import sources
from .picture import Planes
from .program import Ctx, Segment

ContentFn = Callable[..., Segment]
CONTENT: dict[str, ContentFn] = {}
OVERLAYS: dict[str, Callable[..., Callable[[Planes, float], None]]] = {}


def content(fn: ContentFn) -> ContentFn:
    CONTENT[fn.__name__] = fn
    return fn


def overlay(fn: Callable[..., Callable[[Planes, float], None]]):  # type: ignore[no-untyped-def]
    OVERLAYS[fn.__name__] = fn
    return fn


def _frame_rng(seed: int, salt: int, t: float) -> np.random.Generator:
    return np.random.default_rng([seed, salt, round(t * 1000)])


# ---- real footage -------------------------------------------------------------------------------


@content
def footage(
    c: Ctx,
    dur: float,
    src: str = "office",
    start: float = 0.0,
    speed: float = 1.0,
    zoom: float = 1.0,
    cx: float = 0.5,
    cy: float = 0.5,
    drift: tuple[float, float, float] = (0.0, 0.0, 0.0),
    flip: bool = False,
    gain: float = 1.0,
    lift: float = 0.0,
    sat: float = 1.0,
    tint: tuple[float, float] = (0.0, 0.0),
    noise: float = 0.0,
    grain: float = 0.0,
    kind: str = "footage",
) -> Segment:
    """Real camera footage from ``src`` starting at ``start`` s (looping), ``speed``× speed,
    filling the frame (cropped around (cx, cy), ``zoom``×, drifting by ``drift`` = (dx/s, dy/s,
    dzoom/s)); graded (``gain`` around black, ``lift``, ``sat``, ``tint``); with sensor
    ``noise`` (σ, luma codes) or film ``grain``."""
    v = sources.video(src)
    salt = c.seed * 7 + len(kind)
    rngs = c.rng().integers(0, 2**31)

    def render(t: float) -> Planes:
        p = v.at(start + t * speed)
        if flip:
            p = pic.mirror(p)
        z = zoom + drift[2] * t
        p = pic.fill(p, c.w, c.h, cx + drift[0] * t, cy + drift[1] * t, z)
        if gain != 1.0 or lift or sat != 1.0 or tint != (0.0, 0.0):
            p = pic.grade(p, gain, lift, sat, tint)
        if noise > 0 or grain > 0:
            r = _frame_rng(int(rngs), salt, t)
            p = pic.add_noise(p, noise or 6.0, r, chroma=0.3, grain=grain)
        return p

    return Segment(kind, dur, render, note=src)


@content
def dark(
    c: Ctx,
    dur: float,
    src: str = "office",
    start: float = 0.0,
    level: float = 0.28,
    noise: float = 3.0,
    night: bool = True,
    **kw: object,
) -> Segment:
    """A dark, low-key or night scene: real footage brought down to ``level`` of its range
    (bright parts stay well above black), blue-green night tint, sensor noise σ ``noise``."""
    tint = (7.0, -5.0) if night else (0.0, 0.0)
    return footage(
        c,
        dur,
        src,
        start,
        gain=level,
        lift=1.0,
        sat=0.6,
        tint=tint,
        noise=noise,
        kind="night" if night else "low_key",
        **kw,
    )  # type: ignore[arg-type]


@content
def dim_lownoise(
    c: Ctx,
    dur: float,
    src: str = "office",
    start: float = 0.0,
    level: float = 0.22,
    noise: float = 1.0,
) -> Segment:
    """A dim, low-noise scene: little changes but the people in it and σ≈1 noise."""
    return footage(
        c, dur, src, start, gain=level, lift=2.0, sat=0.5, noise=noise, kind="dim_lownoise"
    )


def _still_at(
    name: str,
    w: int,
    h: int,
    zoom: float = 1.0,
    cx: float = 0.5,
    cy: float = 0.5,
    flip: bool = False,
) -> Planes:
    p = sources.still(name)
    if flip:
        p = pic.mirror(p)
    return tuple(np.ascontiguousarray(x) for x in pic.fill(p, w, h, cx, cy, zoom))  # type: ignore[return-value]


# A still as (name, zoom, cx, cy, flip): crops of the same photo look like different photos.
Still = tuple[str, float, float, float, bool]


def still_variants(rng: np.random.Generator, n: int) -> list[Still]:
    names = list(sources.STILLS)
    out: list[Still] = []
    for _ in range(n):
        out.append(
            (
                str(rng.choice(names)),
                float(rng.choice([1.0, 1.0, 1.3, 1.6])),
                float(rng.uniform(0.3, 0.7)),
                float(rng.uniform(0.35, 0.65)),
                bool(rng.random() < 0.3),
            )
        )
    return out


@content
def slideshow(
    c: Ctx,
    dur: float,
    holds: Sequence[float] | None = None,
    stills: Sequence[Still] | None = None,
    xfade: float = 0.6,
    hold: tuple[float, float] = (2.4, 5.0),
) -> Segment:
    """Real stills, each shown unchanged for its hold time (drawn from ``hold`` when not
    given, the last one fitted to ``dur``), cross-faded into the next over ``xfade`` s."""
    rng = c.rng()
    if holds is None:
        hs: list[float] = []
        left = dur
        while left > 0:
            h = float(rng.uniform(*hold))
            if left - h < hold[0] + xfade:
                h = left
            hs.append(round(h, 3))
            left -= h + xfade
        holds = hs
    if stills is None:
        stills = still_variants(rng, len(holds))
    pics = [_still_at(s[0], c.w, c.h, s[1], s[2], s[3], s[4]) for s in stills]
    starts = []
    t = 0.0
    for h in holds:
        starts.append(t)
        t += h + xfade
    total = t - xfade

    def render(tl: float) -> Planes:
        k = max(0, int(np.searchsorted(starts, tl, side="right")) - 1)
        into = tl - starts[k]
        if into < holds[k] or k + 1 >= len(pics):
            return pics[k]
        return pic.blend(pics[k], pics[k + 1], (into - holds[k]) / xfade)

    note = f"{len(pics)} stills held " + ", ".join(f"{h:g}" for h in holds) + " s"
    return Segment("slideshow", max(dur, total), render, note=note)


@content
def kenburns(
    c: Ctx,
    dur: float,
    stills: Sequence[Still] | None = None,
    per_still: float = 6.0,
    xfade: float = 1.0,
    zoom_rate: float = 0.035,
    pan_rate: float = 0.02,
) -> Segment:
    """Slow pans and zooms over real stills (the 'Ken Burns' move), cross-faded."""
    rng = c.rng()
    if stills is None:
        stills = still_variants(rng, max(2, int(dur / per_still) + 1))
    moves = []
    for s in stills:
        sgn = 1 if rng.random() < 0.5 else -1
        moves.append(
            (
                s,
                sgn * zoom_rate,
                float(rng.choice([-1, 1])) * pan_rate,
                float(rng.uniform(-0.5, 0.5)) * pan_rate,
            )
        )
    srcs = {s[0]: sources.still(s[0]) for s in stills}

    def still_frame(k: int, tl: float) -> Planes:
        (name, z0, cx, cy, flip), dz, dx, dy = moves[k % len(moves)]
        p = srcs[name]
        if flip:
            p = pic.mirror(p)
        # the zoom never stops (from 1.08× up, or down to 1.08×): the picture always moves
        span = abs(dz) * (per_still + 2 * xfade)
        z = z0 + 0.08 + (span if dz < 0 else 0.0) + dz * tl
        return pic.fill(p, c.w, c.h, cx + dx * tl, cy + dy * tl, z)

    def render(t: float) -> Planes:
        k = int(t // per_still)
        tl = t - k * per_still
        cur = still_frame(k, tl + xfade)
        if tl < xfade and k > 0:
            prev = still_frame(k - 1, tl + per_still + xfade)
            return pic.blend(prev, cur, tl / xfade)
        return cur

    return Segment("kenburns", dur, render, note=f"{len(stills)} stills")


@content
def pip(
    c: Ctx,
    dur: float,
    background: str = "office_empty",
    live: str = "signing",
    start: float = 0.0,
    area: float = 0.08,
    corner: tuple[float, float] = (0.95, 0.08),
    label: str = "LIVE",
) -> Segment:
    """A static background photo with a small live window (``area`` of the frame) of real
    footage in a corner, framed; a static caption."""
    bg = _still_at(background, c.w, c.h)
    bg = pic.copy(bg)
    pic.shade(bg, 0, int(c.h * 0.80), int(c.w * 0.55), int(c.h * 0.92), pic.BLACK, 0.6)
    pic.text(bg, label, int(c.w * 0.03), int(c.h * 0.89), c.h / 520, pic.WHITE, 1)
    src = sources.video(live)
    aspect = src.width / src.height
    ww = int(math.sqrt(area * c.w * c.h * aspect)) & ~1
    wh = int(ww / aspect) & ~1
    x = int(corner[0] * c.w - ww) & ~1
    y = int(corner[1] * c.h) & ~1

    def render(t: float) -> Planes:
        out = pic.copy(bg)
        pic.rect(out, x - 2, y - 2, x + ww + 2, y + wh + 2, pic.WHITE)
        pic.paste(out, pic.scale(src.at(start + t), ww, wh), x, y)
        return out

    return Segment("pip", dur, render, note=f"{live} window {100 * ww * wh / (c.w * c.h):.1f}%")


def _timecode(frames: int, fps: float) -> str:
    n = round(fps)
    f, s = frames % n, frames // n
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{f:02d}"


@content
def bars(
    c: Ctx,
    dur: float,
    pattern: str = "ebu",
    timecode: bool = True,
    flash_box: float = 0.0,
    box_area: float = 0.12,
    label: str = "",
) -> Segment:
    """Colour bars (``ebu``, ``smpte``) or a test ``card``, with a burned-in running timecode
    (so the signal is live, not frozen) and, with ``flash_box`` > 0, a white box switched on
    and off every ``flash_box`` seconds (small: ``box_area`` of the picture, not a flash)."""
    base = {"ebu": pic.ebu_bars, "smpte": pic.smpte_bars, "card": pic.test_card}[pattern](c.w, c.h)
    if label:
        base = pic.copy(base)
        pic.rect(base, int(c.w * 0.3), int(c.h * 0.06), int(c.w * 0.7), int(c.h * 0.16), pic.BLACK)
        pic.text(base, label, int(c.w * 0.32), int(c.h * 0.14), c.h / 600, pic.WHITE, 1)
    fps = float(c.fps)
    bw = int(math.sqrt(box_area * c.w * c.h * 4 / 3)) & ~1
    bh = int(bw * 3 / 4) & ~1
    bx, by = (c.w - bw) // 2 & ~1, (c.h - bh) // 2 & ~1
    size = c.h / 480

    def render(t: float) -> Planes:
        if not timecode and not flash_box:
            return base
        out = pic.copy(base)
        if flash_box and int(t / flash_box) % 2 == 1:
            pic.rect(out, bx, by, bx + bw, by + bh, pic.WHITE)
        if timecode:
            tc = _timecode(round(t * fps), fps)
            tw = pic.text_width(tc, size, 1)
            x0, y0 = (c.w - tw) // 2, int(c.h * 0.88)
            pic.rect(out, x0 - 6, y0 - int(24 * size), x0 + tw + 6, y0 + int(8 * size), pic.BLACK)
            pic.text(out, tc, x0, y0, size, pic.WHITE, 1)
        return out

    note = pattern + (f", box every {flash_box:g} s" if flash_box else "")
    return Segment("bars" if pattern != "card" else "test_card", dur, render, note=note)


@content
def animation(c: Ctx, dur: float, twos: int = 2, shapes: int = 5) -> Segment:
    """Flat-colour animation: flat background, bouncing flat shapes and a character, drawn
    'on twos' (each drawing held ``twos`` frames), a slow background colour cycle."""
    rng = c.rng()
    palette = [pic.rgb(*rng.uniform(0.1, 0.95, 3)) for _ in range(shapes + 2)]
    items = []
    for k in range(shapes):
        items.append(
            dict(
                kind=int(rng.integers(0, 3)),
                r=float(rng.uniform(0.05, 0.14)),
                x=float(rng.uniform(0.1, 0.9)),
                y=float(rng.uniform(0.15, 0.85)),
                vx=float(rng.uniform(-0.25, 0.25)),
                vy=float(rng.uniform(-0.2, 0.2)),
                col=palette[k],
            )
        )
    bg0 = pic.rgb(*rng.uniform(0.3, 0.8, 3))
    fps = float(c.fps)

    def bounce(p: float) -> float:
        p = p % 2.0
        return p if p < 1 else 2 - p

    def render(t: float) -> Planes:
        frame = int(t * fps)
        td = (frame - frame % twos) / fps
        shift = int(20 * math.sin(2 * math.pi * td / 17))
        out = pic.canvas(c.w, c.h, (bg0[0], bg0[1] + shift // 2, bg0[2] - shift // 2))
        pic.rect(out, 0, int(c.h * 0.78), c.w, c.h, palette[-1])  # ground
        for it in items:
            x = int(c.w * bounce(it["x"] + it["vx"] * td))
            y = int(c.h * 0.8 * bounce(it["y"] + it["vy"] * td))
            r = int(c.h * it["r"])
            col = it["col"]
            if it["kind"] == 0:
                cv2.circle(out[0], (x, y), r, col[0], -1)
                cv2.circle(out[1], (x // 2, y // 2), r // 2, col[1], -1)
                cv2.circle(out[2], (x // 2, y // 2), r // 2, col[2], -1)
            else:
                pic.rect(out, x - r, y - r // (it["kind"]), x + r, y + r // it["kind"], col)
        # the character: a head that looks around, blinking eyes
        hx = int(c.w * (0.5 + 0.3 * math.sin(td * 0.7)))
        hy = int(c.h * 0.62)
        hr = int(c.h * 0.12)
        for plane, val, s in ((out[0], 200, 1), (out[1], 110, 2), (out[2], 150, 2)):
            cv2.circle(plane, (hx // s, hy // s), hr // s, val, -1)
        if int(td * 1.3) % 4:
            for ex in (-1, 1):
                cv2.circle(
                    out[0],
                    (hx + ex * hr // 3 + int(4 * math.sin(td)), hy - hr // 4),
                    max(2, hr // 7),
                    16,
                    -1,
                )
        return out

    return Segment("animation", dur, render, note=f"on {twos}s")


CODE_TEXT = '''def scan(paths, config=None, *, jobs=None):
    """Fan files out over worker processes and yield one result per file."""
    config = config or Config()
    files = discover(list(paths))
    if not files:
        return
    workers = max(1, min(jobs or default_jobs(), len(files)))
    for result in run_pool(files, config, workers):
        yield result

class Tracker:
    def __init__(self, min_duration_s=0.0):
        self.min_duration_s = min_duration_s
        self.open = None

    def update(self, active, t_s, index):
        if active and self.open is None:
            self.open = (t_s, index)
        elif not active and self.open is not None:
            start, first = self.open
            self.open = None
            if t_s - start >= self.min_duration_s:
                return [(start, t_s, first, index)]
        return []
'''


def screen_times(dur: float, seed: int) -> list[float]:
    """Frame times of a screen recording: a picture only when something changes (a typed
    character every 60–250 ms in bursts, the cursor blink every 0.5 s while idle)."""
    rng = np.random.default_rng([seed, 91])
    times, t = [0.0], 0.0
    while True:
        if rng.random() < 0.7:  # typing burst
            t += float(rng.uniform(0.06, 0.25))
        else:  # idle: the cursor blinks
            t += 0.5
        if t >= dur:
            return times
        times.append(round(t, 4))


@content
def screen(c: Ctx, dur: float, cps: float = 9.0, text: str = CODE_TEXT) -> Segment:
    """A screen recording of a text editor: dark theme, line numbers, code typed at about
    ``cps`` characters per second, a blinking cursor, scrolling once the page is full."""
    size = c.h / 640
    lh = int(30 * size) + 4
    rows = (c.h - 40) // lh

    def render(t: float) -> Planes:
        n = int(t * cps)
        typed = text[: n % len(text)]
        lines = typed.split("\n")
        first = max(0, len(lines) - rows)
        out = pic.canvas(c.w, c.h, pic.rgb(0.12, 0.13, 0.16))
        pic.rect(out, 0, 0, c.w, 28, pic.rgb(0.2, 0.21, 0.25))
        pic.text(out, "tracker.py - editor", 10, 20, size * 0.9, pic.rgb(0.8, 0.8, 0.8))
        for k, line in enumerate(lines[first:]):
            y = 30 + (k + 1) * lh
            pic.text(out, f"{first + k + 1:3d}", 6, y, size, pic.rgb(0.45, 0.45, 0.5))
            pic.text(out, line, int(50 * size) + 20, y, size, pic.rgb(0.85, 0.85, 0.75))
        if int(t * 2) % 2 == 0:
            last = lines[-1] if lines else ""
            x = int(50 * size) + 20 + pic.text_width(last, size)
            y = 30 + (len(lines) - first) * lh
            pic.rect(out, x + 2, y - lh + 6, x + 6, y + 4, pic.rgb(0.9, 0.9, 0.9))
        return out

    return Segment("screen", dur, render)


@content
def chroma_wash(c: Ctx, dur: float, still: str = "grille") -> Segment:
    """Luma constant (a still's luma), chroma changing every frame: a colour wash cycling
    over a grey picture, as FFmpeg FATE's chroma-only test patterns do. Not frozen."""
    y = _still_at(still, c.w, c.h)[0].copy()
    yy, xx = np.mgrid[0 : c.h // 2, 0 : c.w // 2].astype(np.float32)
    base = (xx / (c.w / 2) * 2 * math.pi, yy / (c.h / 2) * 2 * math.pi)
    fps = float(c.fps)

    def render(t: float) -> Planes:
        ph = 2 * math.pi * round(t * fps) / 37.0
        u = (128 + 40 * np.cos(base[0] + ph)).astype(np.uint8)
        v = (128 + 40 * np.sin(base[1] - ph)).astype(np.uint8)
        return y, u, v

    return Segment("chroma_wash", dur, render)


@content
def black(c: Ctx, dur: float) -> Segment:
    p = pic.canvas(c.w, c.h)
    return Segment("black", dur, lambda t: p)


@content
def boxed(
    c: Ctx,
    inner: Callable[[Ctx], Segment],
    mode: str = "letterbox",
    aspect: float | None = None,
    noise: float = 0.0,
) -> Segment:
    """``inner`` (a content function of a context) shown letterboxed (``aspect`` default
    2.39:1) or pillarboxed (default 4:3) inside the frame, black bars around it."""
    if mode == "letterbox":
        a = aspect or 2.39
        aw, ah = c.w, int(c.w / a) & ~1
    else:
        a = aspect or 4 / 3
        aw, ah = int(c.h * a) & ~1, c.h
    x0, y0 = ((c.w - aw) // 2) & ~1, ((c.h - ah) // 2) & ~1
    seg = inner(Ctx(aw, ah, c.fps, c.seed + 5000))
    frac = 1 - aw * ah / (c.w * c.h)

    def render(t: float) -> Planes:
        out = pic.canvas(c.w, c.h)
        pic.paste(out, seg.render(t), x0, y0)
        return out

    return Segment(
        f"{mode}:{seg.kind}", seg.dur, render, boxed=frac, note=f"bars {100 * frac:.0f}%"
    )


def bars_fraction(c: Ctx, mode: str, aspect: float | None = None) -> float:
    if mode == "letterbox":
        ah = int(c.w / (aspect or 2.39)) & ~1
        return 1 - ah / c.h
    aw = int(c.h * (aspect or 4 / 3)) & ~1
    return 1 - aw / c.w


# ---- graphics -----------------------------------------------------------------------------------


@overlay
def bug(c: Ctx, text: str = "EVAL 1", corner: str = "tr", alpha: float = 0.7):
    """A station logo: translucent box and text in a corner, static."""
    size = c.h / 700
    tw = pic.text_width(text, size, 2, pic.FONT_BOLD)
    x0 = int(c.w * 0.96) - tw - 12 if corner == "tr" else int(c.w * 0.04)
    y0 = int(c.h * 0.05)
    th = int(34 * size) + 8

    def draw(p: Planes, t: float) -> None:
        pic.shade(p, x0, y0, x0 + tw + 12, y0 + th, pic.rgb(0.1, 0.2, 0.5), alpha)
        pic.text(p, text, x0 + 6, y0 + th - 8, size, pic.WHITE, 2, pic.FONT_BOLD)

    return draw


@overlay
def lower_third(c: Ctx, name: str, title: str, hold: float, slide: float = 0.4):
    """A name strap sliding in from the left over ``slide`` s, held, sliding out."""
    size = c.h / 560
    bw = max(pic.text_width(name, size, 2), pic.text_width(title, size * 0.75)) + 40
    y0, y1 = int(c.h * 0.72), int(c.h * 0.86)
    total = hold + 2 * slide

    def draw(p: Planes, t: float) -> None:
        if t < slide:
            x = int(-bw + bw * t / slide)
        elif t > total - slide:
            x = int(-bw * (t - (total - slide)) / slide)
        else:
            x = 0
        x0 = int(c.w * 0.05) + x
        pic.rect(p, x0, y0, x0 + bw, y1, pic.rgb(0.08, 0.2, 0.45))
        pic.rect(p, x0, y1, x0 + bw, y1 + 6, pic.rgb(0.9, 0.6, 0.1))
        pic.text(p, name, x0 + 16, y0 + int((y1 - y0) * 0.5), size, pic.WHITE, 2)
        pic.text(p, title, x0 + 16, y1 - 6, size * 0.75, pic.rgb(0.85, 0.85, 0.85))

    return draw


@overlay
def ticker(c: Ctx, text: str, speed: float = 60.0):
    """A news ticker: a band at the bottom with text scrolling right to left."""
    size = c.h / 600
    band = int(c.h * 0.07) & ~1
    y0 = c.h - band
    tw = pic.text_width(text + "   +++   ", size)

    def draw(p: Planes, t: float) -> None:
        pic.rect(p, 0, y0, c.w, c.h, pic.rgb(0.05, 0.05, 0.1))
        x = c.w - int(t * speed) % (tw + c.w)
        while x < c.w:
            pic.text(p, text + "   +++   ", x, c.h - band // 3, size, pic.rgb(0.95, 0.9, 0.5))
            x += tw

    return draw


@overlay
def captions(c: Ctx, lines: Sequence[str], each: float = 2.6, gap: float = 0.3):
    """Subtitles: one line at a time at the bottom centre, on a black box."""
    size = c.h / 520

    def draw(p: Planes, t: float) -> None:
        k = int(t // each)
        if t - k * each > each - gap:
            return
        s = lines[k % len(lines)]
        tw = pic.text_width(s, size)
        x0, y0 = (c.w - tw) // 2, int(c.h * 0.9)
        pic.rect(p, x0 - 8, y0 - int(26 * size), x0 + tw + 8, y0 + int(10 * size), pic.BLACK)
        pic.text(p, s, x0, y0, size, pic.WHITE)

    return draw


@overlay
def timecode(c: Ctx, start_frame: int = 0):
    """A burned-in timecode (top left), changing every frame."""
    fps = float(c.fps)
    size = c.h / 600

    def draw(p: Planes, t: float) -> None:
        tc = _timecode(start_frame + round(t * fps), fps)
        pic.rect(p, 8, 8, 16 + pic.text_width(tc, size), 14 + int(24 * size), pic.BLACK)
        pic.text(p, tc, 12, 8 + int(22 * size), size, pic.WHITE)

    return draw


@overlay
def clock(c: Ctx, start_s: int = 18 * 3600 + 59 * 60 + 30):
    """A station clock HH:MM:SS (changes once a second), bottom right."""
    size = c.h / 640

    def draw(p: Planes, t: float) -> None:
        s = start_s + int(t)
        txt = f"{s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        tw = pic.text_width(txt, size)
        x0 = c.w - tw - int(c.w * 0.05)
        pic.shade(
            p,
            x0 - 6,
            int(c.h * 0.05),
            x0 + tw + 6,
            int(c.h * 0.05) + int(30 * size),
            pic.BLACK,
            0.5,
        )
        pic.text(p, txt, x0, int(c.h * 0.05) + int(24 * size), size, pic.WHITE)

    return draw

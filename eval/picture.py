"""Drawing in Y'CbCr 4:2:0 planes (8-bit, limited range): colours, rectangles, text, bars and
test cards, blends, pastes and noise. Pictures stay in the encoder's own format from source to
file, so no colour conversion sits between the ground truth and what is encoded.

A picture is a tuple of three uint8 planes (Y at full size, U and V at half size); widths,
heights and positions are even.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

Planes = tuple[np.ndarray, np.ndarray, np.ndarray]
Colour = tuple[int, int, int]  # Y, Cb, Cr codes

FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_BOLD = cv2.FONT_HERSHEY_DUPLEX


def rgb(r: float, g: float, b: float) -> Colour:
    """BT.709 limited-range Y'CbCr codes of R'G'B' in 0–1."""
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    cb = (b - y) / 1.8556
    cr = (r - y) / 1.5748
    return (round(16 + 219 * y), round(128 + 224 * cb), round(128 + 224 * cr))


WHITE = rgb(1, 1, 1)
BLACK = rgb(0, 0, 0)
GREY = rgb(0.5, 0.5, 0.5)


def canvas(w: int, h: int, colour: Colour = BLACK) -> Planes:
    return (
        np.full((h, w), colour[0], np.uint8),
        np.full((h // 2, w // 2), colour[1], np.uint8),
        np.full((h // 2, w // 2), colour[2], np.uint8),
    )


def copy(p: Planes) -> Planes:
    return p[0].copy(), p[1].copy(), p[2].copy()


def rect(p: Planes, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
    """Fill [x0, x1) × [y0, y1) in place (clipped to the picture)."""
    h, w = p[0].shape
    x0, x1 = max(0, x0 & ~1), min(w, (x1 + 1) & ~1)
    y0, y1 = max(0, y0 & ~1), min(h, (y1 + 1) & ~1)
    if x1 <= x0 or y1 <= y0:
        return
    p[0][y0:y1, x0:x1] = colour[0]
    p[1][y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = colour[1]
    p[2][y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = colour[2]


def shade(p: Planes, x0: int, y0: int, x1: int, y1: int, colour: Colour, alpha: float) -> None:
    """Blend a translucent box over [x0, x1) × [y0, y1) in place."""
    h, w = p[0].shape
    x0, x1 = max(0, x0 & ~1), min(w, (x1 + 1) & ~1)
    y0, y1 = max(0, y0 & ~1), min(h, (y1 + 1) & ~1)
    if x1 <= x0 or y1 <= y0:
        return
    for plane, c, s in ((p[0], colour[0], 1), (p[1], colour[1], 2), (p[2], colour[2], 2)):
        roi = plane[y0 // s : y1 // s, x0 // s : x1 // s]
        roi[:] = (roi.astype(np.float32) * (1 - alpha) + c * alpha + 0.5).astype(np.uint8)


def text(
    p: Planes,
    s: str,
    x: int,
    y: int,
    size: float,
    colour: Colour = WHITE,
    thickness: int = 1,
    font: int = FONT,
) -> int:
    """Draw ``s`` with its baseline at (x, y), antialiased, in place; returns its width."""
    (tw, th), base = cv2.getTextSize(s, font, size, thickness)
    h, w = p[0].shape
    pad = thickness + 2
    x0, y0 = max(0, (x - pad) & ~1), max(0, (y - th - pad) & ~1)
    x1, y1 = min(w, (x + tw + pad + 1) & ~1), min(h, (y + base + pad + 1) & ~1)
    if x1 <= x0 or y1 <= y0:
        return tw
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.putText(mask, s, (x - x0, y - y0), font, size, 255, thickness, cv2.LINE_AA)
    a = mask.astype(np.float32) / 255
    roi = p[0][y0:y1, x0:x1]
    roi[:] = (roi * (1 - a) + colour[0] * a + 0.5).astype(np.uint8)
    ac = cv2.resize(a, ((x1 - x0) // 2, (y1 - y0) // 2), interpolation=cv2.INTER_AREA)
    for plane, c in ((p[1], colour[1]), (p[2], colour[2])):
        r = plane[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2]
        r[:] = (r * (1 - ac) + c * ac + 0.5).astype(np.uint8)
    return tw


def text_width(s: str, size: float, thickness: int = 1, font: int = FONT) -> int:
    return cv2.getTextSize(s, font, size, thickness)[0][0]


def blend(a: Planes, b: Planes, alpha: float) -> Planes:
    """(1 − alpha)·a + alpha·b."""
    if alpha <= 0:
        return a
    if alpha >= 1:
        return b
    return tuple(  # type: ignore[return-value]
        cv2.addWeighted(x, 1 - alpha, y, alpha, 0) for x, y in zip(a, b, strict=True)
    )


def fade(p: Planes, gain: float) -> Planes:
    """Toward black (gain 0) in limited range: luma toward 16, chroma toward 128."""
    if gain >= 1:
        return p
    y = cv2.addWeighted(p[0], gain, p[0], 0, 16 * (1 - gain))
    u = cv2.addWeighted(p[1], gain, p[1], 0, 128 * (1 - gain))
    v = cv2.addWeighted(p[2], gain, p[2], 0, 128 * (1 - gain))
    return y, u, v


def scale(p: Planes, w: int, h: int) -> Planes:
    y = p[0]
    if y.shape == (h, w):
        return p
    interp = cv2.INTER_AREA if w < y.shape[1] else cv2.INTER_CUBIC
    return (
        cv2.resize(y, (w, h), interpolation=interp),
        cv2.resize(p[1], (w // 2, h // 2), interpolation=interp),
        cv2.resize(p[2], (w // 2, h // 2), interpolation=interp),
    )


def fill(p: Planes, w: int, h: int, cx: float = 0.5, cy: float = 0.5, zoom: float = 1.0) -> Planes:
    """Scale ``p`` to cover w×h (cropping the excess around (cx, cy) fractions), then zoom."""
    sh, sw = p[0].shape
    k = max(w / sw, h / sh) * zoom
    cw, ch = w / k, h / k  # crop size in source pixels
    x0 = min(max(cx * sw - cw / 2, 0), sw - cw)
    y0 = min(max(cy * sh - ch / 2, 0), sh - ch)
    return crop_scale(p, x0, y0, cw, ch, w, h)


def crop_scale(p: Planes, x0: float, y0: float, cw: float, ch: float, w: int, h: int) -> Planes:
    """The source window (x0, y0, cw, ch) (sub-pixel) resampled to w×h: pans and zooms move
    smoothly because the window is placed with an affine warp, not rounded to pixels."""
    k = w / cw
    m = np.array([[k, 0, -x0 * k], [0, h / ch, -y0 * h / ch]], np.float32)
    flags = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    y = cv2.warpAffine(p[0], m, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    mc = m.copy()
    mc[:, 2] /= 2
    u = cv2.warpAffine(p[1], mc, (w // 2, h // 2), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    v = cv2.warpAffine(p[2], mc, (w // 2, h // 2), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    return y, u, v


def paste(dst: Planes, src: Planes, x: int, y: int) -> None:
    """Copy ``src`` into ``dst`` at (x, y) (even), in place, clipped."""
    x, y = x & ~1, y & ~1
    sh, sw = src[0].shape
    h, w = dst[0].shape
    x1, y1 = min(w, x + sw), min(h, y + sh)
    if x1 <= x or y1 <= y:
        return
    dst[0][y:y1, x:x1] = src[0][: y1 - y, : x1 - x]
    dst[1][y // 2 : y1 // 2, x // 2 : x1 // 2] = src[1][: (y1 - y) // 2, : (x1 - x) // 2]
    dst[2][y // 2 : y1 // 2, x // 2 : x1 // 2] = src[2][: (y1 - y) // 2, : (x1 - x) // 2]


def mirror(p: Planes) -> Planes:
    return p[0][:, ::-1], p[1][:, ::-1], p[2][:, ::-1]


def grade(
    p: Planes,
    gain: float = 1.0,
    lift: float = 0.0,
    sat: float = 1.0,
    tint: tuple[float, float] = (0.0, 0.0),
) -> Planes:
    """A colour grade: luma gain around black and lift (codes), saturation, chroma tint."""
    y = cv2.addWeighted(p[0], gain, p[0], 0, 16 * (1 - gain) + lift)
    u = cv2.addWeighted(p[1], sat, p[1], 0, 128 * (1 - sat) + tint[0])
    v = cv2.addWeighted(p[2], sat, p[2], 0, 128 * (1 - sat) + tint[1])
    return y, u, v


def add_noise(
    p: Planes, sigma: float, rng: np.random.Generator, chroma: float = 0.0, grain: float = 0.0
) -> Planes:
    """Sensor noise (white, σ in luma codes) or film grain (``grain`` > 0: noise drawn at
    1/``grain`` of the size and scaled up, clumps about that many pixels wide); chroma noise
    σ·``chroma``. Seeded from ``rng`` (OpenCV's generator, reseeded: fast and repeatable)."""
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    h, w = p[0].shape
    if grain > 0:
        gh, gw = max(2, int(h / grain)), max(2, int(w / grain))
        small = np.empty((gh, gw), np.float32)
        cv2.randn(small, 0.0, 1.0)
        n = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        n *= sigma / max(float(n.std()), 1e-6)
    else:
        n = np.empty((h, w), np.float32)
        cv2.randn(n, 0.0, sigma)
    y = cv2.add(p[0], n, dtype=cv2.CV_8U)
    if chroma <= 0:
        return y, p[1], p[2]
    out = [y]
    for c in p[1:]:
        nc = np.empty(c.shape, np.float32)
        cv2.randn(nc, 0.0, sigma * chroma)
        out.append(cv2.add(c, nc, dtype=cv2.CV_8U))
    return out[0], out[1], out[2]


# ---- test signals ---------------------------------------------------------------------------

EBU_BARS = [
    (1, 1, 1),
    (0.75, 0.75, 0),
    (0, 0.75, 0.75),
    (0, 0.75, 0),
    (0.75, 0, 0.75),
    (0.75, 0, 0),
    (0, 0, 0.75),
    (0, 0, 0),
]  # EBU 100/0/75/0
SMPTE_TOP = [
    (0.75, 0.75, 0.75),
    (0.75, 0.75, 0),
    (0, 0.75, 0.75),
    (0, 0.75, 0),
    (0.75, 0, 0.75),
    (0.75, 0, 0),
    (0, 0, 0.75),
]
SMPTE_MID = [
    (0, 0, 0.75),
    (0, 0, 0),
    (0.75, 0, 0.75),
    (0, 0, 0),
    (0, 0.75, 0.75),
    (0, 0, 0),
    (0.75, 0.75, 0.75),
]


def _columns(w: int, n: int) -> list[tuple[int, int]]:
    edges = [round(w * k / n) & ~1 for k in range(n + 1)]
    return list(itertools.pairwise(edges))


def ebu_bars(w: int, h: int) -> Planes:
    p = canvas(w, h)
    for (x0, x1), c in zip(_columns(w, 8), EBU_BARS, strict=True):
        rect(p, x0, 0, x1, h, rgb(*c))
    return p


def smpte_bars(w: int, h: int) -> Planes:
    """SMPTE EG 1-style bars: 75% bars, the reversed blue strip, and the PLUGE row."""
    p = canvas(w, h)
    y1, y2 = round(h * 0.67) & ~1, round(h * 0.75) & ~1
    for (x0, x1), c in zip(_columns(w, 7), SMPTE_TOP, strict=True):
        rect(p, x0, 0, x1, y1, rgb(*c))
    for (x0, x1), c in zip(_columns(w, 7), SMPTE_MID, strict=True):
        rect(p, x0, y1, x1, y2, rgb(*c))
    cols = _columns(w, 7)
    q = cols[0][1] * 5 // 4 & ~1
    rect(p, 0, y2, q, h, (61, 159, 106))  # -I
    rect(p, q, y2, 2 * q, h, WHITE)
    rect(p, 2 * q, y2, 3 * q, h, (35, 174, 152))  # +Q
    rect(p, 3 * q, y2, cols[4][1], h, BLACK)
    x = cols[4][1]
    third = (cols[5][1] - x) // 3 & ~1
    rect(p, x, y2, x + third, h, (7, 128, 128))  # below black
    rect(p, x + 2 * third, y2, cols[5][1], h, (25, 128, 128))  # above black
    return p


def test_card(w: int, h: int) -> Planes:
    """A generic electronic test card: grey field, white grid, centre circle, bars across the
    middle, a grey-step wedge and a frequency-grating row."""
    p = canvas(w, h, rgb(0.45, 0.45, 0.45))
    step = max(16, (h // 12) & ~1)
    y = p[0]
    for gx in range(step // 2, w, step):
        y[:, gx : gx + 2] = 200
    for gy in range(step // 2, h, step):
        y[gy : gy + 2, :] = 200
    cx, cy, r = w // 2, h // 2, int(h * 0.42)
    cv2.circle(y, (cx, cy), r, 235, 3, cv2.LINE_AA)
    bx0, bx1 = cx - int(r * 0.85), cx + int(r * 0.85)
    band = (cy - step) & ~1, (cy - step // 4) & ~1
    cols = _columns(bx1 - bx0, 8)
    for (a, b), c in zip(cols, EBU_BARS, strict=True):
        rect(p, bx0 + a, band[0], bx0 + b, band[1], rgb(*c))
    wedge = (cy + step // 4) & ~1, (cy + step) & ~1
    for k, (a, b) in enumerate(_columns(bx1 - bx0, 6)):
        g = k / 5
        rect(p, bx0 + a, wedge[0], bx0 + b, wedge[1], rgb(g, g, g))
    gr0, gr1 = (cy + step + 4) & ~1, (cy + 2 * step) & ~1
    xs = np.arange(bx0, bx1)
    freq = 0.02 + 0.4 * (xs - bx0) / max(1, bx1 - bx0)
    y[gr0:gr1, bx0:bx1] = (126 + 100 * np.sin(2 * np.pi * np.cumsum(freq))).astype(np.uint8)
    return p

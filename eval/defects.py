"""Defect kinds: one function per kind of defect, each changing a scenario being built (its
picture pipeline, its sound, how it is written or the written file) and saying what it
intended (the ground truth of the classes no reference measurement sees: flash, blockiness,
timestamp gaps, decode damage, the file-level classes; for the others the reference
measurements of :mod:`eval.truth` on the final source decide, and the intention is checked
against them).

A defect is ``Defect(kind, start, end, **params)`` in the scenario; ``DEFECTS[kind]`` applies
it to the :class:`Build` (see :mod:`eval.scenario`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import cv2
import numpy as np

from . import picture as pic
from .picture import Planes
from .sources import fps_fraction

if TYPE_CHECKING:
    from .scenario import Build


@dataclass(frozen=True)
class Defect:
    """A defect of kind ``kind`` over [start, end) seconds of programme time (``end`` None:
    to the end), with the kind's parameters."""

    kind: str
    start: float = 0.0
    end: float | None = None
    params: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)


def D(kind: str, start: float = 0.0, end: float | None = None, **params: Any) -> Defect:
    return Defect(kind, start, end, tuple(sorted(params.items())))


DefectFn = Callable[["Build", Defect], None]
DEFECTS: dict[str, DefectFn] = {}


def defect(fn: DefectFn) -> DefectFn:
    DEFECTS[fn.__name__] = fn
    return fn


# ---- picture: transforms of the programme picture, in the order the frames are made -----------


@dataclass
class PictureFx:
    """A change of the programme picture over [start, end): ``apply(planes, t, i)`` returns the
    new picture, or None to leave the frame out (a dropped frame)."""

    start: float
    end: float
    apply: Callable[[Planes, float], Planes | None]
    state: dict[str, Any] = field(default_factory=dict)


@defect
def black(b: Build, d: Defect) -> None:
    """The picture goes black (a lost feed): pure black, or with a little noise."""
    noise = float(d.get("noise", 0.0))
    w, h = b.ctx.w, b.ctx.h
    rng = np.random.default_rng([b.scenario.seed, 11])

    def apply(p: Planes, t: float) -> Planes:
        out = pic.canvas(w, h)
        return pic.add_noise(out, noise, rng) if noise else out

    b.fx.append(PictureFx(d.start, b.end(d), apply))
    b.intend("black", d.start, b.end(d))


@defect
def freeze(b: Build, d: Defect) -> None:
    """The whole picture (graphics included) stops: the frame at ``start`` is repeated."""
    fx = PictureFx(d.start, b.end(d), lambda p, t: p)

    def apply(p: Planes, t: float) -> Planes:
        if "held" not in fx.state:
            fx.state["held"] = pic.copy(p)
        return fx.state["held"]  # type: ignore[no-any-return]

    fx.apply = apply
    b.fx.append(fx)
    b.intend("freeze", d.start, b.end(d))


@defect
def flash(b: Build, d: Defect) -> None:
    """Flashing: ``mode`` strobe (full white / full black at ``hz``), photo (white frames
    dropped in ``hz`` times a second, as press photographers' flashes), box (a large white box,
    ``area`` of the picture, on and off at ``hz``), cuts (rapid cuts between a dark and a
    bright picture at ``hz``)."""
    mode = d.get("mode", "strobe")
    hz = float(d.get("hz", 8.0))
    area = float(d.get("area", 0.6))
    w, h = b.ctx.w, b.ctx.h
    white = pic.canvas(w, h, pic.WHITE)
    dark = pic.canvas(w, h, pic.rgb(0.05, 0.05, 0.08))
    fps = float(b.ctx.fps)

    def apply(p: Planes, t: float) -> Planes:
        local = t - d.start
        phase = (local * hz) % 1.0
        if mode == "strobe":
            return white if phase < 0.5 else dark
        if mode == "photo":  # one white picture every 1/hz s
            return white if round(local * fps) % max(2, round(fps / hz)) == 0 else p
        if mode == "box":
            if phase >= 0.5:
                return p
            out = pic.copy(p)
            bw, bh = int(w * np.sqrt(area)), int(h * np.sqrt(area))
            pic.rect(out, (w - bw) // 2, (h - bh) // 2, (w + bw) // 2, (h + bh) // 2, pic.WHITE)
            return out
        # cuts: a dark scene and a bright one alternating
        return pic.grade(p, 0.15) if phase < 0.5 else pic.grade(p, 1.0, lift=60)

    b.fx.append(PictureFx(d.start, b.end(d), apply))
    b.intend("flash", d.start, b.end(d), stream="video")


def _tiles(p: Planes, block: int) -> Planes:
    out = []
    for k, plane in enumerate(p):
        s = block if k == 0 else block // 2
        h, w = plane.shape
        hh, ww = h - h % s, w - w % s
        small = cv2.resize(plane[:hh, :ww], (ww // s, hh // s), interpolation=cv2.INTER_AREA)
        big = plane.copy()
        big[:hh, :ww] = cv2.resize(small, (ww, hh), interpolation=cv2.INTER_NEAREST)
        out.append(big)
    return out[0], out[1], out[2]


def _dct_matrix(n: int = 8) -> np.ndarray:
    k = np.arange(n)
    m = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m.astype(np.float32)


_DCT = _dct_matrix()


def _requant_plane(plane: np.ndarray, q: float) -> np.ndarray:
    """Each 8×8 block's DCT quantised with step q·(2 + 2(u + v)), as a starved encoder does:
    block means in steps of q/4 code values, little detail left inside the blocks."""
    h, w = plane.shape
    hh, ww = h - h % 8, w - w % 8
    x = plane[:hh, :ww].astype(np.float32) - 128
    blocks = x.reshape(hh // 8, 8, ww // 8, 8).transpose(0, 2, 1, 3)
    coef = _DCT @ blocks @ _DCT.T
    uv = np.add.outer(np.arange(8), np.arange(8)).astype(np.float32)
    step = q * (2 + 2 * uv)
    coef = np.round(coef / step) * step
    back = (_DCT.T @ coef @ _DCT).transpose(0, 2, 1, 3).reshape(hh, ww) + 128
    out = plane.copy()
    out[:hh, :ww] = np.clip(back + 0.5, 0, 255).astype(np.uint8)
    return out


@defect
def blocky(b: Build, d: Defect) -> None:
    """Blockiness: ``mode`` tiles (a digital hit: every ``block``×``block`` tile flat at its
    mean) or requant (macroblocking: every 8×8 block's DCT coarsely quantised, as a starved
    encoder codes it)."""
    mode = d.get("mode", "tiles")
    block = int(d.get("block", 16))
    q = float(d.get("q", 32.0))

    def apply(p: Planes, t: float) -> Planes:
        if mode == "tiles":
            return _tiles(p, block)
        return _requant_plane(p[0], q), _requant_plane(p[1], q), _requant_plane(p[2], q)

    b.fx.append(PictureFx(d.start, b.end(d), apply))
    b.intend("blockiness", d.start, b.end(d), stream="video")


@defect
def illegal_levels(b: Build, d: Defect) -> None:
    """Levels outside EBU R 103 over a box of ``area`` of the picture (a graphic made
    without a legaliser): ``mode`` superwhite (luma at ``code``, 250 = 107%), superblack (luma
    at ``code``, 4 = −5%) or colour (a red whose luma and chroma are legal but whose R′ is
    ~160%: out of the RGB gamut)."""
    mode = d.get("mode", "superwhite")
    area = float(d.get("area", 0.1))
    w, h = b.ctx.w, b.ctx.h
    bw, bh = int(w * np.sqrt(area)) & ~1, int(h * np.sqrt(area)) & ~1
    x0, y0 = (w - bw) // 2 & ~1, int(h * 0.1) & ~1
    if mode == "colour":
        colour = (200, 128, 230)
    else:
        colour = (int(d.get("code", 250 if mode == "superwhite" else 4)), 128, 128)

    def apply(p: Planes, t: float) -> Planes:
        out = pic.copy(p)
        pic.rect(out, x0, y0, x0 + bw, y0 + bh, colour)
        return out

    b.fx.append(PictureFx(d.start, b.end(d), apply))
    b.intend("levels", d.start, b.end(d), stream="video")


@defect
def full_range(b: Build, d: Defect) -> None:
    """The programme's pictures in full range (0…255) written into a stream flagged limited
    range: a graded master exported with the wrong range. Over [start, end), usually all."""
    lut_y = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)
    lut_c = np.clip(np.round((np.arange(256) - 128) * 255 / 224 + 128), 0, 255).astype(np.uint8)

    def apply(p: Planes, t: float) -> Planes:
        return cv2.LUT(p[0], lut_y), cv2.LUT(p[1], lut_c), cv2.LUT(p[2], lut_c)

    b.fx.append(PictureFx(d.start, b.end(d), apply))
    b.intend("levels", d.start, b.end(d), stream="video")


@defect
def leader(b: Build, d: Defect) -> None:
    """A master's leader over [start, end) (start 0): ``pattern`` bars (ebu, smpte) with a
    1 kHz line-up tone at ``tone`` dBFS (sine peak) on every channel, then, with ``slate``
    seconds, a slate (a still card with the programme's title) over silence, then the
    programme. Intended: bars_tone for the bars, the tone and the slate; the black, freeze,
    silence a leader holds are on purpose, so the truth leaves them out."""
    bars_end = b.end(d)
    slate_s = float(d.get("slate", 0.0))
    pattern = d.get("pattern", "ebu")
    w, h = b.ctx.w, b.ctx.h
    bars = pic.smpte_bars(w, h) if pattern == "smpte" else pic.ebu_bars(w, h)
    card = pic.canvas(w, h, pic.rgb(0.15, 0.2, 0.35))
    size = h / 500
    for k, line in enumerate(("EVAL PROGRAMME", "EPISODE 3  TX 2026-12-01", "DUR 00:01:00:00")):
        pic.text(card, line, int(w * 0.12), int(h * (0.35 + 0.12 * k)), size, pic.WHITE, 2)
    b.fx.append(PictureFx(d.start, bars_end, lambda p, t: bars))
    b.intend("bars_tone", d.start, bars_end, stream="video", note="bars")
    if slate_s:
        b.fx.append(PictureFx(bars_end, bars_end + slate_s, lambda p, t: card))
        b.intend("bars_tone", bars_end, bars_end + slate_s, stream="video", note="slate")
    if b.audio.shape[1]:
        sr = b.rate
        a, z = round(d.start * sr), round(bars_end * sr)
        tone = 10 ** (float(d.get("tone", -18.0)) / 20) * np.sin(
            2 * np.pi * 1000.0 * np.arange(z - a) / sr
        )
        b.audio[:, a:z] = tone.astype(np.float32)
        b.audio[:, z : round((bars_end + slate_s) * sr)] = 0.0
        b.intend("bars_tone", d.start, bars_end, stream="audio", note="tone")
    b.leader_s = bars_end + slate_s


# a picture shows its scan when this share of its luma changed by more than WEAVE_STEP codes
# since the picture before, or the picture before did (its bottom field then combs with that
# one's top field, which a field-order measure compares): a comb of edges that moved. Sensor
# noise and a source's coding flicker change nearly every sample by a code or two, which weaves
# into line-to-line steps no one sees (the eval's 12.5 fps parking-lot camera: 0.002-0.04% of
# its samples change by more than 12 codes; the office footage, whose combing the eye sees,
# 0.4-0.7%)
WEAVE_STEP = 12
WEAVE_MOTION = 0.001
WEAVE_MOVING_SHARE = 0.3  # fewer moving pictures in a part: too few show the scan to call it
WEAVE_STILL_S = 1.0  # pictures that do not move for this long split the stretch
# a part shorter than this is ambiguous: a scan is a property of a stretch, as illegal levels
# are of one of 1 s (the classes' shortest reported stretches by default)
WEAVE_MIN_S = 2.0


def weave_truth(pictures: list[tuple[float, float, bool]]) -> list[tuple[float, float, float]]:
    """(start, end, share of moving pictures) parts of a weave stretch from its pictures'
    (start, end, moving): runs of still pictures of ``WEAVE_STILL_S`` or more are parts of
    their own, ambiguous (a still picture cannot show its scan), and so is a part between them
    shorter than ``WEAVE_MIN_S`` or where fewer than ``WEAVE_MOVING_SHARE`` of the pictures
    move (:func:`weave` marks them)."""
    parts: list[tuple[int, int]] = []  # [a, z) index ranges of the parts
    still_from: int | None = None
    part_from = 0
    for k, (t, _, moving) in enumerate(pictures):
        if moving:
            if still_from is not None and t - pictures[still_from][0] >= WEAVE_STILL_S:
                if still_from > part_from:
                    parts.append((part_from, still_from))
                parts.append((still_from, k))
                part_from = k
            still_from = None
        elif still_from is None:
            still_from = k
    n = len(pictures)
    if still_from is not None and pictures[-1][1] - pictures[still_from][0] >= WEAVE_STILL_S:
        if still_from > part_from:
            parts.append((part_from, still_from))
        parts.append((still_from, n))
    elif part_from < n:
        parts.append((part_from, n))
    out = []
    for a, z in parts:
        share = sum(m for _, _, m in pictures[a:z]) / (z - a)
        out.append((pictures[a][0], pictures[z - 1][1], round(share, 3)))
    return out


@defect
def weave(b: Build, d: Defect) -> None:
    """Interlaced content in a progressive stream over [start, end): each picture's top
    field (even lines; chroma rows likewise) from the picture before, its bottom field from
    its own, as a capture of an interlaced source stored without deinterlacing. Moving
    pictures comb; still ones do not: the truth is split by :func:`weave_truth` into the parts
    that show the scan and the ambiguous ones that cannot (``moving_share`` per part)."""
    fx = PictureFx(d.start, b.end(d), lambda p, t: p)
    pictures: list[tuple[float, float, bool]] = fx.state.setdefault("pictures", [])
    frame_s = float(1 / fps_fraction(b.scenario.fps))
    mine: list[dict[str, Any]] = []

    def intend() -> None:  # the parts so far, replacing those of the previous picture
        for e in mine:
            b.intended.remove(e)
        mine.clear()
        for a, z, share in weave_truth(pictures):
            b.intend("interlace", a, z, stream="video", moving_share=share)
            e = b.intended[-1]
            if share < WEAVE_MOVING_SHARE or z - a < WEAVE_MIN_S:
                e["ambiguous"] = True  # too few pictures show the scan to call it
            mine.append(e)

    def apply(p: Planes, t: float) -> Planes:
        prev = fx.state.get("prev", p)
        fx.state["prev"] = pic.copy(p)
        diff = cv2.absdiff(p[0], prev[0]) > WEAVE_STEP
        changed = bool(np.count_nonzero(diff) >= WEAVE_MOTION * diff.size)
        # its fields show two moments, or its bottom field and the picture before's top do
        # (a source of fewer pictures a second than the stream repeats some: 10 fps in 25)
        pictures.append((t, t + frame_s, changed or fx.state.get("changed", False)))
        fx.state["changed"] = changed
        intend()
        out = pic.copy(p)
        for plane, before in zip(out, prev, strict=True):
            plane[0::2] = before[0::2]
        return out

    fx.apply = apply
    b.fx.append(fx)


@defect
def expect(b: Build, d: Defect) -> None:
    """Nothing changes: the content itself holds an event of class ``detector`` (on
    ``stream``) over [start, end) that no measurement of :mod:`eval.truth` sees, stated by
    the scenario (a programme that opens with bars and line-up tone holds a leader, which the
    truth's loudness then leaves out, as ``leader`` does)."""
    b.intend(str(d.get("detector")), d.start, b.end(d), stream=d.get("stream", "video"))
    b.intended[-1]["origin"] = "content"
    if d.get("detector") == "bars_tone" and d.start == 0.0:  # a leader: out of the loudness
        b.leader_s = max(b.leader_s, b.end(d))


@defect
def drop_frames(b: Build, d: Defect) -> None:
    """Pictures lost in capture: frames in [start, end) are never written (the timestamps
    jump). Ground truth: from the end of the last picture before to the next picture."""
    b.fx.append(PictureFx(d.start, b.end(d), lambda p, t: None))
    b.dropped_video.append((d.start, b.end(d)))


# ---- sound: changes of the final programme samples ----------------------------------------------


def _span(b: Build, d: Defect) -> slice:
    sr = b.rate
    return slice(round(d.start * sr), round(b.end(d) * sr))


@defect
def mute(b: Build, d: Defect) -> None:
    """The programme (or one ``channel``) is lost: digital zero over [start, end)."""
    ch = d.get("channel")
    s = _span(b, d)
    if ch is None:
        b.audio[:, s] = 0.0
    else:
        b.audio[ch, s] = 0.0
    b.intend("silence", d.start, b.end(d), channel=ch)


@defect
def noise_replace(b: Build, d: Defect) -> None:
    """The programme replaced by white noise at ``level`` dBFS RMS (a dead line with hiss):
    silence by meaning, though samples poke above −60 dBFS."""
    level = float(d.get("level", -70.0))
    s = _span(b, d)
    rng = np.random.default_rng([b.scenario.seed, 13])
    n = s.stop - s.start
    b.audio[:, s] = (rng.standard_normal((b.audio.shape[0], n)) * 10 ** (level / 20)).astype(
        np.float32
    )
    b.intend("silence", d.start, b.end(d))


@defect
def clip(b: Build, d: Defect) -> None:
    """An overdriven stage: the stretch raised (10 ms ramps) until its loud samples (the 99th
    percentile of |x|) stand ``over`` dB above full scale, and hard-clipped at full scale."""
    s = _span(b, d)
    p99 = float(np.percentile(np.abs(b.audio[:, s]), 99))
    drive = 10 ** (float(d.get("over", 6.0)) / 20) / max(p99, 1e-6)
    n = s.stop - s.start
    g = np.full(n, drive, np.float32)
    r = min(n // 2, int(0.01 * b.rate))
    g[:r] = np.linspace(1, drive, r)
    g[n - r :] = np.linspace(drive, 1, r)
    b.audio[:, s] = np.clip(b.audio[:, s] * g, -1.0, 1.0)
    b.intend("clipping", d.start, b.end(d))


@defect
def dropout(b: Build, d: Defect) -> None:
    """A hole: every channel at digital zero for ``end − start`` (10–500 ms)."""
    s = _span(b, d)
    b.audio[:, s] = 0.0
    b.intend("dropout", d.start, b.end(d))


@defect
def invert(b: Build, d: Defect) -> None:
    """One ``channel``'s polarity inverted over [start, end) (a miswired cable)."""
    ch = int(d.get("channel", 1))
    s = _span(b, d)
    b.audio[ch, s] *= -1.0
    b.intend("phase", d.start, b.end(d))


@defect
def hot(b: Build, d: Defect) -> None:
    """A stretch mastered too hot (an insert, a jingle): raised so its sample peak reaches
    ``peak`` dBFS (5 ms ramps): true peak over the −1 dBTP ceiling of EBU R128."""
    s = _span(b, d)
    seg = b.audio[:, s]
    n = seg.shape[1]
    r = min(n // 4, int(0.005 * b.rate))
    target = 10 ** (float(d.get("peak", -0.1)) / 20)
    gain = target / max(float(np.abs(seg[:, r : n - r]).max()), 1e-6)
    g = np.full(n, gain, np.float32)
    g[:r] = np.linspace(1, gain, r)
    g[n - r :] = np.linspace(gain, 1, r)
    b.audio[:, s] = np.clip(seg * g, -target, target)
    b.intend("true_peak", d.start, b.end(d), profile="ebu")


@defect
def audio_gap(b: Build, d: Defect) -> None:
    """Audio packets lost: those starting in [start, end) are never written. Ground truth:
    from the end of the last packet before to the start of the next (the decoder fills
    nothing; a player plays silence there, which is the gap's, not a silence)."""
    b.tracks[int(d.get("track", 0))].drop.append((d.start, b.end(d)))


@defect
def av_shift(b: Build, d: Defect) -> None:
    """The sound placed ``offset`` s after (positive) or before (negative) the picture on the
    container's timeline."""
    off = float(d.get("offset"))
    if off >= 0:
        b.tracks[int(d.get("track", 0))].shift = off
    else:
        b.vshift = -off
    b.av_intent = off


@defect
def audio_length(b: Build, d: Defect) -> None:
    """The sound ends ``delta`` s before (negative) or after (positive) the picture: cut, or
    continued by more programme."""
    b.audio_delta = float(d.get("delta"))


@defect
def empty_stream(b: Build, d: Defect) -> None:
    """A declared stream that yields nothing decodable: ``what`` audio (the only track, or an
    ``extra`` one) or video, either never given a packet (``how`` empty; Matroska and MPEG-TS
    keep such a stream, MP4 and MOV drop it) or given packets of random bytes (``how``
    garbage)."""
    if d.get("what", "audio") == "video":
        b.empty_video = True
    elif d.get("extra", False):
        b.extra_empty_audio = True
    elif d.get("how", "empty") == "garbage":
        b.tracks[0].garbage = True
    else:
        b.tracks[0].empty = True


@defect
def damage(b: Build, d: Defect) -> None:
    """Bytes of the written file damaged in the picture at ``start``: ``how`` corrupt
    (random bytes in the payload), zero (payload zeroed) or wipe (whole MPEG-TS packets,
    headers included, zeroed). Ground truth from the packets: decode_error from the earliest
    picture that depends on the damaged one to the next keyframe."""
    b.damage.append((d.start, d.get("how", "corrupt"), int(d.get("packets", 6))))


# ---- file damage --------------------------------------------------------------------------------


TS_PAYLOAD = 184  # bytes of payload in a 188-byte MPEG-TS packet


def damage_file(
    path: Path, hits: list[tuple[float, str, int]], origin_v: float, seed: int
) -> list[dict[str, Any]]:
    """Damage the written file in place; returns decode_error truth events on the
    presentation timeline. For each hit: the first P picture (a reference picture that is not
    a keyframe) whose presentation time is at or after the hit's programme time; its bytes
    are damaged; the damaged stretch is every picture decoded after it up to the next
    keyframe (pictures displayed before it that are predicted from it, B pictures, included)."""
    with av.open(str(path)) as c:
        origin = (c.start_time or 0) / av.time_base
        vs = c.streams.video[0]
        types: dict[float, str] = {}
        for fr in c.decode(vs):
            types[round(float(fr.time) - origin, 4)] = {1: "I", 2: "P", 3: "B"}.get(
                int(fr.pict_type), "?"
            )
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        pkts = []
        for p in c.demux(vs):
            if p.pts is None or not p.size:
                continue
            t = round(float(p.pts * p.time_base) - origin, 4)
            pkts.append(
                dict(
                    t=t,
                    pos=p.pos,
                    size=p.size,
                    key=p.is_keyframe,
                    dur=float(p.duration * p.time_base) if p.duration else 0.0,
                )
            )
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng([seed, 17])
    truth = []
    for at, how, n_packets in hits:
        target = at + origin_v
        # A TS picture's first packet (its PES header) is left whole, so the picture must
        # span more than one: a small P picture of a still scene fits in one, and damaging
        # "it" would change no byte while the truth claimed damage.
        k = next(
            i
            for i, p in enumerate(pkts)
            if p["t"] >= target - 1e-3
            and not p["key"]
            and types.get(p["t"]) == "P"
            and (path.suffix != ".ts" or p["size"] > 2 * TS_PAYLOAD)
        )
        nxt = next((i for i in range(k + 1, len(pkts)) if pkts[i]["key"]), len(pkts))
        hit = pkts[k]
        affected = pkts[k:nxt]
        start = min(p["t"] for p in affected)
        end = pkts[nxt]["t"] if nxt < len(pkts) else max(p["t"] + p["dur"] for p in affected)
        if path.suffix == ".ts":
            if not _damage_ts(data, hit["pos"], how, n_packets, rng):
                raise RuntimeError(f"{path.name}: no TS packet of the picture at {hit['t']} s")
        else:
            a = hit["pos"] + max(8, hit["size"] // 4)
            b_ = min(hit["pos"] + hit["size"] - 4, a + max(16, hit["size"] // 3))
            if how == "zero":
                data[a:b_] = bytes(b_ - a)
            else:
                data[a:b_] = rng.integers(0, 256, b_ - a, np.uint8).tobytes()
        truth.append(
            {
                "detector": "decode_error",
                "start_s": start,
                "end_s": end,
                "stream": "video",
                "note": f"{how} at {hit['t']:.3f} s",
            }
        )
    spans = [(e["start_s"] + origin, e["end_s"] + origin) for e in truth]
    clean = _lumas(path, spans)
    path.write_bytes(bytes(data))
    for e, before, after in zip(truth, clean, _lumas(path, spans), strict=True):
        psnr = _worst_psnr(before, after)
        e["note"] += f"; worst PSNR {psnr:.1f} dB against the undamaged file"
        if psnr >= INVISIBLE_PSNR_DB:
            # zeroed or random slice data that decodes as "skip" copies the reference: the
            # decoder has nothing to report and the pictures are as before
            e["ambiguous"] = True
    return truth


# Damage whose every decoded picture is this close to the undamaged file's (PSNR, dB, on luma)
# changed nothing a viewer or a decoder could tell: in a dark, still scene a truncated slice
# decodes as "skip" and copies its reference. Such truth is ambiguous (neither a miss nor a
# false alarm): 45 dB is the usual threshold of visually lossless coding.
INVISIBLE_PSNR_DB = 45.0


def decode_tolerant(c: Any, stream: Any) -> Iterator[Any]:
    """The pictures of ``stream`` that decode, skipping packets the decoder refuses (the
    damaged files of the corpus: a damaged packet must not stop the measurement)."""
    for pkt in c.demux(stream):
        try:
            yield from pkt.decode()
        except (av.FFmpegError, ValueError):
            continue


def _lumas(path: Path, spans: list[tuple[float, float]]) -> list[dict[float, np.ndarray]]:
    """Per span [t0, t1) (container times, s): the luma of the pictures of ``path``
    presented in it, in one decode of the file."""
    out: list[dict[float, np.ndarray]] = [{} for _ in spans]
    with av.open(str(path)) as c:
        for fr in decode_tolerant(c, c.streams.video[0]):
            t = fr.time
            for (t0, t1), got in zip(spans, out, strict=True):
                if t is not None and t0 - 1e-3 <= t < t1 - 1e-3:
                    got[round(float(t), 4)] = fr.to_ndarray(format="gray")
    return out


def _worst_psnr(clean: dict[float, np.ndarray], damaged: dict[float, np.ndarray]) -> float:
    """The lowest luma PSNR (dB) over the pictures of ``clean``; a picture the damaged file
    lost counts as 0 dB."""
    worst = 99.0
    for t, a in clean.items():
        b = damaged.get(t)
        if b is None or b.shape != a.shape:
            return 0.0
        mse = float(np.mean((a.astype(np.float32) - b) ** 2))
        worst = min(worst, 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse))
    return worst


def _damage_ts(data: bytearray, pos: int, how: str, n: int, rng: np.random.Generator) -> int:
    """Damage up to ``n`` TS packets of the PES that starts at ``pos`` (its own PID, after
    its first packet): corrupt or zero their payload, or wipe them whole (sync byte and
    header too), as a bad sector or a lost stretch of a recording does. Returns how many
    packets were damaged."""
    pid = ((data[pos + 1] & 0x1F) << 8) | data[pos + 2]
    k, hit = 1, 0
    while hit < n and pos + 188 * (k + 1) <= len(data):
        q = pos + 188 * k
        k += 1
        if data[q] != 0x47 or (((data[q + 1] & 0x1F) << 8) | data[q + 2]) != pid:
            continue
        if data[q + 1] & 0x40:  # the next picture's PES starts: this one has ended
            break
        if how == "wipe":
            data[q : q + 188] = bytes(188)
        elif how == "zero":
            data[q + 4 : q + 188] = bytes(184)
        else:
            data[q + 4 : q + 188] = rng.integers(0, 256, 184, np.uint8).tobytes()
        hit += 1
    return hit

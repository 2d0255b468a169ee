"""A scenario is one file of the corpus: a programme (picture recipe + sound recipe, made from
the content kinds), the defects injected into it, and how it is encoded. :func:`build_one`
makes the file and its ground truth (``NAME.json`` beside it).

Ground truth, on the file's presentation timeline (0 = the container's start, as players and
streamcheck count; see :func:`eval.encode.locate` for how content time 0 and sample 0 are
found in the written file):

- black, freeze, letterbox: measured on the very pictures handed to the encoder
  (:class:`eval.truth.VideoReference`);
- silence, clipping, dropout (and true_peak and loudness, judged with a delivery profile):
  measured on the very samples handed to the encoder (:mod:`eval.truth`); audio edges snap to
  the injected edges when within 50 ms (the reference's 50 ms RMS window blurs them);
- phase, flash, blockiness, timestamp_gap: as injected (phase checked against the measured
  correlation); decode_error: from the damaged packets (:func:`eval.defects.damage_file`);
- av_offset, duration_mismatch: measured from where picture and sound landed; missing_stream:
  as declared.

Every injected defect of a measured class must be confirmed by the measurement (else the build
fails: the scenario is wrong); a measured event nobody injected is kept (the content really has
it) and marked ``origin: content``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from . import content as C
from . import encode, sound, truth
from .defects import DEFECTS, Defect, PictureFx, damage_file, decode_tolerant
from .picture import Planes
from .program import Ctx, Segment, Timeline
from .sources import fps_fraction

AV_WINDOW = (-0.045, 0.125)  # ITU-R BT.1359 detectability: audio 45 ms early … 125 ms late
EBU = (-23.0, 1.0, -1.0)  # EBU R128: target LUFS, tolerance LU, true-peak ceiling dBTP
LIMIT_DBFS = -4.0  # sample ceiling of every programme (true peak stays well under −1 dBTP)
LOSSY = frozenset({"aac", "opus", "ac3"})
TP_MARGIN = 0.5  # dB around the true-peak ceiling that a lossy codec may cross either way


class BuildError(RuntimeError):
    """A scenario does not do what it says (an injected defect the measurement misses)."""


@dataclass(frozen=True)
class Scenario:
    """One file of the corpus."""

    name: str
    container: str = "mp4"
    vcodec: str | None = "h264"
    acodec: str | None = "aac"
    dur: float = 60.0
    size: tuple[int, int] = (640, 360)
    fps: float = 25.0
    rate: int = 48000
    channels: int = 2
    picture: tuple[str, dict[str, Any]] = ("programme", {})
    sound: tuple[str, dict[str, Any]] = ("programme", {})
    loudness: float = -23.0
    floor: tuple[str, float] | None = None  # ("hiss" | "hum" | "room_tone", dBFS RMS)
    limit: float = LIMIT_DBFS  # sample ceiling of the programme sound (dBFS)
    defects: tuple[Defect, ...] = ()
    subsets: tuple[str, ...] = ()
    seed: int = 1
    vfr: bool = False
    about: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.container}"

    def spec(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["defects"] = [dataclasses.asdict(x) for x in self.defects]
        return d


@dataclass
class Build:
    """A scenario being built: what the defects change and what they intend."""

    scenario: Scenario
    ctx: Ctx
    timeline: Timeline | None
    audio: np.ndarray  # (channels, n) float32, the main programme sound (may be empty)
    rate: int
    tracks: list[encode.AudioTrack]
    fx: list[PictureFx] = field(default_factory=list)
    dropped_video: list[tuple[float, float]] = field(default_factory=list)
    vshift: float = 0.0
    av_intent: float | None = None
    audio_delta: float = 0.0
    empty_video: bool = False
    extra_empty_audio: bool = False
    damage: list[tuple[float, str, int]] = field(default_factory=list)
    intended: list[dict[str, Any]] = field(default_factory=list)
    source_blockiness: dict[float, float] = field(default_factory=dict)  # t -> grid score
    leader_s: float = 0.0  # a bars/tone/slate leader's end (0: none)

    def end(self, d: Defect) -> float:
        return self.scenario.dur if d.end is None else d.end

    def intend(self, detector: str, start: float, end: float, **kw: Any) -> None:
        stream = kw.pop(
            "stream", "video" if detector in ("black", "freeze", "letterbox") else "audio"
        )
        self.intended.append(truth.ev(detector, start, end, stream, **kw))


# ---- picture recipes ----------------------------------------------------------------------------

PictureRecipe = Callable[..., Timeline]
PICTURES: dict[str, PictureRecipe] = {}


def picture_recipe(fn: PictureRecipe) -> PictureRecipe:
    PICTURES[fn.__name__] = fn
    return fn


LIVE_SOURCES = ("office", "parking", "bottles", "signing")
NAMES = [
    ("Anna Varga", "Reporter"),
    ("Tom Ellis", "Chief economist"),
    ("Dr Mei Chen", "Marine biologist"),
    ("Sam Okafor", "Coach"),
    ("Lea Brun", "Weather"),
    ("Ravi Iyer", "Transport correspondent"),
]
TICKER = (
    "Markets close higher on strong results  +++  Rail strike called off after late talks"
    "  +++  Heavy rain expected in the north overnight  +++  Cup final tickets sold out"
)
SUBTITLES = [
    "We drove out at first light.",
    "Nobody had seen the boat since Tuesday.",
    "- Are you sure? - Quite sure.",
    "The results came in just after nine.",
    "It was colder than we had thought.",
    "[MUSIC PLAYS]",
    "Let's start again.",
    "That is the question, isn't it?",
    "She left the keys on the table.",
]


def random_segment(c: Ctx, rng: np.random.Generator, kind: str, dur: float) -> Segment:
    """A segment of ``kind`` with randomly drawn (seeded) parameters."""
    src = str(rng.choice(LIVE_SOURCES))
    start = float(rng.uniform(0, 30))
    if kind == "footage":
        return C.footage(
            c,
            dur,
            src,
            start,
            speed=float(rng.choice([1.0, 1.0, 0.8])),
            zoom=float(rng.uniform(1.0, 1.35)),
            cx=float(rng.uniform(0.35, 0.65)),
            cy=float(rng.uniform(0.4, 0.6)),
            flip=bool(rng.random() < 0.4),
            drift=(float(rng.uniform(-0.01, 0.01)), 0.0, float(rng.uniform(-0.01, 0.02))),
        )
    if kind == "grain":
        return C.footage(
            c,
            dur,
            src,
            start,
            zoom=1.1,
            grain=2.0,
            noise=4.0,
            sat=0.6,
            gain=0.95,
            kind="film_grain",
        )
    if kind == "dark":
        return C.dark(
            c,
            dur,
            str(rng.choice(["office", "parking"])),
            start,
            level=float(rng.uniform(0.26, 0.36)),
            noise=float(rng.uniform(2, 4)),
            night=bool(rng.random() < 0.6),
        )
    if kind == "kenburns":
        return C.kenburns(c, dur, C.still_variants(rng, max(2, int(dur / 6) + 1)), per_still=6.0)
    if kind == "pip":
        return C.pip(
            c,
            dur,
            str(rng.choice(["office_empty", "parking_empty", "deer", "leaf", "bottles_row"])),
            str(rng.choice(["signing", "bottles", "parking"])),
            start,
        )
    if kind == "animation":
        return C.animation(c, dur, twos=int(rng.choice([1, 2, 2, 3])))
    if kind == "card":
        return C.bars(c, dur, str(rng.choice(["ebu", "smpte", "card"])), timecode=True)
    raise ValueError(kind)


@picture_recipe
def programme(
    c: Ctx,
    dur: float,
    rng: np.random.Generator,
    kinds: dict[str, float] | None = None,
    seg: tuple[float, float] = (4.0, 12.0),
    overlays: tuple[str, ...] = ("bug", "lower_third", "clock"),
    transitions: dict[str, float] | None = None,
) -> Timeline:
    """A clean programme: segments of random content kinds (weights ``kinds``) of ``seg``
    seconds, joined by cuts, dissolves and short dips to black (under 2 s of black), with
    graphics over them."""
    kinds = kinds or {"footage": 5, "kenburns": 2, "pip": 1, "dark": 1, "grain": 1}
    transitions = transitions or {"cut": 6, "dissolve": 3, "dip": 1}
    names, weights = list(kinds), np.array(list(kinds.values()), float)
    tnames, tw = list(transitions), np.array(list(transitions.values()), float)
    tl = Timeline(c)
    while tl.duration < dur - 1e-6:
        kind = str(rng.choice(names, p=weights / weights.sum()))
        tr = str(rng.choice(tnames, p=tw / tw.sum())) if tl.clips else "cut"
        length = float(rng.uniform(*seg))
        left = dur - tl.duration
        if tr == "dip":
            gap = float(rng.uniform(0.2, 0.7))
            left -= gap
        if left - length < seg[0]:
            length = left + (1.0 if tr == "dissolve" else 0.0)
        length = max(0.5, length)
        s = random_segment(c, rng, kind, length)
        if tr == "dissolve":
            tl.add(s, dissolve=1.0)
        elif tr == "dip":
            tl.clips[-1].fade_out = 0.5
            tl.add(s, gap=gap, fade_in=0.5)
        else:
            tl.add(s)
    _overlays(c, tl, rng, overlays, dur)
    return tl


def _overlays(
    c: Ctx, tl: Timeline, rng: np.random.Generator, names: tuple[str, ...], dur: float
) -> None:
    for name in names:
        if name == "bug":
            corner = "tl" if "clock" in names else str(rng.choice(["tl", "tr"]))
            tl.overlay(
                0,
                dur,
                C.bug(c, str(rng.choice(["EVAL 1", "EVAL NEWS", "e24", "EVAL+"])), corner),
                "bug",
            )
        elif name == "clock":
            tl.overlay(0, dur, C.clock(c, int(rng.integers(6, 22)) * 3600), "clock")
        elif name == "timecode":
            tl.overlay(0, dur, C.timecode(c, int(rng.integers(0, 90000))), "timecode")
        elif name == "ticker":
            tl.overlay(0, dur, C.ticker(c, TICKER), "ticker")
        elif name == "captions":
            t = float(rng.uniform(2, 8))
            while t < dur - 10:
                span = float(rng.uniform(8, 20))
                lines = [SUBTITLES[int(k)] for k in rng.permutation(len(SUBTITLES))]
                tl.overlay(t, min(dur, t + span), C.captions(c, lines), "captions")
                t += span + float(rng.uniform(5, 20))
        elif name == "lower_third":
            t = float(rng.uniform(3, 10))
            while t < dur - 8:
                who = NAMES[int(rng.integers(0, len(NAMES)))]
                hold = float(rng.uniform(3, 5))
                tl.overlay(t, t + hold + 0.8, C.lower_third(c, who[0], who[1], hold), "lower_third")
                t += hold + float(rng.uniform(12, 30))


@picture_recipe
def sequence(
    c: Ctx,
    dur: float,
    rng: np.random.Generator,
    items: list[tuple[str, float, dict[str, Any], dict[str, float]]],
    overlays: tuple[str, ...] = (),
) -> Timeline:
    """An explicit programme: ``items`` = (content kind, seconds, its parameters, transition
    {dissolve, fade_in, fade_out, gap}); ``random:<kind>`` draws the parameters."""
    tl = Timeline(c)
    for kind, length, kw, tr in items:
        if kind.startswith("random:"):
            s = random_segment(c, rng, kind.split(":", 1)[1], length)
        elif kind.startswith("boxed:"):
            _, mode, inner = kind.split(":", 2)
            inner_kw = dict(kw)
            aspect = inner_kw.pop("aspect", None)
            if inner.startswith("random"):
                ik = inner.split("-", 1)[1]
                s = C.boxed(
                    c,
                    lambda cc, ik=ik, length=length: random_segment(cc, rng, ik, length),
                    mode,
                    aspect,
                )
            else:
                fn = C.CONTENT[inner]
                s = C.boxed(
                    c,
                    lambda cc, fn=fn, kw=inner_kw, length=length: fn(cc, length, **kw),
                    mode,
                    aspect,
                )
        else:
            s = C.CONTENT[kind](c, length, **kw)
        tl.add(s, **tr)
    _overlays(c, tl, rng, overlays, dur)
    return tl


# ---- sound recipes ------------------------------------------------------------------------------

SoundRecipe = Callable[..., np.ndarray]
SOUNDS: dict[str, SoundRecipe] = {}


def sound_recipe(fn: SoundRecipe) -> SoundRecipe:
    SOUNDS[fn.__name__] = fn
    return fn


def _place(out: np.ndarray, x: np.ndarray, at: int, gain_db: float = 0.0) -> None:
    n = min(x.shape[1], out.shape[1] - at)
    if n > 0:
        out[:, at : at + n] += x[:, :n] * sound.db(gain_db)


@sound_recipe
def programme_sound(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    channels: int = 2,
    parts: dict[str, float] | None = None,
    seg: tuple[float, float] = (8, 25),
    bed_db: float = -20.0,
    stops: bool = True,
) -> np.ndarray:
    """A programme's sound: speech (with a music bed under some of it), music pieces with
    natural stops between them (under 2 s, over room tone), ambience; cross-faded."""
    parts = parts or {"speech": 3, "music": 2}
    names, w = list(parts), np.array(list(parts.values()), float)
    n = round(dur * sr)
    ch = 2 if channels == 6 else channels
    out = np.zeros((ch, n), np.float32)
    t = 0.0
    xf = 0.3
    while t < dur:
        kind = str(rng.choice(names, p=w / w.sum()))
        length = min(float(rng.uniform(*seg)), dur - t + xf)
        if dur - t - length < seg[0]:
            length = dur - t + xf
        if kind == "speech":
            x = sound.speech(length, sr, rng, channels=ch)
            if rng.random() < 0.5:
                bed = sound.music(
                    length,
                    sr,
                    rng,
                    str(rng.choice(["jazz", "song"])),
                    float(rng.uniform(0, 40)),
                    ch,
                )
                x[:, : bed.shape[1]] += bed * sound.db(bed_db)
        elif kind == "music":
            src = str(rng.choice(["jazz", "song", "strings"]))
            top = {"jazz": 55, "song": 125, "strings": 38}[src]
            x = sound.music(
                length, sr, rng, src, float(rng.uniform(0, top - length) if top > length else 0), ch
            )
            x = x * sound.db(-4.0)
            if stops and length > 10 and rng.random() < 0.6:  # a natural stop inside
                at = int(rng.uniform(0.3, 0.7) * x.shape[1])
                stop = int(rng.uniform(0.6, 1.5) * sr)
                seg_len = min(stop, x.shape[1] - at)
                x[:, at : at + seg_len] = sound.room_tone(seg_len / sr + 0.01, sr, rng, -52.0, ch)[
                    :, :seg_len
                ]
        elif kind == "ambience":
            x = sound.ambience(length, sr, rng, float(rng.uniform(0, 40)), -24.0, ch)
        elif kind == "classical":
            x = sound.classical(
                length, sr, rng, str(rng.choice(["piano", "strings"])), float(rng.uniform(0, 5)), ch
            )
        else:
            raise ValueError(kind)
        sound.ramp(x, xf, xf, sr)
        _place(out, x, int(t * sr))
        t += length - xf
    if channels == 6:
        return sound.upmix_51(out, sr, rng)
    return out


@sound_recipe
def layers(
    dur: float,
    sr: int,
    rng: np.random.Generator,
    channels: int = 2,
    items: list[tuple[str, float, float, float, dict[str, Any]]] | None = None,
) -> np.ndarray:
    """Explicit layers: (sound kind, start s, end s, gain dB, parameters), summed. Kinds are
    those of :mod:`eval.sound` plus ``programme`` (a :func:`programme_sound`)."""
    n = round(dur * sr)
    ch = 2 if channels == 6 else channels
    out = np.zeros((ch, n), np.float32)
    for kind, a, b, gain, kw in items or []:
        length = min(b, dur) - a
        if kind == "programme":
            x = programme_sound(length, sr, rng, ch, **kw)
        else:
            x = sound.SOUND[kind](length, sr, rng, channels=ch, **kw)
        _place(out, x, round(a * sr), gain)
    if channels == 6:
        return sound.upmix_51(out, sr, rng)
    return out


def limiter(x: np.ndarray, ceiling_db: float, sr: int) -> np.ndarray:
    """Look-ahead peak limiter: gain = the running minimum (±5 ms) of what keeps each sample
    under the ceiling, smoothed over 5 ms; |y| ≤ ceiling."""
    import cv2

    c = 10 ** (ceiling_db / 20)
    peak = np.abs(x).max(axis=0)
    if peak.max() <= c:
        return x
    need = np.minimum(1.0, c / np.maximum(peak, 1e-9)).astype(np.float32).reshape(1, -1)
    k = int(0.005 * sr) | 1
    # each smoothed gain is a mean of minima taken over windows that contain the sample
    g = cv2.erode(need, np.ones((1, 2 * k + 1), np.uint8), borderType=cv2.BORDER_REPLICATE)
    g = cv2.blur(g, (k, 1), borderType=cv2.BORDER_REPLICATE)
    y = (x * g.reshape(-1)).astype(np.float32)
    return np.clip(y, -c, c)


# ---- building -----------------------------------------------------------------------------------


def frame_times(s: Scenario) -> list[float]:
    if s.vfr:
        return C.screen_times(s.dur, s.seed)
    fps = fps_fraction(s.fps)
    return [float(Fraction(i) / fps) for i in range(math.floor(s.dur * fps + 1e-6))]


def _lfe(channels: int) -> int | None:
    return 3 if channels == 6 else None


def _pairs(channels: int) -> list[tuple[int, int]]:
    return [(0, 1), (4, 5)] if channels == 6 else ([(0, 1)] if channels == 2 else [])


def prepare(s: Scenario) -> Build:
    """The programme of ``s`` with its defects applied (nothing written yet)."""
    fps = fps_fraction(s.fps)
    ctx = Ctx(s.size[0], s.size[1], fps, s.seed)
    rng = np.random.default_rng([s.seed, 1])
    tl = None
    if s.vcodec is not None:
        name, kw = s.picture
        tl = PICTURES[name](ctx, s.dur, rng, **kw)
    delta = next((float(d.get("delta")) for d in s.defects if d.kind == "audio_length"), 0.0)
    audio = np.zeros((s.channels, 0), np.float32)
    if s.acodec is not None:
        name, kw = s.sound
        arng = np.random.default_rng([s.seed, 2])
        a_dur = s.dur + max(0.0, delta)
        recipe = SOUNDS[name if name != "programme" else "programme_sound"]
        audio = recipe(a_dur, s.rate, arng, s.channels, **kw)[:, : round(a_dur * s.rate)]
        level = truth.integrated_loudness(audio, s.rate)
        if level is not None:
            audio = audio * sound.db(s.loudness - level)
        if s.floor is not None:
            kind, lvl = s.floor
            fl = sound.SOUND[kind](
                a_dur, s.rate, np.random.default_rng([s.seed, 3]), level_db=lvl, channels=s.channels
            )
            audio = audio + fl[:, : audio.shape[1]]
        audio = limiter(audio, s.limit, s.rate).astype(np.float32)
    tracks = []
    if s.acodec is not None:
        tracks.append(encode.AudioTrack(s.acodec, audio, s.rate, s.channels))
    b = Build(s, ctx, tl, audio, s.rate, tracks)
    for d in s.defects:
        DEFECTS[d.kind](b, d)
    if b.tracks:
        if delta < 0:
            b.audio = b.audio[:, : round((s.dur + delta) * s.rate)]
        b.tracks[0].samples = b.audio
    b.audio_delta = delta
    return b


def _frames(
    b: Build, ref: truth.VideoReference, levels: truth.LevelsReference, written: list[float]
) -> Iterator[tuple[float, Planes]]:
    assert b.timeline is not None
    times = frame_times(b.scenario)
    fps = float(fps_fraction(b.scenario.fps))
    next_check = 0.0
    for k, t in enumerate(times):
        planes, boxed = b.timeline.frame(t)
        dropped = False
        for fx in b.fx:
            if fx.start - 1e-9 <= t < fx.end - 1e-9:
                out = fx.apply(planes, t)
                if out is None:
                    dropped = True
                    break
                planes = out
        if dropped:
            continue
        nxt = times[k + 1] if k + 1 < len(times) else t + 1 / fps
        ref.add(planes, t, nxt - t, boxed)
        levels.add(planes, t, nxt - t)
        written.append(t)
        if t >= next_check - 1e-9:  # two source pictures a second, to check the encode
            b.source_blockiness[round(t, 4)] = truth.grid_blockiness(planes[0])
            next_check = t + 0.5
        yield t, planes


def _snap(
    ref_events: list[dict[str, Any]], intended: list[dict[str, Any]], tol: float
) -> list[dict[str, Any]]:
    """Measured events matched to the injected ones (same detector, overlapping); edges within
    ``tol`` of the injected edges take the injected value. Raises when an injected defect is
    not measured."""
    out = []
    for e in ref_events:
        e = dict(e)
        e["origin"] = "content"
        for i in intended:
            if min(i["end_s"], e["end_s"]) <= max(i["start_s"], e["start_s"]):
                continue
            if i["detector"] != e["detector"] or i.get("channel") != e.get("channel"):
                e["origin"] = f"side effect of injected {i['detector']}"
                continue
            e["origin"] = "injected"
            if abs(e["start_s"] - i["start_s"]) <= tol:
                e["start_s"] = i["start_s"]
            if abs(e["end_s"] - i["end_s"]) <= tol:
                e["end_s"] = i["end_s"]
            break
        out.append(e)
    return out


# what a leader holds on purpose (the product marks these findings expected inside one)
LEADER_COVERS = frozenset({"black", "freeze", "silence", "dropout", "phase", "flash"})


def _without_leader(events: list[dict[str, Any]], leader_s: float) -> list[dict[str, Any]]:
    """The black, freeze, silence… of a leader (which ends at ``leader_s``) are on purpose:
    left out of the truth; one that runs on into the programme keeps its part there."""
    if not leader_s:
        return events
    out = []
    for e in events:
        if e["detector"] in LEADER_COVERS and e["start_s"] < leader_s - 1e-6:
            if e["end_s"] <= leader_s + 0.5:
                continue
            e = dict(e, start_s=leader_s)
        out.append(e)
    return out


def _check_intended(
    intended: list[dict[str, Any]], measured: list[dict[str, Any]], classes: set[str], name: str
) -> None:
    for i in intended:
        if i["detector"] not in classes:
            continue
        hits = [
            m
            for m in measured
            if m["detector"] == i["detector"]
            and m.get("channel") == i.get("channel")
            and min(m["end_s"], i["end_s"]) > max(m["start_s"], i["start_s"])
        ]
        if not hits:
            raise BuildError(
                f"{name}: injected {i['detector']} {i['start_s']:.2f}-"
                f"{i['end_s']:.2f} s is not there by measurement"
            )


def build_one(s: Scenario, out_dir: Path) -> dict[str, Any]:
    """Build the file of ``s`` into ``out_dir`` and write its ground truth beside it; returns
    the ground truth."""
    out_dir.mkdir(parents=True, exist_ok=True)
    b = prepare(s)
    path = out_dir / s.filename
    ref = truth.VideoReference()
    levels = truth.LevelsReference()
    written_t: list[float] = []
    frames = _frames(b, ref, levels, written_t) if b.timeline is not None else None
    tracks = list(b.tracks)
    if b.extra_empty_audio:
        tracks.append(
            encode.AudioTrack(
                s.acodec or "aac", None, s.rate, s.channels, empty=True, language="spa"
            )
        )
    written = encode.write(
        path,
        s.container,
        frames,
        vcodec=s.vcodec,
        size=s.size,
        fps=fps_fraction(s.fps),
        vfr=s.vfr,
        vshift=b.vshift,
        audio=tracks,
        empty_video=b.empty_video,
    )
    srcs = {
        k: t.samples
        for k, t in enumerate(b.tracks)
        if t.samples is not None and not t.empty and not t.garbage
    }
    loc = encode.locate(path, srcs)
    events: list[dict[str, Any]] = []
    notes: list[str] = []
    v0 = loc.video_origin if loc.video_origin is not None else 0.0
    fps = float(fps_fraction(s.fps))

    # picture: measured (black, freeze, letterbox) + injected (flash, blockiness, gaps)
    if b.timeline is not None and not b.empty_video:
        measured = ref.events() + levels.events(declared_matrix(path, s.size[1]))
        _check_intended(b.intended, measured, {"black", "freeze", "levels"}, s.name)
        measured = _snap(measured, b.intended, 0.0)
        for e in b.intended:
            if e["detector"] in ("flash", "blockiness", "interlace") or (
                e["detector"] == "bars_tone" and e["stream"] == "video"
            ):
                e = dict(e, origin=e.get("origin", "injected"))
                measured.append(e)
        measured = _without_leader(measured, b.leader_s)
        for a, z in b.dropped_video:
            before = [t for t in written_t if t < a - 1e-9]
            after = [t for t in written_t if t >= z - 1e-9]
            if before and after:
                missing = round((after[0] - before[-1]) * fps) - 1
                measured.append(
                    truth.ev(
                        "timestamp_gap",
                        before[-1] + 1 / fps,
                        after[0],
                        "video",
                        value=float(missing),
                        origin="injected",
                    )
                )
        for e in measured:
            e["start_s"] = round(e["start_s"] + v0, 6)
            e["end_s"] = round(e["end_s"] + v0, 6)
            events.append(e)

    # sound: measured on the samples handed to the encoder
    integrated = None
    true_peak = None
    if b.tracks and not b.tracks[0].empty and not b.tracks[0].garbage:
        x, sr = b.audio, s.rate
        a0 = loc.audio_origin.get(0)
        if a0 is None:
            raise BuildError(f"{s.name}: the sound was not found in the written file")
        if loc.audio_match.get(0, 0) < 0.5:
            notes.append(f"audio located with correlation {loc.audio_match[0]:.2f} only")
        measured = truth.audio_events(x, sr, _lfe(s.channels))
        measured += truth.phase_events(x, sr, _pairs(s.channels))
        _check_intended(b.intended, measured, {"silence", "clipping", "dropout"}, s.name)
        for i in b.intended:
            if i["detector"] == "phase":
                pair = (0, 1)
                r = truth.mean_correlation(x, sr, pair, i["start_s"], i["end_s"])
                if r is None or r >= -0.3:
                    raise BuildError(
                        f"{s.name}: injected phase {i['start_s']}-{i['end_s']} measures {r}"
                    )
                i["value"] = round(r, 3)
        # phase: the injected stretch is the truth; measured stretches elsewhere are content's
        inj_phase = [dict(i, origin="injected") for i in b.intended if i["detector"] == "phase"]
        measured = [
            m
            for m in measured
            if m["detector"] != "phase"
            or not any(
                min(m["end_s"], i["end_s"]) > max(m["start_s"], i["start_s"]) for i in inj_phase
            )
        ]
        measured = _snap(measured, b.intended, 0.05) + inj_phase
        tp_events, true_peak = truth.true_peak_events(x, sr, EBU[2])
        _check_intended(b.intended, tp_events, {"true_peak"}, s.name)
        if s.acodec in LOSSY:
            # a lossy codec moves peaks by a few tenths of a dB: overs within TP_MARGIN of the
            # ceiling, and near misses as close under it, are ambiguous
            for e in tp_events:
                if float(e["value"]) < EBU[2] + TP_MARGIN:
                    e["ambiguous"] = True
            near, _ = truth.true_peak_events(x, sr, EBU[2] - TP_MARGIN)
            tp_events += [
                dict(e, ambiguous=True, origin="near the ceiling")
                for e in near
                if not any(
                    min(e["end_s"], o["end_s"]) > max(e["start_s"], o["start_s"]) for o in tp_events
                )
            ]
        for e in _snap(tp_events, b.intended, 0.05):
            measured.append(dict(e, profile="ebu"))
        measured += [
            dict(e, origin=e.get("origin", "injected"))
            for e in b.intended
            if e["detector"] == "bars_tone" and e["stream"] == "audio"
        ]
        measured = _without_leader(measured, b.leader_s)
        gaps = _merge_ranges(written.dropped.get(0, []))
        for p0, p1 in gaps:
            measured.append(
                truth.ev(
                    "timestamp_gap",
                    p0 / sr,
                    p1 / sr,
                    "audio",
                    value=round((p1 - p0) / sr, 4),
                    origin="injected",
                )
            )
        for e in measured:
            e["start_s"] = round(e["start_s"] + a0, 6)
            e["end_s"] = round(e["end_s"] + a0, 6)
            events.append(e)
        integrated = truth.integrated_loudness(x[:, round(b.leader_s * sr) :], sr)

    # decode damage: from the packets of the written file
    if b.damage:
        events += damage_file(path, b.damage, v0, s.seed)
    # blocks the codec (or the damage) made: not a defect we injected, not clean either
    if b.source_blockiness and not b.empty_video:
        coded = coding_blockiness(path, b.source_blockiness, v0)
        if coded:
            notes.append(
                "codec-made blockiness (ambiguous): "
                + ", ".join(f"{e['start_s']:.1f}-{e['end_s']:.1f}" for e in coded)
            )
        events += coded

    # file level
    duration = loc.duration
    vstream = 0 if s.vcodec is not None else None
    astreams = [k + (1 if s.vcodec is not None else 0) for k in range(len(tracks))]
    file_events = []
    if integrated is not None:
        off = integrated - EBU[0]
        if abs(off) > EBU[1]:
            file_events.append(
                truth.ev(
                    "loudness",
                    0.0,
                    duration,
                    "audio",
                    value=round(integrated, 2),
                    profile="ebu",
                    stream_index=astreams[0],
                )
            )
        if abs(abs(off) - EBU[1]) < 0.3:
            notes.append(f"integrated loudness {integrated:.2f} LUFS is near the EBU edge")
    if (
        s.vcodec is not None
        and not b.empty_video
        and b.tracks
        and not b.tracks[0].empty
        and loc.video_origin is not None
        and 0 in loc.audio_origin
    ):
        offset = loc.audio_origin[0] - loc.video_origin
        if b.av_intent is not None and abs(offset - b.av_intent) > 0.03:
            notes.append(f"A/V offset measured {offset:.3f} s, injected {b.av_intent:.3f} s")
        if not AV_WINDOW[0] <= offset <= AV_WINDOW[1]:
            file_events.append(
                truth.ev(
                    "av_offset",
                    0.0,
                    duration,
                    "audio",
                    value=round(offset, 4),
                    stream_index=astreams[0],
                )
            )
        vdur = written_t[-1] + (1 / fps if not s.vfr else s.dur - written_t[-1]) - written_t[0]
        adur = b.audio.shape[1] / s.rate
        diff = adur - vdur
        if diff < -2 / fps or diff > 2.0:
            file_events.append(
                truth.ev(
                    "duration_mismatch",
                    0.0,
                    duration,
                    "audio",
                    value=round(diff, 4),
                    stream_index=astreams[0],
                )
            )
    if b.empty_video and vstream is not None:
        file_events.append(truth.ev("missing_stream", 0.0, duration, "video", stream_index=vstream))
    declared = {st["index"]: st["type"] for st in loc.streams}
    for k, t in enumerate(tracks):
        if t.empty or t.garbage:
            if declared.get(astreams[k]) != "audio":
                raise BuildError(
                    f"{s.name}: the {s.container} muxer did not keep the empty audio stream"
                )
            if t.garbage and decodable_frames(path, astreams[k]):
                raise BuildError(f"{s.name}: some of the garbage audio packets decode")
            file_events.append(
                truth.ev("missing_stream", 0.0, duration, "audio", stream_index=astreams[k])
            )
    for e in file_events:
        e["origin"] = "injected"
    events += file_events

    for e in events:
        if e.get("stream") == "audio" and "stream_index" not in e and astreams:
            e["stream_index"] = astreams[0]
        elif e.get("stream") == "video" and "stream_index" not in e and vstream is not None:
            e["stream_index"] = vstream
        if e.get("origin") == "content" and not e.get("ambiguous"):
            notes.append(f"content has {e['detector']} {e['start_s']:.2f}-{e['end_s']:.2f} s")
    events.sort(key=lambda e: (e["start_s"], e["detector"]))
    segments = []
    if b.timeline is not None:
        for seg in b.timeline.segments():
            seg = dict(seg)
            seg["start_s"] = round(float(seg["start_s"]) + v0, 6)  # type: ignore[arg-type]
            seg["end_s"] = round(float(seg["end_s"]) + v0, 6)  # type: ignore[arg-type]
            segments.append(seg)
    result = {
        "file": s.filename,
        "duration_s": round(duration, 6),
        "subsets": list(s.subsets),
        "about": s.about,
        "video_origin_s": loc.video_origin,
        "audio_origin_s": loc.audio_origin.get(0),
        "integrated_lufs": None if integrated is None else round(integrated, 3),
        "true_peak_dbtp": None if true_peak is None else round(true_peak, 2),
        "streams": loc.streams,
        "defects": events,
        "segments": segments,
        "notes": notes,
        "spec": s.spec(),
    }
    path.with_suffix(".json").write_text(json.dumps(result, indent=1, default=_json))
    return result


def declared_matrix(path: Path, height: int) -> str:
    """The Y′CbCr matrix the written video stream declares (bt709 or bt601); when it declares
    none, the receivers' convention: BT.709 from 720 lines up, BT.601 below."""
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            space = int(frame.colorspace or 0)
            break
        else:
            space = 0
    if space == 1:
        return "bt709"
    if space in (5, 6):
        return "bt601"
    return "bt709" if height >= 720 else "bt601"


def decodable_frames(path: Path, index: int) -> int:
    """How many frames stream ``index`` of ``path`` decodes to."""
    import av

    n = 0
    with av.open(str(path)) as c:
        st = c.streams[index]
        for pkt in c.demux(st):
            with contextlib.suppress(av.FFmpegError, ValueError):
                n += len(pkt.decode())
    return n


def coding_blockiness(
    path: Path, source: dict[float, float], v0: float, rise: float = 1.3, floor: float = 1.5
) -> list[dict[str, Any]]:
    """Stretches where the decoded picture's block edges stand out ``rise``× more than the
    source's (and score at least ``floor``): blocks the encoder (or damage) made. They are
    ambiguous blockiness truth: a finding there is neither right nor wrong."""
    hits = []
    keys = np.array(sorted(source))
    with av.open(str(path)) as c:
        origin = (c.start_time or 0) / av.time_base
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for fr in decode_tolerant(c, stream):
            t = float(fr.time) - origin - v0
            k = int(np.searchsorted(keys, t))
            near = [j for j in (k - 1, k) if 0 <= j < keys.size and abs(keys[j] - t) < 0.002]
            if not near:
                continue
            src = source[float(keys[near[0]])]
            dec = truth.grid_blockiness(fr.to_ndarray(format="yuv420p")[: fr.height])
            if dec >= floor and dec > rise * src:
                hits.append((t - 0.5, t + 0.5))
    return [
        truth.ev("blockiness", a + v0, z + v0, "video", ambiguous=True, origin="coding")
        for a, z in truth.merge(hits, 0.01)
    ]


def _merge_ranges(r: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, z in sorted(r):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], z))
        else:
            out.append((a, z))
    return out


def _json(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Fraction):
        return str(o)
    raise TypeError(type(o))

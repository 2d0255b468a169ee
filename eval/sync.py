"""A/V sync scenarios (issue 18, class ``av_sync``): files whose sound is shifted against the
picture *inside the content* (both streams start at time 0, so the container's timeline
agrees), by known amounts, with or without a drift, and hard negatives.

Kinds:

- test signals from :mod:`streamcheck.testmedia.sync` (``flash``: a white flash with a 1 kHz
  beep every 2 s; ``clapper``: a board snapped shut with a clap), at 23.976–59.94 fps;
- ``programme`` (synthetic shots cut every 1–3.5 s with an impact on nine cuts in ten);
- ``footage``: a cut-rich edit of the real footage of ``../shared/media`` (parking lot, office,
  bottles, sign language; a new camera or in-point every 1–3.5 s) over a quiet jazz bed
  (``librosa_vibe_ace``, −26 dB), with an effects track: an impact on nine cuts in ten, a few
  between cuts;
- hard negatives, not measurable (no finding whatever the shift): ``still_music`` (a still
  picture under music), ``cuts_music`` (synthetic cuts under unrelated music),
  ``footage_music`` (the real edit under the jazz at full level, no effects), and a flash
  every second searched ±1 s (``flash`` with ``period_s`` 1).

Ground truth: an ``av_sync`` event over the whole file when the offset is outside ITU-R
BT.1359's detectability window (−45 … +125 ms), value = the offset (s); for a drift an event
with ``unit`` ``ms/min`` and value = its rate (the drifting scenarios stay inside the window).
The shift is made in the samples, so it is exact; both streams start at 0 in the container
(H.264 + AAC with its priming removed by the edit list, MPEG-2 + PCM in MXF), which the tests
of ``tests/test_av_sync.py`` check on the same writers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
SYNTHETIC = ("flash", "clapper", "programme", "still_music", "cuts_music")
NOT_MEASURABLE = ("still_music", "cuts_music", "footage_music")
WINDOW = (-0.045, 0.125)  # ITU-R BT.1359 detectability: audio 45 ms early … 125 ms late
FOOTAGE = ("parking", "office", "bottles", "signing")


@dataclass(frozen=True)
class SyncScenario:
    name: str
    kind: str
    offset_s: float = 0.0
    drift_ms_per_min: float = 0.0
    dur: float = 30.0
    fps: str = "25"
    container: str = "mp4"
    seed: int = 1
    period_s: float = 2.0
    subsets: tuple[str, ...] = ()
    about: str = ""
    size: tuple[int, int] = field(default=(320, 180))

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.container}"

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.fps)


def _s(name: str, kind: str, *args: Any, **kw: Any) -> SyncScenario:
    return SyncScenario(f"sync_{name}", kind, *args, **kw)


Q = ("quick",)
SYNC: tuple[SyncScenario, ...] = (
    # test signals: both signs, every rate, through H.264 + AAC and MPEG-2 + PCM
    _s("flash_p400_25", "flash", 0.4, fps="25", subsets=Q),
    _s("flash_m200_25_mxf", "flash", -0.2, container="mxf", subsets=Q),
    _s("flash_0_25", "flash", 0.0, subsets=Q, about="in sync: no finding"),
    _s("flash_m80_2997", "flash", -0.08, fps="30000/1001"),
    _s("flash_m40_5994", "flash", -0.04, fps="60000/1001", about="inside the window"),
    _s("flash_p40_50", "flash", 0.04, fps="50", about="inside the window"),
    _s("flash_p120_23976", "flash", 0.12, fps="24000/1001", about="inside the window"),
    _s("flash_p300_23976", "flash", 0.3, fps="24000/1001"),
    _s("flash_p150_5994_mov", "flash", 0.15, fps="60000/1001", container="mov"),
    _s("flash_m120_50_mxf", "flash", -0.12, fps="50", container="mxf"),
    _s("clapper_p250_25", "clapper", 0.25),
    _s("clapper_m100_2997", "clapper", -0.1, fps="30000/1001"),
    _s("clapper_0_50", "clapper", 0.0, fps="50"),
    # drift: audio falling behind / catching up, staying inside the window
    _s("flash_drift_p50", "flash", 0.0, 50.0, dur=120.0, seed=2),
    _s("flash_drift_m50", "flash", 0.06, -50.0, dur=120.0, seed=3),
    # programme-like content
    _s("programme_p300", "programme", 0.3, dur=40.0, seed=3),
    _s("programme_m120", "programme", -0.12, dur=40.0, seed=4),
    _s("programme_0", "programme", 0.0, dur=40.0, seed=5),
    _s("programme_p200_2997", "programme", 0.2, dur=40.0, fps="30000/1001", seed=6),
    # real footage, a cut-rich edit with an effects track
    _s("footage_p200", "footage", 0.2, dur=45.0, seed=11, subsets=Q),
    _s("footage_m100", "footage", -0.1, dur=45.0, seed=12),
    _s("footage_0", "footage", 0.0, dur=45.0, seed=13),
    _s("footage_p500", "footage", 0.5, dur=45.0, seed=14),
    _s("footage_m60_2997", "footage", -0.06, dur=45.0, fps="30000/1001", seed=15),
    _s("footage_drift_p60", "footage", -0.02, 60.0, dur=120.0, seed=16),
    # no evidence: not measurable, whatever the shift
    _s("still_music_p300", "still_music", 0.3, dur=40.0, subsets=Q),
    _s("cuts_music_p300", "cuts_music", 0.3, dur=40.0, seed=7),
    _s("footage_music_p300", "footage_music", 0.3, dur=45.0, seed=17),
    _s("flash_every_second_p400", "flash", 0.4, period_s=1.0, about="±1 s is ambiguous"),
)


def catalogue(subset: str = "full", only: list[str] | None = None) -> list[SyncScenario]:
    out = [s for s in SYNC if subset == "full" or subset in s.subsets]
    if only:
        out = [s for s in out if any(k in s.name for k in only)]
    return out


def digest(s: SyncScenario) -> str:
    h = hashlib.sha256()
    h.update((HERE / "sync.py").read_bytes())
    h.update((HERE.parent / "streamcheck" / "testmedia" / "sync.py").read_bytes())
    h.update(json.dumps(asdict(s), sort_keys=True).encode())
    return h.hexdigest()[:16]


def truth(s: SyncScenario) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    if s.kind not in NOT_MEASURABLE and s.period_s >= 2.0:
        if s.drift_ms_per_min:
            events.append(
                {
                    "detector": "av_sync",
                    "start_s": 0.0,
                    "end_s": s.dur,
                    "stream": "audio",
                    "stream_index": 1,
                    "value": s.drift_ms_per_min,
                    "unit": "ms/min",
                    "origin": "injected",
                }
            )
        elif not WINDOW[0] <= s.offset_s <= WINDOW[1]:
            events.append(
                {
                    "detector": "av_sync",
                    "start_s": 0.0,
                    "end_s": s.dur,
                    "stream": "audio",
                    "stream_index": 1,
                    "value": s.offset_s,
                    "unit": "s",
                    "origin": "injected",
                }
            )
    return {
        "name": s.name,
        "sync": True,
        "about": s.about,
        "duration_s": s.dur,
        "defects": events,
        "segments": [{"kind": s.kind, "start_s": 0.0, "end_s": s.dur}],
        "offset_s": s.offset_s,
        "drift_ms_per_min": s.drift_ms_per_min,
    }


class Footage:
    """A cut-rich edit of the real footage with a jazz bed and (``effects``) an impact on
    nine cuts in ten, the sound shifted by ``offset_at``."""

    def __init__(self, s: SyncScenario, effects: bool) -> None:
        from . import sources

        self.s = s
        rng = np.random.default_rng(s.seed)
        self.sources = [sources.video(n) for n in FOOTAGE]
        self.cuts: list[float] = []
        self.shots: list[tuple[int, float]] = []  # (source, in-point s)
        fps = s.fraction
        t, last = 0.0, -1
        while t < s.dur:
            k = int(rng.integers(0, len(FOOTAGE) - 1))
            k = k if k < last else k + 1  # another camera than the shot before
            last = k
            src = self.sources[k]
            self.shots.append((k, float(rng.uniform(0, max(0.0, src.duration_s - 4.0)))))
            t = float(round((t + rng.uniform(1.0, 3.5)) * fps) / fps)
            self.cuts.append(t)
        self.events: list[tuple[float, float]] = []  # (content time, level)
        if effects:
            for c in self.cuts[:-1]:
                if rng.random() < 0.9:
                    self.events.append((c, float(rng.uniform(0.25, 0.5))))
            self.events += [(float(x), 0.12) for x in rng.uniform(1, s.dur, int(s.dur / 10))]
        jazz = sources.audio("jazz", 48000).mean(axis=0)
        rms = float(np.sqrt(np.mean(np.square(jazz, dtype=np.float64))))
        level = -26.0 if effects else -14.0  # dBFS RMS: a bed under effects, or the programme
        self.bed = (jazz * (10 ** (level / 20) / max(rms, 1e-9))).astype(np.float32)

    def offset_at(self, t: float) -> float:
        return self.s.offset_s + self.s.drift_ms_per_min / 60_000 * t

    def picture(self, i: int) -> tuple[np.ndarray, ...]:
        t = float(i / self.s.fraction)
        n = int(np.searchsorted(self.cuts, t + 1e-9, side="right"))
        n = min(n, len(self.shots) - 1)
        k, inpoint = self.shots[n]
        start = self.cuts[n - 1] if n else 0.0
        src = self.sources[k]
        y, u, v = src.at(inpoint + t - start)
        w, h = self.s.size
        return (
            cv2.resize(y, (w, h), interpolation=cv2.INTER_AREA),
            cv2.resize(u, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
            cv2.resize(v, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
        )

    def sound(self, start: int, n: int) -> np.ndarray:
        rate = 48000
        idx = (start + np.arange(n)) % self.bed.size
        x = self.bed[idx].astype(np.float64)
        for ev_t, level in self.events:
            at = ev_t + self.offset_at(ev_t)
            a, b = round(at * rate), round((at + 0.4) * rate)
            lo, hi = max(a, start), min(b, start + n)
            if lo >= hi:
                continue
            tt = (np.arange(lo, hi) - a) / rate
            burst = np.random.default_rng(a).standard_normal(b - a)[lo - a : hi - a]
            x[lo - start : hi - start] += level * burst * np.exp(-tt / 0.08)
        return np.clip(x, -1.0, 1.0).astype(np.float32)


def build_one(s: SyncScenario, out_dir: Path) -> dict[str, Any]:
    from streamcheck.testmedia.sync import SyncSpec, write_av, write_sync

    path = out_dir / s.filename
    if s.kind in SYNTHETIC:
        spec = SyncSpec(
            s.kind,
            s.offset_s,
            s.drift_ms_per_min,
            duration_s=s.dur,
            fps=s.fraction,
            width=s.size[0],
            height=s.size[1],
            period_s=s.period_s,
            seed=s.seed,
        )
        write_sync(path, spec)
    else:
        content = Footage(s, effects=s.kind == "footage")
        frames = int(s.dur * s.fraction)
        write_av(path, s.fraction, 48000, s.size, frames, content.picture, content.sound)
    return truth(s)


def _worker(s: SyncScenario, out_dir: str, dig: str) -> tuple[str, dict[str, Any]]:
    t = build_one(s, Path(out_dir))
    t["digest"] = dig
    p = Path(out_dir) / s.filename
    p.with_suffix(".json").write_text(json.dumps(t, indent=1))
    return str(p), t


def build(
    out: Path, subset: str, only: list[str] | None, jobs: int, say: Any
) -> list[tuple[Path, dict[str, Any]]]:
    """Build (or reuse) the sync scenarios of ``subset``; [(path, truth)] in catalogue order."""
    scns = catalogue(subset, only)
    done: dict[str, tuple[Path, dict[str, Any]]] = {}
    todo = []
    for s in scns:
        dig = digest(s)
        p = out / s.filename
        j = p.with_suffix(".json")
        if p.exists() and j.exists():
            t = json.loads(j.read_text())
            if t.get("digest") == dig:
                done[s.name] = (p, t)
                continue
        todo.append((s, dig))
    if todo:
        say(f"building {len(todo)} A/V sync files into {out}")
        if jobs <= 1:
            for s, dig in todo:
                p, t = _worker(s, str(out), dig)
                done[s.name] = (Path(p), t)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as ex:
                futs = {s.name: ex.submit(_worker, s, str(out), dig) for s, dig in todo}
                for name, f in futs.items():
                    p, t = f.result()
                    done[name] = (Path(p), t)
    return [done[s.name] for s in scns]

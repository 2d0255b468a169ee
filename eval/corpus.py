"""The evaluation corpus: its catalogue of scenarios and :func:`build`.

    from eval.corpus import build
    files = build(".cache/eval/corpus", subset="quick")   # [(path, ground truth), …]

Each scenario (:class:`eval.scenario.Scenario`) is one file: a programme made of content kinds
(:mod:`eval.content`, :mod:`eval.sound`) from the real footage and recordings of
``../shared/media/``, the defects injected into it (:mod:`eval.defects`) and its codecs and
container. ``NAME.json`` beside each file is its ground truth (see :mod:`eval.scenario`).

A file is rebuilt when its scenario or the code that makes it changed (a digest of both is kept
in its JSON). Subsets: ``quick`` (a few minutes of media, every detector class) and ``full``
(everything, the quick files included).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .defects import D
from .scenario import Scenario

HERE = Path(__file__).resolve().parent
CODE_FILES = (
    "sources.py",
    "picture.py",
    "program.py",
    "content.py",
    "sound.py",
    "truth.py",
    "encode.py",
    "defects.py",
    "scenario.py",
)

Q = ("quick",)


def _s(name: str, **kw: Any) -> Scenario:
    return Scenario(name, **kw)


def seq(*items: tuple[Any, ...], overlays: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """A ``sequence`` picture recipe: items (kind, seconds[, parameters[, transition]])."""
    norm = []
    for it in items:
        kind, dur = it[0], it[1]
        kw = it[2] if len(it) > 2 else {}
        tr = it[3] if len(it) > 3 else {}
        norm.append((kind, dur, kw, tr))
    return ("sequence", {"items": norm, "overlays": overlays})


def prog(**kw: Any) -> tuple[str, dict[str, Any]]:
    return ("programme", kw)


def snd(**kw: Any) -> tuple[str, dict[str, Any]]:
    return ("programme", kw)


def lay(*items: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """A ``layers`` sound recipe: (kind, start, end, gain dB[, parameters])."""
    return ("layers", {"items": [(*it[:4], it[4] if len(it) > 4 else {}) for it in items]})


CATALOGUE: tuple[Scenario, ...] = (
    _s(
        "pilot_news_h264_aac",
        container="mp4",
        dur=40,
        seed=101,
        subsets=Q,
        picture=prog(overlays=("bug", "lower_third", "clock", "ticker")),
        defects=(
            D("black", 6.0, 8.6),
            D("freeze", 14.0, 17.0),
            D("mute", 22.0, 25.0),
            D("clip", 30.0, 31.3),
            D("dropout", 35.0, 35.15),
        ),
    ),
    _s(
        "pilot_damaged_h264_ts",
        container="ts",
        dur=40,
        seed=102,
        subsets=Q,
        defects=(
            D("damage", 8.0, how="corrupt"),
            D("flash", 15.0, 17.0, mode="strobe", hz=8),
            D("blocky", 22.0, 22.6, mode="requant"),
            D("drop_frames", 27.0, 27.4),
            D("audio_gap", 33.0, 33.5),
        ),
    ),
    _s(
        "pilot_letterbox_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=40,
        seed=103,
        subsets=Q,
        picture=seq(
            ("boxed:letterbox:footage", 18, {"src": "bottles", "start": 3}),
            ("black", 3.0),
            ("boxed:letterbox:footage", 19, {"src": "parking", "start": 2}),
        ),
        defects=(D("av_shift", offset=0.3),),
    ),
    _s(
        "pilot_phase_wav",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=20,
        seed=104,
        subsets=Q,
        sound=snd(parts={"speech": 1}),
        defects=(D("invert", 0.0, None, channel=1),),
    ),
)


def catalogue(subset: str = "full", only: Iterable[str] | None = None) -> list[Scenario]:
    """The scenarios of ``subset`` (``quick`` or ``full``), optionally only names containing
    one of ``only``."""
    out = [s for s in CATALOGUE if subset == "full" or subset in s.subsets]
    if only:
        keys = list(only)
        out = [s for s in out if any(k in s.name for k in keys)]
    return out


def code_digest() -> str:
    h = hashlib.sha256()
    for name in CODE_FILES:
        h.update((HERE / name).read_bytes())
    return h.hexdigest()[:16]


def digest(s: Scenario, code: str) -> str:
    return hashlib.sha256(
        (code + json.dumps(s.spec(), sort_keys=True, default=str)).encode()
    ).hexdigest()[:16]


def _build_worker(s: Scenario, out_dir: str, dig: str) -> tuple[str, dict[str, Any], float]:
    from .scenario import build_one

    t0 = time.process_time()
    truth = build_one(s, Path(out_dir))
    truth["digest"] = dig
    truth["build_cpu_s"] = round(time.process_time() - t0, 2)
    p = Path(out_dir) / s.filename
    p.with_suffix(".json").write_text(json.dumps(truth, indent=1))
    return str(p), truth, time.process_time() - t0


def up_to_date(s: Scenario, out_dir: Path, dig: str) -> dict[str, Any] | None:
    p = out_dir / s.filename
    j = p.with_suffix(".json")
    if not p.exists() or not j.exists():
        return None
    try:
        t = json.loads(j.read_text())
    except ValueError:
        return None
    return t if t.get("digest") == dig else None


def build(
    out_dir: str | Path = ".cache/eval/corpus",
    subset: str = "full",
    *,
    jobs: int = 1,
    only: Iterable[str] | None = None,
    log: Any = None,
) -> list[tuple[Path, dict[str, Any]]]:
    """Build (or reuse, when up to date) the files of ``subset`` into ``out_dir``; returns
    [(media path, ground truth)] in catalogue order."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    code = code_digest()
    scns = catalogue(subset, only)
    done: dict[str, tuple[Path, dict[str, Any]]] = {}
    todo = []
    for s in scns:
        dig = digest(s, code)
        t = up_to_date(s, out, dig)
        if t is not None:
            done[s.name] = (out / s.filename, t)
        else:
            todo.append((s, dig))
    if todo:
        from .sources import prepare_all

        prepare_all()  # decode the sources once, before the workers read the cache
        say = log or (lambda m: print(m, file=sys.stderr))
        say(f"building {len(todo)} of {len(scns)} files into {out} with {jobs} process(es)")
        t0 = time.perf_counter()
        if jobs <= 1:
            for s, dig in todo:
                p, t, cpu = _build_worker(s, str(out), dig)
                done[s.name] = (Path(p), t)
                say(f"  {s.filename}: {cpu:.1f} s CPU")
        else:
            import multiprocessing as mp

            with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as ex:
                futs = {ex.submit(_build_worker, s, str(out), dig): s for s, dig in todo}
                for f in as_completed(futs):
                    s = futs[f]
                    p, t, cpu = f.result()
                    done[s.name] = (Path(p), t)
                    say(f"  {s.filename}: {cpu:.1f} s CPU")
        say(f"built in {time.perf_counter() - t0:.1f} s")
    return [done[s.name] for s in scns]


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m eval.corpus", description="Build the corpus.")
    ap.add_argument("--out", default=str(HERE.parent / ".cache" / "eval" / "corpus"))
    ap.add_argument("--subset", default="full", choices=["quick", "full"])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", action="append")
    a = ap.parse_args(argv)
    for p, t in build(a.out, a.subset, jobs=a.jobs, only=a.only):
        print(p.name, len(t["defects"]), "events", *t["notes"], sep="  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

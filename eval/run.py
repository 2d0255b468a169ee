"""``make eval`` / ``python -m eval``: build the corpus (when missing or out of date), run
streamcheck on it through the library, score the findings against the ground truth, print the
table and the run's CPU seconds.

Two passes: the default configuration (every class but loudness and true_peak, which are only
judged with a delivery profile), then loudness and true_peak alone with the EBU R128 profile
(``loudness.profile=ebu``, ``true_peak.profile=ebu``) on the files that carry sound. The
integrated loudness the first pass measures is also scored against the truth (±1 LU) in the
``loudness (measured)`` row. ``--config``/``--set`` apply to both passes (the second pass then
sets the EBU profiles on top).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import score as S
from .corpus import CLASSES, build
from .decoded import codec_made_freezes, codec_made_levels

ROOT = Path(__file__).resolve().parents[1]
PROFILED = ("loudness", "true_peak")


def file_evals(
    items: list[tuple[Path, dict[str, Any]]], results: dict[str, Any], profile: str | None
) -> list[S.FileEval]:
    """Truth and findings per file, for the pass with ``profile`` (None: no delivery
    profile, so truth events that need one are left out)."""
    out = []
    for path, truth in items:
        r = results.get(str(path))
        if r is None:
            continue
        events = [S.Event.of(d) for d in truth["defects"] if d.get("profile") in (None, profile)]
        if not truth.get("sync"):
            # outside eval/sync.py's files the truth cannot say whether the content shows
            # sound against picture (cuts on sound, a flash): where the timeline offsets the
            # sound (av_offset), an av_sync finding is neither right nor wrong; elsewhere the
            # sound is in sync and any av_sync finding is a false alarm
            events += [
                S.Event("av_sync", e.start_s, e.end_s, None, e.stream_index, e.value, "", True)
                for e in events
                if e.detector == "av_offset"
            ]
        found = [S.Event.of(e) for e in r.events if not e.expected]
        events += codec_made_freezes(path, events, found)  # the decoded pictures repeat
        events, coded = codec_made_levels(path, events, found)  # levels the codec moved
        events += coded
        info = r.info
        out.append(
            S.FileEval(
                name=path.name,
                duration_s=float(truth["duration_s"]),
                truth=events,
                found=found,
                status=r.status.value,
                integrated_truth=truth.get("integrated_lufs"),
                integrated_found=info.integrated_lufs,
                segments=truth.get("segments", []),
            )
        )
    return out


def scan(paths: list[str], config: Any, jobs: int | None) -> tuple[dict[str, Any], float, float]:
    """FileResults by path, the workers' CPU seconds (sum) and the wall seconds."""
    from streamcheck.runner import scan_files

    t0 = time.perf_counter()
    results = {r.path: r for r in scan_files(paths, config, jobs=jobs)}
    return results, sum(r.cpu_s for r in results.values()), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--subset", default="full", choices=["quick", "full"])
    ap.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help="processes for building and scanning (default: the usable cores)",
    )
    ap.add_argument(
        "--only",
        action="append",
        metavar="CLASS",
        help="run and score only this detector class (repeatable)",
    )
    ap.add_argument(
        "--files",
        action="append",
        metavar="TEXT",
        help="only the corpus files whose name contains TEXT (repeatable)",
    )
    ap.add_argument("--json", metavar="FILE", help="write the per-class figures to FILE")
    ap.add_argument("--config", metavar="FILE", help="streamcheck TOML configuration")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="DET.PARAM=VALUE",
        help="override a detector parameter (repeatable)",
    )
    ap.add_argument(
        "--corpus",
        default=str(ROOT / ".cache" / "eval" / "corpus"),
        help="where the corpus is built (default .cache/eval/corpus)",
    )
    ap.add_argument(
        "--fast",
        action="store_true",
        help="scan as 'streamcheck scan --fast' (triage); the classes it leaves out are not run",
    )
    ap.add_argument(
        "--details",
        type=int,
        default=12,
        help="misses and false alarms listed per class (default 12)",
    )
    a = ap.parse_args(argv)

    from streamcheck.config import load_config
    from streamcheck.detectors import REGISTRY
    from streamcheck.errors import ParameterError
    from streamcheck.runner import default_jobs

    jobs = a.jobs or default_jobs()
    classes = [c for c in REGISTRY if c in CLASSES]
    unscored = [c for c in REGISTRY if c not in CLASSES]
    if a.only:
        unknown = [c for c in a.only if c not in classes]
        if unknown:
            print(
                f"class {', '.join(unknown)} has no ground truth in the corpus; "
                f"scored classes: {', '.join(classes)}",
                file=sys.stderr,
            )
            return 2
        classes = [c for c in classes if c in a.only]
        unscored = []
    try:
        base = load_config(a.config, overrides=a.set)
        ebu = load_config(
            a.config, overrides=[*a.set, "loudness.profile=ebu", "true_peak.profile=ebu"]
        )
    except ParameterError as exc:
        print(f"configuration: {exc}", file=sys.stderr)
        return 2
    if a.fast:
        base, ebu = dataclasses.replace(base, fast=True), dataclasses.replace(ebu, fast=True)
        left = base.left_out()
        classes = [c for c in classes if c not in left]
        unscored = [c for c in unscored if c not in left]
        print(f"--fast: {', '.join(left) or 'nothing'} left out", file=sys.stderr)

    t_build = time.perf_counter()
    items = build(a.corpus, a.subset, jobs=jobs, only=a.files)
    build_wall = time.perf_counter() - t_build
    built_cpu = sum(t.get("build_cpu_s", 0.0) for _, t in items)

    pass1 = [c for c in classes if c not in PROFILED]
    pass2 = [c for c in classes if c in PROFILED]
    paths = [str(p) for p, _ in items]
    rows: list[S.ClassScore] = []
    other: dict[str, int] = {}
    cpu = wall = 0.0
    media_s = sum(float(t["duration_s"]) for _, t in items)
    if pass1:
        # every detector but the profiled ones, as a default scan runs them
        run1 = [d for d in base.detectors if d in pass1 or d in unscored]
        results, c1, w1 = scan(paths, base.with_detectors(run1), jobs)
        cpu, wall = cpu + c1, wall + w1
        files = file_evals(items, results, None)
        # the A/V sync files (eval/sync.py: still pictures under music, test signals) are
        # made for av_sync and hold no truth of any other class: scored for it alone
        sync_names = {p.name for p, t in items if t.get("sync")}
        scores = S.score([f for f in files if f.name not in sync_names], pass1)
        if "av_sync" in pass1:
            scores["av_sync"] = S.score(files, ["av_sync"])["av_sync"]
        rows += [scores[c] for c in pass1]
        if "loudness" in classes:
            rows.append(S.score_measured_loudness(files))
        for r in results.values():
            for e in r.events:
                if e.detector in unscored:
                    other[e.detector] = other.get(e.detector, 0) + 1
    if pass2:
        # bars_tone too: a leader it recognises is left out of the programme's loudness,
        # as in a real scan (its findings are not scored in this pass)
        leader = ["bars_tone"] if "bars_tone" in REGISTRY else []
        cfg = dataclasses.replace(ebu.with_detectors([*pass2, *leader]), metrics=False)
        with_audio = [
            # the A/V sync files (eval/sync.py) carry no loudness truth and no stream list
            str(p)
            for p, t in items
            if any(s.get("type") == "audio" for s in t.get("streams", []))
        ]
        results, c2, w2 = scan(with_audio, cfg, jobs)
        cpu, wall = cpu + c2, wall + w2
        files = file_evals([(p, t) for p, t in items if str(p) in results], results, "ebu")
        scores = S.score(files, pass2)
        rows += [scores[c] for c in pass2]
    order = {c: k for k, c in enumerate(REGISTRY)}
    rows.sort(key=lambda s: order.get(s.name, order.get(s.name.split(" ")[0], 99) + 0.5))
    total = S.total(rows)
    clean_h = max((s.clean_hours for s in rows if s.clean_hours), default=0.0)

    print()
    print(
        f"corpus: {len(items)} files, {media_s / 3600:.2f} h of media, {clean_h:.2f} h clean "
        f"(subset {a.subset}); built in {build_wall:.0f} s wall "
        f"({built_cpu:.0f} s CPU over all files when they were built)"
    )
    print()
    print(S.table([*rows, total]))
    print()
    print(
        f"scan: {cpu:.1f} CPU seconds in the workers, {wall:.1f} s wall, {jobs} job(s); "
        f"loudness/true_peak judged in a second pass with the EBU R128 profile"
    )
    if unscored:
        counts = ", ".join(f"{c} {other.get(c, 0)}" for c in unscored)
        print(f"not scored (no ground truth in the corpus yet), findings: {counts}")
    ignored = sum(s.ignored for s in rows)
    if ignored:
        print(
            f"{ignored} finding(s) on ambiguous truth ignored (blocks, freezes or levels the "
            "codec made, interlaced pictures that do not move, true peaks within 0.5 dB of the "
            "ceiling after a lossy codec)"
        )
    if a.details:
        for s in rows:
            if s.misses or s.false_alarms:
                print(f"\n{s.name}:")
                for m in s.misses[: a.details]:
                    print(f"  missed       {m}")
                if len(s.misses) > a.details:
                    print(f"  … {len(s.misses) - a.details} more missed")
                for m in s.false_alarms[: a.details]:
                    print(f"  false alarm  {m}")
                if len(s.false_alarms) > a.details:
                    print(f"  … {len(s.false_alarms) - a.details} more false alarms")
    if a.json:
        Path(a.json).write_text(
            json.dumps(
                {
                    "subset": a.subset,
                    "files": len(items),
                    "media_hours": media_s / 3600,
                    "clean_hours": clean_h,
                    "scan_cpu_s": cpu,
                    "scan_wall_s": wall,
                    "config": base.to_dict(),
                    "classes": [s.as_dict() for s in [*rows, total]],
                },
                indent=1,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())

"""``streamcheck selftest``: do the detectors still find what they should, with this build, on
this platform, with this configuration?

Generates clean clips in several codecs with every defect the detectors know injected at known
times (the test suite's fixture generator), runs the real pipeline on them with the given
configuration, and scores each detector: found, missed, false alarms, and the largest start and
end errors. A miss is a failure (exit code 1): a user sees in half a minute that a build, a
platform or a custom profile still works.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .config import Config
from .detectors import names_of_kind
from .model import Event, FileResult
from .runner import scan_files
from .testmedia import generate
from .testmedia.catalog import AUDIO_SPECS, DEFECT_SPECS, INTEGRITY_SPECS, NEGATIVE_SPECS
from .testmedia.generate import Spec, timeline_offset

# a codec of each family, every defect the detectors know, and hard clean content
SPECS: tuple[Spec, ...] = (
    DEFECT_SPECS[0],  # H.264/AAC in MP4
    DEFECT_SPECS[2],  # VP9/Opus in WebM
    DEFECT_SPECS[4],  # ProRes 10-bit/PCM in MOV
    DEFECT_SPECS[7],  # PCM WAV
    *INTEGRITY_SPECS,
    *AUDIO_SPECS,
    NEGATIVE_SPECS[0],
    NEGATIVE_SPECS[1],
    NEGATIVE_SPECS[2],
)
AUDIO_TOL_S = 0.020
FILE_LEVEL = names_of_kind("file")


@dataclass
class Score:
    """One detector's results over the selftest clips (errors in seconds)."""

    expected: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    start_err: float = 0.0
    end_err: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.missed


def _score_file(
    result: FileResult, truth: dict[str, Any], offset: float, scores: dict[str, Score]
) -> None:
    events: list[Event] = list(result.events)
    name = Path(result.path).name
    for d in truth["defects"]:
        det = d["detector"]
        sc = scores.setdefault(det, Score())
        sc.expected += 1
        shift = 0.0 if d["presentation"] else offset
        start, end = d["start_s"] + shift, d["end_s"] + shift
        cands = [
            e for e in events if e.detector == det and min(e.end_s, end) > max(e.start_s, start)
        ]
        if det in FILE_LEVEL:
            cands = [e for e in events if e.detector == det]
        if not cands:
            sc.missed.append(f"{name} {start:.2f}-{end:.2f} s")
            continue
        ev = max(cands, key=lambda e: min(e.end_s, end) - max(e.start_s, start))
        events.remove(ev)
        sc.found += 1
        if det not in FILE_LEVEL:
            sc.start_err = max(sc.start_err, abs(ev.start_s - start))
            sc.end_err = max(sc.end_err, abs(ev.end_s - end))
    for ev in events:  # whatever matched no injected defect
        scores.setdefault(ev.detector, Score()).false_alarms.append(
            f"{name} {ev.start_s:.2f}-{ev.end_s:.2f} s"
        )


def run(
    config: Config | None = None, *, jobs: int | None = None, workdir: str | Path | None = None
) -> tuple[dict[str, Score], list[FileResult]]:
    """Generate the clips (into ``workdir``, or a temporary folder), analyse them with
    ``config``, and return the scores per detector and the file results."""
    config = config or Config()
    place: contextlib.AbstractContextManager[str]
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        place = contextlib.nullcontext(str(workdir))
    else:
        place = tempfile.TemporaryDirectory(prefix="streamcheck-selftest-")
    with place as folder:
        paths = [generate(spec, folder) for spec in SPECS]
        truths = {str(p): json.loads(p.with_suffix(".json").read_text()) for p in paths}
        offsets = {str(p): timeline_offset(p) for p in paths}
        results = list(scan_files([str(p) for p in paths], config, jobs=jobs))
    scores: dict[str, Score] = {name: Score() for name in config.detectors}
    for r in results:
        _score_file(r, truths[r.path], offsets[r.path], scores)
    return scores, results


def rows(scores: dict[str, Score], config: Config) -> Iterator[tuple[str, ...]]:
    """Table rows: detector, expected, found, missed, false alarms, errors, verdict."""
    for name, sc in scores.items():
        if sc.expected == 0 and not sc.false_alarms:
            params = config.params_for(name) if name in config.detectors else None
            why = "not injected"
            if getattr(params, "profile", None) == "none":
                why = "no profile: measured, not judged"
            yield (name, "0", "-", "-", "0", "-", "-", why)
            continue
        verdict = "MISSED" if sc.missed else ("false alarms" if sc.false_alarms else "ok")
        yield (
            name,
            str(sc.expected),
            str(sc.found),
            str(len(sc.missed)),
            str(len(sc.false_alarms)),
            f"{sc.start_err * 1000:.0f} ms" if sc.found else "-",
            f"{sc.end_err * 1000:.0f} ms" if sc.found else "-",
            verdict,
        )


def render(
    console: Console,
    scores: dict[str, Score],
    results: list[FileResult],
    config: Config,
    elapsed_s: float,
) -> None:
    """The selftest's table, then what was missed or found by mistake, and the clips that
    could not be analysed."""
    table = Table(title="streamcheck selftest", title_justify="left")
    for col in (
        "detector",
        "injected",
        "found",
        "missed",
        "false alarms",
        "start error",
        "end error",
        "verdict",
    ):
        table.add_column(col)
    for row in rows(scores, config):
        style = "bold red" if row[-1] == "MISSED" else "yellow" if row[-1] == "false alarms" else ""
        table.add_row(*row, style=style)
    console.print(table)
    for name, sc in scores.items():
        for what in sc.missed:
            console.print(f"  missed {name}: {what}", style="red")
        for what in sc.false_alarms:
            console.print(f"  false alarm {name}: {what}", style="yellow")
    for r in results:
        if r.status.value != "ok":
            console.print(f"  {r.status.value}: {r.path}: {r.error}", style="red")
    console.print(f"{len(results)} clips in {elapsed_s:.1f} s")


def passed(scores: dict[str, Score], results: list[FileResult]) -> bool:
    """No detector missed anything and every clip was analysed."""
    return all(sc.ok for sc in scores.values()) and all(r.status.value == "ok" for r in results)

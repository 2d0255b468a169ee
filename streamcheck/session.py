"""One run, as the ``streamcheck scan`` command makes it: discover → plan (incremental) →
scan → part files → final reports → run metadata. The library entry point for a whole run, so
that a Python user gets the same reports and files as the command::

    import streamcheck
    outcome = streamcheck.run(["recordings/"], out="report", html=True)
    print(outcome.exit_code("error"), len(outcome.results))

Everything that can be checked before analysing anything is checked first (inputs, the output
folder and its lock, the JUnit file's folder) and refused with a
:class:`~streamcheck.errors.UsageError`. Finished files are written to part files as they come
(:mod:`.report.store`), so an interruption (KeyboardInterrupt; the command turns SIGTERM into
one) still ends with the final reports of every finished file, and a later ``incremental`` run
resumes. Run-level trouble never costs the results: an earlier report that cannot be read is
set aside and its files analysed again; a folder that cannot be listed gets a row of its own;
reports that cannot be written (a full disk) leave the part files for a later
``--incremental`` run and say so (``RunOutcome.problems``, exit code 3).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ._version import __version__
from .config import Config
from .decode import versions
from .discover import discover_all
from .errors import UsageError
from .exitcodes import EXIT_FAILED_FILES, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK
from .model import FileResult, Severity, Status
from .pipeline import failed_result
from .report.diff import Comparison, Tolerance, compare
from .report.parquet import (
    FILES_FILE,
    check_writable,
    read_results,
    write_reports,
    write_thumbnails,
)
from .report.store import (
    PARTS_DIR,
    OutputLock,
    PartWriter,
    clear_parts,
    load_previous,
    plan_incremental,
)
from .runner import scan_files

FAIL_ON = ("info", "warning", "error", "never")


def exit_code(results: Iterable[FileResult], fail_on: str = "error") -> int:
    """The contract's exit code for finished ``results``: 3 when a file could not be analysed,
    else 1 when a finding (not expected) is at or above ``fail_on`` (``never``: no finding
    counts), else 0."""
    results = list(results)
    if any(r.status != Status.OK for r in results):
        return EXIT_FAILED_FILES
    if fail_on != "never":
        limit = Severity(fail_on).rank
        if any(e.severity.rank >= limit for r in results for e in r.events if not e.expected):
            return EXIT_FINDINGS
    return EXIT_OK


@dataclass
class RunOutcome:
    """What a run did: the results of the files analysed now (in the order they finished;
    folders that could not be listed included, as ``error`` rows), how many files were named
    and how many were kept unchanged from earlier runs, whether it was interrupted, its wall
    time, the reports written, the run's metadata; ``notes`` the user should read (earlier
    reports set aside) and ``problems`` that fail the run (reports that could not be
    written)."""

    out: Path
    results: list[FileResult]
    files: int
    kept: int
    interrupted: bool
    wall_s: float
    reports: dict[str, Path] = field(default_factory=dict)
    run_meta: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    baseline: Comparison | None = None

    def exit_code(self, fail_on: str = "error") -> int:
        """The exit code of the contract (130 when interrupted; 3 when a report could not be
        written). With a baseline, only what is not in it counts: 3 when a file could not be
        analysed that was analysed (or absent) in the baseline, 1 when a finding at or above
        ``fail_on`` is new (or its severity rose)."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.problems:
            return EXIT_FAILED_FILES
        if self.baseline is not None:
            return self.baseline.exit_code(fail_on)
        return exit_code(self.results, fail_on)


def load_baseline(folder: str | os.PathLike[str]) -> list[FileResult]:
    """The results of the report in ``folder``, for ``run(baseline=...)``; a
    :class:`UsageError` when there is no readable report there."""
    if not (Path(folder) / FILES_FILE).is_file():
        raise UsageError(f"baseline {str(folder)!r}: no streamcheck report there (no {FILES_FILE})")
    try:
        return read_results(folder)
    except (OSError, ValueError) as exc:
        raise UsageError(f"baseline {str(folder)!r} cannot be read: {exc}") from None


def prepare(
    paths: Sequence[str],
    *,
    out: str | os.PathLike[str],
    junit: str | os.PathLike[str] | None = None,
    prometheus: str | os.PathLike[str] | None = None,
    stdin: TextIO | None = None,
) -> tuple[list[str], list[tuple[str, str]]]:
    """The media files named by ``paths`` and the folders that could not be listed (path,
    reason), after checking that every output can be written; raises :class:`UsageError`
    before any work otherwise."""
    files, unreadable = discover_all(paths, stdin=stdin)
    if not files and not unreadable:
        raise UsageError(f"no media files found in {', '.join(map(repr, paths))}")
    prepare_out(out)
    for option, target in (("--junit", junit), ("--prometheus", prometheus)):
        if target is not None:
            check_file_writable(option, target)
    return files, unreadable


def prepare_out(out: str | os.PathLike[str]) -> Path:
    """The output folder, created if needed and proven writable; else a :class:`UsageError`."""
    try:
        return check_writable(out)
    except OSError as exc:
        raise UsageError(
            f"output folder {str(out)!r} is not writable: {exc.strerror or exc}"
        ) from None


def check_file_writable(option: str, target: str | os.PathLike[str]) -> None:
    """A :class:`UsageError` unless a file can be written (renamed into place) at ``target``."""
    folder = Path(target).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {str(target)!r}: folder {str(folder)!r} is not writable")
    if Path(target).is_dir():
        raise UsageError(f"{option} {str(target)!r} is a folder; name a file")


def run(
    paths: Sequence[str],
    config: Config | None = None,
    *,
    out: str | os.PathLike[str] = "streamcheck-report",
    incremental: bool = False,
    jobs: int | None = None,
    file_timeout: float | None = None,
    max_memory: int | None = None,
    scheduler: str | None = None,
    html: bool = False,
    junit: str | os.PathLike[str] | None = None,
    fail_on: str = "error",
    baseline: str | os.PathLike[str] | None = None,
    tolerance: Tolerance | None = None,
    prometheus: str | os.PathLike[str] | None = None,
    stdin: TextIO | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> RunOutcome:
    """Analyse the media under ``paths`` and write the reports into ``out``: defects, files
    and metrics Parquet (always), thumbnails (``config.thumbnails`` or ``html``), the HTML
    report (``html``), JUnit XML (``junit``, failing at ``fail_on``).

    ``incremental``: keep the rows of files already in ``out`` with the same path, size, mtime
    and configuration, and analyse only the others. ``baseline``: the folder of an accepted
    earlier report; the results are compared with it (:mod:`.report.diff`, matched within
    ``tolerance``) into ``RunOutcome.baseline``, and the exit code counts only what is not in
    it. ``prometheus``: also write the run's figures for node_exporter's textfile collector
    there (:mod:`.report.prometheus`). ``on_start(n)`` is called with the number
    of files to analyse, ``on_result(result)`` as each finishes (progress display). The other
    options are :func:`streamcheck.runner.scan_files`'s."""
    config = config or Config()
    if file_timeout is not None and not 0 < file_timeout < float("inf"):
        raise UsageError(f"file_timeout {file_timeout!r}: expected a number of seconds above 0")
    if max_memory is not None and max_memory < 0:
        raise UsageError(f"max_memory {max_memory!r}: expected bytes, 0 for no limit")
    if fail_on not in FAIL_ON:
        raise UsageError(f"fail_on {fail_on!r}: expected one of {', '.join(FAIL_ON)}")
    if html:
        config = dataclasses.replace(config, thumbnails=True)
    accepted = load_baseline(baseline) if baseline is not None else None
    files, unreadable = prepare(paths, out=out, junit=junit, prometheus=prometheus, stdin=stdin)
    out = Path(out)
    with OutputLock(out):
        outcome = _run_locked(
            files,
            unreadable,
            config,
            out,
            incremental=incremental,
            scan_options={
                "jobs": jobs,
                "file_timeout": file_timeout,
                "max_memory": max_memory,
                "scheduler": scheduler,
            },
            html=html,
            junit=junit,
            fail_on=fail_on,
            on_start=on_start,
            on_result=on_result,
        )
    if accepted is not None:
        outcome.baseline = compare(accepted, outcome.results, tolerance, only_new_files=True)
    if prometheus is not None:
        write_run_figures(prometheus, outcome, fail_on)
    return outcome


def write_run_figures(
    path: str | os.PathLike[str], outcome: RunOutcome, fail_on: str = "error"
) -> None:
    """The monitoring file of a finished run (a failure to write it is one of the run's
    problems)."""
    from .report.prometheus import RunFigures, write_prometheus

    figures = RunFigures.of(
        outcome.results,
        kept=outcome.kept,
        wall_s=outcome.wall_s,
        exit_code=outcome.exit_code(fail_on),
        end_time=time.time(),
    )
    try:
        write_prometheus(path, figures)
    except OSError as exc:
        outcome.problems.append(f"could not write {path}: {exc.strerror or exc}")


def _run_locked(
    files: list[str],
    unreadable: list[tuple[str, str]],
    config: Config,
    out: Path,
    *,
    incremental: bool,
    scan_options: dict[str, Any],
    html: bool,
    junit: str | os.PathLike[str] | None,
    fail_on: str,
    on_start: Callable[[int], None] | None,
    on_result: Callable[[FileResult], None] | None,
) -> RunOutcome:
    """:func:`run` once the output folder is ours."""
    ffmpeg, pyav = versions()
    run_meta = {
        "version": __version__,
        "ffmpeg_version": ffmpeg,
        "pyav_version": pyav,
        "config": config.to_json(),
        "run_id": uuid.uuid4().hex,
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        **config.mode_meta(),
    }
    digest = config.digest()
    keep = None
    todo = files
    notes: list[str] = []
    problems: list[str] = []
    if incremental:
        previous, notes = load_previous(out)
        todo, keep = plan_incremental(files, previous, digest)
    else:
        clear_parts(out)  # a killed run's leftovers: this run starts afresh
    if on_start is not None:
        on_start(len(todo) + len(unreadable))
    results: list[FileResult] = []
    interrupted = False
    t0 = time.perf_counter()
    parts = PartWriter(out, digest)

    def done(r: FileResult) -> None:
        results.append(r)
        try:
            write_thumbnails(r, out)
        except OSError as exc:
            problems.append(f"thumbnails of {r.path} could not be written: {exc.strerror}")
        parts.add(r)
        if on_result is not None:
            on_result(r)

    try:
        for folder, reason in unreadable:
            done(
                failed_result(
                    folder,
                    Status.ERROR,
                    f"cannot list this folder ({reason}); the files in it were not checked",
                )
            )
        for r in scan_files(todo, config, **scan_options):
            done(r)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        parts.close()
    wall = time.perf_counter() - t0
    run_meta["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    reports: dict[str, Path] = {}
    try:
        reports = write_reports(results, out, run_meta, config_digest=digest, keep=keep)
        if junit is not None:
            from .report.machine import write_junit

            write_junit(results, junit, fail_on)
            reports["junit"] = Path(junit)
        if html:
            from .report.html import write_html

            reports["html"] = write_html(out)
    except OSError as exc:
        problems.append(_write_failure(exc, out, results, parts))
    if not interrupted and not problems:
        clear_parts(out)
    return RunOutcome(
        out=out,
        results=results,
        files=len(files),
        kept=len(files) - len(todo),
        interrupted=interrupted,
        wall_s=wall,
        reports=reports,
        run_meta=run_meta,
        notes=notes,
        problems=problems,
    )


def _write_failure(exc: OSError, out: Path, results: list[FileResult], parts: PartWriter) -> str:
    """One line for a report that could not be written: which, why, how much room it needs,
    and where the results are kept meanwhile."""
    name = Path(exc.filename).name if exc.filename else "a report"
    need = sum(len(r.events) * 300 + len(r.metrics.get("t_s", [])) * 100 for r in results)
    room = f" (it needs about {max(need, 1 << 20) / 1e6:.0f} MB)" if exc.errno else ""
    kept = (
        f"the results of {len(results)} file(s) are kept in {out / PARTS_DIR}: run the same "
        "command with --incremental to finish"
        if parts.error is None
        else "the part files could not be written either"
    )
    return f"could not write {name} in {out}: {exc.strerror or exc}{room}; {kept}"

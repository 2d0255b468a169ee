"""One run, as the ``streamcheck scan`` command makes it: discover → plan (incremental) →
scan → part files → final reports → run metadata. The library entry point for a whole run, so
that a Python user gets the same reports and files as the command::

    import streamcheck
    outcome = streamcheck.run(["recordings/"], out="report", html=True)
    print(outcome.exit_code("error"), len(outcome.results))

Everything that can be checked before analysing anything is checked first (inputs, the output
folder, the JUnit file's folder) and refused with a :class:`~streamcheck.errors.UsageError`.
Finished files are written to part files as they come (:mod:`.report.store`), so an
interruption (KeyboardInterrupt; the command turns SIGTERM into one) still ends with the final
reports of every finished file, and a later ``incremental`` run resumes.
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
from typing import TextIO

from ._version import __version__
from .config import Config
from .decode import versions
from .discover import discover
from .errors import UsageError
from .exitcodes import EXIT_FAILED_FILES, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK
from .model import FileResult, Severity, Status
from .report.parquet import check_writable, write_reports, write_thumbnails
from .report.store import PartWriter, clear_parts, load_previous, plan_incremental
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
    """What a run did: the results of the files analysed now (in the order they finished),
    how many files were named and how many were kept unchanged from earlier runs, whether it
    was interrupted, its wall time, the reports written and the run's metadata."""

    out: Path
    results: list[FileResult]
    files: int
    kept: int
    interrupted: bool
    wall_s: float
    reports: dict[str, Path] = field(default_factory=dict)
    run_meta: dict[str, str] = field(default_factory=dict)

    def exit_code(self, fail_on: str = "error") -> int:
        """The exit code of the contract (130 when interrupted)."""
        return EXIT_INTERRUPTED if self.interrupted else exit_code(self.results, fail_on)


def prepare(
    paths: Sequence[str],
    *,
    out: str | os.PathLike[str],
    junit: str | os.PathLike[str] | None = None,
    stdin: TextIO | None = None,
) -> list[str]:
    """The media files named by ``paths``, after checking that every output can be written;
    raises :class:`UsageError` before any work otherwise."""
    files = discover(paths, stdin=stdin)
    if not files:
        raise UsageError(f"no media files found in {', '.join(map(repr, paths))}")
    try:
        check_writable(out)
    except OSError as exc:
        raise UsageError(
            f"output folder {str(out)!r} is not writable: {exc.strerror or exc}"
        ) from None
    if junit is not None:
        folder = Path(junit).parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"--junit {str(junit)!r}: folder {str(folder)!r} is not writable")
    return files


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
    stdin: TextIO | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> RunOutcome:
    """Analyse the media under ``paths`` and write the reports into ``out``: defects, files
    and metrics Parquet (always), thumbnails (``config.thumbnails`` or ``html``), the HTML
    report (``html``), JUnit XML (``junit``, failing at ``fail_on``).

    ``incremental``: keep the rows of files already in ``out`` with the same path, size, mtime
    and configuration, and analyse only the others. ``on_start(n)`` is called with the number
    of files to analyse, ``on_result(result)`` as each finishes (progress display). The other
    options are :func:`streamcheck.runner.scan_files`'s."""
    config = config or Config()
    if fail_on not in FAIL_ON:
        raise UsageError(f"fail_on {fail_on!r}: expected one of {', '.join(FAIL_ON)}")
    if html:
        config = dataclasses.replace(config, thumbnails=True)
    files = prepare(paths, out=out, junit=junit, stdin=stdin)
    out = Path(out)
    ffmpeg, pyav = versions()
    run_meta = {
        "version": __version__,
        "ffmpeg_version": ffmpeg,
        "pyav_version": pyav,
        "config": config.to_json(),
        "run_id": uuid.uuid4().hex,
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    digest = config.digest()
    keep = None
    todo = files
    if incremental:
        todo, keep = plan_incremental(files, load_previous(out), digest)
    else:
        clear_parts(out)  # a killed run's leftovers: this run starts afresh
    if on_start is not None:
        on_start(len(todo))
    results: list[FileResult] = []
    interrupted = False
    t0 = time.perf_counter()
    parts = PartWriter(out, digest)
    try:
        for r in scan_files(
            todo,
            config,
            jobs=jobs,
            file_timeout=file_timeout,
            max_memory=max_memory,
            scheduler=scheduler,
        ):
            results.append(r)
            write_thumbnails(r, out)
            parts.add(r)
            if on_result is not None:
                on_result(r)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        parts.close()
    wall = time.perf_counter() - t0
    run_meta["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    reports = write_reports(results, out, run_meta, config_digest=digest, keep=keep)
    if junit is not None:
        from .report.machine import write_junit

        write_junit(results, junit, fail_on)
        reports["junit"] = Path(junit)
    if html:
        from .report.html import write_html

        reports["html"] = write_html(out)
    if not interrupted:
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
    )

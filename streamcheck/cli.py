"""The ``streamcheck`` command: a thin typer layer over :func:`streamcheck.scan`.

Parses options, builds the Config, calls the library, renders progress and the summary, and
maps the outcome to the exit codes of the contract:
0 clean · 1 a finding at or above --fail-on · 2 usage or configuration error ·
3 a file could not be analysed (takes precedence over 1) · 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._version import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED_FILES, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Find defects in recorded audio/video files, in batch: one pass per file, in memory.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(str, enum.Enum):
    table = "table"
    jsonl = "jsonl"


ConfigOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--config",
        help="TOML configuration [default: ./streamcheck.toml when present].",
    ),
]
ProfileOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Parameter profile: default, broadcast-ebu, atsc, streaming, archive."),
]
SetOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--set", help="Override one parameter, e.g. --set black.min_duration_s=3 (repeatable)."
    ),
]


class FailOn(str, enum.Enum):
    info = "info"
    warning = "warning"
    error = "error"
    never = "never"


def _versions() -> str:
    import av

    return f"streamcheck {__version__}\nPyAV {av.__version__}\nFFmpeg {av.ffmpeg_version_info}"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(_versions())
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],  # noqa: UP045 (typer needs Optional on 3.10)
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print streamcheck, PyAV and FFmpeg versions and exit.",
        ),
    ] = None,
) -> None:
    """streamcheck: QC of recorded media."""


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"streamcheck: error: {message}", err=True)
    return typer.Exit(code)


def exit_code(results, fail_on: FailOn) -> int:
    """The contract's exit code for a finished run."""
    from .model import Severity, Status

    if any(r.status != Status.OK for r in results):
        return EXIT_FAILED_FILES
    if fail_on is not FailOn.never:
        limit = Severity(fail_on.value).rank
        if any(e.severity.rank >= limit for r in results for e in r.events if not e.expected):
            return EXIT_FINDINGS
    return EXIT_OK


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


@app.command()
def scan(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Media files, folders (walked recursively), globs, or - to read "
            "paths from stdin, one per line."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the Parquet reports.")] = (
        Path("streamcheck-report")
    ),
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--jobs", "-j", min=1, help="Worker processes [default: number of cores]."),
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 when a finding is at or above this severity.")
    ] = FailOn.error,
    detectors: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Comma-separated detectors to run [default: all]; see 'streamcheck detectors'."
        ),
    ] = None,
    set_: SetOpt = None,
    config_file: ConfigOpt = None,
    profile: ProfileOpt = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="table: the summary on stdout; jsonl: one JSON object per finding on stdout, "
            "the summary on stderr.",
        ),
    ] = OutputFormat.table,
    junit: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Also write JUnit XML: a test case per file, failing at --fail-on."),
    ] = None,
    file_timeout: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            min=1,
            help="Seconds one file may take before its worker is stopped (status timeout) "
            "[default: 120 + 20 × the file's duration].",
        ),
    ] = None,
    max_memory: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Memory limit per worker, e.g. 4G or 800M; 0 = none (status error when "
            "reached) [default: 80% of RAM shared by the workers, at least 2G].",
        ),
    ] = None,
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            envvar="DASK_SCHEDULER_ADDRESS",
            help="Run on a Dask cluster: its scheduler's address, e.g. tcp://host:8786 "
            "(needs the dask extra; workers must see the files at the same paths).",
        ),
    ] = None,
    thumbnails: Annotated[
        bool,
        typer.Option(
            help="Write a small JPEG of each video finding's first picture under "
            "DIR/thumbs/ (a thumbnail column in defects.parquet)."
        ),
    ] = False,
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Also write DIR/report.html: one self-contained page with timelines, "
            "per-second plots and thumbnails (implies --thumbnails).",
        ),
    ] = False,
    incremental: Annotated[
        bool,
        typer.Option(
            help="Skip files whose path, size, mtime and configuration match a row already in "
            "--out (for cron); also resumes a run that was killed."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every file as it finishes.")
    ] = False,
) -> None:
    """Analyse media files and write defects, files and metrics Parquet reports."""
    from rich.console import Console

    from .config import load_config
    from .discover import discover
    from .errors import ParameterError, UsageError
    from .report.parquet import check_writable, write_reports, write_thumbnails
    from .report.store import PartWriter, clear_parts, load_previous, plan_incremental
    from .report.summary import render_summary
    from .runner import default_jobs, scan_files

    try:
        config = load_config(config_file, profile, set_ or [])
        if detectors:
            config = config.with_detectors(detectors.split(","))
        if thumbnails or html:
            config = dataclasses.replace(config, thumbnails=True)
        files = discover(paths, stdin=sys.stdin)
        memory = parse_size(max_memory) if max_memory is not None else None
    except (ParameterError, UsageError) as exc:
        raise _fail(str(exc)) from None
    if not files:
        raise _fail(f"no media files found in {', '.join(map(repr, paths))}")
    try:
        check_writable(out)
    except OSError as exc:
        raise _fail(f"output folder {str(out)!r} is not writable: {exc.strerror or exc}") from None

    import av

    err = Console(stderr=True)
    stdout = Console() if output_format is OutputFormat.table else err
    n_jobs = min(jobs or default_jobs(), max(1, len(files)))
    started = dt.datetime.now(dt.UTC)
    run_meta = {
        "version": __version__,
        "ffmpeg_version": str(av.ffmpeg_version_info),
        "pyav_version": av.__version__,
        "config": config.to_json(),
        "run_id": uuid.uuid4().hex,
        "started_at": started.isoformat(),
    }
    digest = config.digest()
    keep = None
    todo = files
    if incremental:
        todo, keep = plan_incremental(files, load_previous(out), digest)
    else:
        clear_parts(out)  # a killed run's leftovers: this run starts afresh
    kept = len(files) - len(todo)
    results = []
    interrupted = False
    t0 = time.perf_counter()
    parts = PartWriter(out, digest)
    old_term = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with _Progress(err, len(todo), enabled=not quiet and err.is_terminal) as progress:
            for r in scan_files(
                todo,
                config,
                jobs=n_jobs,
                file_timeout=file_timeout,
                max_memory=memory,
                scheduler=scheduler,
            ):
                results.append(r)
                write_thumbnails(r, out)
                parts.add(r)
                progress.advance(r)
                if verbose or (not quiet and not err.is_terminal):
                    _log_line(err, len(results), len(todo), r)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, old_term)
        parts.close()
    wall = time.perf_counter() - t0
    run_meta["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    write_reports(results, out, run_meta, config_digest=digest, keep=keep)
    if output_format is OutputFormat.jsonl:
        from .report.machine import jsonl_lines

        for line in jsonl_lines(results):
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    if junit is not None:
        from .report.machine import write_junit

        write_junit(results, junit, fail_on.value)
    if html:
        from .report.html import write_html

        write_html(out)
    if not interrupted:
        clear_parts(out)
    if not quiet:
        render_summary(stdout, results, wall_s=wall)
        if kept:
            err.print(f"{kept} unchanged file(s) kept from earlier runs (not analysed again).")
        err.print(
            f"Reports in {out}/ (defects, files, metrics .parquet"
            + (", report.html)" if html else ")")
        )
    if interrupted:
        err.print(
            f"Interrupted: {len(todo) - len(results)} of {len(todo)} files not done; "
            f"results of the {len(results)} finished files are written."
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(exit_code(results, fail_on))


def parse_size(text: str) -> int:
    """Bytes in ``text`` like ``4G``, ``800M``, ``512k`` or a plain number (binary units)."""
    from .errors import UsageError

    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in units else ""
    try:
        value = float(t[: len(t) - len(unit)] if unit else t)
    except ValueError:
        raise UsageError(f"--max-memory {text!r}: expected a size like 4G or 800M") from None
    return int(value * units[unit])


def _log_line(console, done: int, total: int, r) -> None:
    worst = r.worst_severity
    n = len(r.events)
    tail = f"{n} finding{'s' if n != 1 else ''}" + (f", worst {worst.value}" if worst else "")
    if r.error:
        tail += f"; {r.error}"
    console.print(
        f"[{done}/{total}] {r.status.value}: {r.path} ({tail})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


class _Progress:
    """A rich progress bar (files, media seconds, ETA) when stderr is a terminal."""

    def __init__(self, console, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self.media_s = 0.0
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("[bold]scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files · {task.fields[media]} of media"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self.task = self.progress.add_task("scan", total=total, media="0 s")

    def __enter__(self) -> _Progress:
        if self.enabled:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.progress.__exit__(*exc)

    def advance(self, r) -> None:
        self.media_s += r.info.duration_s or 0.0
        if self.enabled:
            self.progress.update(self.task, advance=1, media=f"{self.media_s:.0f} s")


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="The --out folder of an earlier scan.")] = Path(
        "streamcheck-report"
    ),
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Write the self-contained HTML report (DIR/report.html) instead of printing "
            "the summary.",
        ),
    ] = False,
    html_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Where --html writes the page (default DIR/report.html)."),
    ] = None,
) -> None:
    """Show the summary of an earlier scan again, or write its HTML report, from its Parquet
    reports."""
    from rich.console import Console

    from .report.parquet import FILES_FILE, read_results
    from .report.summary import render_summary

    if not (out / FILES_FILE).is_file():
        raise _fail(f"no streamcheck report in {str(out)!r} (no {FILES_FILE})")
    if html or html_file is not None:
        from .report.html import write_html

        written = write_html(out, html_file)
        Console(stderr=True).print(f"HTML report: {written}")
        return
    render_summary(Console(), read_results(out))


@app.command()
def selftest(
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--jobs", "-j", min=1, help="Worker processes [default: number of cores]."),
    ] = None,
    set_: SetOpt = None,
    config_file: ConfigOpt = None,
    profile: ProfileOpt = None,
    keep: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Keep the generated clips and their ground truth in this folder."),
    ] = None,
) -> None:
    """Inject every known defect into generated clips, run the detectors, score them.

    Exits 1 when a detector misses an injected defect."""
    from rich.console import Console
    from rich.table import Table

    from . import selftest as st
    from .config import load_config
    from .errors import ParameterError

    try:
        config = load_config(config_file, profile, set_ or [])
    except ParameterError as exc:
        raise _fail(str(exc)) from None
    t0 = time.perf_counter()
    scores, results = st.run(config, jobs=jobs, workdir=keep)
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
    for row in st.rows(scores, config):
        style = "bold red" if row[-1] == "MISSED" else "yellow" if row[-1] == "false alarms" else ""
        table.add_row(*row, style=style)
    console = Console()
    console.print(table)
    for name, sc in scores.items():
        for what in sc.missed:
            console.print(f"  missed {name}: {what}", style="red")
        for what in sc.false_alarms:
            console.print(f"  false alarm {name}: {what}", style="yellow")
    broken = [r for r in results if r.status.value != "ok"]
    for r in broken:
        console.print(f"  {r.status.value}: {r.path}: {r.error}", style="red")
    console.print(f"{len(results)} clips in {time.perf_counter() - t0:.1f} s")
    failed = any(not sc.ok for sc in scores.values()) or broken
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


@app.command("detectors")
def list_detectors(
    config_file: ConfigOpt = None, profile: ProfileOpt = None, set_: SetOpt = None
) -> None:
    """List every detector with its parameters, effective values and units."""
    from rich.console import Console
    from rich.table import Table

    from .config import load_config
    from .detectors import REGISTRY
    from .errors import ParameterError

    try:
        config = load_config(config_file, profile, set_ or [])
    except ParameterError as exc:
        raise _fail(str(exc)) from None
    table = Table(title=f"streamcheck detectors (profile {config.profile})", title_justify="left")
    for col in ("detector", "kind", "parameter", "value", "unit", "mirrors", "meaning"):
        table.add_column(col, overflow="fold")
    for name, cls in REGISTRY.items():
        params = config.params_for(name)
        table.add_section()
        for i, f in enumerate(dataclasses.fields(params)):
            table.add_row(
                f"{name}\n[dim]{cls.description}[/dim]" if i == 0 else "",
                cls.kind if i == 0 else "",
                f.name,
                str(getattr(params, f.name)),
                f.metadata.get("unit") or "",
                f.metadata.get("mirrors") or "",
                f.metadata.get("help", ""),
            )
    Console().print(table)


def main() -> None:
    """Console-script entry point: no traceback reaches the terminal unless
    STREAMCHECK_DEBUG=1."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if os.environ.get("STREAMCHECK_DEBUG") == "1":
            raise
        print(f"streamcheck: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(EXIT_FAILED_FILES)

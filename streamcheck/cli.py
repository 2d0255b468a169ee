"""The ``streamcheck`` command: a thin typer layer over :func:`streamcheck.scan`.

Its length (over 500 lines) is the declarations of six commands' options (scan, watch, diff,
report, detectors, selftest: typer wants each as an annotated parameter, with its help text)
and their mapping to library calls; no analysis, persistence or rendering logic lives here.

Parses options, builds the Config, calls the library, renders progress and the summary, and
maps the outcome to the exit codes of the contract:
0 clean · 1 a finding at or above --fail-on · 2 usage or configuration error ·
3 a file could not be analysed (takes precedence over 1) · 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from ._version import __version__
from .exitcodes import EXIT_FAILED_FILES, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from .config import Config

_NO_BREAK_HYPHEN = "\u2011"
_Context: Any = TyperCommand.context_class


class _HelpFormatter(_Context.formatter_class):  # type: ignore[misc]  # click or typer._click
    """Help wrapped at spaces only: the standard wrapper also breaks after a hyphen, which
    cut defaults and option names over two lines at 80 columns ("streamcheck-" / "report",
    "--fail-" / "on"), where grep and a reader both miss them."""

    def _whole_words(self, write: Any, *args: Any) -> None:
        start = len(self.buffer)
        write(*args)
        self.buffer[start:] = [s.replace(_NO_BREAK_HYPHEN, "-") for s in self.buffer[start:]]

    def write_text(self, text: str) -> None:
        self._whole_words(super().write_text, text.replace("-", _NO_BREAK_HYPHEN))

    def write_dl(self, rows: Any, *args: Any, **kwargs: Any) -> None:
        rows = [(term, text.replace("-", _NO_BREAK_HYPHEN)) for term, text in rows]
        self._whole_words(lambda: super(_HelpFormatter, self).write_dl(rows, *args, **kwargs))


class _HelpContext(_Context):  # type: ignore[misc]
    formatter_class = _HelpFormatter


class _Group(TyperGroup):
    context_class = _HelpContext


class _Command(TyperCommand):
    context_class = _HelpContext


app = typer.Typer(
    cls=_Group,
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell
    add_completion=True,
    # plain help: it wraps whole words at any width (CI logs, cron mail are 80 columns), where
    # rich's panels cut defaults short ("streamcheck-repor…") and show <bool> on flags
    rich_markup_mode=None,
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
        metavar="FILE",
        help="TOML configuration [default: ./streamcheck.toml when present].",
    ),
]
ProfileOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        metavar="NAME",
        help="Parameter profile: default, broadcast-ebu, atsc, streaming, archive.",
    ),
]
SetOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--set",
        metavar="DET.PARAM=VALUE",
        help="Override one parameter, e.g. --set black.min_duration_s=3 (repeatable).",
    ),
]


class FailOn(str, enum.Enum):
    info = "info"
    warning = "warning"
    error = "error"
    never = "never"


OutOpt = Annotated[
    Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the Parquet reports.")
]
JobsOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Worker processes [default: number of cores].",
    ),
]
FailOnOpt = Annotated[
    FailOn,
    typer.Option(
        metavar="LEVEL",
        help="Exit 1 when a finding is at or above this severity: info, warning, error, or never.",
    ),
]
DetectorsOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        metavar="A,B",
        help="Comma-separated detectors to run [default: all]; see 'streamcheck detectors'.",
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="table: the summary on stdout; jsonl: one JSON object per finding on stdout, "
        "the summary on stderr.",
    ),
]
FileTimeoutOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option(
        min=1,
        metavar="S",
        help="Seconds one file may take before its worker is stopped (status timeout) "
        "[default: 120 + 20 × the file's duration].",
    ),
]
MaxMemoryOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        metavar="SIZE",
        help="Memory limit per worker, e.g. 4G or 800M; 0 = none (status error when "
        "reached) [default: 80% of RAM shared by the workers, at least 2G].",
    ),
]
ThumbnailsOpt = Annotated[
    bool,
    typer.Option(
        show_default=False,
        help="Write a small JPEG of each video finding's first picture under "
        "DIR/thumbs/ (a thumbnail column in defects.parquet).",
    ),
]
HtmlOpt = Annotated[
    bool,
    typer.Option(
        "--html",
        help="Also write DIR/report.html: one self-contained page with timelines, "
        "per-second plots and thumbnails (implies --thumbnails).",
    ),
]
PrometheusOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        metavar="FILE",
        help="Also write the run's figures (files by status, findings by detector and "
        "severity, media and CPU seconds, end time) for node_exporter's textfile collector "
        "(a .prom file, replaced atomically).",
    ),
]
ToleranceOpt = Annotated[
    float,
    typer.Option(
        "--tolerance",
        min=0,
        metavar="S",
        help="Seconds apart two findings' time spans may be and still be the same finding.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log every file as it finishes.")]


def _versions() -> str:
    from .decode import versions

    ffmpeg, pyav = versions()
    return f"streamcheck {__version__}\nPyAV {pyav}\nFFmpeg {ffmpeg}"


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
    from .report.text import printable

    typer.echo(f"streamcheck: error: {printable(message)}", err=True)
    return typer.Exit(code)


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command(cls=_Command)
def scan(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH",
            help="Media files, folders (walked recursively), globs, or - to read "
            "paths from stdin, one per line.",
        ),
    ],
    out: OutOpt = Path("streamcheck-report"),
    jobs: JobsOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    detectors: DetectorsOpt = None,
    set_: SetOpt = None,
    config_file: ConfigOpt = None,
    profile: ProfileOpt = None,
    output_format: FormatOpt = OutputFormat.table,
    junit: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            metavar="FILE",
            help="Also write JUnit XML: a test case per file, failing at --fail-on.",
        ),
    ] = None,
    file_timeout: FileTimeoutOpt = None,
    max_memory: MaxMemoryOpt = None,
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            envvar="DASK_SCHEDULER_ADDRESS",
            metavar="ADDRESS",
            help="Run on a Dask cluster: its scheduler's address, e.g. tcp://host:8786 "
            "(needs the dask extra; workers must see the files at the same paths).",
        ),
    ] = None,
    thumbnails: ThumbnailsOpt = False,
    html: HtmlOpt = False,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Triage: the decoder does less (H.264 and HEVC without their deblocking "
            "filter; MPEG-2, MPEG-4, MJPEG, DV at half or a quarter of the size): a half to "
            "nine tenths of a full scan's CPU on video. Black, freeze, silence, loudness... "
            "are found as usual; blockiness, interlace and levels need full pictures and are "
            "left out (the summary and the reports' metadata say so).",
        ),
    ] = False,
    incremental: Annotated[
        bool,
        typer.Option(
            show_default=False,
            help="Skip files whose path, size, mtime and configuration match a row already in "
            "--out (for cron); also resumes a run that was killed.",
        ),
    ] = False,
    baseline: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            metavar="DIR",
            help="An accepted earlier report: the exit code counts only findings not in it "
            "(new, or of a higher severity), as 'streamcheck diff' matches them.",
        ),
    ] = None,
    tolerance: ToleranceOpt = 0.5,
    prometheus: PrometheusOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Analyse media files and write defects, files and metrics Parquet reports."""
    from rich.console import Console

    from .errors import ParameterError, UsageError
    from .report.diff import Tolerance
    from .report.progress import Progress
    from .report.summary import render_summary
    from .report.text import printable
    from .session import run

    try:
        config = _config(config_file, profile, set_)
        if detectors is not None:
            config = config.with_detectors(detectors.split(","))
        if thumbnails:
            config = dataclasses.replace(config, thumbnails=True)
        if fast:
            config = dataclasses.replace(config, fast=True)
        memory = parse_size(max_memory) if max_memory is not None else None
    except (ParameterError, UsageError) as exc:
        raise _fail(str(exc)) from None
    err = Console(stderr=True)
    stdout = Console() if output_format is OutputFormat.table else err
    old_term = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with Progress(
            err,
            bar=not quiet and err.is_terminal,
            lines=verbose or (not quiet and not err.is_terminal),
        ) as progress:
            outcome = run(
                paths,
                config,
                out=out,
                incremental=incremental,
                jobs=jobs,
                file_timeout=file_timeout,
                max_memory=memory,
                scheduler=scheduler,
                html=html,
                junit=junit,
                fail_on=fail_on.value,
                baseline=baseline,
                tolerance=Tolerance(time_s=tolerance),
                prometheus=prometheus,
                stdin=sys.stdin,
                on_start=progress.start,
                on_result=progress.advance,
            )
    except UsageError as exc:
        raise _fail(str(exc)) from None
    finally:
        signal.signal(signal.SIGTERM, old_term)
    results = outcome.results
    for note in outcome.notes:  # one line each, whatever the width: grep-able in cron mail
        err.print(
            f"streamcheck: warning: {printable(note)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for problem in outcome.problems:
        err.print(
            f"streamcheck: error: {printable(problem)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if quiet:  # a cron mail must still say which files were not analysed, and why
        for r in results:
            if r.status.value != "ok":
                err.print(
                    printable(f"{r.status.value}: {r.path}: {r.error}"),
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
    if output_format is OutputFormat.jsonl:
        from .report.machine import jsonl_lines

        for line in jsonl_lines(results):
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    if not quiet:
        render_summary(
            stdout,
            results,
            wall_s=outcome.wall_s,
            fast_left_out=config.left_out() if config.fast else None,
        )
        if outcome.kept:
            err.print(
                f"{outcome.kept} unchanged file(s) kept from earlier runs (not analysed again)."
            )
        err.print(
            f"Reports in {out}/ (defects, files, metrics .parquet"
            + (", report.html)" if html else ")")
        )
    if outcome.baseline is not None and not outcome.interrupted:
        from .report.diffview import baseline_line

        err.print(baseline_line(outcome.baseline, str(baseline), fail_on.value), soft_wrap=True)
    if outcome.interrupted:
        todo = outcome.files - outcome.kept
        err.print(
            f"Interrupted: {todo - len(results)} of {todo} files not done; "
            f"results of the {len(results)} finished files are written."
        )
    raise typer.Exit(outcome.exit_code(fail_on.value))


def _config(config_file: Path | None, profile: str | None, set_: list[str] | None) -> Config:
    from .config import load_config

    return load_config(config_file, profile, set_ or [])


def parse_size(text: str) -> int:
    """Bytes in ``text`` like ``4G``, ``800M``, ``512k`` or a plain number (binary units)."""
    from .errors import UsageError

    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in units else ""
    try:
        value = float(t[: len(t) - len(unit)] if unit else t)
        if not 0 <= value < float("inf"):
            raise ValueError
        return int(value * units[unit])
    except (ValueError, OverflowError):
        raise UsageError(f"--max-memory {text!r}: expected a size like 4G or 800M") from None


@app.command(cls=_Command)
def report(
    out: Annotated[
        Path, typer.Argument(metavar="DIR", help="The --out folder of an earlier scan.")
    ] = Path("streamcheck-report"),
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
        typer.Option(
            metavar="FILE", help="Where --html writes the page (default DIR/report.html)."
        ),
    ] = None,
) -> None:
    """Show the summary of an earlier scan again, or write its HTML report, from its Parquet
    reports."""
    from rich.console import Console

    from .report.parquet import FILES_FILE, read_results, read_run_meta
    from .report.summary import render_summary

    if not (out / FILES_FILE).is_file():
        raise _fail(f"no streamcheck report in {str(out)!r} (no {FILES_FILE})")
    if html or html_file is not None:
        from .report.html import write_html

        written = write_html(out, html_file)
        Console(stderr=True).print(f"HTML report: {written}")
        return
    meta = read_run_meta(out / FILES_FILE)
    left_out = [n for n in meta.get("left_out", "").split(",") if n]
    fast = left_out if meta.get("fast") == "true" else None
    render_summary(Console(), read_results(out), fast_left_out=fast)


@app.command(cls=_Command)
def watch(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="The folder to watch (and its subfolders).")
    ],
    out: OutOpt = Path("streamcheck-report"),
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Analyse the complete files there are now and exit (for cron); files still "
            "changing are left for the next run.",
        ),
    ] = False,
    settle: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="S",
            help="A file is complete when its size and mtime have not changed for S seconds.",
        ),
    ] = 10.0,
    marker: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            metavar="SUFFIX",
            help="A file is complete when its marker exists instead, e.g. --marker .done: "
            "NAME.done or NAME.EXT.done beside NAME.EXT.",
        ),
    ] = None,
    poll: Annotated[
        bool,
        typer.Option(
            "--poll",
            help="Poll the folder instead of waiting for file-system events (network file "
            "systems: NFS, SMB).",
        ),
    ] = False,
    jobs: JobsOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    detectors: DetectorsOpt = None,
    set_: SetOpt = None,
    config_file: ConfigOpt = None,
    profile: ProfileOpt = None,
    file_timeout: FileTimeoutOpt = None,
    max_memory: MaxMemoryOpt = None,
    thumbnails: ThumbnailsOpt = False,
    html: HtmlOpt = False,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Triage, as scan --fast: the decoder does less; blockiness, interlace and "
            "levels are left out.",
        ),
    ] = False,
    prometheus: PrometheusOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Watch a hot folder: analyse each new or changed media file once it is complete, and
    keep the reports in --out current after each file (as scan --incremental writes them).

    Runs until SIGTERM or Ctrl-C (files being analysed then are handed back: analysed at the
    next start) and exits 0; with --once, exits as scan does (0, 1 or 3) over the files it
    analysed. A file deleted from DIR leaves the reports; a replaced one is analysed again."""
    from rich.console import Console

    from .errors import ParameterError, UsageError
    from .report.progress import result_text
    from .report.text import printable
    from .watch import watch as watch_folder

    try:
        config = _config(config_file, profile, set_)
        if detectors is not None:
            config = config.with_detectors(detectors.split(","))
        if thumbnails:
            config = dataclasses.replace(config, thumbnails=True)
        if fast:
            config = dataclasses.replace(config, fast=True)
        memory = parse_size(max_memory) if max_memory is not None else None
    except (ParameterError, UsageError) as exc:
        raise _fail(str(exc)) from None
    err = Console(stderr=True)

    def on_result(r: Any) -> None:  # a line per file, as it finishes: the watch's log
        if not quiet or r.status.value != "ok":
            on_note(result_text(r))

    def on_note(text: str) -> None:
        err.print(f"streamcheck: {printable(text)}", markup=False, highlight=False, soft_wrap=True)

    if not quiet and not once:
        how = f"marker {marker}" if marker else f"{settle:g} s unchanged"
        on_note(f"watching {folder} ({how}; reports in {out}/); SIGTERM or Ctrl-C to stop")
    old_term = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        outcome = watch_folder(
            folder,
            config,
            out=out,
            settle_s=settle,
            marker=marker,
            once=once,
            poll=poll,
            jobs=jobs,
            file_timeout=file_timeout,
            max_memory=memory,
            html=html,
            prometheus=prometheus,
            fail_on=fail_on.value,
            on_result=on_result,
            # --quiet: only what went wrong
            on_note=lambda text: (
                None if quiet and not text.startswith(("warning", "could not")) else on_note(text)
            ),
        )
    except UsageError as exc:
        raise _fail(str(exc)) from None
    finally:
        signal.signal(signal.SIGTERM, old_term)
    for text in outcome.notes:
        on_note(f"warning: {text}")
    for problem in outcome.problems:
        on_note(f"error: {problem}")
    if not quiet:
        tail = f", {len(outcome.removed)} removed (deleted)" if outcome.removed else ""
        if outcome.handed_back:
            tail += f", {outcome.handed_back} in progress handed back (analysed at the next start)"
        state = "stopped" if outcome.stopped else "done"
        on_note(f"{state}: {len(outcome.results)} file(s) analysed{tail}; reports in {out}/")
    raise typer.Exit(outcome.exit_code(fail_on.value))


@app.command("diff", cls=_Command)
def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD_DIR", help="The earlier report folder.")],
    new: Annotated[Path, typer.Argument(metavar="NEW_DIR", help="The later report folder.")],
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="table: a table of the changes; jsonl: a JSON object per file and per "
            "changed finding.",
        ),
    ] = OutputFormat.table,
    fail_on: FailOnOpt = FailOn.error,
    tolerance: ToleranceOpt = 0.5,
    unchanged: Annotated[
        bool, typer.Option("--unchanged", help="Also list the findings that did not change.")
    ] = False,
) -> None:
    """What changed between two runs: per file, the findings that are new, resolved or
    changed (same detector and time, another severity or value).

    Exits 1 when a new finding (or one whose severity rose) is at or above --fail-on, 3 when
    a file could not be analysed in NEW_DIR that was in OLD_DIR."""
    from rich.console import Console

    from .report.diff import Tolerance, compare_reports
    from .report.diffview import diff_lines, render_diff
    from .report.parquet import FILES_FILE

    for folder in (old, new):
        if not (folder / FILES_FILE).is_file():
            raise _fail(f"no streamcheck report in {str(folder)!r} (no {FILES_FILE})")
    try:
        comparison = compare_reports(old, new, Tolerance(time_s=tolerance))
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read the reports: {exc}") from None
    if output_format is OutputFormat.jsonl:
        for line in diff_lines(comparison, unchanged=unchanged):
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    else:
        render_diff(Console(), comparison, title=f"{old} → {new}", unchanged=unchanged)
    raise typer.Exit(comparison.exit_code(fail_on.value))


@app.command(cls=_Command)
def selftest(
    jobs: JobsOpt = None,
    set_: SetOpt = None,
    config_file: ConfigOpt = None,
    profile: ProfileOpt = None,
    keep: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            metavar="DIR", help="Keep the generated clips and their ground truth in this folder."
        ),
    ] = None,
) -> None:
    """Inject every known defect into generated clips, run the detectors, score them.

    Exits 1 when a detector misses an injected defect."""
    from rich.console import Console

    from . import selftest as st
    from .errors import ParameterError

    try:
        config = _config(config_file, profile, set_)
    except ParameterError as exc:
        raise _fail(str(exc)) from None
    t0 = time.perf_counter()
    scores, results = st.run(config, jobs=jobs, workdir=keep)
    st.render(Console(), scores, results, config, time.perf_counter() - t0)
    raise typer.Exit(EXIT_OK if st.passed(scores, results) else EXIT_FINDINGS)


@app.command("detectors", cls=_Command)
def list_detectors(
    config_file: ConfigOpt = None, profile: ProfileOpt = None, set_: SetOpt = None
) -> None:
    """List every detector with its parameters, effective values and units."""
    from rich.console import Console

    from .errors import ParameterError
    from .report.catalogue import render_detectors

    try:
        config = _config(config_file, profile, set_)
    except ParameterError as exc:
        raise _fail(str(exc)) from None
    render_detectors(Console(), config)


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
        from .report.text import printable

        print(
            f"streamcheck: internal error: {printable(f'{type(exc).__name__}: {exc}')}",
            file=sys.stderr,
        )
        sys.exit(EXIT_FAILED_FILES)

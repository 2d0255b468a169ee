"""A hot folder: ``streamcheck watch DIR --out OUT`` analyses each new or changed media file
under DIR once it is complete, and keeps the reports in OUT current, file by file::

    import streamcheck.watch
    outcome = streamcheck.watch.watch("ingest", out="qc", settle_s=10, once=True)

A file is *complete* when its size and modification time have not changed for ``settle_s``
seconds (a file first seen with a modification time that long ago counts as settled), or,
with ``marker=".done"``, when its sidecar marker exists (``clip.mxf.done`` or ``clip.done``,
for transfers that write one when they finish). Files are analysed with the pool, limits and
outputs of ``scan --incremental``: a file whose path, size, mtime and configuration match its
row in OUT is not analysed again, so a restart (or a cron ``--once`` run) picks up where the
last one stopped. After each file the reports are rewritten (atomically, as a scan's are); a
file deleted from DIR leaves the reports, a replaced file is analysed again when it settles.
Rows of files outside DIR (an earlier scan into the same OUT) are kept as they are.

File-system events (inotify and its kin, through ``watchfiles``) wake the loop; the folder is
listed again on every event, on every tick while files are settling, and every
:data:`RESCAN_S` seconds in any case. ``poll=True`` polls instead (network file systems,
whose changes made on other machines raise no events); a watcher that cannot start (the
inotify watch limit) falls back to polling, with a note.

It runs until ``stop`` is set or KeyboardInterrupt (the command turns SIGTERM into one): files
being analysed then are handed back (not written; analysed at the next start), and the
reports hold every file finished before. ``once=True`` analyses the complete files there are
and returns (for cron): files still changing are left for the next run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ._version import __version__
from .config import Config
from .decode import versions
from .discover import discover_all
from .errors import UsageError
from .model import FileResult
from .report.parquet import REPORTS, to_tables, write_reports, write_thumbnails
from .report.prometheus import RunFigures, write_prometheus
from .report.store import OutputLock, clear_parts, load_previous, plan_incremental
from .report.text import path_from_row, path_text
from .runner import scan_files
from .session import check_file_writable, exit_code, prepare_out

DEFAULT_SETTLE_S = 10.0
RESCAN_S = 60.0  # the folder is listed at least this often, events or not
MAX_TICK_S = 1.0  # settling files are looked at again at least this often

Stat = tuple[int, int]  # size, mtime (ns)


@dataclass
class WatchOutcome:
    """What a watch did: the results of the files it analysed (in the order they finished),
    the files still settling when it ended, whether it was stopped (a signal or ``stop``)
    rather than ending by itself (``once``), files removed from the reports because they were
    deleted, notes and problems as :class:`~streamcheck.session.RunOutcome`'s."""

    out: Path
    results: list[FileResult] = field(default_factory=list)
    settling: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    handed_back: int = 0
    stopped: bool = False
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def exit_code(self, fail_on: str = "error") -> int:
        """The contract's exit code over the files analysed (a watch that was stopped by a
        signal ends normally: 0, unless a report could not be written)."""
        if self.problems:
            return 3
        if self.stopped:
            return 0
        return exit_code(self.results, fail_on)


@dataclass
class _Seen:
    stat: Stat
    since: float  # monotonic time from which the stat is known unchanged


class _Folder:
    """The media files of the watched folder and how long each has been unchanged."""

    def __init__(self, root: str, settle_s: float, marker: str | None) -> None:
        self.root = root
        self.settle_s = settle_s
        self.marker = marker
        self.seen: dict[str, _Seen] = {}

    def relist(self) -> None:
        """List the folder again: new files, changed ones (their clock restarts), gone ones."""
        now, wall = time.monotonic(), time.time()
        current: dict[str, Stat] = {}
        try:
            listed = discover_all([self.root])[0]
        except UsageError:  # the folder itself is gone: no files
            listed = []
        for path in listed:
            st = _stat(path)
            if st is not None:
                current[path] = st
        for path in list(self.seen):
            if path not in current:
                del self.seen[path]
        for path, st in current.items():
            self._observe(path, st, now, wall)

    def restat(self, paths: list[str]) -> None:
        """Look at some files again (those still settling)."""
        now, wall = time.monotonic(), time.time()
        for path in paths:
            st = _stat(path)
            if st is None:
                self.seen.pop(path, None)
            else:
                self._observe(path, st, now, wall)

    def _observe(self, path: str, st: Stat, now: float, wall: float) -> None:
        old = self.seen.get(path)
        if old is None:
            # first sight: unchanged since its mtime, as far as we know (never in the future)
            age = max(0.0, wall - st[1] / 1e9)
            self.seen[path] = _Seen(st, now - age)
        elif old.stat != st:
            self.seen[path] = _Seen(st, now)

    def complete(self, path: str) -> bool:
        if self.marker is not None:
            return any(os.path.exists(m) for m in _markers(path, self.marker))
        return time.monotonic() - self.seen[path].since >= self.settle_s

    def ready(self) -> list[str]:
        return sorted(p for p in self.seen if self.complete(p))

    def settling(self) -> list[str]:
        return sorted(p for p in self.seen if not self.complete(p))

    def next_due(self) -> float | None:
        """Seconds until the next settling file may be complete (None: none is settling, or
        completion is a marker's)."""
        if self.marker is not None:
            return None
        now = time.monotonic()
        waits = [self.settle_s - (now - s.since) for p, s in self.seen.items()]
        waits = [w for w in waits if w > 0]
        return min(waits) if waits else None


def _markers(path: str, marker: str) -> tuple[str, str]:
    """``clip.mxf`` + ``.done`` → ``clip.mxf.done`` and ``clip.done``."""
    return path + marker, os.path.splitext(path)[0] + marker


def _stat(path: str) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class _Reports:
    """The report tables in memory, rewritten into ``out`` after each change."""

    def __init__(self, out: Path, config: Config, html: bool) -> None:
        self.out = out
        self.html = html
        self.digest = config.digest()
        self.tables, self.notes = load_previous(out)
        ffmpeg, pyav = versions()
        self.meta = {
            "version": __version__,
            "ffmpeg_version": ffmpeg,
            "pyav_version": pyav,
            "config": config.to_json(),
            **config.mode_meta(),
            "run_id": uuid.uuid4().hex,
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
        }

    def paths(self) -> list[str]:
        files = self.tables["files"]
        raw = files.column("path_bytes").to_pylist() if "path_bytes" in files.column_names else None
        texts = files.column("path").to_pylist()
        return [path_from_row(t, raw[i] if raw else None) for i, t in enumerate(texts)]

    def _drop(self, paths: list[str]) -> None:
        gone = pa.array([path_text(p) for p in paths], pa.string())
        self.tables = {
            name: table.filter(pc.invert(pc.is_in(table.column("path"), value_set=gone)))
            for name, table in self.tables.items()
        }

    def remove(self, paths: list[str]) -> None:
        self._drop(paths)
        self.write()

    def add(self, result: FileResult) -> None:
        self._drop([result.path])
        new = to_tables([result], self.digest)
        self.tables = {
            name: pa.concat_tables([self.tables[name], new[name].cast(self.tables[name].schema)])
            for name in REPORTS
        }
        write_thumbnails(result, self.out)
        self.write()

    def write(self) -> None:
        self.meta["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
        write_reports([], self.out, self.meta, config_digest=self.digest, keep=self.tables)
        if self.html:
            from .report.html import write_html

            write_html(self.out)


def _events(
    root: str, poll: bool, tick_s: float, stop: threading.Event, warn: Callable[[str], None]
) -> Iterator[bool]:
    """Yields True when the folder changed, False after ``tick_s`` without a change. Starts
    with True. Falls back to polling when the watcher cannot start."""
    import watchfiles

    yield True
    force = poll
    while True:
        try:
            for changes in watchfiles.watch(
                root,
                watch_filter=None,
                stop_event=stop,
                rust_timeout=max(50, int(tick_s * 1000)),
                yield_on_timeout=True,
                debounce=max(100, int(tick_s * 1000)),
                step=50,
                force_polling=force,
                poll_delay_ms=max(50, int(tick_s * 1000)),
            ):
                yield bool(changes)
            return  # stop was set
        except OSError as exc:
            if force:
                raise
            warn(f"cannot watch {root} for changes ({exc}); polling it instead")
            force = True


def watch(
    folder: str | os.PathLike[str],
    config: Config | None = None,
    *,
    out: str | os.PathLike[str] = "streamcheck-report",
    settle_s: float = DEFAULT_SETTLE_S,
    marker: str | None = None,
    once: bool = False,
    poll: bool = False,
    jobs: int | None = None,
    file_timeout: float | None = None,
    max_memory: int | None = None,
    scheduler: str | None = None,
    html: bool = False,
    prometheus: str | os.PathLike[str] | None = None,
    fail_on: str = "error",
    stop: threading.Event | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> WatchOutcome:
    """Watch ``folder`` and keep the reports in ``out`` current (module docstring). The
    options are :func:`streamcheck.run`'s. ``on_result(result)`` is called as each file
    finishes, ``on_note(text)`` for what a log should say (a file removed, files settling at
    the end of a ``once`` run, a fallback to polling)."""
    config = config or Config()
    root = os.path.abspath(os.fspath(folder))
    if not os.path.isdir(root):
        raise UsageError(f"{str(folder)!r} is not a folder")
    if not 0 <= settle_s < float("inf"):
        raise UsageError(f"settle {settle_s!r}: expected seconds, 0 or more")
    if marker is not None and (not marker or os.sep in marker):
        raise UsageError(f"marker {marker!r}: expected a suffix such as .done")
    if html:
        config = dataclasses.replace(config, thumbnails=True)
    out_path = prepare_out(out)
    if prometheus is not None:
        check_file_writable("--prometheus", prometheus)
    stop = stop or threading.Event()
    outcome = WatchOutcome(out=out_path)
    note = on_note or (lambda text: None)
    t0 = time.perf_counter()
    figures = RunFigures()
    with OutputLock(out_path):
        clear_parts(out_path)  # a watch writes whole reports after each file, never parts
        reports = _Reports(out_path, config, html)
        outcome.notes += reports.notes
        files = _Folder(root, settle_s, marker)
        tick = min(MAX_TICK_S, max(0.05, settle_s / 4))
        attempted: dict[str, Stat] = {}  # what this watch analysed (a timeout is not retried)

        def publish() -> None:
            figures.kept = reports.tables["files"].num_rows - sum(figures.files.values())
            figures.wall_s = time.perf_counter() - t0
            figures.end_time = time.time()
            if prometheus is not None:
                try:
                    write_prometheus(prometheus, figures)
                except OSError as exc:
                    note(f"could not write {prometheus}: {exc.strerror or exc}")

        def one_pass() -> None:
            gone = [p for p in reports.paths() if _under(p, root) and not os.path.lexists(p)]
            if gone:
                reports.remove(gone)
                publish()
                outcome.removed += gone
                for p in gone:
                    note(f"removed from the reports (deleted): {p}")
            ready = [p for p in files.ready() if attempted.get(p) != files.seen[p].stat]
            todo, _ = plan_incremental(ready, reports.tables, reports.digest)
            for p in set(ready) - set(todo):
                attempted[p] = files.seen[p].stat
            if not todo:
                return
            in_flight = set(todo)
            stats = {p: files.seen[p].stat for p in todo}
            for p in todo:
                note(f"analysing: {p}")
            results: Generator[FileResult, None, None] = scan_files(  # type: ignore[assignment]
                todo,
                config,
                jobs=jobs,
                file_timeout=file_timeout,
                max_memory=max_memory,
                scheduler=scheduler,
            )
            try:
                for r in results:
                    in_flight.discard(r.path)
                    if _stat(r.path) != stats.get(r.path):
                        # changed while it was analysed: its result is of another file
                        files.restat([r.path])
                        continue
                    attempted[r.path] = stats[r.path]
                    reports.add(r)
                    outcome.results.append(r)
                    figures.add(r)
                    publish()
                    if on_result is not None:
                        on_result(r)
                    if stop.is_set():
                        break
            finally:
                results.close()  # stops the workers of files still in flight
                outcome.handed_back = len(in_flight)

        try:
            changed = _events(root, poll, tick, stop, lambda text: note(f"warning: {text}"))
            last_list = -RESCAN_S
            first = True
            for event in changed:
                if event or time.monotonic() - last_list >= RESCAN_S:
                    files.relist()
                    last_list = time.monotonic()
                else:
                    files.restat(files.settling())
                one_pass()
                if once or stop.is_set():
                    break
                if first:  # the monitoring file exists from the start (then: as files finish)
                    publish()
                    first = False
                due = files.next_due()
                if due is not None and due < tick:
                    time.sleep(due)
            outcome.stopped = stop.is_set()
        except KeyboardInterrupt:
            outcome.stopped = True
        except OSError as exc:
            outcome.problems.append(f"could not write the reports in {out_path}: {exc}")
        outcome.settling = files.settling()
        if once and outcome.settling:
            note(
                f"{len(outcome.settling)} file(s) still changing, left for the next run: "
                + ", ".join(outcome.settling[:5])
                + (" …" if len(outcome.settling) > 5 else "")
            )
        outcome.wall_s = time.perf_counter() - t0
        figures.exit_code = outcome.exit_code(fail_on)
        publish()
    return outcome

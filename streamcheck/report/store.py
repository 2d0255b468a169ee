"""Results kept across runs: progressive part files, what an incremental run may skip, and
the lock that keeps two runs out of one output folder.

During a run every finished file's rows are written within half a second to a part file in
``DIR/.streamcheck-parts/`` (defects, metrics, then files, each renamed into place; a part
counts once its files table exists). The final reports merge the parts and the earlier final
reports, then the parts are removed. A run that was killed, or whose final reports could not be
written (a full disk), leaves its parts behind, so running the same command again with
``--incremental`` finds those files done.

An incremental run skips a file when an earlier row has the same path, size and modification
time, was analysed with the same effective configuration (``config_digest``), and ended ``ok``
or ``error`` (a ``timeout`` or ``crashed`` file is tried again). Rows of files that are no
longer among the inputs are dropped: the report describes the files scanned. An earlier report
that cannot be read is renamed aside (``NAME.damaged-TIME``) and the files it covered are
analysed again; nothing is trusted half.

One run at a time writes into an output folder: :class:`OutputLock` holds an exclusive lock
(``DIR/.streamcheck.lock``, with the holder's PID inside, removed at the end) for the whole
run; a second run is refused, naming the first. The lock is the kernel's (``flock``): it goes
with its process, even one killed with ``kill -9``, so it never goes stale.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import UsageError
from ..model import FileResult
from .parquet import REPORTS, SCHEMAS, _write, to_tables
from .text import path_from_row, path_text

PARTS_DIR = ".streamcheck-parts"
LOCK_FILE = ".streamcheck.lock"
FLUSH_EVERY_S = 0.5
RETRY_STATUSES = {"timeout", "crashed"}


class Damaged(Exception):
    """A report file that exists but cannot be read."""


def _read(path: Path, name: str) -> pa.Table | None:
    """The table in ``path`` in the current schema; None when there is no such file; raises
    :class:`Damaged` when it exists and cannot be read."""
    if not path.exists():
        return None
    try:
        table = pq.read_table(path)
        target = SCHEMAS[name]
        for field in target:  # reports of older versions may lack a column
            if field.name not in table.column_names:
                table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
        return table.select(target.names).cast(target)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise Damaged(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _set_aside(path: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, aside)
    return aside


def load_previous(out_dir: str | os.PathLike[str]) -> tuple[dict[str, pa.Table], list[str]]:
    """Earlier results in ``out_dir``: the final reports plus any complete part files, the
    newest rows winning for a path present in both; and notes for the user about reports that
    could not be read (renamed aside; the files they covered are analysed again)."""
    out = Path(out_dir)
    notes: list[str] = []
    sources: list[dict[str, pa.Table]] = []
    final: dict[str, pa.Table] = {}
    damaged = []
    for name, filename in REPORTS.items():
        try:
            table = _read(out / filename, name)
        except Damaged as exc:
            aside = _set_aside(out / filename)
            damaged.append(f"{filename} ({exc}; kept aside as {aside.name})")
            continue
        if table is not None:
            final[name] = table
    if damaged:
        covered = final["files"].num_rows if "files" in final else 0
        notes.append(
            f"earlier report {', '.join(damaged)} could not be read: "
            + (
                f"the {covered} file(s) it covered are analysed again"
                if covered
                else "the files it covered are analysed again"
            )
        )
    elif "files" in final:
        sources.append(final)
    parts = out / PARTS_DIR
    if parts.is_dir():
        for files_part in sorted(parts.glob("*.files.parquet")):
            stem = files_part.name[: -len(".files.parquet")]
            try:
                part = {n: _read(parts / f"{stem}.{n}.parquet", n) for n in REPORTS}
            except Damaged:
                continue  # a part cut short by a kill: its files are analysed again
            if all(t is not None for t in part.values()):
                sources.append({n: t for n, t in part.items() if t is not None})
    merged: dict[str, pa.Table] = {n: SCHEMAS[n].empty_table() for n in REPORTS}
    for source in sources:  # later sources replace earlier rows of the same paths
        newer = source["files"].column("path")
        for name in REPORTS:
            table = source.get(name, SCHEMAS[name].empty_table())
            old = merged[name]
            old = old.filter(pc.invert(pc.is_in(old.column("path"), value_set=newer)))
            merged[name] = pa.concat_tables([old, table])
    return merged, notes


def plan_incremental(
    files: Iterable[str], previous: dict[str, pa.Table], config_digest: str
) -> tuple[list[str], dict[str, pa.Table]]:
    """Split ``files`` into those to analyse and the earlier rows kept for the others."""
    rows = {path_from_row(r["path"], r.get("path_bytes")): r for r in previous["files"].to_pylist()}
    todo: list[str] = []
    kept: list[str] = []
    for path in files:
        row = rows.get(path)
        try:
            st = os.stat(path)
        except OSError:
            todo.append(path)
            continue
        mtime = dt.datetime.fromtimestamp(st.st_mtime, dt.UTC)
        same = (
            row is not None
            and row["size_bytes"] == st.st_size
            and row["mtime"] is not None
            and abs((row["mtime"] - mtime).total_seconds()) < 1e-3
            and row["config_digest"] == config_digest
            and row["status"] not in RETRY_STATUSES
        )
        (kept if same else todo).append(path)
    keep_set = pa.array([path_text(p) for p in kept], pa.string())
    kept_tables = {
        name: table.filter(pc.is_in(table.column("path"), value_set=keep_set))
        for name, table in previous.items()
    }
    return todo, kept_tables


class OutputLock:
    """Exclusive use of an output folder for one run (see the module docstring)."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.path = Path(out_dir) / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise UsageError(
                    f"another streamcheck run (PID {holder}) is writing into "
                    f"{str(self.path.parent)!r}; wait for it to finish or use another --out"
                ) from None
            try:  # the holder before us may have removed the file as we opened it
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):  # no lock file left behind in the reports
                self.path.unlink()
            os.close(self._fd)  # releases the lock
            self._fd = None


def clear_parts(out_dir: str | os.PathLike[str]) -> None:
    parts = Path(out_dir) / PARTS_DIR
    if parts.is_dir():
        for p in parts.iterdir():
            p.unlink(missing_ok=True)
        parts.rmdir()


class PartWriter:
    """Writes finished results to part files from a background thread, at most
    :data:`FLUSH_EVERY_S` after they arrive (so a hang or a kill loses nothing finished)."""

    def __init__(self, out_dir: str | os.PathLike[str], config_digest: str) -> None:
        self.dir = Path(out_dir) / PARTS_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.digest = config_digest
        self.run = uuid.uuid4().hex[:12]
        self.error: OSError | None = None  # the last failure to write a part, if any
        self._pending: list[FileResult] = []
        self._lock = threading.Lock()
        self._seq = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="streamcheck-parts")
        self._thread.start()

    def add(self, result: FileResult) -> None:
        with self._lock:
            self._pending.append(result)

    def _loop(self) -> None:
        while not self._stop.wait(FLUSH_EVERY_S):
            self.flush()

    def flush(self) -> None:
        """Write what arrived since the last flush as one part. A failure (a full disk) keeps
        the batch for the next attempt and is remembered in :attr:`error`; it never raises."""
        with self._lock:
            batch = self._pending
            if not batch:
                return
            self._seq += 1
            stem = f"{self.run}-{self._seq:06d}"
            try:
                tables = to_tables(batch, self.digest)
                for name in ("defects", "metrics", "streams", "files"):  # files last: complete
                    _write(tables[name], self.dir / f"{stem}.{name}.parquet")
            except OSError as exc:
                self.error = exc
                for name in ("defects", "metrics", "streams", "files"):
                    (self.dir / f"{stem}.{name}.parquet").unlink(missing_ok=True)
                return
            self._pending = []

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.flush()

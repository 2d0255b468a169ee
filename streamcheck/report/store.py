"""Results kept across runs: progressive part files, and what an incremental run may skip.

During a run every finished file's rows are written within half a second to a part file in
``DIR/.streamcheck-parts/`` (defects, metrics, then files, each renamed into place; a part
counts once its files table exists). The final reports merge the parts and the earlier final
reports, then the parts are removed. A run that was killed leaves its parts behind, so running
the same command again with ``--incremental`` finds those files done.

An incremental run skips a file when an earlier row has the same path, size and modification
time, was analysed with the same effective configuration (``config_digest``), and ended ``ok``
or ``error`` (a ``timeout`` or ``crashed`` file is tried again). Rows of files that are no
longer among the inputs are dropped: the report describes the files scanned.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..model import FileResult
from .parquet import REPORTS, SCHEMAS, _write, to_tables

PARTS_DIR = ".streamcheck-parts"
FLUSH_EVERY_S = 0.5
RETRY_STATUSES = {"timeout", "crashed"}


def _read(path: Path, name: str) -> pa.Table | None:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        return None
    target = SCHEMAS[name]
    for field in target:  # reports of older versions may lack a column
        if field.name not in table.column_names:
            table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
    return table.select(target.names).cast(target)


def load_previous(out_dir: str | os.PathLike[str]) -> dict[str, pa.Table]:
    """Earlier results in ``out_dir``: the final reports plus any complete part files, the
    newest rows winning for a path present in both."""
    out = Path(out_dir)
    sources: list[dict[str, pa.Table]] = []
    final = {n: _read(out / f, n) for n, f in REPORTS.items()}
    if final["files"] is not None:
        sources.append({n: t for n, t in final.items() if t is not None})
    parts = out / PARTS_DIR
    if parts.is_dir():
        for files_part in sorted(parts.glob("*.files.parquet")):
            stem = files_part.name[: -len(".files.parquet")]
            part = {n: _read(parts / f"{stem}.{n}.parquet", n) for n in REPORTS}
            if all(t is not None for t in part.values()):
                sources.append(part)
    merged: dict[str, pa.Table] = {n: SCHEMAS[n].empty_table() for n in REPORTS}
    for source in sources:  # later sources replace earlier rows of the same paths
        newer = source["files"].column("path")
        for name in REPORTS:
            table = source.get(name, SCHEMAS[name].empty_table())
            old = merged[name]
            old = old.filter(pc.invert(pc.is_in(old.column("path"), value_set=newer)))
            merged[name] = pa.concat_tables([old, table])
    return merged


def plan_incremental(
    files: Iterable[str], previous: dict[str, pa.Table], config_digest: str
) -> tuple[list[str], dict[str, pa.Table]]:
    """Split ``files`` into those to analyse and the earlier rows kept for the others."""
    rows = {r["path"]: r for r in previous["files"].to_pylist()}
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
    keep_set = pa.array(kept, pa.string())
    kept_tables = {
        name: table.filter(pc.is_in(table.column("path"), value_set=keep_set))
        for name, table in previous.items()
    }
    return todo, kept_tables


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
        with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            self._seq += 1
            stem = f"{self.run}-{self._seq:06d}"
            tables = to_tables(batch, self.digest)
            for name in ("defects", "metrics", "files"):  # files last: marks it complete
                _write(tables[name], self.dir / f"{stem}.{name}.parquet")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.flush()

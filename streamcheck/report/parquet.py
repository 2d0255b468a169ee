"""Write (and read back) the Parquet reports. Each file is written under a temporary name in
the output folder and renamed into place, so a reader sees the previous complete version or the
new complete one, never a half-written file."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..model import FileResult
from . import schema

DEFECTS_FILE = "defects.parquet"
FILES_FILE = "files.parquet"
METRICS_FILE = "metrics.parquet"
META_PREFIX = "streamcheck."


def check_writable(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and prove a file can be written in it; raises OSError."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-", delete=True):
        pass
    return out


def _defect_rows(results: Iterable[FileResult]) -> dict[str, list]:
    cols: dict[str, list] = {f.name: [] for f in schema.DEFECTS}
    for r in results:
        for e in r.events:
            row = {
                "path": r.path,
                "detector": e.detector,
                "severity": e.severity.value,
                "start_s": e.start_s,
                "end_s": e.end_s,
                "duration_s": e.duration_s,
                "stream_index": e.stream_index,
                "channel": e.channel,
                "value": e.value,
                "unit": e.unit,
                "detail": e.detail,
                "frame_start": e.frame_start,
                "frame_end": e.frame_end,
            }
            for k, v in row.items():
                cols[k].append(v)
    return cols


def _file_rows(results: Iterable[FileResult]) -> dict[str, list]:
    cols: dict[str, list] = {f.name: [] for f in schema.FILES}
    for r in results:
        i = r.info
        worst = r.worst_severity
        row = {
            "path": r.path,
            "size_bytes": i.size_bytes,
            "mtime": dt.datetime.fromtimestamp(i.mtime, dt.timezone.utc) if i.mtime else None,
            "status": r.status.value,
            "error": r.error,
            "container": i.container,
            "duration_s": i.duration_s,
            "video_codec": i.video_codec,
            "width": i.width,
            "height": i.height,
            "fps": i.fps,
            "audio_codec": i.audio_codec,
            "sample_rate": i.sample_rate,
            "channels": i.channels,
            "frames": i.frames,
            "defects": len(r.events),
            "worst_severity": worst.value if worst else None,
            "wall_s": r.wall_s,
            "cpu_s": r.cpu_s,
        }
        for k, v in row.items():
            cols[k].append(v)
    return cols


def _metric_rows(results: Iterable[FileResult]) -> dict[str, list]:
    cols: dict[str, list] = {f.name: [] for f in schema.METRICS}
    for r in results:
        n = len(r.metrics.get("t_s", []))
        cols["path"] += [r.path] * n
        for name in cols:
            if name != "path":
                cols[name] += r.metrics.get(name, [None] * n)
    return cols


def _write(table: pa.Table, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(
    results: list[FileResult], out_dir: str | os.PathLike[str], run_meta: Mapping[str, object]
) -> dict[str, Path]:
    """Write defects, files and metrics Parquet for ``results`` (sorted by path) into
    ``out_dir``, with ``run_meta`` as key-value metadata (keys prefixed ``streamcheck.``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ordered = sorted(results, key=lambda r: r.path)
    meta = {
        (META_PREFIX + k).encode(): (v if isinstance(v, str) else json.dumps(v)).encode()
        for k, v in run_meta.items()
    }
    written = {}
    for name, sch, rows in (
        (DEFECTS_FILE, schema.DEFECTS, _defect_rows(ordered)),
        (FILES_FILE, schema.FILES, _file_rows(ordered)),
        (METRICS_FILE, schema.METRICS, _metric_rows(ordered)),
    ):
        table = pa.Table.from_pydict(rows, schema=sch.with_metadata(meta))
        _write(table, out / name)
        written[name] = out / name
    return written


def read_run_meta(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``streamcheck.*`` key-value metadata of a report file (prefix removed)."""
    md = pq.read_schema(path).metadata or {}
    return {
        k.decode()[len(META_PREFIX) :]: v.decode()
        for k, v in md.items()
        if k.decode().startswith(META_PREFIX)
    }

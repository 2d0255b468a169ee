"""Write (and read back) the Parquet reports. Each file is written under a temporary name in
the output folder and renamed into place, so a reader sees the previous complete version or the
new complete one, never a half-written file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..model import Event, FileResult
from . import schema
from .text import path_bytes, path_from_row, path_text

DEFECTS_FILE = "defects.parquet"
FILES_FILE = "files.parquet"
METRICS_FILE = "metrics.parquet"
STREAMS_FILE = "streams.parquet"
META_PREFIX = "streamcheck."


def check_writable(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and prove a file can be written in it; raises OSError."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-", delete=True):
        pass
    return out


def defect_row(path: str, e: Event) -> dict[str, object]:
    """One finding as a defects.parquet row (also the JSON-lines object)."""
    return {
        "path": path_text(path),
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
        "expected": e.expected,
        "thumbnail": e.thumbnail,
        "thumbnail_middle": e.thumbnail_middle,
    }


def _defect_rows(results: Iterable[FileResult]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {f.name: [] for f in schema.DEFECTS}
    for r in results:
        for e in r.events:
            for k, v in defect_row(r.path, e).items():
                cols[k].append(v)
    return cols


def _file_rows(results: Iterable[FileResult], config_digest: str | None) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {f.name: [] for f in schema.FILES}
    for r in results:
        i = r.info
        worst = r.worst_severity
        row = {
            "path": path_text(r.path),
            "size_bytes": i.size_bytes,
            "mtime": dt.datetime.fromtimestamp(i.mtime, dt.UTC) if i.mtime else None,
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
            "integrated_lufs": i.integrated_lufs,
            "loudness_range_lu": i.loudness_range_lu,
            "max_momentary_lufs": i.max_momentary_lufs,
            "max_short_term_lufs": i.max_short_term_lufs,
            "true_peak_dbtp": i.true_peak_dbtp,
            "loudness_start_s": i.loudness_start_s,
            "start_timecode": i.start_timecode,
            "av_sync_s": i.av_sync_s,
            "defects": len(r.events),
            "worst_severity": worst.value if worst else None,
            "wall_s": r.wall_s,
            "cpu_s": r.cpu_s,
            "config_digest": config_digest,
            "path_bytes": path_bytes(r.path),
        }
        for k, v in row.items():
            cols[k].append(v)
    return cols


def _metric_rows(results: Iterable[FileResult]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {f.name: [] for f in schema.METRICS}
    for r in results:
        n = len(r.metrics.get("t_s", []))
        cols["path"] += [path_text(r.path)] * n
        for name in cols:
            if name != "path":
                cols[name] += r.metrics.get(name, [None] * n)
    return cols


def _stream_rows(results: Iterable[FileResult]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {f.name: [] for f in schema.STREAMS}
    for r in results:
        for row in r.streams:
            values = dataclasses.asdict(row)
            cols["path"].append(path_text(r.path))
            for name in cols:
                if name != "path":
                    cols[name].append(values[name])
    return cols


def _write(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` through a temporary name in the same folder. Any failure
    (a full disk, a file-size limit) removes the temporary file and raises an OSError whose
    ``filename`` is ``path`` and whose ``strerror`` says why in a few words."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; reports are ordinary files
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        code = exc.errno
        reason = os.strerror(code) if code else str(exc).splitlines()[0]
        raise OSError(code, reason, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


REPORTS = {
    "defects": DEFECTS_FILE,
    "files": FILES_FILE,
    "metrics": METRICS_FILE,
    "streams": STREAMS_FILE,
}
SCHEMAS = {
    "defects": schema.DEFECTS,
    "files": schema.FILES,
    "metrics": schema.METRICS,
    "streams": schema.STREAMS,
}


def to_tables(
    results: Iterable[FileResult], config_digest: str | None = None
) -> dict[str, pa.Table]:
    """The report tables (name → pa.Table, no metadata) of ``results``."""
    results = list(results)
    rows = {
        "defects": _defect_rows(results),
        "files": _file_rows(results, config_digest),
        "metrics": _metric_rows(results),
        "streams": _stream_rows(results),
    }
    return {name: pa.Table.from_pydict(rows[name], schema=SCHEMAS[name]) for name in REPORTS}


def _meta(run_meta: Mapping[str, object]) -> dict[bytes, bytes]:
    return {
        (META_PREFIX + k).encode(): (v if isinstance(v, str) else json.dumps(v)).encode()
        for k, v in run_meta.items()
    }


def write_reports(
    results: list[FileResult],
    out_dir: str | os.PathLike[str],
    run_meta: Mapping[str, object],
    *,
    config_digest: str | None = None,
    keep: Mapping[str, pa.Table] | None = None,
) -> dict[str, Path]:
    """Write defects, files and metrics Parquet for ``results`` into ``out_dir``, together
    with the rows of ``keep`` (tables of earlier runs' files that were not analysed again),
    sorted by path, with ``run_meta`` as key-value metadata (keys prefixed ``streamcheck.``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = to_tables(results, config_digest)
    meta = _meta(run_meta)
    written = {}
    for name, filename in REPORTS.items():
        table = tables[name]
        if keep is not None and name in keep and keep[name].num_rows:
            table = pa.concat_tables(
                [keep[name].select(table.column_names).cast(table.schema), table]
            )
        table = table.sort_by(schema.SORT_KEYS[name]).replace_schema_metadata(meta)
        _write(table, out / filename)
        written[name] = out / filename
    return written


def read_run_meta(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``streamcheck.*`` key-value metadata of a report file (prefix removed)."""
    md = pq.read_schema(path).metadata or {}
    return {
        k.decode()[len(META_PREFIX) :]: v.decode()
        for k, v in md.items()
        if k.decode().startswith(META_PREFIX)
    }


def read_results(out_dir: str | os.PathLike[str]) -> list[FileResult]:
    """The results of an earlier run, rebuilt from its files and defects Parquet (without
    the per-second metrics), for re-rendering its summary."""
    from ..model import Event, FileInfo, Severity, Status

    out = Path(out_dir)
    events: dict[str, list[Event]] = {}
    for row in pq.read_table(out / DEFECTS_FILE).to_pylist():
        events.setdefault(row["path"], []).append(
            Event(
                detector=row["detector"],
                severity=Severity(row["severity"]),
                start_s=row["start_s"],
                end_s=row["end_s"],
                detail=row["detail"],
                value=row["value"],
                unit=row["unit"],
                stream_index=row["stream_index"],
                channel=row["channel"],
                frame_start=row["frame_start"],
                frame_end=row["frame_end"],
                expected=bool(row.get("expected")),
                thumbnail=row.get("thumbnail"),
                thumbnail_middle=row.get("thumbnail_middle"),
            )
        )
    results = []
    info_fields = {f.name for f in dataclasses.fields(FileInfo)}
    for row in pq.read_table(out / FILES_FILE).to_pylist():
        mtime = row.get("mtime")
        info = FileInfo(**{k: v for k, v in row.items() if k in info_fields and k != "mtime"})
        info.path = path_from_row(row["path"], row.get("path_bytes"))
        info.mtime = mtime.timestamp() if mtime is not None else None
        results.append(
            FileResult(
                info=info,
                status=Status(row["status"]),
                error=row["error"],
                events=events.get(row["path"], []),
                wall_s=row["wall_s"],
                cpu_s=row["cpu_s"],
            )
        )
    return results


def write_thumbnails(result: FileResult, out_dir: str | os.PathLike[str]) -> None:
    """Write a result's thumbnail JPEGs under ``out_dir`` (their paths are relative to it)."""
    for rel, data in result.thumbnails.items():
        path = Path(out_dir) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

"""Read a report folder back as tables: :func:`streamcheck.read_report`.

::

    import streamcheck
    report = streamcheck.read_report("streamcheck-report")
    report.files                   # pyarrow.Table, one row per media file
    report.defects.num_rows        # one row per finding
    df = report.to_pandas("defects")  # pandas, dtype_backend="pyarrow"
    report.meta["finished_at"]     # the run's metadata

The tables have the current schema (:mod:`.schema`) whatever version wrote them: a column an
older version did not write is there, all null. A report file that is absent (a folder written
before streams.parquet existed) reads as an empty table.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .parquet import FILES_FILE, REPORTS, SCHEMAS, read_run_meta

if TYPE_CHECKING:
    import pandas

TABLES = tuple(REPORTS)  # defects, files, metrics, streams


@dataclass(frozen=True)
class Report:
    """The four tables of a report folder (pyarrow) and its run metadata."""

    folder: Path
    defects: pa.Table
    files: pa.Table
    metrics: pa.Table
    streams: pa.Table
    meta: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pa.Table:
        if name not in TABLES:
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLES)}")
        table: pa.Table = getattr(self, name)
        return table

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    @property
    def tables(self) -> dict[str, pa.Table]:
        """Name → table, for all four."""
        return {name: self[name] for name in TABLES}

    def to_pandas(self, name: str) -> pandas.DataFrame:
        """Table ``name`` as a pandas DataFrame backed by Arrow types (what
        ``pandas.read_parquet(..., dtype_backend="pyarrow")`` gives): nullable integers stay
        integers (a missing ``stream_index`` is ``<NA>``, not a float NaN), timestamps keep
        their time zone. Needs pandas (not a dependency of streamcheck)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install pandas") from None
        frame: pandas.DataFrame = self[name].to_pandas(types_mapper=pd.ArrowDtype)
        return frame


def _read_table(path: Path, name: str) -> pa.Table:
    """``path`` in the current schema (an absent file: empty table)."""
    import pyarrow.parquet as pq

    target: pa.Schema = SCHEMAS[name]
    if not path.exists():
        return target.empty_table()
    table = pq.read_table(path)
    for column in target:  # a report of an older version may lack a column
        if column.name not in table.column_names:
            table = table.append_column(column.name, pa.nulls(table.num_rows, column.type))
    meta: Any = table.schema.metadata
    return table.select(target.names).cast(target).replace_schema_metadata(meta)


def read_report(folder: str | os.PathLike[str]) -> Report:
    """The tables of the report in ``folder`` (the ``--out`` of a scan or a watch). Raises
    FileNotFoundError when there is no report there (no files.parquet), and OSError or
    pyarrow's ArrowInvalid when a report file cannot be read."""
    out = Path(folder)
    if not (out / FILES_FILE).is_file():
        raise FileNotFoundError(f"no streamcheck report in {str(out)!r} (no {FILES_FILE})")
    tables = {name: _read_table(out / filename, name) for name, filename in REPORTS.items()}
    return Report(folder=out, meta=read_run_meta(out / FILES_FILE), **tables)

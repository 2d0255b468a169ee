"""Reading results back (issue 21 §5): ``streamcheck.read_report`` on real reports, pandas
with Arrow types when pandas is installed, reports written before a column or a file
existed, and the DuckDB and polars examples of docs/queries.md run as they are written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import streamcheck
from streamcheck.report.parquet import SCHEMAS
from tests.smallmedia import BLACK, SILENCE, clip

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def qc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """qc/nightly, qc/before and qc/after, as docs/queries.md names them: four clips (one
    that cannot be read); 'after' has one clip mastered 10 dB or so louder."""
    root = tmp_path_factory.mktemp("qc")
    media = root / "media"
    clip(media, "a", BLACK)
    clip(media, "b", SILENCE, container="wav")
    clip(media, "c", duration_s=6)
    (media / "broken.mp4").write_bytes(b"not a movie" * 100)
    streamcheck.run([str(media)], out=root / "qc" / "nightly", jobs=2)
    streamcheck.run([str(media)], out=root / "qc" / "before", jobs=2)
    clip(media, "c", duration_s=6, audio="loud")
    streamcheck.run([str(media)], out=root / "qc" / "after", jobs=2)
    return root


def test_read_report_gives_the_four_tables_in_the_current_schema(qc):
    report = streamcheck.read_report(qc / "qc" / "nightly")
    assert list(report) == ["defects", "files", "metrics", "streams"]
    for name in report:
        assert report[name].schema.names == SCHEMAS[name].names
        assert report[name].schema.types == SCHEMAS[name].types
    files = {Path(p).name: r for p, r in zip(
        report.files["path"].to_pylist(), report.files.to_pylist(), strict=True
    )}  # fmt: skip
    assert set(files) == {"a.mp4", "b.wav", "c.mp4", "broken.mp4"}
    assert files["broken.mp4"]["status"] == "error" and files["a.mp4"]["defects"] == 1
    assert sorted(report.defects["detector"].to_pylist()) == ["black", "silence"]
    assert report.metrics.num_rows > 0 and report.streams.num_rows >= 5
    assert report.meta["version"] == streamcheck.__version__
    assert report.meta["finished_at"] >= report.meta["started_at"]
    assert report.tables.keys() == {"defects", "files", "metrics", "streams"}
    with pytest.raises(KeyError, match="the tables are defects, files, metrics, streams"):
        report["nope"]


def test_to_pandas_keeps_nullable_integers_as_integers(qc):
    pd = pytest.importorskip("pandas")
    defects = streamcheck.read_report(qc / "qc" / "nightly").to_pandas("defects")
    assert isinstance(defects["stream_index"].dtype, pd.ArrowDtype)
    assert pa.types.is_integer(defects["stream_index"].dtype.pyarrow_dtype)
    files = streamcheck.read_report(qc / "qc" / "nightly").to_pandas("files")
    broken = files[files["path"].str.endswith("broken.mp4")].iloc[0]
    assert broken["width"] is pd.NA  # an integer column with a missing value: <NA>, not NaN
    assert str(files["width"].dtype) == "int32[pyarrow]"
    assert str(files["mtime"].dtype).startswith("timestamp[us, tz=")


def test_to_pandas_without_pandas_says_what_to_install(qc, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="pip install pandas"):
        streamcheck.read_report(qc / "qc" / "nightly").to_pandas("files")


def test_reports_of_older_versions_read_in_the_current_schema(qc, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    for name in ("defects", "files", "metrics"):
        table = pq.read_table(qc / "qc" / "nightly" / f"{name}.parquet")
        if name == "files":  # written before these columns existed
            table = table.drop_columns(["loudness_start_s", "start_timecode"])
        pq.write_table(table, old / f"{name}.parquet")  # and before streams.parquet
    report = streamcheck.read_report(old)
    assert report.files.schema.names == SCHEMAS["files"].names
    assert report.files["start_timecode"].null_count == report.files.num_rows == 4
    assert report.streams.num_rows == 0 and report.streams.schema == SCHEMAS["streams"]
    assert report.meta["run_id"]


def test_a_folder_without_a_report(tmp_path):
    with pytest.raises(FileNotFoundError, match="no streamcheck report"):
        streamcheck.read_report(tmp_path)


def _examples() -> list[str]:
    text = (ROOT / "docs" / "queries.md").read_text()
    return re.findall(r"<!-- example -->\n```python\n(.*?)```", text, re.DOTALL)


def test_the_documented_examples_run(qc, monkeypatch, capsys):
    """Each example of docs/queries.md as written, in a folder holding qc/…; the modules
    an example imports must be installed, else it is skipped (DuckDB, polars)."""
    examples = _examples()
    assert len(examples) == 4
    monkeypatch.chdir(qc)
    ran = []
    for code in examples:
        needs = re.findall(r"^import (\w+)", code, re.MULTILINE)  # the top-level module
        needs += ["pandas"] if "to_pandas" in code else []
        if any(_missing(m) for m in needs):
            continue
        scope: dict[str, object] = {}
        exec(compile(code, "docs/queries.md", "exec"), scope)
        ran.append(scope)
    if not ran:
        pytest.skip("none of duckdb, polars is installed")
    results = {k: v for scope in ran for k, v in scope.items() if not k.startswith("__")}
    if "worst" in results:  # all four files arrived now; a's black error first
        worst = results["worst"]
        assert len(worst) == 4 and Path(worst[0][0]).name == "a.mp4" and worst[0][1] == "error"
    if "per_day" in results:
        assert sorted((d, s, n) for _, d, s, n in results["per_day"]) == [
            ("black", "error", 1),
            ("silence", "warning", 1),
        ]
    if "drift" in results:
        drift = results["drift"]
        assert [Path(p).name for p in drift["path"].to_list()] == ["c.mp4"]
        assert drift["drift_lu"][0] > 3
    if "errors" in results:
        assert [Path(p).name for p in results["errors"]["path"].to_pylist()] == ["a.mp4"]
        assert "4 files, 2 findings" in capsys.readouterr().out


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def test_media_folder_can_be_pointed_elsewhere():
    """Tests that need real footage find it in ../shared/media or $STREAMCHECK_MEDIA."""
    from tests.conftest import SHARED_MEDIA

    if "STREAMCHECK_MEDIA" in os.environ:
        assert Path(os.environ["STREAMCHECK_MEDIA"]) == SHARED_MEDIA
    else:
        assert ROOT.parent / "shared" / "media" == SHARED_MEDIA

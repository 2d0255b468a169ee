"""The architecture's promises: parameters validated from their declarations (and never
skipped), the report schemas as the contract documents them, metric columns derived from what
detectors declare, no module outside detectors/ naming a detector, and the bugs that came
from the old shape (each written to fail on it)."""

from __future__ import annotations

import ast
import dataclasses
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from streamcheck.config import Config
from streamcheck.detectors import REGISTRY, names_of_kind
from streamcheck.detectors.base import ParamsBase, param
from streamcheck.errors import ParameterError
from streamcheck.model import AudioBlock, StreamInfo
from streamcheck.report import schema
from tests.cli import run

ROOT = Path(__file__).resolve().parents[1]


# ---- parameters --------------------------------------------------------------------------------


def test_a_params_class_cannot_skip_the_base_checks():
    with pytest.raises(TypeError, match="validate"):

        @dataclasses.dataclass(frozen=True)
        class Sloppy(ParamsBase):  # the shape that let silence.severity=fatal through
            x: float = param(1.0, unit="s", help="")

            def __post_init__(self) -> None:
                pass


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_parameter_refuses_what_its_declaration_forbids(name: str):
    """For every detector: severity outside info/warning/error, numbers that are not finite
    or out of bounds, text outside its choices, all refused naming what is allowed."""
    current = Config().params_for(name)
    for f in dataclasses.fields(current):
        md, default = f.metadata, f.default
        bad: list[str] = []
        if isinstance(default, bool):
            bad = ["maybe"]
        elif isinstance(default, (int, float)):
            bad = ["nan", "inf", "-inf", "1e400"]
            if md["minimum"] is not None and math.isfinite(md["minimum"]):
                bad.append(str(md["minimum"] - 1))
            if md["maximum"] is not None:
                bad.append(str(md["maximum"] + 1))
        elif md.get("choices"):
            bad = ["fatal"]
        for value in bad:
            with pytest.raises(ParameterError) as err:
                Config().with_overrides([f"{name}.{f.name}={value}"])
            assert f.name in str(err.value)
            if md.get("choices"):
                assert all(c in str(err.value) for c in md["choices"])


def test_bad_severity_is_refused_before_any_work(tmp_path: Path):
    """It used to be accepted; every file with a silence finding then ended in status=error
    ("'fatal' is not a valid Severity"), its findings lost, exit 3, and with -q silently."""
    out = tmp_path / "rep"
    media = tmp_path / "none.wav"
    media.write_bytes(b"RIFF")
    for setting in ("silence.severity=critical", "dropout.context_s=-1", "phase.severity=fatal"):
        r = run("scan", str(media), "-o", str(out), "-q", "--set", setting)
        assert r.returncode == 2, (setting, r.stderr)
        assert setting.split("=")[0].split(".")[1] in r.stderr
        assert not (out / "files.parquet").exists()
    r = run("scan", str(media), "-o", str(out), "-q", "--set", "silence.severity=critical")
    assert "info, warning, error" in r.stderr


# ---- the report contract ------------------------------------------------------------------------

ARROW_TYPES = {
    "string": pa.string(),
    "float64": pa.float64(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "bool": pa.bool_(),
    "timestamp[us; UTC]": pa.timestamp("us", tz="UTC"),
    "binary": pa.binary(),
}


def _contract(table: str) -> list[tuple[str, pa.DataType, bool]]:
    """(column, type, nullable) rows of ``table``'s section in docs/reports.md."""
    text = (ROOT / "docs" / "reports.md").read_text()
    section = text.split(f"## {table}.parquet", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("column", "---"):
            kind, _, null = cells[1].partition(",")
            rows.append((cells[0], ARROW_TYPES[kind.strip()], null.strip() == "null"))
    return rows


@pytest.mark.parametrize(
    ("table", "arrow"),
    [
        ("defects", schema.DEFECTS),
        ("files", schema.FILES),
        ("metrics", schema.METRICS),
        ("streams", schema.STREAMS),
    ],
)
def test_schemas_are_the_documented_contract(table: str, arrow: pa.Schema):
    documented = _contract(table)
    written = [(f.name, f.type, f.nullable) for f in arrow]
    assert written == documented


def test_metric_columns_are_what_is_declared_and_all_are_filled(analysed):
    """Each declared metric (the measure step's, every detector's ``publishes``) is a column,
    and an analysis fills it: a feature a detector publishes cannot be silently dropped."""
    from streamcheck.metrics import columns

    declared = [m.name for m in columns()]
    assert schema.METRICS.names == ["path", "t_s", "stream_index", "programme", *declared]
    for cls in REGISTRY.values():
        for metric in cls.publishes:
            assert metric.name in declared, cls.name
    metrics = analysed("letterbox_mp4").result.metrics
    # null where the content gives no confident evidence (never a guess); tests/test_av_sync.py
    # checks it is filled on a file that gives some
    evidence_only = {"sync_offset_s"}
    for name in declared:
        assert name in evidence_only or any(v is not None for v in metrics[name]), name


# ---- layers ------------------------------------------------------------------------------------

GENERIC = [
    "pipeline.py",
    "measure.py",
    "metrics.py",
    "thumbs.py",
    "events.py",
    "runner.py",
    "task.py",
    "session.py",
    "report",
]


def test_no_module_outside_detectors_names_a_detector():
    """Pipeline, measure, metrics, thumbnails, events, runner and report code work from the
    detectors' declarations: no detector's name in their strings or imports. (Attributes may
    share a name with a detector when they hold the measurement: ``StreamFacts.true_peak``.)"""
    names = set(REGISTRY)
    for item in GENERIC:
        path = ROOT / "streamcheck" / item
        for source in [path] if path.is_file() else sorted(path.glob("*.py")):
            tree = ast.parse(source.read_text())
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                and node.body
                and isinstance(node.body[0], ast.Expr)
            }
            for node in ast.walk(tree):
                found = set()
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if id(node) not in docstrings:
                        found = names & {node.value}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    found = names & set(node.module.split("."))
                assert not found, f"{source.name}:{getattr(node, 'lineno', '?')} names {found}"


def test_sets_of_detectors_come_from_the_registry():
    assert names_of_kind("file") == {
        "loudness",
        "av_offset",
        "duration_mismatch",
        "missing_stream",
        "spec",
    }
    assert "silence" in names_of_kind("audio") and "timestamp_gap" in names_of_kind("av")


# ---- bugs of the old shape ----------------------------------------------------------------------


def test_one_file_with_many_jobs_lets_ffmpeg_thread_the_decoder(monkeypatch, tmp_path: Path):
    """The command capped --jobs to the number of files before the runner's rule "fewer files
    than cores: FFmpeg threads the decoder" could see it; decoder_threads stayed 1."""
    import streamcheck.runner as runner
    from streamcheck.pipeline import failed_result
    from streamcheck.session import run as run_session

    seen = {}

    def fake_pool(files, config, jobs, limits):
        seen["threads"], seen["workers"] = config.decoder_threads, jobs
        for f in files:
            yield failed_result(f, runner.Status.OK, "")

    monkeypatch.setattr(runner, "_scan_local", fake_pool)
    media = tmp_path / "a.wav"
    media.write_bytes(b"x")
    run_session([str(media)], out=tmp_path / "rep", jobs=8)
    assert seen == {"threads": 0, "workers": 1}  # 0: FFmpeg's automatic thread count
    run_session([str(media)], out=tmp_path / "rep", jobs=1)
    assert seen == {"threads": 1, "workers": 1}


def _blocks(x: np.ndarray, sr: int, size: int, jump_at: int, jump_s: float):
    """``x`` in blocks; the timestamps of blocks from sample ``jump_at`` on jump ``jump_s``."""
    for i in range(0, x.shape[1], size):
        t = i / sr + (jump_s if i >= jump_at else 0.0)
        yield AudioBlock(0, t, sr, x[:, i : i + size])


def test_audio_findings_are_placed_by_the_blocks_timestamps():
    """After a 0.3 s timestamp jump at 1.0 s, a dropout and a clip at content time 1.5 s are
    both at 1.8 s (the dropout used to come out at 1.5 s, from a sample counter)."""
    from streamcheck.detectors.clipping import ClippingDetector, ClippingParams
    from streamcheck.detectors.dropout import DropoutDetector, DropoutParams

    sr = 48000
    t = np.arange(3 * sr) / sr
    x = np.stack([0.3 * np.sin(2 * np.pi * 440 * t + 0.3)] * 2).astype(np.float32)
    x[:, int(1.5 * sr) : int(1.55 * sr)] = 0.0  # a 50 ms dropout at 1.5 s of content
    x[:, int(2.5 * sr) : int(2.5 * sr) + 20] = 1.0  # a clip at 2.5 s of content
    info = StreamInfo(0, "audio", sample_rate=sr, channels=2)
    dropout = DropoutDetector(DropoutParams(), info)
    clipping = ClippingDetector(ClippingParams(), info)
    for block in _blocks(x, sr, 4800, sr, 0.3):
        dropout.update(block)
        clipping.update(block)
    (d,) = dropout.finish(3.3)
    (c,) = clipping.finish(3.3)
    assert d.start_s == pytest.approx(1.8, abs=1e-6) and d.end_s == pytest.approx(1.85, abs=1e-6)
    assert c.start_s == pytest.approx(2.8, abs=1e-6)

"""The effective configuration of a scan: which detectors run, with which parameters.

Parameters live in each detector's frozen Params dataclass (their single home); a Config holds
one instance per detector. ``Config().with_overrides(["black.min_duration_s=3"])`` changes one
value, with errors that name the bad key and what is allowed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .detectors import REGISTRY, ParamsBase
from .errors import ParameterError
from .model import LAYOUTS, Expected
from .programmes import DEFAULTS, ProgrammeSpec


def _default_params() -> dict[str, ParamsBase]:
    return {name: cls.Params() for name, cls in REGISTRY.items()}


@dataclass(frozen=True)
class Config:
    """What to run. ``detectors``: enabled detector names (default: all, in registry order);
    ``params``: detector name → its Params; ``decoder_threads``: threads per decoder, 0 lets
    the runner choose (1 when several files run in parallel, FFmpeg's automatic count when a
    file is alone); ``metrics``: record the per-second metrics table; ``fast``: triage mode
    (``scan --fast``): the video decoder skips the in-loop deblocking filter and decodes DCT
    codecs at reduced resolution, and the detectors that cannot work on such pictures
    (:meth:`left_out`) are not run."""

    detectors: tuple[str, ...] = field(default_factory=lambda: tuple(REGISTRY))
    params: Mapping[str, ParamsBase] = field(default_factory=_default_params)
    decoder_threads: int = 0
    metrics: bool = True
    profile: str = "default"
    expected: tuple[Expected, ...] = ()
    thumbnails: bool = False
    programmes: tuple[ProgrammeSpec, ...] = ()
    programme_default: str = "pairs"
    fast: bool = False

    def __post_init__(self) -> None:
        unknown = [d for d in self.detectors if d not in REGISTRY]
        if unknown:
            raise ParameterError(
                f"unknown detector {', '.join(map(repr, unknown))}; known: {', '.join(REGISTRY)}"
            )
        if self.decoder_threads < 0:
            raise ParameterError("decoder_threads must be 0 (automatic) or more")
        if self.programme_default not in DEFAULTS:
            raise ParameterError(
                f"programmes.default must be one of {', '.join(DEFAULTS)}, "
                f"not {self.programme_default!r}"
            )

    def left_out(self) -> tuple[str, ...]:
        """The enabled detectors this run leaves out: under ``fast``, those whose class says
        they need deblocked, full-resolution pictures (``fast_ok`` False)."""
        if not self.fast:
            return ()
        return tuple(n for n in self.detectors if not REGISTRY[n].fast_ok)

    def running(self) -> tuple[str, ...]:
        """The detectors that run: the enabled ones less :meth:`left_out`."""
        out = set(self.left_out())
        return tuple(n for n in self.detectors if n not in out)

    def mode_meta(self) -> dict[str, str]:
        """Run metadata of the mode: under ``fast``, ``fast`` = ``true`` and ``left_out`` =
        the detectors left out, comma-separated (empty when none was); nothing otherwise."""
        if not self.fast:
            return {}
        return {"fast": "true", "left_out": ",".join(self.left_out())}

    def params_for(self, name: str) -> ParamsBase:
        return self.params.get(name) or REGISTRY[name].Params()

    def min_durations(self) -> dict[str, float]:
        """Each enabled detector's shortest finding in seconds (its ``min_duration_s``; 0 for
        detectors without one), for the rules between detectors."""
        out = {}
        for n in self.detectors:
            value = getattr(self.params_for(n), "min_duration_s", 0.0)
            out[n] = float(value) if isinstance(value, (int, float)) else 0.0  # spec's is a key
        return out

    def with_detectors(self, names: Iterable[str]) -> Config:
        """A copy running only ``names`` (validated; order follows the registry)."""
        names = list(names)
        if not all(isinstance(n, str) for n in names):
            raise ParameterError(
                f"detectors must be names, not {names!r}; known: {', '.join(REGISTRY)}"
            )
        wanted = [n.strip() for n in names if n.strip()]
        if not wanted:
            raise ParameterError(f"no detector named; known: {', '.join(REGISTRY)}")
        probe = Config(detectors=tuple(wanted))  # validates names
        return dataclasses.replace(
            self, detectors=tuple(n for n in REGISTRY if n in probe.detectors)
        )

    def with_overrides(self, items: Iterable[str]) -> Config:
        """A copy with ``detector.param=value`` overrides (text, as ``--set`` gives them)."""
        values = []
        config = self
        for item in items:
            key, sep, raw = item.partition("=")
            det, dot, name = key.strip().partition(".")
            if not sep or not dot:
                raise ParameterError(f"override {item!r} is not of the form detector.param=value")
            if det == "programmes":
                config = config._with_programme_setting(name, raw.strip())
                continue
            values.append((det, name, raw.strip()))
        return config.with_values(values)

    def _with_programme_setting(self, name: str, value: Any) -> Config:
        """``programmes.default`` (``pairs`` or ``streams``), from --set or ``[programmes]``."""
        if name != "default":
            raise ParameterError(f"unknown setting programmes.{name}; programmes has: default")
        if not isinstance(value, str) or value not in DEFAULTS:
            raise ParameterError(
                f"programmes.default must be one of {', '.join(DEFAULTS)}, not {value!r}"
            )
        return dataclasses.replace(self, programme_default=value)

    def with_values(self, values: Iterable[tuple[str, str, Any]]) -> Config:
        """A copy with (detector, parameter, value) set; a value may be text (parsed by the
        parameter's type) or already typed (from TOML). Each is checked against the
        parameter's declaration; errors name the key and what is allowed."""
        params = dict(self.params)
        for det, name, value in values:
            key = f"{det}.{name}"
            if det not in REGISTRY:
                raise ParameterError(
                    f"unknown detector {det!r} in {key!r}; known: {', '.join(REGISTRY)}"
                )
            current = params.get(det) or REGISTRY[det].Params()
            fields = {f.name: f for f in dataclasses.fields(current)}
            if name not in fields:
                raise ParameterError(f"unknown parameter {key!r}; {det} has: {', '.join(fields)}")
            default = getattr(current, name)
            typed = (
                _list_value(value, fields[name].metadata["items"], key)
                if isinstance(default, tuple)
                else _parse_value(value, default, key)
                if isinstance(value, str) and not isinstance(default, str)
                else _typed_value(value, default, key)
            )
            try:
                params[det] = dataclasses.replace(current, **{name: typed})
            except ValueError as exc:
                raise ParameterError(f"{key}: {exc}") from None
        return dataclasses.replace(self, params=params)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, as stored in the Parquet metadata."""
        return {
            "detectors": list(self.detectors),
            "params": {n: dataclasses.asdict(self.params_for(n)) for n in self.detectors},
            "decoder_threads": self.decoder_threads,
            "metrics": self.metrics,
            "profile": self.profile,
            "expected": [dataclasses.asdict(x) for x in self.expected],
            "thumbnails": self.thumbnails,
            "programmes": [dataclasses.asdict(p) for p in self.programmes],
            "programme_default": self.programme_default,
            "fast": self.fast,
            "left_out": list(self.left_out()),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def digest(self) -> str:
        """Short hash of what changes results (the detectors and their parameters)."""
        d = self.to_dict()
        d.pop("decoder_threads")
        d.pop("profile")  # the parameters it set are in the digest already
        d.pop("thumbnails")
        d.pop("left_out")  # follows from the detectors and ``fast``
        if not d["fast"]:
            d.pop("fast")  # digests of full runs stay those of earlier versions
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


# Named sets of overrides on top of the detectors' defaults (`--profile NAME`).
PROFILES: dict[str, tuple[str, ...]] = {
    # the detectors' own defaults: FFmpeg's and EBU's conventions, no delivery target
    "default": (),
    # an EBU R128 broadcast delivery: loudness −23 LUFS ±1 LU, true peak ≤ −1 dBTP, and any
    # black, freeze or silence of a second or more is worth a look
    "broadcast-ebu": (
        "loudness.profile=ebu",
        "true_peak.profile=ebu",
        "black.min_duration_s=1",
        "freeze.min_duration_s=1",
        "silence.min_duration_s=1",
    ),
    # a delivery template: HD 1080i25 XDCAM HD422 (MPEG-2 4:2:2 profile, 50 Mbit/s class) in
    # MXF OP1a with 8 mono tracks of 24-bit 48 kHz PCM, BT.709, as broadcasters in Europe ask
    # for it; judged as broadcast-ebu
    "xdcam-hd422": (
        "loudness.profile=ebu",
        "true_peak.profile=ebu",
        "black.min_duration_s=1",
        "freeze.min_duration_s=1",
        "silence.min_duration_s=1",
        "spec.container=mxf",
        "spec.video_codec=mpeg2video",
        "spec.video_profile=4:2:2",
        "spec.width=1920",
        "spec.height=1080",
        "spec.frame_rate=25",
        "spec.scan=interlaced-tff",
        "spec.chroma=4:2:2",
        "spec.bit_depth=8",
        "spec.dar=16:9",
        "spec.color_primaries=bt709",
        "spec.color_transfer=bt709",
        "spec.color_matrix=bt709",
        "spec.audio_codec=pcm_s24le",
        "spec.sample_rate=48000",
        "spec.audio_bit_depth=24",
        "spec.audio_streams=8",
        "spec.channels=1",
    ),
    # ATSC A/85 (US broadcast): −24 LKFS ±2 LU, true peak ≤ −2 dBTP
    "atsc": ("loudness.profile=atsc", "true_peak.profile=atsc"),
    # streaming platforms: −14 LUFS ±1 LU, true peak ≤ −1 dBTP
    "streaming": ("loudness.profile=streaming", "true_peak.profile=streaming"),
    # digitized archive material: leaders, run-outs and long quiet passages are normal, and
    # the point is to find damage: black, freeze and silence become information
    "archive": (
        "black.severity=info",
        "freeze.severity=info",
        "silence.severity=info",
        "letterbox.severity=info",
        "decode_error.severity=error",
    ),
}


def load_config(
    path: str | Path | None = None, profile: str | None = None, overrides: Iterable[str] = ()
) -> Config:
    """The effective configuration: a profile (from ``profile``, else the file's ``profile``
    key, else ``default``), then the TOML file's detector tables, then ``overrides``.

    The file (``--config``; ``./streamcheck.toml`` when present and none is given) looks like::

        profile = "broadcast-ebu"
        detectors = ["black", "freeze", "silence"]   # optional: run only these
        [black]
        min_duration_s = 3
    """
    import tomllib

    data: dict[str, Any] = {}
    if path is None and Path("streamcheck.toml").is_file():
        path = "streamcheck.toml"
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as exc:
            raise ParameterError(f"cannot read config {str(path)!r}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"config {str(path)!r} is not valid TOML: {exc}") from None
    source = str(path)
    in_file = data.pop("profile", None)
    if in_file is not None and not isinstance(in_file, str):
        raise ParameterError(f'{source}: profile must be a name like "default", not {in_file!r}')
    name = profile or in_file or "default"
    if name not in PROFILES:
        raise ParameterError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    config = Config().with_overrides(PROFILES[name])
    detectors = data.pop("detectors", None)
    if detectors is not None and (
        not isinstance(detectors, list) or not all(isinstance(d, str) for d in detectors)
    ):
        raise ParameterError(
            f'{source}: detectors must be a list of names like ["black", "freeze"], '
            f"not {detectors!r}; known: {', '.join(REGISTRY)}"
        )
    expected = parse_expected(data.pop("expected", []), source)
    programmes = parse_programmes(data.pop("programme", []), source)
    settings = data.pop("programmes", {})
    if not isinstance(settings, dict):
        raise ParameterError(f"{source}: [programmes] must be a table (key: default)")
    file_values = []
    for det, table in data.items():
        if not isinstance(table, dict):
            raise ParameterError(
                f"{source}: key {det!r}: expected a [detector] table or one of profile, "
                f"detectors, expected; detectors: {', '.join(REGISTRY)}"
            )
        file_values += [(det, k, v) for k, v in table.items()]
    config = config.with_values(file_values)
    for key, value in settings.items():
        config = config._with_programme_setting(key, value)
    config = config.with_overrides(overrides)
    if detectors is not None:
        config = config.with_detectors(detectors)
    return dataclasses.replace(config, profile=name, expected=expected, programmes=programmes)


def parse_programmes(entries: Any, source: str) -> tuple[ProgrammeSpec, ...]:
    """``[[programme]]`` tables (keys name, tracks, layout), validated: ``tracks`` are
    1-based audio track numbers, ``layout`` one of :data:`~streamcheck.model.LAYOUTS`."""
    if not isinstance(entries, list):
        raise ParameterError(f"{source}: 'programme' must be a list of [[programme]] tables")
    out = []
    seen_names: set[str] = set()
    seen_tracks: set[int] = set()
    for i, entry in enumerate(entries):
        where = f"{source}: programme #{i + 1}"
        if not isinstance(entry, dict):
            raise ParameterError(f"{where} is not a table")
        unknown = set(entry) - {"name", "tracks", "layout"}
        if unknown:
            raise ParameterError(
                f"{where}: unknown key {', '.join(sorted(unknown))}; allowed: name, tracks, layout"
            )
        name, tracks, layout = entry.get("name"), entry.get("tracks"), entry.get("layout")
        if not isinstance(name, str) or not name or name in seen_names:
            raise ParameterError(f"{where}: name must be a text naming it once, not {name!r}")
        if (
            not isinstance(tracks, list)
            or not tracks
            or not all(isinstance(t, int) and not isinstance(t, bool) and t >= 1 for t in tracks)
        ):
            raise ParameterError(
                f"{where}: tracks must be a list of audio track numbers from 1, like [1, 2]"
            )
        if seen_tracks & set(tracks) or len(set(tracks)) != len(tracks):
            raise ParameterError(f"{where}: a track belongs to one programme only")
        if layout not in LAYOUTS:
            raise ParameterError(
                f"{where}: layout must be one of {', '.join(LAYOUTS)}, not {layout!r}"
            )
        seen_names.add(name)
        seen_tracks.update(tracks)
        out.append(ProgrammeSpec(name, tuple(tracks), layout))
    return tuple(out)


def parse_expected(entries: Any, source: str) -> tuple[Expected, ...]:
    """``[[expected]]`` tables (keys start_s, end_s, detector, path, note), validated."""
    if not isinstance(entries, list):
        raise ParameterError(f"{source}: 'expected' must be a list of [[expected]] tables")
    out = []
    for i, entry in enumerate(entries):
        where = f"{source}: expected #{i + 1}"
        if not isinstance(entry, dict):
            raise ParameterError(f"{where} is not a table")
        unknown = set(entry) - {"start_s", "end_s", "detector", "path", "note"}
        if unknown:
            raise ParameterError(
                f"{where}: unknown key {', '.join(sorted(unknown))}; "
                "allowed: start_s, end_s, detector, path, note"
            )
        for key in ("detector", "path", "note"):
            if key in entry and not isinstance(entry[key], str):
                raise ParameterError(f"{where}: {key} must be text, not {entry[key]!r}")
        det = entry.get("detector")
        if det is not None and det not in REGISTRY:
            raise ParameterError(f"{where}: unknown detector {det!r}; known: {', '.join(REGISTRY)}")
        times = [entry.get("start_s"), entry.get("end_s")]
        if not all(
            isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t)
            for t in times
        ):
            raise ParameterError(f"{where}: start_s and end_s (seconds, numbers) are required")
        start, end = float(times[0]), float(times[1])  # type: ignore[arg-type]
        if end < start:
            raise ParameterError(f"{where}: end_s is before start_s")
        out.append(Expected(start, end, det, entry.get("path"), str(entry.get("note", ""))))
    return tuple(out)


def sidecar_expected(media_path: str) -> tuple[Expected, ...]:
    """Expected entries of the sidecar beside a media file: ``NAME.streamcheck.toml`` where
    NAME is the file's name with or without its extension."""
    import tomllib

    p = Path(media_path)
    for side in (p.with_name(p.name + ".streamcheck.toml"), p.with_suffix(".streamcheck.toml")):
        if side.is_file():
            try:
                data = tomllib.loads(side.read_text())
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ParameterError(f"sidecar {side.name}: {exc}") from None
            return parse_expected(data.get("expected", []), side.name)
    return ()


def _list_value(value: Any, item: type, key: str) -> tuple[Any, ...]:
    """A list parameter's value: one value or a list (TOML), or text with commas (``--set
    spec.frame_rate=25,50``); each item read as ``item`` (str, int or float). Items of the
    wrong type are left for the parameter's own check to name."""
    raw = value.split(",") if isinstance(value, str) else value
    values = list(raw) if isinstance(raw, list) else [raw]
    out: list[Any] = []
    for v in values:
        if isinstance(v, str):
            v = v.strip()
            if item is not str:
                with contextlib.suppress(ValueError):
                    v = item(v)
        elif item is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        out.append(v)
    if not out or any(v == "" for v in out):
        raise ParameterError(f"{key}={value!r}: expected a value or a list of values")
    return tuple(out)


def _typed_value(value: Any, current: Any, key: str) -> Any:
    """A TOML value for a parameter whose default is ``current``: the same type (a whole
    number is fine for a float parameter)."""
    ok = (
        isinstance(value, bool)
        if isinstance(current, bool)
        else isinstance(value, int) and not isinstance(value, bool)
        if isinstance(current, int)
        else isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(current, float)
        else isinstance(value, type(current))
    )
    if not ok:
        raise ParameterError(
            f"{key}={value!r}: expected a {type(current).__name__} like {current!r}"
        )
    return float(value) if isinstance(current, float) else value


def _parse_value(raw: str, current: Any, key: str) -> Any:
    try:
        if isinstance(current, bool):
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
    except ValueError:
        raise ParameterError(
            f"{key}={raw!r}: expected a {type(current).__name__} like {current!r}"
        ) from None
    return raw

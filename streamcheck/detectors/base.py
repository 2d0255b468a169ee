"""What every detector is: a frozen Params dataclass, its declarations, and a small streaming
state machine.

A detector declares everything about itself in its class: ``name``, ``kind`` (what it sees:
``video`` frames of the first video stream, ``audio`` blocks of each audio stream, ``av`` both
(one instance per stream, fed separately), ``pair`` the first video stream and one audio
stream together (one instance per audio stream, fed both in decode order), ``file`` the
:class:`~streamcheck.model.FileFacts` once after decoding), ``description``, its
``Params`` (each field declared with :func:`param`: default, unit, bounds, meaning and the
FFmpeg/EBU option it mirrors; validated by :class:`ParamsBase`), the shared measurements it
needs from the measure step (:meth:`StreamDetector.needs`), the per-second metric columns it
publishes (``publishes``), and where an open finding started (:attr:`StreamDetector.open_start_s`,
for thumbnails). Findings are built with :meth:`Detector.emit`, which fills in the detector's
name, severity and stream.

A stream detector sees the items of one stream in presentation order through
:meth:`StreamDetector.update` and returns its findings from :meth:`StreamDetector.finish`, which
closes whatever is still open at the end of the stream. A file detector gets one call,
:meth:`FileDetector.check`, with the facts of the whole file.

Detectors import numpy, OpenCV and the model only: never av, joblib, pyarrow or rich.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from ..model import Event, FileFacts, Needs, Severity, StreamInfo
from .intervals import Interval, RunTracker

# video: the first video stream; audio: each audio stream (track); av: both, one instance per
# stream; pair: one instance per audio stream that sees the first video stream's pictures and
# that stream's blocks together; programme: each audio programme (tracks measured together);
# file: once per file, after decoding
Kind = Literal["video", "audio", "av", "pair", "programme", "file"]
SEVERITIES = tuple(s.value for s in Severity)


def param(
    default: Any,
    *,
    unit: str | None,
    help: str,
    mirrors: str | None = None,
    minimum: float | None = 0.0,
    maximum: float | None = None,
    choices: Sequence[str] | None = None,
    items: type | None = None,
) -> Any:
    """Declare one detector parameter: its default, unit, meaning, the FFmpeg/EBU option it
    mirrors, and what values are allowed (numbers: finite, within ``minimum``…``maximum``,
    by default not negative; text: one of ``choices``). A parameter whose default is a tuple
    holds a list of allowed values, each an ``items`` (str, int or float: a whole number is
    fine for float) within the same bounds or choices. This is the single place a default is
    written; docs, validation and ``streamcheck detectors`` read it from here."""
    return dataclasses.field(
        default=default,
        metadata={
            "unit": unit,
            "help": help,
            "mirrors": mirrors,
            "minimum": minimum,
            "maximum": maximum,
            "choices": tuple(choices) if choices is not None else None,
            "items": items,
        },
    )


def severity_param(default: str) -> Any:
    return param(
        default,
        unit=None,
        help="Severity of a finding: info, warning or error (compared with --fail-on).",
        choices=SEVERITIES,
    )


def _item_field(f: dataclasses.Field[Any]) -> dataclasses.Field[Any]:
    """The declaration of one item of a list parameter ``f`` (its bounds and choices)."""
    one: dataclasses.Field[Any] = dataclasses.field(
        default=f.metadata["items"](), metadata={**f.metadata, "items": None}
    )
    one.name = f.name
    return one


def allowed(f: dataclasses.Field[Any]) -> str:
    """The allowed values of a declared parameter, in words (for errors and docs)."""
    md = f.metadata
    if isinstance(f.default, tuple):
        return f"a value or a list of values, each {allowed(_item_field(f))}"
    if md.get("choices"):
        return "one of " + ", ".join(md["choices"])
    if isinstance(f.default, bool):
        return "true or false"
    lo, hi = md.get("minimum"), md.get("maximum")
    kind = "a whole number" if isinstance(f.default, int) else "a finite number"
    if lo is not None and hi is not None:
        return f"{kind} from {lo:g} to {hi:g}"
    if lo is not None:
        return f"{kind} of at least {lo:g}"
    if hi is not None:
        return f"{kind} of at most {hi:g}"
    return kind


@dataclass(frozen=True)
class ParamsBase:
    """Base of every detector's Params. Building one checks every field against its
    declaration (type, finite, bounds, choices), then calls :meth:`validate` for rules
    between fields. Subclasses extend the checks through :meth:`validate`; a subclass that
    defines ``__post_init__`` is refused, so the field checks can never be skipped."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__post_init__" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} must not override __post_init__; put its own checks in validate()"
            )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check_value(f, getattr(self, f.name))
        self.validate()

    def validate(self) -> None:
        """Checks between fields; raise ValueError naming what is wrong."""


def check_value(f: dataclasses.Field[Any], v: Any) -> None:
    """Raise ValueError when ``v`` is not an allowed value of the declared parameter ``f``."""
    md, default = f.metadata, f.default
    bad = ValueError(f"{f.name} must be {allowed(f)}, not {v!r}")
    if isinstance(default, tuple):
        if not isinstance(v, tuple):
            raise bad
        one = _item_field(f)
        for item in v:
            widened = float(item) if md["items"] is float and type(item) is int else item
            try:
                check_value(one, widened)
            except ValueError:
                raise bad from None
        return
    if isinstance(default, bool):
        if not isinstance(v, bool):
            raise bad
        return
    if isinstance(default, (int, float)):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise bad
        if isinstance(default, int) and not isinstance(v, int):
            raise bad
        if not math.isfinite(v):
            raise bad
        lo, hi = md.get("minimum"), md.get("maximum")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise bad
        return
    if isinstance(default, str):
        if not isinstance(v, str):
            raise bad
        if md.get("choices") and v not in md["choices"]:
            raise bad


@dataclass(frozen=True)
class Metric:
    """A per-second column of metrics.parquet that a detector (or the measure step) publishes:
    the value it puts in ``VideoFrame.features[name]`` for each frame, merged per second by
    ``per_second`` (mean, max or min)."""

    name: str
    unit: str
    help: str
    per_second: Literal["mean", "max", "min"] = "mean"


P = TypeVar("P", bound=ParamsBase)


class Detector(ABC, Generic[P]):
    """What stream and file detectors share: declarations, parameters, findings."""

    name: ClassVar[str]
    kind: ClassVar[Kind]
    description: ClassVar[str]
    Params: ClassVar[type[ParamsBase]]
    publishes: ClassVar[tuple[Metric, ...]] = ()
    # a detector whose findings are leaders (colour bars, line-up tone, a slate) names the
    # detectors whose findings inside a leader are there on purpose (marked expected); the
    # programmes' loudness leaves leaders out
    leader_covers: ClassVar[tuple[str, ...]] = ()
    # whether the detector still holds under ``--fast`` (Config.fast), where the decoder does
    # less: H.264/HEVC pictures without their in-loop deblocking filter, MPEG-2,
    # MPEG-4 Part 2, MJPEG and DV pictures decoded at reduced resolution (``lowres``: half or a
    # quarter of the width and height; ``VideoFrame.scale`` says by how much). A detector that
    # needs deblocked or full-resolution pictures sets it False, says why in ``fast_note``, and
    # is left out of a fast run (named in the run's metadata and summary)
    fast_ok: ClassVar[bool] = True
    fast_note: ClassVar[str] = ""

    params: P
    stream_index: int | None
    events: list[Event]

    @property
    def severity(self) -> Severity:
        return Severity(getattr(self.params, "severity", "warning"))

    def emit(
        self,
        start_s: float,
        end_s: float,
        detail: str,
        *,
        value: float | None = None,
        unit: str | None = None,
        channel: int | None = None,
        frame_start: int | None = None,
        frame_end: int | None = None,
        stream_index: int | None = None,
    ) -> Event:
        """Record one finding of this detector over ``[start_s, end_s)`` seconds (on the
        stream of this detector unless ``stream_index`` says otherwise) and return it."""
        event = Event(
            detector=self.name,
            severity=self.severity,
            start_s=float(start_s),
            end_s=float(end_s),
            detail=detail,
            value=None if value is None else float(value),
            unit=unit,
            stream_index=self.stream_index if stream_index is None else stream_index,
            channel=channel,
            frame_start=frame_start,
            frame_end=frame_end,
        )
        self.events.append(event)
        return event


class StreamDetector(Detector[P]):
    """A detector that follows one stream: :meth:`update` per frame or block, then
    :meth:`finish`. Its intervals go through ``self.tracker`` (a :class:`RunTracker` that
    subclasses replace with one of their own settings): its open run is the detector's
    :attr:`open_start_s`, its runs reach :meth:`on_run` through :meth:`track`, and
    :meth:`close` finishes it."""

    tracker: RunTracker

    def __init__(self, params: P, stream: StreamInfo) -> None:
        self.params = params
        self.stream = stream
        self.stream_index = stream.index
        self.events = []
        self.tracker = RunTracker()

    def needs(self) -> Needs:
        """The shared measurements this detector reads from the measure step."""
        return Needs()

    def stream_facts(self) -> dict[str, Any]:
        """What this detector measured about its stream as a whole, for its streams.parquet
        row (``{"scan": "interlaced-tff"}``); asked for after :meth:`finish`."""
        return {}

    @property
    def open_start_s(self) -> float | None:
        """Where a finding that is still being confirmed started (seconds), or None."""
        return self.tracker.open_start_s

    @abstractmethod
    def update(self, item: Any) -> None:
        """Consume the next frame or audio block of the stream."""

    def close(self, end_s: float) -> None:
        """Close what is still open at ``end_s`` (the end of the stream, seconds)."""
        self.track(self.tracker.finish(end_s))

    def on_run(self, run: Interval) -> None:
        """A run of ``self.tracker`` became final: emit its finding."""
        raise NotImplementedError(f"{type(self).__name__} uses a tracker but has no on_run")

    def track(self, runs: list[Interval]) -> None:
        """Hand the runs a tracker call returned to :meth:`on_run`."""
        for run in runs:
            self.on_run(run)

    def finish(self, end_s: float) -> list[Event]:
        """Close open runs at ``end_s`` (the end of the stream, seconds) and return findings."""
        self.close(end_s)
        return self.events

    def emit_run(
        self,
        run: Interval,
        detail: str,
        *,
        value: float | None = None,
        unit: str | None = "s",
        channel: int | None = None,
    ) -> Event:
        """The finding of a closed run. ``value`` defaults to its duration in seconds; runs of
        video frames (runs with unit indices, of a detector that sees video) carry their frame
        numbers."""
        video = self.kind in ("video", "av", "pair") and run.first >= 0
        return self.emit(
            run.start_s,
            run.end_s,
            detail,
            value=run.duration_s if value is None else value,
            unit=unit,
            channel=channel,
            frame_start=run.first if video else None,
            frame_end=run.last + 1 if video else None,
        )


class VideoDetector(StreamDetector[P]):
    """A detector of the first video stream's pictures."""

    kind: ClassVar[Kind] = "video"


class AudioDetector(StreamDetector[P]):
    """A detector of each audio stream's blocks."""

    kind: ClassVar[Kind] = "audio"


class PairDetector(StreamDetector[P]):
    """A detector of sound against picture: one instance per audio stream (``self.stream``,
    whose index its findings carry), fed both the first video stream's pictures
    (``self.video``) and that audio stream's blocks through :meth:`update`, in decode order
    (the container's interleaving: either may run a little ahead of the other). Its
    :meth:`needs` apply to the pictures. Values it can only decide once a stretch has passed
    (a window's measurement) reach metrics.parquet through :meth:`late_metrics`."""

    kind: ClassVar[Kind] = "pair"

    def __init__(self, params: P, stream: StreamInfo, video: StreamInfo) -> None:
        super().__init__(params, stream)
        self.video = video

    def late_metrics(self) -> list[tuple[float, str, float]]:
        """(time s, metric name, value) of its published metrics, asked for after
        :meth:`finish`; recorded on the video stream's rows of metrics.parquet, merged per
        second by the metric's rule."""
        return []


class ProgrammeDetector(StreamDetector[P]):
    """A detector of each audio programme's blocks (its tracks' channels together, in the
    programme's layout; ``self.stream.channel_names``). Its findings' ``channel`` is the
    programme's channel; the pipeline turns it into the track and channel it is."""

    kind: ClassVar[Kind] = "programme"


class FileDetector(Detector[P]):
    """A detector decided once per file, from what the decoded streams turned out to be.
    Its findings span the whole file ``[0, duration]``."""

    kind: ClassVar[Kind] = "file"

    def __init__(self, params: P) -> None:
        self.params = params
        self.stream_index = None
        self.events = []
        self._duration_s = 0.0

    def check(self, facts: FileFacts) -> list[Event]:
        """The findings of the file whose facts are ``facts``."""
        self._duration_s = facts.duration_s
        self.inspect(facts)
        return self.events

    @abstractmethod
    def inspect(self, facts: FileFacts) -> None:
        """Look at the file's facts and :meth:`emit_file` what is wrong."""

    def emit_file(
        self,
        detail: str,
        *,
        value: float | None = None,
        unit: str | None = None,
        stream_index: int | None = None,
        channel: int | None = None,
    ) -> Event:
        """A finding about the whole file (on ``stream_index`` when it concerns one)."""
        return self.emit(
            0.0,
            self._duration_s,
            detail,
            value=value,
            unit=unit,
            stream_index=stream_index,
            channel=channel,
        )


def on_channels(channels: set[int], stream: StreamInfo | None = None) -> tuple[str, int | None]:
    """("on track 2 channel 1" / "on programme 'main' (tracks 1+2) channels FL, FR", the
    Event's channel: the one channel or None). Channels are named by the stream's layout
    where it has one, else numbered from 0; the stream by its label."""
    chans = sorted(channels)
    names = stream.channel_names if stream is not None else ()
    shown = [names[c] if c < len(names) and names[c] != "NONE" else str(c) for c in chans]
    where = f"{stream.name} " if stream is not None and stream.label else ""
    if not chans:
        return f"on {where}".rstrip() if where else "", None
    words = f"on {where}channel{'s' if len(chans) > 1 else ''} {', '.join(shown)}"
    return words, chans[0] if len(chans) == 1 else None

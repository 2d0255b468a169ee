"""What every detector is: a frozen Params dataclass and a small streaming state machine.

A detector sees the items of one stream in presentation order through :meth:`Detector.update`
(a :class:`~streamcheck.model.VideoFrame` or an :class:`~streamcheck.model.AudioBlock`) and
returns its findings from :meth:`Detector.finish`, which closes whatever is still open at the
end of the stream. A file-level detector (kind ``file``) gets one update, the
:class:`~streamcheck.model.FileFacts` of the whole file after decoding.
Detectors import numpy and the model only: never av, joblib, pyarrow or rich.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from ..model import Event, Severity, StreamInfo

# video: the first video stream; audio: each audio stream; av: both; file: once per file, after
# decoding, with the FileFacts
Kind = Literal["video", "audio", "av", "file"]


def param(default: Any, *, unit: str | None, help: str, mirrors: str | None = None) -> Any:
    """Declare one detector parameter: its default, unit, meaning and the FFmpeg/EBU option it
    mirrors. This is the single place a default is written; docs and `streamcheck detectors`
    read it from here."""
    return dataclasses.field(
        default=default, metadata={"unit": unit, "help": help, "mirrors": mirrors}
    )


def severity_param(default: str) -> Any:
    return param(
        default,
        unit=None,
        help="Severity of a finding: info, warning or error (compared with --fail-on).",
    )


@dataclasses.dataclass(frozen=True)
class ParamsBase:
    """Base of every detector's Params: validates values when built."""

    def __post_init__(self) -> None:
        sev = getattr(self, "severity", None)
        if sev is not None and sev not in {s.value for s in Severity}:
            raise ValueError(f"severity must be one of info, warning, error, not {sev!r}")
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise ValueError(f"{f.name} must not be negative (got {v})")


class Detector(ABC):
    """A streaming detector of one defect on one stream."""

    name: ClassVar[str]
    kind: ClassVar[Kind]
    description: ClassVar[str]
    Params: ClassVar[type[ParamsBase]]

    def __init__(self, params: ParamsBase, stream: StreamInfo) -> None:
        self.params = params
        self.stream = stream
        self.stream_index = stream.index

    @property
    def severity(self) -> Severity:
        return Severity(getattr(self.params, "severity", "warning"))

    @abstractmethod
    def update(self, item: Any) -> None:
        """Consume the next frame or audio block of the stream."""

    @abstractmethod
    def finish(self, end_s: float) -> list[Event]:
        """Close open runs at ``end_s`` (the end of the stream, seconds) and return findings."""


def run_event(
    det: Detector,
    run: Any,
    detail: str,
    *,
    value: float | None = None,
    unit: str | None = "s",
    channel: int | None = None,
    video: bool = True,
) -> Event:
    """Build the Event for a closed :class:`~.intervals.Interval` of ``det``. ``value``
    defaults to the run's duration in seconds; video runs carry their frame numbers."""
    return Event(
        detector=det.name,
        severity=det.severity,
        start_s=run.start_s,
        end_s=run.end_s,
        value=run.duration_s if value is None else value,
        unit=unit,
        detail=detail,
        stream_index=det.stream_index,
        channel=channel,
        frame_start=run.first if video else None,
        frame_end=run.last + 1 if video else None,
    )


def on_channels(channels: set[int]) -> tuple[str, int | None]:
    """("on channel 1" / "on channels 0, 1", the Event's channel: the one channel or None)."""
    chans = sorted(channels)
    words = f"on channel{'s' if len(chans) > 1 else ''} {', '.join(map(str, chans))}"
    return words, chans[0] if len(chans) == 1 else None

"""Shared data types: what flows between the stages of the pipeline.

Times are seconds (float) on the file's presentation timeline, where 0 is the first frame or
sample a player shows. Intervals are half-open: ``[start_s, end_s)``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# channel names (FFmpeg's) of the layouts a programme may declare
LAYOUTS: dict[str, tuple[str, ...]] = {
    "mono": ("FC",),
    "stereo": ("FL", "FR"),
    "2.1": ("FL", "FR", "LFE"),
    "3.0": ("FL", "FR", "FC"),
    "quad": ("FL", "FR", "BL", "BR"),
    "4.0": ("FL", "FR", "FC", "BC"),
    "5.0": ("FL", "FR", "FC", "SL", "SR"),
    "5.1": ("FL", "FR", "FC", "LFE", "SL", "SR"),
    "7.1": ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}
# the layout a stream without one is taken to have, by channel count (BS.1770-4: five
# channels are L R C Ls Rs, six 5.1 with the LFE fourth, as FFmpeg's defaults)
DEFAULT_LAYOUT = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 8: "7.1"}


def layout_name(names: tuple[str, ...]) -> str | None:
    """The name of the layout whose channels are ``names`` (None when none is)."""
    return next((name for name, chans in LAYOUTS.items() if chans == names), None)


def default_names(channels: int) -> tuple[str, ...]:
    """Channel names of the default layout for ``channels`` (empty when there is none)."""
    layout = DEFAULT_LAYOUT.get(channels)
    return LAYOUTS[layout] if layout else ()


class Severity(str, enum.Enum):
    """How bad a finding is. Ordered: info < warning < error."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}


class Status(str, enum.Enum):
    """What happened to one input file."""

    OK = "ok"  # analysed to the end (findings may still exist)
    ERROR = "error"  # could not be analysed (or only in part); `error` says why
    TIMEOUT = "timeout"  # the per-file time limit ran out
    CRASHED = "crashed"  # the worker process died while on this file


@dataclass(frozen=True)
class Event:
    """One finding: a defect over ``[start_s, end_s)`` seconds.

    ``value`` is the detector's key measurement in ``unit``; ``frame_start``/``frame_end``
    are 0-based video frame numbers in presentation order (end exclusive) when the finding is
    on the video stream.
    """

    detector: str
    severity: Severity
    start_s: float
    end_s: float
    detail: str
    value: float | None = None
    unit: str | None = None
    stream_index: int | None = None
    channel: int | None = None
    frame_start: int | None = None
    frame_end: int | None = None
    expected: bool = False  # declared as there on purpose: kept, never fails a run
    thumbnail: str | None = None  # relative path of a JPEG of its first picture (--thumbnails)
    thumbnail_middle: str | None = None  # … and of its middle picture, for findings ≥ 2 s

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Expected:
    """Something in a file on purpose (colour bars 0–10 s, planned black): findings of
    ``detector`` (any detector when None) inside ``[start_s, end_s]`` (± :data:`EXPECTED_SLACK_S`)
    of files whose name matches ``path`` (a glob; any file when None) are marked expected."""

    start_s: float
    end_s: float
    detector: str | None = None
    path: str | None = None
    note: str = ""

    def whole_stretch_of(self, filename: str) -> bool:
        """True when this entry declares a whole stretch of ``filename`` (no detector named)
        as there on purpose: a leader, left out of the programme's loudness."""
        return self.detector is None and self.applies_to(filename, "")

    def applies_to(self, filename: str, detector: str) -> bool:
        """True when this entry covers findings of ``detector`` in a file named ``filename``."""
        import fnmatch

        if self.detector not in (None, detector):
            return False
        return self.path is None or fnmatch.fnmatch(filename, self.path)


EXPECTED_SLACK_S = 0.5  # a declared window may be off by this much at either end


@dataclass
class VideoFrame:
    """One decoded picture as the detectors see it.

    ``luma`` is the decoder's own luma plane as a (height, width) view, not a copy: uint8 for
    8-bit streams, uint16 for deeper ones. ``small`` is a contiguous subsample of it (every
    ``step``-th row and column) computed once per frame for the detectors that do not need every
    pixel. ``black_level``/``white_level`` are the nominal range in code values (16–235 at
    8-bit limited range, 0–255 at full range, scaled with bit depth); ``code_max`` is the
    largest code value of the bit depth (255 at 8 bit, 1023 at 10 bit). ``corrupt`` is the
    decoder's own flag; ``decode_errors`` counts decoder error lines and failed packets
    attributed to this frame; ``dropped_before`` counts frames the decoder dropped (their
    packets were read, no picture came out) just before it; ``lost_before_s`` is how many
    seconds of the file's data just before it could not be read at all (damage the demuxer
    had to resynchronise past); ``evidence_t_s`` is the earliest
    presentation time that evidence belongs to (a dropped picture's, a failed packet's).
    ``bars`` are the black bars (top, bottom, left, right) in full-resolution pixels, as the
    measure step found them (None for a black frame, which shows no bars); ``blocks`` the
    float32 means of the 8×8 tiles of ``small`` (a thumbnail about 40–50 wide), also from
    the measure step. ``columns``, when a detector asks for them (:class:`Needs`), is a
    contiguous copy of every ``columns_step``-th column of ``luma`` (all rows), read before
    ``small``: reading it streams the whole picture through the cache, which makes the
    subsample's strided read after it about 3× cheaper (95 → 32 µs per 1080p picture).
    ``chroma``, when a detector asks for it, is
    (Cb, Cr) as views of the decoder's planes (subsampled as the format is: half size in both
    directions for 4:2:0). ``interlaced`` is the decoder's flag that the picture is coded as
    two fields; ``field_order`` the stream's coded field order (``tff``, ``bff``,
    ``progressive`` or ``unknown``). ``timecode``, when a detector asks for it, is the SMPTE
    timecode the codec carries with the picture (``HH:MM:SS:FF``, ``;`` before the frames when
    drop-frame: MPEG-2 GOP headers, H.264/HEVC picture timing SEI), None when it carries
    none. ``scale`` is how many pixels of the stream's picture one luma sample stands for in
    each direction: 1, or 2 and 4 when ``--fast`` has the decoder work at reduced resolution
    (``lowres``); :attr:`size` is the picture's true (height, width). Detectors may publish
    per-frame measurements into ``features`` (name → value); the metrics recorder merges them
    per second.
    """

    index: int
    t_s: float
    duration_s: float
    luma: np.ndarray
    small: np.ndarray
    step: int
    black_level: int
    white_level: int
    code_max: int
    key_frame: bool = False
    corrupt: bool = False
    decode_errors: int = 0
    dropped_before: int = 0
    lost_before_s: float = 0.0
    evidence_t_s: float | None = None
    bars: tuple[int, int, int, int] | None = (0, 0, 0, 0)
    blocks: np.ndarray | None = None
    columns: np.ndarray | None = None
    columns_step: int = 0
    chroma: tuple[np.ndarray, np.ndarray] | None = None
    interlaced: bool = False
    field_order: str = "unknown"
    timecode: str | None = None
    features: dict[str, float] = field(default_factory=dict)
    scale: int = 1

    @property
    def end_s(self) -> float:
        return self.t_s + self.duration_s

    @property
    def size(self) -> tuple[int, int]:
        """The picture's (height, width) in the stream's own pixels (``luma`` may be smaller:
        see ``scale``)."""
        h, w = self.luma.shape[:2]
        return h * self.scale, w * self.scale


@dataclass
class AudioBlock:
    """Decoded audio of one stream, or of one programme (``programme`` its name; then
    ``stream_index`` is its first track's): ``samples`` is float32 of shape (channels, n), full
    scale = 1.0, starting at ``t_s`` seconds. ``loudness`` holds the programme's loudness
    readings that became available with this block: (time s, momentary LUFS, short-term LUFS),
    100 ms apart.
    ``true_peak`` is the block's 4× oversampled peak per channel (linear, 1.0 = full scale),
    and ``true_peak_overs`` where it reaches the level a detector asked for (:class:`Needs`):
    (channel, start s, end s, linear true peak) of stretches of about 10 ms; both filled by
    the measure step."""

    stream_index: int
    t_s: float
    sample_rate: int
    samples: np.ndarray
    loudness: list[tuple[float, float, float]] = field(default_factory=list)
    programme: str | None = None
    true_peak: np.ndarray | None = None
    true_peak_overs: list[tuple[int, float, float, float]] = field(default_factory=list)
    _magnitude: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        return int(self.samples.shape[1])

    @property
    def magnitude(self) -> np.ndarray:
        """``abs(samples)``, computed once for all the detectors that compare levels."""
        if self._magnitude is None:
            self._magnitude = np.abs(self.samples)
        return self._magnitude

    @property
    def end_s(self) -> float:
        return self.t_s + self.n / self.sample_rate


@dataclass(frozen=True)
class Needs:
    """Shared measurements that the detectors of a stream ask the decode and measure steps for
    (each computed once per frame or block, whoever asks): ``blocks`` and ``bars`` of each
    :class:`VideoFrame`, its ``columns`` at ``column_step``, its ``chroma`` planes, its
    ``timecode``, and the stretches of each
    :class:`AudioBlock` whose true peak reaches ``true_peak_overs_above`` (linear, 1.0 = full
    scale; None: not needed)."""

    blocks: bool = False
    bars: bool = False
    column_step: int | None = None
    chroma: bool = False
    timecode: bool = False
    true_peak_overs_above: float | None = None

    def merge(self, other: Needs) -> Needs:
        """What both ask for. Columns are read at one step only: when two steps are asked
        for, none is (each asker then reads its own from the luma plane)."""
        steps = {s for s in (self.column_step, other.column_step) if s}
        overs = [x for x in (self.true_peak_overs_above, other.true_peak_overs_above) if x]
        return Needs(
            blocks=self.blocks or other.blocks,
            bars=self.bars or other.bars,
            chroma=self.chroma or other.chroma,
            timecode=self.timecode or other.timecode,
            column_step=steps.pop() if len(steps) == 1 else None,
            true_peak_overs_above=min(overs) if overs else None,
        )


@dataclass(frozen=True)
class StreamInfo:
    """What a detector knows of its stream before the first frame: container ``index``,
    ``kind`` (video, audio, or programme: audio tracks measured together), ``codec``, nominal
    ``frame_s`` (seconds per frame, video) and whether the stream declares a variable frame rate,
    ``sample_rate``, ``channels`` and FFmpeg's ``channel_names`` (FL, FR, FC, LFE…; audio; the
    default layout's for a stream that declares none); for a programme its name; ``label``
    names it in findings; ``timecode`` the start timecode the container declares (video);
    ``color_matrix`` the Y′CbCr matrix the stream declares, by FFmpeg's name (``bt709``,
    ``smpte170m``, ``bt470bg``…; None when unspecified): see :meth:`rgb_matrix`."""

    index: int
    kind: str
    codec: str = ""
    frame_s: float = 0.0
    vfr: bool = False
    sample_rate: int = 0
    channels: int = 0
    channel_names: tuple[str, ...] = ()
    programme: str | None = None
    label: str = ""
    timecode: str | None = None  # the start timecode the container declares (video)
    color_matrix: str | None = None

    def rgb_matrix(self, height: int) -> str:
        """``bt709`` or ``bt601``: the matrix the stream declares, else the receivers'
        convention for an unspecified one (BT.709 from 720 lines up, BT.601 below)."""
        if self.color_matrix in ("bt709", "bt601"):
            return self.color_matrix
        if self.color_matrix in ("smpte170m", "bt470bg", "fcc"):
            return "bt601"
        return "bt709" if height >= 720 else "bt601"

    @property
    def name(self) -> str:
        """How findings name it: ``track 3`` (an audio stream, by its 1-based track number
        when known), ``programme 'main' (tracks 1+2)``, ``stream 0``."""
        return self.label or f"stream {self.index}"


@dataclass(frozen=True)
class LoudnessSummary:
    """BS.1770-4 / EBU R128 figures of one audio programme: integrated loudness (LUFS, None
    when everything is gated out), loudness range (LU, EBU Tech 3342), the largest momentary
    (400 ms) and short-term (3 s) loudness (LUFS, read at 10 ms resolution), and the time the
    measured programme starts (after a leader left out)."""

    integrated_lufs: float | None
    range_lu: float | None
    max_momentary_lufs: float | None
    max_short_term_lufs: float | None
    start_s: float | None = None  # where the measured programme starts (after a leader)


@dataclass
class StreamFacts:
    """What one decoded stream turned out to be: first and last presentation times (seconds),
    items decoded (frames or audio blocks), decode failures, and the first error messages."""

    info: StreamInfo
    start_s: float | None = None
    end_s: float | None = None
    items: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)
    loudness: LoudnessSummary | None = None
    true_peak: np.ndarray | None = None  # per channel, linear (audio streams)

    @property
    def duration_s(self) -> float:
        if self.start_s is None or self.end_s is None:
            return 0.0
        return self.end_s - self.start_s


@dataclass
class ProgrammeFacts:
    """What one audio programme measured: its name, its tracks (1-based) and their stream
    indexes, its loudness, the true peak of each of its channels (linear), where it starts and
    ends (seconds), and how findings name it."""

    name: str
    tracks: tuple[int, ...]
    streams: tuple[int, ...]
    label: str
    sample_rate: int = 0
    channel_names: tuple[str, ...] = ()
    loudness: LoudnessSummary | None = None
    true_peak: np.ndarray | None = None
    start_s: float | None = None
    end_s: float | None = None


@dataclass
class FileFacts:
    """The whole file after decoding, for file-level detectors: every declared audio/video
    stream, the file's duration (seconds, presentation timeline), the duration its container
    declares, where the container's data ended early (None when it did not), the audio
    programmes, the container format, what streams.parquet says of every stream (declared
    format, and what the stream detectors measured, such as the scan), and the start
    timecode."""

    streams: list[StreamFacts]
    duration_s: float
    declared_duration_s: float | None = None
    data_ends_at_s: float | None = None
    data_error: str | None = None
    programmes: list[ProgrammeFacts] = field(default_factory=list)
    programme_notes: list[str] = field(default_factory=list)  # configured, could not be formed
    container: str | None = None  # FFmpeg's name of the container format
    rows: list[StreamRow] = field(default_factory=list)  # streams.parquet's rows of the file
    start_timecode: str | None = None

    def first(self, kind: str) -> StreamFacts | None:
        return next((s for s in self.streams if s.info.kind == kind), None)


@dataclass
class StreamRow:
    """One row of streams.parquet: a container stream (``stream_index``) or an audio
    programme (``programme``, its ``tracks`` as ``1+2``), what it is and what was measured."""

    kind: str  # video, audio, programme, subtitle, data
    stream_index: int | None = None
    programme: str | None = None
    tracks: str | None = None
    codec: str | None = None
    profile: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    pix_fmt: str | None = None
    field_order: str | None = None
    scan: str | None = None
    sar: str | None = None
    dar: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    color_matrix: str | None = None
    color_range: str | None = None
    start_timecode: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    layout: str | None = None
    bit_depth: int | None = None
    language: str | None = None
    start_s: float | None = None
    duration_s: float | None = None
    integrated_lufs: float | None = None
    loudness_range_lu: float | None = None
    max_momentary_lufs: float | None = None
    max_short_term_lufs: float | None = None
    true_peak_dbtp: float | None = None
    loudness_start_s: float | None = None
    av_sync_s: float | None = None


@dataclass
class FileInfo:
    """Facts about one input file (from the file system and from the container)."""

    path: str
    size_bytes: int | None = None
    mtime: float | None = None
    container: str | None = None
    duration_s: float | None = None
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    frames: int | None = None
    integrated_lufs: float | None = None
    loudness_range_lu: float | None = None
    max_momentary_lufs: float | None = None
    max_short_term_lufs: float | None = None
    true_peak_dbtp: float | None = None
    loudness_start_s: float | None = None
    start_timecode: str | None = None
    av_sync_s: float | None = None  # the first audio stream's, measured from the content


@dataclass
class FileResult:
    """Everything one worker sends back for one file: small (kilobytes), picklable."""

    info: FileInfo
    status: Status = Status.OK
    error: str | None = None
    events: list[Event] = field(default_factory=list)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    streams: list[StreamRow] = field(default_factory=list)
    thumbnails: dict[str, bytes] = field(default_factory=dict)  # relative path → JPEG
    wall_s: float = 0.0
    cpu_s: float = 0.0

    @property
    def path(self) -> str:
        return self.info.path

    @property
    def worst_severity(self) -> Severity | None:
        """Worst severity of the findings that are not expected."""
        real = [e.severity for e in self.events if not e.expected]
        return max(real, key=lambda s: s.rank) if real else None

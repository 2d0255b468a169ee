"""A worker's whole job: ``analyze_file(path, config) -> FileResult``.

Opens the file once, runs one decode loop, hands each frame to the measure step and the video
detectors and each audio block to the audio detectors of its stream, then finishes the
detectors and aggregates their findings. Frames and samples never leave this function; the
FileResult it returns is small. A failure of this one file becomes ``status=error`` with a
one-line reason, never an exception.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from functools import reduce

from .config import Config, sidecar_expected
from .decode import DecodeStats, Media, describe_error, iter_decoded, open_media
from .detectors import REGISTRY, AnyFileDetector, AnyStreamDetector, FileDetector, StreamDetector
from .detectors.decibels import amplitude_to_db
from .errors import MediaOpenError, ParameterError
from .events import finalize
from .measure import AudioMeasure, VideoMeasure
from .metrics import MetricsRecorder
from .model import (
    AudioBlock,
    Event,
    FileFacts,
    FileInfo,
    FileResult,
    Needs,
    Status,
    StreamFacts,
    VideoFrame,
)
from .thumbs import ThumbnailKeeper


def file_info(path: str) -> FileInfo:
    """A FileInfo with what the file system says (size, mtime), if it says anything."""
    info = FileInfo(path=path)
    try:
        st = os.stat(path)
        info.size_bytes, info.mtime = st.st_size, st.st_mtime
    except OSError:
        pass
    return info


def failed_result(path: str, status: Status, reason: str) -> FileResult:
    """The row of a file whose analysis never returned (its worker died, timed out…)."""
    return FileResult(info=file_info(path), status=status, error=reason)


def analyze_file(
    path: str | os.PathLike[str],
    config: Config | None = None,
    *,
    on_open: Callable[[FileInfo], None] | None = None,
    memory_limit: int | None = None,
) -> FileResult:
    """Analyse one media file with ``config`` (default: every detector, default parameters).

    Returns a :class:`FileResult` whatever happens: ``status=ok`` with the findings and
    metrics, or ``status=error`` with the reason (and whatever was found before it).
    ``on_open`` is called with the file's facts once the container is open (the runner uses it
    to set the file's time limit from its duration); ``memory_limit`` (bytes), the limit this
    process runs under, is named when memory runs out."""
    config = config or Config()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    apath = os.path.abspath(os.fspath(path))
    result = FileResult(info=file_info(apath))
    stats = DecodeStats()
    try:
        _run(apath, config, result, stats, on_open)
    except (MediaOpenError, ParameterError) as exc:
        result.status, result.error = Status.ERROR, str(exc)
    except Exception as exc:  # one file's failure must never cost the run
        if os.environ.get("STREAMCHECK_DEBUG") == "1":
            raise
        result.status = Status.ERROR
        if isinstance(exc, MemoryError) or getattr(exc, "errno", None) == errno.ENOMEM:
            limit = f" (limit {format_size(memory_limit)})" if memory_limit else ""
            what = str(exc).splitlines()[0] if str(exc) else "the pictures or sound need more"
            result.error = f"out of memory{limit}: {what} at {stats.end_s:.3f} s"
        else:
            result.error = describe_error(exc)
    return _timed(result, wall0, cpu0)


def format_size(n: int) -> str:
    """``1G``, ``800M``, ``512K``: a byte count as ``--max-memory`` takes it."""
    for unit, size in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n}B"


def _timed(result: FileResult, wall0: float, cpu0: float) -> FileResult:
    result.wall_s = time.perf_counter() - wall0
    result.cpu_s = time.process_time() - cpu0
    return result


Detectors = tuple[
    list[AnyStreamDetector], dict[int, list[AnyStreamDetector]], list[AnyFileDetector]
]


def build_detectors(config: Config, media: Media) -> Detectors:
    """The configured detectors of ``media``: for its video stream, for each audio stream
    (by index), and for the file."""
    video: list[AnyStreamDetector] = []
    audio: dict[int, list[AnyStreamDetector]] = {s.index: [] for s in media.audio}
    file: list[AnyFileDetector] = []
    for name in config.detectors:
        cls, params = REGISTRY[name], config.params_for(name)
        if issubclass(cls, FileDetector):
            file.append(cls(params))
            continue
        assert issubclass(cls, StreamDetector)
        if cls.kind in ("video", "av") and media.video is not None:
            video.append(cls(params, media.info_of(media.video)))
        if cls.kind in ("audio", "av"):
            for s in media.audio:
                audio[s.index].append(cls(params, media.info_of(s)))
    return video, audio, file


def needs_of(detectors: list[AnyStreamDetector]) -> Needs:
    """What ``detectors`` ask of the decode and measure steps, together."""
    return reduce(Needs.merge, (d.needs() for d in detectors), Needs())


def _run(
    path: str,
    config: Config,
    result: FileResult,
    stats: DecodeStats,
    on_open: Callable[[FileInfo], None] | None,
) -> None:
    info = result.info
    with open_media(path) as media:
        media.fill_info(info)
        if on_open is not None:
            on_open(info)
        video_dets, audio_dets, file_dets = build_detectors(config, media)
        video_needs = needs_of(video_dets)
        measure = VideoMeasure(video_needs, metrics=config.metrics)
        thumbs = ThumbnailKeeper(path) if config.thumbnails and media.video is not None else None
        audio_measures = {
            idx: AudioMeasure(needs_of(dets).true_peak_overs_above)
            for idx, dets in audio_dets.items()
        }
        recorder = MetricsRecorder(media.audio[0].index if media.audio else None)

        decoded = iter_decoded(
            media, stats, threads=config.decoder_threads, column_step=video_needs.column_step
        )
        for item in decoded:
            if isinstance(item, VideoFrame):
                measure.update(item)
                for det in video_dets:
                    det.update(item)
                if thumbs is not None:
                    thumbs.update(item, video_dets)
                if config.metrics:
                    recorder.add_video(item)
            elif isinstance(item, AudioBlock):
                audio_measures[item.stream_index].update(item)
                for det in audio_dets[item.stream_index]:
                    det.update(item)
                if config.metrics:
                    recorder.add_audio(item)

        events: list[Event] = []
        if media.video is not None:
            end = stats.streams[media.video.index].end_s or stats.end_s
            for det in video_dets:
                events += det.finish(end)
        for idx, dets in audio_dets.items():
            end = stats.streams[idx].end_s or stats.end_s
            for det in dets:
                events += det.finish(end)
        declared = media.declared_duration_s
        unknown = [
            StreamFacts(info=s, messages=["FFmpeg has no decoder for its codec"])
            for s in media.undecodable
        ]
        first_audio = media.audio[0].index if media.audio else None
        has_video = media.video is not None

    for idx, m in audio_measures.items():
        stats.streams[idx].true_peak = m.true_peak
    if first_audio is not None:
        first = stats.streams[first_audio]
        if first.loudness is not None:
            info.integrated_lufs = first.loudness.integrated_lufs
            info.loudness_range_lu = first.loudness.range_lu
            info.max_momentary_lufs = first.loudness.max_momentary_lufs
            info.max_short_term_lufs = first.loudness.max_short_term_lufs
        if first.true_peak is not None and first.true_peak.size:
            info.true_peak_dbtp = amplitude_to_db(float(first.true_peak.max()))
    info.frames = stats.items("video") if has_video else None
    if stats.end_s > 0:
        info.duration_s = stats.end_s
    duration = info.duration_s or 0.0
    data_ends = _data_end(stats, declared)
    facts = FileFacts(
        streams=[*stats.streams.values(), *unknown],
        duration_s=duration,
        declared_duration_s=declared,
        data_ends_at_s=data_ends,
        data_error=stats.demux_error,
    )
    for fdet in file_dets:
        events += fdet.check(facts)
    result.events = finalize(
        events,
        info.duration_s,
        min_duration_s=config.min_durations(),
        expected=[*config.expected, *sidecar_expected(path)],
        filename=os.path.basename(path),
    )
    if thumbs is not None:
        result.events, result.thumbnails = thumbs.attach(result.events)
    if config.metrics:
        result.metrics = recorder.table()
    if stats.items("video") == 0 and stats.items("audio") == 0:
        result.status = Status.ERROR
        messages = [m for s in stats.streams.values() for m in s.messages]
        result.error = stats.demux_error or (messages[0] if messages else "no decodable frames")
    elif data_ends is not None:
        result.status = Status.ERROR
        result.error = (
            f"truncated: data ends at {data_ends:.3f} s"
            + (f" of {declared:.3f} s declared" if declared else "")
            + (f" ({stats.demux_error})" if stats.demux_error else "")
            + "; analysed up to there"
        )


def _data_end(stats: DecodeStats, declared: float | None) -> float | None:
    """Where the container's data ends early (seconds), or None: a demux error, or decoded
    streams ending well before the duration the header declares (half a second of slack for
    container rounding and codec padding)."""
    if stats.demux_error:
        return stats.demux_error_at_s or stats.end_s
    if declared is not None and stats.end_s > 0 and declared - stats.end_s > 0.5:
        return stats.end_s
    return None

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce

from .audio_chain import ProgrammeChain, flatten, true_peak_dbtp
from .config import Config, sidecar_expected
from .decode import DecodeStats, Media, describe_error, iter_decoded, open_media
from .detectors import (
    REGISTRY,
    AnyFileDetector,
    AnyPairDetector,
    AnyStreamDetector,
    FileDetector,
    PairDetector,
    StreamDetector,
)
from .errors import MediaOpenError, ParameterError
from .events import finalize
from .measure import VideoMeasure
from .metrics import MetricsRecorder
from .model import (
    AudioBlock,
    Event,
    Expected,
    FileFacts,
    FileInfo,
    FileResult,
    Needs,
    ProgrammeFacts,
    Status,
    StreamFacts,
    StreamRow,
    VideoFrame,
    layout_name,
)
from .programmes import Programme, plan
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


@dataclass
class Detectors:
    """The configured detectors of one file: for its video stream, for each audio stream (by
    index), for its video stream with each audio stream (by the audio stream's index), for
    each audio programme (by name) and for the file."""

    video: list[AnyStreamDetector] = field(default_factory=list)
    audio: dict[int, list[AnyStreamDetector]] = field(default_factory=dict)
    pair: dict[int, list[AnyPairDetector]] = field(default_factory=dict)
    programme: dict[str, list[AnyStreamDetector]] = field(default_factory=dict)
    file: list[AnyFileDetector] = field(default_factory=list)


def build_detectors(
    config: Config, media: Media, programmes: Sequence[Programme] = ()
) -> Detectors:
    """The configured detectors of ``media`` (and of its audio ``programmes``)."""
    dets = Detectors(
        audio={s.index: [] for s in media.audio}, pair={s.index: [] for s in media.audio}
    )
    dets.programme = {p.name: [] for p in programmes}
    for name in config.running():
        cls, params = REGISTRY[name], config.params_for(name)
        if issubclass(cls, FileDetector):
            dets.file.append(cls(params))
            continue
        assert issubclass(cls, StreamDetector)
        if cls.kind in ("video", "av") and media.video is not None:
            dets.video.append(cls(params, media.info_of(media.video)))
        if cls.kind in ("audio", "av"):
            for s in media.audio:
                dets.audio[s.index].append(cls(params, media.info_of(s)))
        if issubclass(cls, PairDetector) and media.video is not None:
            video = media.info_of(media.video)
            for s in media.audio:
                dets.pair[s.index].append(cls(params, media.info_of(s), video))
        if cls.kind == "programme":
            for p in programmes:
                dets.programme[p.name].append(cls(params, p.info()))
    return dets


def leaders_in(events: list[Event]) -> list[Expected]:
    """The leaders among ``events`` (findings of a detector that declares ``leader_covers``),
    as expected entries for the detectors each covers; each is also a whole stretch that the
    programmes' loudness leaves out (see :meth:`ProgrammeChain.exclude`)."""
    out = []
    for ev in events:
        covers = REGISTRY[ev.detector].leader_covers if ev.detector in REGISTRY else ()
        what = ev.detail.split(" for ")[0].split(",")[0]
        out += [
            Expected(ev.start_s, ev.end_s, name, note=f"inside the leader ({what.lower()})")
            for name in covers
        ]
    return out


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
    expected = [*config.expected, *sidecar_expected(path)]
    filename = os.path.basename(path)
    with open_media(path) as media:
        media.fill_info(info)
        if on_open is not None:
            on_open(info)
        tracks = [media.info_of(s) for s in media.audio]
        programmes, notes = plan(tracks, config.programmes, config.programme_default)
        dets = build_detectors(config, media, programmes)
        pairs = [d for ds in dets.pair.values() for d in ds]
        video_needs = needs_of([*dets.video, *pairs])
        measure = VideoMeasure(video_needs, metrics=config.metrics)
        thumbs = ThumbnailKeeper(path) if config.thumbnails and media.video is not None else None
        # stretches declared as there on purpose as a whole (no detector named: bars and
        # tone, a slate) are no part of the programme's loudness
        leaders = [(x.start_s, x.end_s) for x in expected if x.whole_stretch_of(filename)]
        chains = [ProgrammeChain(p, dets.programme[p.name], leaders) for p in programmes]
        recorder = MetricsRecorder() if config.metrics else None

        decoded = iter_decoded(
            media,
            stats,
            threads=config.decoder_threads,
            column_step=video_needs.column_step,
            chroma=video_needs.chroma,
            timecode=video_needs.timecode,
            fast=config.fast,
        )
        for item in decoded:
            if isinstance(item, VideoFrame):
                measure.update(item)
                for det in dets.video:
                    det.update(item)
                for det in pairs:
                    det.update(item)
                if thumbs is not None:
                    thumbs.update(item, dets.video)
                if recorder is not None:
                    recorder.add_video(item, media.video.index if media.video else 0)
            elif isinstance(item, AudioBlock):
                for det in dets.audio[item.stream_index]:
                    det.update(item)
                for det in dets.pair[item.stream_index]:
                    det.update(item)
                for chain in chains:
                    chain.add(item, recorder)
        for chain in chains:
            chain.finish(recorder)

        events: list[Event] = []
        if media.video is not None:
            end = stats.streams[media.video.index].end_s or stats.end_s
            for det in dets.video:
                events += det.finish(end)
        for idx, audio_dets in dets.audio.items():
            end = stats.streams[idx].end_s or stats.end_s
            for det in audio_dets:
                events += det.finish(end)
        for idx, pair_dets in dets.pair.items():
            end = stats.streams[idx].end_s or stats.end_s
            for det in pair_dets:
                events += det.finish(end)
                if recorder is not None and media.video is not None and idx == media.audio[0].index:
                    for t_s, name, value in det.late_metrics():
                        recorder.add_late(media.video.index, t_s, name, value)
        found_leaders = leaders_in(events)
        for start, end in sorted({(x.start_s, x.end_s) for x in found_leaders}):
            for chain in chains:
                chain.exclude(start, end)
        expected += found_leaders
        events += flatten(chains, stats.end_s)
        declared = media.declared_duration_s
        unknown = [
            StreamFacts(info=s, messages=["FFmpeg has no decoder for its codec"])
            for s in media.undecodable
        ]
        has_video = media.video is not None
        rows = media.stream_rows()
        container = media.container.format.name
        declared_timecode = media.start_timecode
        video_index = media.video.index if media.video is not None else None

    programme_facts = [chain.facts() for chain in chains]
    if programme_facts:
        first = programme_facts[0]
        if first.loudness is not None:
            info.integrated_lufs = first.loudness.integrated_lufs
            info.loudness_range_lu = first.loudness.range_lu
            info.max_momentary_lufs = first.loudness.max_momentary_lufs
            info.max_short_term_lufs = first.loudness.max_short_term_lufs
            info.loudness_start_s = first.loudness.start_s
        info.true_peak_dbtp = true_peak_dbtp(first)
    info.frames = stats.items("video") if has_video else None
    if stats.end_s > 0:
        info.duration_s = stats.end_s
    duration = info.duration_s or 0.0
    data_ends = _data_end(stats, declared)
    result.streams = stream_rows(rows, stats, programme_facts)
    paired = [d for ds in dets.pair.values() for d in ds]
    for det in [*dets.video, *(d for ds in dets.audio.values() for d in ds), *paired]:
        facts_of = det.stream_facts()  # what a detector measured about its stream
        for row in result.streams:
            if facts_of and row.stream_index == det.stream_index and row.kind != "programme":
                for key, value in facts_of.items():
                    setattr(row, key, value)
    first_audio = next((r for r in result.streams if r.kind == "audio"), None)
    info.av_sync_s = first_audio.av_sync_s if first_audio is not None else None
    info.start_timecode = declared_timecode or stats.gop_timecode
    for row in result.streams:
        if row.kind == "video" and row.stream_index == video_index:
            if stats.gop_timecode:  # exact, where the frames' stamps come a frame late
                row.start_timecode = stats.gop_timecode
            info.start_timecode = info.start_timecode or row.start_timecode
    facts = FileFacts(
        streams=[*stats.streams.values(), *unknown],
        duration_s=duration,
        declared_duration_s=declared,
        data_ends_at_s=data_ends,
        data_error=stats.demux_error,
        programmes=programme_facts,
        programme_notes=notes,
        container=container,
        rows=result.streams,
        start_timecode=info.start_timecode,
    )
    for fdet in dets.file:
        events += fdet.check(facts)
    result.events = finalize(
        events,
        info.duration_s,
        min_duration_s=config.min_durations(),
        expected=expected,
        filename=filename,
    )
    if thumbs is not None:
        result.events, result.thumbnails = thumbs.attach(result.events)
    if recorder is not None:
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


def stream_rows(
    rows: list[StreamRow], stats: DecodeStats, programmes: list[ProgrammeFacts]
) -> list[StreamRow]:
    """streams.parquet's rows of a file: each container stream with its decoded start and
    duration, then each programme with what it measured."""
    out = []
    for row in rows:
        facts = stats.streams.get(row.stream_index) if row.stream_index is not None else None
        if facts is not None and facts.start_s is not None:
            row.start_s = facts.start_s
            row.duration_s = facts.duration_s
        out.append(row)
    for p in programmes:
        lo = p.loudness
        out.append(
            StreamRow(
                kind="programme",
                programme=p.name,
                tracks="+".join(map(str, p.tracks)),
                sample_rate=p.sample_rate or None,
                channels=len(p.true_peak) if p.true_peak is not None else None,
                layout=layout_name(p.channel_names),
                start_s=p.start_s,
                duration_s=(p.end_s - p.start_s) if p.start_s is not None and p.end_s else None,
                integrated_lufs=lo.integrated_lufs if lo else None,
                loudness_range_lu=lo.range_lu if lo else None,
                max_momentary_lufs=lo.max_momentary_lufs if lo else None,
                max_short_term_lufs=lo.max_short_term_lufs if lo else None,
                loudness_start_s=lo.start_s if lo else None,
                true_peak_dbtp=true_peak_dbtp(p),
            )
        )
    return out


def _data_end(stats: DecodeStats, declared: float | None) -> float | None:
    """Where the container's data ends early (seconds), or None: a demux error, or decoded
    streams ending well before the duration the header declares (half a second of slack for
    container rounding and codec padding)."""
    if stats.demux_error:
        return stats.demux_error_at_s or stats.end_s
    if declared is not None and stats.end_s > 0 and declared - stats.end_s > 0.5:
        return stats.end_s
    return None

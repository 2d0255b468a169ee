"""A worker's whole job: ``analyze_file(path, config) -> FileResult``.

Opens the file once, runs one decode loop, hands each frame to the measure step and the video
detectors and each audio block to the audio detectors of its stream, then finishes the
detectors and aggregates their findings. Frames and samples never leave this function; the
FileResult it returns is small. A failure of this one file becomes ``status=error`` with a
one-line reason, never an exception.
"""

from __future__ import annotations

import os
import time

from .config import Config
from .decode import DecodeStats, iter_decoded, open_media
from .detectors import REGISTRY, Detector
from .errors import MediaOpenError
from .events import finalize
from .measure import VideoMeasure
from .metrics import MetricsRecorder
from .model import AudioBlock, Event, FileInfo, FileResult, Status, VideoFrame


def _file_info(path: str) -> FileInfo:
    info = FileInfo(path=path)
    try:
        st = os.stat(path)
        info.size_bytes, info.mtime = st.st_size, st.st_mtime
    except OSError:
        pass
    return info


def analyze_file(path: str | os.PathLike[str], config: Config | None = None) -> FileResult:
    """Analyse one media file with ``config`` (default: every detector, default parameters).

    Returns a :class:`FileResult` whatever happens: ``status=ok`` with the findings and
    metrics, or ``status=error`` with the reason (and whatever was found before it)."""
    config = config or Config()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    apath = os.path.abspath(os.fspath(path))
    result = FileResult(info=_file_info(apath))
    try:
        _run(apath, config, result)
    except MediaOpenError as exc:
        result.status, result.error = Status.ERROR, str(exc)
    except MemoryError:
        result.status, result.error = Status.ERROR, "out of memory while decoding"
    except Exception as exc:  # one file's failure must never cost the run
        if os.environ.get("STREAMCHECK_DEBUG") == "1":
            raise
        msg = str(exc).splitlines()[0] if str(exc) else ""
        result.status = Status.ERROR
        result.error = f"{type(exc).__name__}: {msg}".rstrip(": ")
    result.wall_s = time.perf_counter() - wall0
    result.cpu_s = time.process_time() - cpu0
    return result


def _run(path: str, config: Config, result: FileResult) -> None:
    info = result.info
    with open_media(path) as media:
        media.fill_info(info)
        video_dets: list[Detector] = []
        audio_dets: dict[int, list[Detector]] = {s.index: [] for s in media.audio}
        for name in config.detectors:
            cls = REGISTRY[name]
            if cls.kind == "video" and media.video is not None:
                video_dets.append(cls(config.params_for(name), media.video.index))
            elif cls.kind == "audio":
                for s in media.audio:
                    audio_dets[s.index].append(cls(config.params_for(name), s.index))
        measure = VideoMeasure()
        recorder = MetricsRecorder(media.audio[0].index if media.audio else None)
        stats = DecodeStats()
        threads = config.decoder_threads

        for item in iter_decoded(media, stats, threads=threads):
            if isinstance(item, VideoFrame):
                measure.update(item)
                for det in video_dets:
                    det.update(item)
                if config.metrics:
                    recorder.add_video(item)
            elif isinstance(item, AudioBlock):
                for det in audio_dets[item.stream_index]:
                    det.update(item)
                if config.metrics:
                    recorder.add_audio(item)

        events: list[Event] = []
        if media.video is not None:
            end = stats.stream_end_s.get(media.video.index, stats.end_s)
            for det in video_dets:
                events += det.finish(end)
        for idx, dets in audio_dets.items():
            end = stats.stream_end_s.get(idx, stats.end_s)
            for det in dets:
                events += det.finish(end)

    info.frames = stats.video_frames if media.video is not None else None
    if stats.end_s > 0:
        info.duration_s = stats.end_s
    freeze = config.params_for("freeze")
    result.events = finalize(
        events, info.duration_s, freeze_min_duration_s=getattr(freeze, "min_duration_s", 0.0)
    )
    if config.metrics:
        result.metrics = recorder.table()
    if stats.video_frames == 0 and stats.audio_blocks == 0:
        result.status = Status.ERROR
        result.error = stats.demux_error or stats.first_packet_error or "no decodable frames"
    elif stats.demux_error:
        result.status = Status.ERROR
        result.error = (
            f"container data ends early at {stats.demux_error_at_s or 0.0:.3f} s "
            f"({stats.demux_error}); analysed up to there"
        )

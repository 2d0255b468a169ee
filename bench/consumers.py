"""Where a file's CPU goes inside the pipeline: ``make profile FILE=path``.

Runs the decode loop once over the file and, in the pipeline's order, the measure step, every
enabled detector and the metrics on each video frame and audio block, timing each consumer
where it runs (on frames the decoder has just produced, with the caches as they are then:
timing a consumer alone on stored frames reads them from memory and misleads). Then prints,
per consumer, microseconds per frame or block and seconds in all, next to the decode loop's
own total. One decoder thread, as in ``make bench``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in streamcheck's workers

import cv2

from streamcheck.audio_chain import ProgrammeChain
from streamcheck.config import Config
from streamcheck.decode import DecodeStats, iter_decoded, open_media
from streamcheck.measure import VideoMeasure
from streamcheck.metrics import MetricsRecorder
from streamcheck.model import AudioBlock, VideoFrame
from streamcheck.pipeline import build_detectors, needs_of
from streamcheck.programmes import plan

cv2.setNumThreads(1)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


Spent = dict[tuple[str, str], float]


def measure(path: str) -> tuple[float, Spent, dict[str, int]]:
    """(CPU s of the whole pass, thread CPU s per (kind, consumer), frames and blocks seen)."""
    total, spent, counts, _, _ = measure_steady(path, float("inf"))
    return total, spent, counts


def measure_steady(
    path: str, steady_from_s: float
) -> tuple[float, Spent, dict[str, int], Spent, dict[str, int]]:
    """:func:`measure`, and the same two tallies over the items from ``steady_from_s`` on:
    a consumer's steady cost, without what it pays once (a table built on the first frame, a
    file's head examined), which is what it costs per frame on a programme of any length."""
    config = Config()
    with open_media(path) as media:
        tracks = [media.info_of(s) for s in media.audio]
        programmes, _ = plan(tracks, config.programmes, config.programme_default)
        dets = build_detectors(config, media, programmes)
        first_audio = media.audio[0] if media.audio else None
        pairs = dets.pair.get(first_audio.index, []) if first_audio is not None else []
        video: dict[str, Callable[[Any], None]] = {}
        audio: dict[str, Callable[[Any], None]] = {}
        video_needs = needs_of([*dets.video, *pairs])
        recorder = MetricsRecorder()
        if media.video is not None:
            video["measure step"] = VideoMeasure(video_needs).update
            video |= {d.name: d.update for d in [*dets.video, *pairs]}
            index = media.video.index
            video["metrics"] = lambda f: recorder.add_video(f, index)
        if first_audio is not None:  # the first audio stream, and the programmes it is in
            audio |= {d.name: d.update for d in dets.audio[first_audio.index]}
            audio |= {f"{d.name} (with the picture)": d.update for d in pairs}
            for p in programmes:
                if p.streams == (first_audio.index,):  # a programme of this stream alone
                    chain = ProgrammeChain(p, dets.programme[p.name], [])
                    audio[f"programme {p.name!r} (meter, true peak, detectors)"] = (
                        lambda b, c=chain: c.add(b, recorder)
                    )
        spent = {("video", k): 0.0 for k in video} | {("audio", k): 0.0 for k in audio}
        counts = {"video": 0, "audio": 0}
        steady = dict.fromkeys(spent, 0.0)
        steady_counts = dict.fromkeys(counts, 0)
        cpu0 = _cpu()
        decoded = iter_decoded(
            media,
            DecodeStats(),
            threads=1,
            column_step=video_needs.column_step,
            chroma=video_needs.chroma,
            timecode=video_needs.timecode,
        )
        for item in decoded:
            if isinstance(item, VideoFrame):
                kind, consumers = "video", video
            elif isinstance(item, AudioBlock) and first_audio is not None:
                if item.stream_index != first_audio.index:
                    continue
                kind, consumers = "audio", audio
            else:
                continue
            counts[kind] += 1
            late = item.t_s >= steady_from_s
            steady_counts[kind] += late
            for name, update in consumers.items():
                t0 = time.thread_time()
                update(item)
                took = time.thread_time() - t0
                spent[kind, name] += took
                if late:
                    steady[kind, name] += took
        total = _cpu() - cpu0
    return total, spent, counts, steady, steady_counts


def profile(path: str) -> None:
    total, spent, counts = measure(path)
    ours = sum(spent.values())
    print(f"{path}: {total:.2f} s CPU in all; consumers {ours:.2f} s, the decode loop the rest")
    print(f"{'':8} {'consumer':28} {'µs each':>9} {'s in all':>9}")
    for (kind, name), s in sorted(spent.items(), key=lambda kv: -kv[1]):
        each = s / counts[kind] * 1e6 if counts[kind] else 0.0
        print(f"{kind:8} {name:28} {each:9.1f} {s:9.3f}")
    print(f"({counts['video']} video frames, {counts['audio']} audio blocks)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/consumers.py FILE")
    profile(sys.argv[1])

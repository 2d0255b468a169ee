"""One demux loop over a media file: decoded video frames and audio blocks, in file order.

The first video stream and every audio stream are decoded from a single pass over the
container's packets; everything else in the file is skipped without being decoded. Times are
converted to seconds on the presentation timeline (0 = ``Media.origin_s``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import av
import numpy as np

from ..model import AudioBlock, VideoFrame
from .audio import float_planar
from .probe import Media
from .video import luma_plane, nominal_range, subsample_step


@dataclass
class DecodeStats:
    """What the decode loop saw, beyond the frames themselves. ``stream_end_s`` maps stream
    index → end of its last frame or block (seconds, presentation timeline)."""

    packets: int = 0
    video_frames: int = 0
    audio_blocks: int = 0
    packet_errors: int = 0
    first_packet_error: str | None = None
    demux_error: str | None = None
    demux_error_at_s: float | None = None
    stream_end_s: dict[int, float] = field(default_factory=dict)

    @property
    def end_s(self) -> float:
        return max(self.stream_end_s.values(), default=0.0)


def _configure_threads(ctx: av.codec.context.CodecContext, threads: int) -> None:
    """``threads`` = 1: one thread (best when other files use the other cores); 0: FFmpeg's
    automatic count with frame and slice threading (best for a file decoded alone)."""
    ctx.thread_count = threads
    ctx.thread_type = "SLICE" if threads == 1 else "AUTO"


def iter_decoded(
    media: Media, stats: DecodeStats, *, threads: int = 0
) -> Iterator[VideoFrame | AudioBlock]:
    """Decode ``media`` once, yielding :class:`VideoFrame` and :class:`AudioBlock` objects in
    the order the decoders produce them (presentation order within each stream)."""
    streams: list[av.stream.Stream] = []
    if media.video is not None:
        _configure_threads(media.video.codec_context, threads)
        streams.append(media.video)
    streams += media.audio
    if not streams:
        return
    video = media.video
    origin = media.origin_s
    nominal_dur = 0.0
    if video is not None:
        rate = video.average_rate or video.guessed_rate or video.base_rate
        nominal_dur = float(1 / rate) if rate else 0.04
    v_index = 0
    v_next_t: float | None = None
    step = 1
    a_next_t: dict[int, float] = {}

    packets = media.container.demux(*streams)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except (av.FFmpegError, OSError) as exc:  # the container itself is damaged or cut
            stats.demux_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            stats.demux_error_at_s = stats.end_s
            break
        stats.packets += 1
        try:
            frames = packet.decode()
        except (av.FFmpegError, ValueError) as exc:
            stats.packet_errors += 1
            if stats.first_packet_error is None:
                stats.first_packet_error = str(exc).splitlines()[0]
            continue
        for frame in frames:
            if isinstance(frame, av.VideoFrame):
                t = frame.time
                t_s = (t - origin) if t is not None else (v_next_t or 0.0)
                dur = (
                    float(frame.duration * frame.time_base)
                    if frame.duration and frame.time_base
                    else nominal_dur
                )
                luma, bits = luma_plane(frame)
                if v_index == 0:
                    step = subsample_step(*luma.shape)
                black, white, code_max = nominal_range(frame, bits)
                yield VideoFrame(
                    index=v_index,
                    t_s=t_s,
                    duration_s=dur,
                    luma=luma,
                    small=np.ascontiguousarray(luma[::step, ::step]),
                    step=step,
                    black_level=black,
                    white_level=white,
                    code_max=code_max,
                    key_frame=bool(frame.key_frame),
                    corrupt=bool(frame.is_corrupt),
                )
                v_index += 1
                v_next_t = t_s + dur
                stats.video_frames += 1
                idx = video.index if video is not None else 0
                stats.stream_end_s[idx] = max(stats.stream_end_s.get(idx, 0.0), v_next_t)
            elif isinstance(frame, av.AudioFrame):
                idx = packet.stream.index
                t = frame.time
                t_s = (t - origin) if t is not None else a_next_t.get(idx, 0.0)
                block = AudioBlock(
                    stream_index=idx,
                    t_s=t_s,
                    sample_rate=frame.sample_rate,
                    samples=float_planar(frame),
                )
                a_next_t[idx] = block.end_s
                stats.audio_blocks += 1
                stats.stream_end_s[idx] = max(stats.stream_end_s.get(idx, 0.0), block.end_s)
                yield block

"""One demux loop over a media file: decoded video frames and audio blocks, in file order.

The first video stream and every audio stream are decoded from a single pass over the
container's packets; everything else in the file is skipped without being decoded. Times are
converted to seconds on the presentation timeline (0 = ``Media.origin_s``). Decoder error lines
and failed packets are attributed to the stream and time of the packet being decoded.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np

from ..model import AudioBlock, StreamFacts, VideoFrame
from .anomalies import MAX_MESSAGES, DecodeOrder, DropTracker, LogTap, annex_b, zero_run_inside
from .audio import block_samples
from .messages import describe_error
from .probe import Media
from .video import chroma_planes, field_order, luma_plane, nominal_range, subsample_step


@dataclass
class DecodeStats:
    """What the decode loop saw beyond the frames: per stream facts (index → StreamFacts), and
    where the container's data ended early, if it did."""

    streams: dict[int, StreamFacts] = field(default_factory=dict)
    packets: int = 0
    demux_error: str | None = None
    demux_error_at_s: float | None = None
    damage: list[tuple[float, float]] = field(default_factory=list)  # unreadable stretches, s
    gop_timecode: str | None = None  # an MPEG-1/2 video stream's first GOP header's timecode

    @property
    def end_s(self) -> float:
        return max((s.end_s or 0.0 for s in self.streams.values()), default=0.0)

    def items(self, kind: str) -> int:
        return sum(s.items for s in self.streams.values() if s.info.kind == kind)


# audio handed to the measure step and detectors in blocks of about 400 ms (decoders give
# 10–50 ms): each detector's cost per block is mostly fixed (numpy calls), so fewer, larger
# blocks cost less. Measured on 10 min of 5.1 AAC (`analyze_file` CPU): 0.1 s blocks 3.9–4.2 s,
# 0.2 s 3.4–3.6 s, 0.4 s 3.1–3.3 s. The detectors are exact to the sample across blocks, and a
# block of 5.1 float is 460 KB: memory stays small and flat.
BLOCK_S = 0.4
# times the demuxer may lose sync in damaged data and be asked to go on (each time it scans up
# to its resync size, 64 KiB for MPEG-TS: 10 000 covers about 650 MB of garbage)
MAX_RESYNCS = 10_000
# frames further from where the block's samples end than this (plus one tick of the stream's
# time base: Matroska and FLV store milliseconds, so AAC's 21.33 ms frames land up to 1 ms off)
# start a new block; far below the 5 ms a timestamp_gap finding needs
JOIN_TOLERANCE_S = 0.0005


class _Rechunker:
    """Joins consecutive decoded audio frames of one stream into blocks of about
    :data:`BLOCK_S`: fewer, larger numpy calls per second of sound. A frame that does not
    start where the previous one ended (a timestamp jump or wobble), or changes format or
    layout, starts a new block, so the detectors still see every discontinuity. The frames'
    samples are converted once per block (:func:`block_samples`)."""

    def __init__(self, index: int, tick_s: float | None) -> None:
        self.index = index
        self.tolerance_s = JOIN_TOLERANCE_S + (tick_s or 0.0)
        self._frames: list[av.AudioFrame] = []
        self._t = 0.0
        self._n = 0
        self._sr = 0
        self._key: tuple[str, int] = ("", 0)

    def add(self, t_s: float, frame: av.AudioFrame) -> list[AudioBlock]:
        out: list[AudioBlock] = []
        sr, key = frame.sample_rate, (frame.format.name, frame.layout.nb_channels)
        if self._frames and (
            sr != self._sr
            or key != self._key
            or abs(t_s - (self._t + self._n / self._sr)) > self.tolerance_s
        ):
            out += self.flush()
        if not self._frames:
            self._t, self._sr, self._key = t_s, sr, key
        self._frames.append(frame)
        self._n += frame.samples
        if self._n >= BLOCK_S * sr:
            out += self.flush()
        return out

    def flush(self) -> list[AudioBlock]:
        if not self._frames:
            return []
        x = block_samples(self._frames)
        block = AudioBlock(self.index, self._t, self._sr, x)
        self._frames, self._n = [], 0
        return [block]


# decoders that can decode at reduced resolution (FFmpeg's ``lowres``, their ``max_lowres`` ≥ 2:
# the DCT is inverted at 1/2 or 1/4 of its size, which is most of their work); to others the
# option means nothing, and FFmpeg would log a warning
LOWRES_DECODERS = frozenset(
    {
        "mpeg1video",
        "mpeg2video",
        "mpeg4",
        "h263",
        "h263p",
        "flv",
        "msmpeg4v1",
        "msmpeg4v2",
        "msmpeg4",
        "wmv1",
        "wmv2",
        "mjpeg",
        "mjpegb",
        "dvvideo",
    }
)
# reduced resolution keeps at least this many lines: 1080 → 270 (a quarter), 720 and 576 → 360
# and 288 (half), 480 → 240 (half), smaller → full size. Black ratios, block means and bars
# are measured on a subsample of about 256 × 256 in any case (``subsample_step``)
LOWRES_MIN_LINES = 240


def fast_options(codec: str, height: int) -> dict[str, str]:
    """The decoder options of ``--fast`` for a video stream of ``codec`` (FFmpeg's decoder
    name) and ``height`` lines: no in-loop deblocking filter (FFmpeg's generic
    ``skip_loop_filter``: H.264 and HEVC honour it; this FFmpeg's VP9 decoder and libdav1d
    (AV1) were measured to ignore it, their pictures unchanged, as do codecs without a loop
    filter), and for the DCT codecs of :data:`LOWRES_DECODERS` a reduced resolution
    (``lowres`` 1 or 2: half or a quarter of the width and height) that keeps at least
    :data:`LOWRES_MIN_LINES` lines."""
    opts = {"skip_loop_filter": "all"}
    lowres = 0
    while codec in LOWRES_DECODERS and lowres < 2 and height >> (lowres + 1) >= LOWRES_MIN_LINES:
        lowres += 1
    if lowres:
        opts["lowres"] = str(lowres)
    return opts


def _configure_threads(ctx: av.codec.context.CodecContext, threads: int) -> None:
    """``threads`` = 1: one thread (best when other files use the other cores); 0: FFmpeg's
    automatic count with frame and slice threading (best for a file decoded alone)."""
    ctx.thread_count = threads
    ctx.thread_type = "SLICE" if threads == 1 else "AUTO"


def _note_error(facts: StreamFacts, message: str) -> None:
    facts.errors += 1
    if len(facts.messages) < MAX_MESSAGES:
        facts.messages.append(message)


def _packet_time(packet: av.Packet[Any], time_base: float | None, origin: float) -> float | None:
    """The packet's presentation time (s, 0 = the file's start); ``time_base`` is its
    stream's, as a float (PyAV builds a new Fraction on every ``packet.time_base``)."""
    pts = packet.pts
    if pts is None or time_base is None:
        return None
    return pts * time_base - origin


def gop_timecode(data: bytes) -> str | None:
    """The timecode of the first MPEG-1/2 GOP header (start code 00 00 01 B8) in ``data``:
    25 bits of drop-frame flag, hours, minutes, a marker, seconds and pictures."""
    at = data.find(b"\x00\x00\x01\xb8")
    if at < 0 or len(data) < at + 8:
        return None
    bits = int.from_bytes(data[at + 4 : at + 8], "big") >> 7
    drop, hh, mm = bits >> 24 & 1, bits >> 19 & 31, bits >> 13 & 63
    ss, ff = bits >> 6 & 63, bits & 63
    if hh > 23 or mm > 59 or ss > 59 or ff > 59:
        return None
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop else ':'}{ff:02d}"


def iter_decoded(
    media: Media,
    stats: DecodeStats,
    *,
    threads: int = 0,
    column_step: int | None = None,
    chroma: bool = False,
    timecode: bool = False,
    fast: bool = False,
) -> Iterator[VideoFrame | AudioBlock]:
    """Decode ``media`` once, yielding :class:`VideoFrame` and :class:`AudioBlock` objects in
    the order the decoders produce them (presentation order within each stream). With
    ``column_step``, each frame
    carries every ``column_step``-th column of its luma plane (``VideoFrame.columns``); with
    ``chroma``, views of its chroma planes; with ``timecode``, the timecode its codec carries.
    With ``fast``, the video decoder does less (:func:`fast_options`); frames decoded at reduced
    resolution say so in ``VideoFrame.scale``."""
    streams: list[av.stream.Stream] = []
    if media.video is not None:
        ctx = media.video.codec_context
        _configure_threads(ctx, threads)
        if fast:
            ctx.options = {**ctx.options, **fast_options(ctx.name, ctx.height or 0)}
        streams.append(media.video)
    streams += media.audio
    for s in streams:
        stats.streams[s.index] = StreamFacts(info=media.info_of(s))
    if not streams:
        return
    with LogTap() as tap:
        yield from _loop(media, stats, streams, tap, column_step, chroma, timecode)


def _loop(
    media: Media,
    stats: DecodeStats,
    streams: list[av.stream.Stream],
    tap: LogTap,
    column_step: int | None,
    chroma: bool,
    timecode: bool,
) -> Iterator[VideoFrame | AudioBlock]:
    video = media.video
    # MPEG-1/2 carry a timecode in each GOP header; FFmpeg gives it to the frame its decoder
    # outputs next (a frame late with B-pictures), so the start is read from the first header
    gop_headers = video is not None and video.codec_context.name.startswith("mpeg")
    # H.264/HEVC as Annex B (MPEG-TS, elementary streams): each packet's bytes are checked for
    # a run of zeros inside coded data, damage the decoder conceals without a word (decided on
    # the codec's extradata and the first packet: MP4 and Matroska carry length-prefixed NAL
    # units instead, whose lengths hold zero bytes)
    v_codec = video.codec_context.name if video is not None else ""
    v_extradata = video.codec_context.extradata if video is not None else None
    zero_check: bool | None = None
    v_facts = stats.streams[video.index] if video is not None else None
    origin = media.origin_s
    frame_s = v_facts.info.frame_s if v_facts is not None else 0.04
    time_bases = {s.index: float(s.time_base) if s.time_base else None for s in streams}
    rechunk = {s.index: _Rechunker(s.index, time_bases[s.index]) for s in media.audio}
    v_index = 0
    v_next_t = 0.0
    step = 1
    scale = 1  # stream pixels per decoded sample: > 1 when decoded at reduced resolution
    coded_width = video.codec_context.width if video is not None else 0
    pending_errors: list[float] = []  # packet times of video errors not yet given to a frame
    drops = DropTracker()
    order = DecodeOrder()
    a_next_t: dict[int, float] = {}

    packets = media.container.demux(*streams)
    resyncs = 0
    damage_from: float | None = None  # where the data became unreadable, until a packet again
    lost_s = 0.0  # seconds of unreadable data not yet told to a picture
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except IndexError:  # PyAV's: a packet of a stream that appeared mid-file (MPEG-TS)
            if resyncs >= MAX_RESYNCS:
                break
            resyncs += 1
            packets = media.container.demux(*streams)
            continue
        except (av.FFmpegError, OSError) as exc:
            if exc.errno == errno.ENOMEM:
                raise MemoryError(f"reading {describe_error(exc)}") from None
            if exc.errno == errno.EAGAIN and resyncs < MAX_RESYNCS:
                # not the end of the data: the demuxer lost sync in damaged data (MPEG-TS:
                # "max resync size reached") and goes on scanning when asked again, as FFmpeg
                # does; the damaged stretch becomes decode evidence
                resyncs += 1
                if damage_from is None:
                    damage_from = stats.end_s
                    if video is not None:
                        pending_errors.append(damage_from)
                packets = media.container.demux(*streams)
                continue
            # the container itself is cut or broken past repair
            stats.demux_error = describe_error(exc)
            stats.demux_error_at_s = stats.end_s
            break
        stats.packets += 1
        facts = stats.streams[packet.stream.index]
        is_video = video is not None and packet.stream.index == video.index
        p_time = _packet_time(packet, time_bases[packet.stream.index], origin)
        if damage_from is not None and p_time is not None:
            stats.damage.append((damage_from, max(damage_from, p_time)))
            _note_error(facts, f"damaged data from {damage_from:.3f} s to {p_time:.3f} s")
            lost_s += max(0.0, p_time - damage_from)
            damage_from = None
        if is_video and packet.size:
            drops.packet(p_time, packet.is_discard)
            order.packet(p_time)
            if zero_check is not False:
                data = bytes(packet)
                if zero_check is None:
                    zero_check = annex_b(v_codec, v_extradata, data)
                if zero_check and zero_run_inside(data):
                    lost = "a run of zero bytes inside a coded picture (data lost or blanked)"
                    _note_error(facts, lost)
                    pending_errors.append(p_time if p_time is not None else v_next_t)
            if gop_headers:
                stats.gop_timecode = gop_timecode(bytes(packet))
                gop_headers = stats.gop_timecode is None and v_index < 100
        try:
            frames = packet.decode()
        except (av.FFmpegError, ValueError) as exc:
            if getattr(exc, "errno", None) == errno.ENOMEM:
                raise MemoryError(f"decoding needs more ({describe_error(exc)})") from None
            frames = []
            _note_error(facts, describe_error(exc))
            if is_video:
                pending_errors.append(p_time if p_time is not None else v_next_t)
        for name, message in tap.take():
            target: StreamFacts | None = facts
            if video is not None and name == video.codec_context.name:
                target = v_facts
                pending_errors.append(p_time if p_time is not None else v_next_t)
            if target is not None:
                _note_error(target, message)
        for frame in frames:
            if isinstance(frame, av.VideoFrame):
                assert v_facts is not None
                t = frame.time
                t_s = (t - origin) if t is not None else v_next_t
                tb = frame.time_base  # a new Fraction per access: read once, no Fraction product
                dur = frame.duration * float(tb) if frame.duration and tb else frame_s
                luma, bits = luma_plane(frame)
                if v_index == 0:
                    step = subsample_step(*luma.shape)
                    v_facts.start_s = t_s
                    if coded_width and frame.width and coded_width > frame.width:
                        scale = round(coded_width / frame.width)
                black, white, code_max = nominal_range(frame, bits)
                errors, evidence = 0, None
                if pending_errors:
                    mine = [pt for pt in pending_errors if pt <= t_s + dur / 2]
                    pending_errors = [pt for pt in pending_errors if pt > t_s + dur / 2]
                    errors, evidence = len(mine), min(mine, default=None)
                corrupt = bool(frame.is_corrupt)
                if corrupt or errors:  # its damage shows on the B-pictures decoded after it
                    earlier = order.shown_before(t_s, dur / 2)
                    if earlier is not None:
                        evidence = earlier if evidence is None else min(evidence, earlier)
                dropped, first_drop = drops.frame(t_s, dur / 2) if drops.reliable else (0, None)
                if first_drop is not None:
                    evidence = first_drop if evidence is None else min(evidence, first_drop)
                # the columns first: their read brings the whole picture into the cache
                columns = np.ascontiguousarray(luma[:, ::column_step]) if column_step else None
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
                    corrupt=corrupt,
                    decode_errors=errors,
                    dropped_before=dropped,
                    lost_before_s=lost_s,
                    evidence_t_s=evidence,
                    columns=columns,
                    columns_step=column_step or 0,
                    chroma=chroma_planes(frame, bits) if chroma else None,
                    interlaced=bool(frame.interlaced_frame),
                    field_order=field_order(video.codec_context) if video else "unknown",
                    timecode=frame.metadata.get("timecode") if timecode else None,
                    scale=scale,
                )
                v_index += 1
                lost_s = 0.0
                v_next_t = t_s + dur
                v_facts.items += 1
                v_facts.end_s = max(v_facts.end_s or 0.0, v_next_t)
            elif isinstance(frame, av.AudioFrame):
                idx = packet.stream.index
                at = frame.time
                t_s = (at - origin) if at is not None else a_next_t.get(idx, 0.0)
                end = t_s + frame.samples / frame.sample_rate
                a_next_t[idx] = end
                if facts.start_s is None:
                    facts.start_s = t_s
                facts.items += 1
                facts.end_s = max(facts.end_s or 0.0, end)
                yield from rechunk[idx].add(t_s, frame)
    for r in rechunk.values():
        yield from r.flush()

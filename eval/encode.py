"""Writing a scenario's pictures and sound into a container with PyAV, and reading back where
they landed on the file's presentation timeline.

The writer interleaves the streams as a real muxer receives them (audio kept within a fraction
of a second of the picture), shifts either stream's timestamps (A/V offsets), drops audio
packets (timestamp gaps), cuts or extends the sound (duration mismatches) and may declare a
stream that never gets a packet (missing streams). :func:`locate` then finds, for the file as
written, where content time 0 of the picture and sample 0 of the sound sit on the presentation
timeline (0 = the container's start, as players and streamcheck count): the picture from the
first decoded frame, the sound by cross-correlating the decoded samples with the samples
handed to the encoder (sample-exact whatever the codec's priming and the container's edit
lists do).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from .picture import Planes

VIDEO_CODECS: dict[str, tuple[str, dict[str, str]]] = {
    "h264": ("libx264", {"preset": "veryfast", "crf": "20", "g": "50"}),
    "hevc": (
        "libx265",
        {
            "preset": "ultrafast",
            "crf": "24",
            "x265-params": "log-level=error:keyint=50:min-keyint=25",
        },
    ),
    "vp9": (
        "libvpx-vp9",
        {"deadline": "realtime", "cpu-used": "8", "crf": "30", "b": "0", "g": "50"},
    ),
    "av1": ("libsvtav1", {"preset": "12", "crf": "32", "g": "50"}),
    # broadcast-like MPEG-2: a GOP of 12 with 2 B pictures, 10 Mbit/s (no deblocking filter:
    # at 3 Mbit/s film grain came out visibly blocky)
    "mpeg2": ("mpeg2video", {"b": "10M", "maxrate": "12M", "bufsize": "5M", "g": "12", "bf": "2"}),
    "prores": ("prores_ks", {"profile": "1"}),
}
PIX_FMT = {"prores": "yuv422p10le"}
AUDIO_CODECS: dict[str, tuple[str, dict[str, Any]]] = {
    "aac": ("aac", {"bit_rate": 160_000}),
    "opus": ("libopus", {"bit_rate": 128_000}),
    "ac3": ("ac3", {"bit_rate": 384_000}),
    "pcm16": ("pcm_s16le", {}),
    "pcm24": ("pcm_s24le", {}),
    "flac": ("flac", {}),
}
FORMATS = {
    "ts": "mpegts",
    "mkv": "matroska",
    "mov": "mov",
    "mp4": "mp4",
    "mxf": "mxf",
    "wav": "wav",
}
LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


@dataclass
class AudioTrack:
    """One audio stream: ``samples`` float32 (channels, n) at ``rate``, sample 0 placed at
    ``shift`` seconds of the programme; ``drop`` = [(t0, t1)] seconds of ``samples`` whose
    packets are left out (timestamp gaps); ``empty``: declared but never written."""

    codec: str
    samples: np.ndarray | None
    rate: int = 48000
    channels: int = 2
    shift: float = 0.0
    drop: list[tuple[float, float]] = field(default_factory=list)
    empty: bool = False
    garbage: bool = False  # every packet's payload replaced by random bytes (undecodable)
    language: str | None = None


@dataclass
class Written:
    """What the writer did, in its own time bases: dropped audio sample ranges per track."""

    dropped: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    video_frames: int = 0


def _video_stream(
    out: av.container.OutputContainer,
    codec: str,
    w: int,
    h: int,
    fps: Fraction,
    vfr: bool,
    container: str,
) -> av.VideoStream:
    name, opts = VIDEO_CODECS[codec]
    opts = dict(opts)
    s = out.add_stream(name, rate=fps, options=opts)
    s.width, s.height = w, h
    s.pix_fmt = PIX_FMT.get(codec, "yuv420p")
    if codec == "hevc" and container in ("mp4", "mov"):
        s.codec_tag = "hvc1"
    if vfr:
        s.time_base = Fraction(1, 90000) if container != "mkv" else Fraction(1, 1000)
    else:
        s.time_base = 1 / fps
    s.codec_context.time_base = s.time_base
    # the pictures are BT.709 Y′CbCr at limited range (eval/picture.py): say so, as encoders
    # of HD and web video do (primaries, transfer, matrix: BT.709; range: tv)
    ctx = s.codec_context
    ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = 1, 1, 1, 1
    return s  # type: ignore[no-any-return]


def _audio_stream(out: av.container.OutputContainer, track: AudioTrack) -> av.AudioStream:
    name, opts = AUDIO_CODECS[track.codec]
    s = out.add_stream(name, rate=track.rate, layout=LAYOUTS[track.channels])
    if "bit_rate" in opts:
        s.codec_context.bit_rate = opts["bit_rate"]
    if track.language:
        s.metadata["language"] = track.language
    return s  # type: ignore[no-any-return]


class _AudioFeed:
    """Encodes one track a piece at a time, dropping the packets of its gaps."""

    def __init__(
        self,
        out: av.container.OutputContainer,
        stream: av.AudioStream,
        track: AudioTrack,
        index: int,
        written: Written,
    ) -> None:
        self.out, self.stream, self.track = out, stream, track
        self.pos = 0
        assert track.samples is not None
        self.n = track.samples.shape[1]
        self.shift = round(track.shift * track.rate)
        self.drop = [(round(a * track.rate), round(b * track.rate)) for a, b in track.drop]
        self.dropped = written.dropped.setdefault(index, [])
        self.layout = LAYOUTS[track.channels]
        self.rng = np.random.default_rng(index + 7)

    @property
    def done(self) -> bool:
        return self.pos >= self.n

    def time(self) -> float:
        return (self.pos + self.shift) / self.track.rate

    def _mux(self, packets: list[av.Packet]) -> None:
        for p in packets:
            if p.pts is not None and self.drop:
                # packet times are in the encoder's time base (1/rate) + our shift
                k = int(p.pts) - self.shift
                if any(a <= k < b for a, b in self.drop):
                    self.dropped.append((k, k + int(p.duration or 0)))
                    continue
            if self.track.garbage and p.size:
                q = av.Packet(self.rng.integers(0, 256, p.size, np.uint8).tobytes())
                q.pts, q.dts, q.duration, q.time_base = p.pts, p.dts, p.duration, p.time_base
                q.stream = p.stream
                p = q
            self.out.mux(p)

    def feed_until(self, t: float) -> None:
        rate = self.track.rate
        x = self.track.samples
        assert x is not None
        while self.pos < self.n and self.time() < t:
            k = min(1024, self.n - self.pos)
            fr = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(x[:, self.pos : self.pos + k]),
                format="fltp",
                layout=self.layout,
            )
            fr.sample_rate = rate
            fr.pts = self.pos + self.shift
            fr.time_base = Fraction(1, rate)
            self._mux(self.stream.encode(fr))
            self.pos += k

    def flush(self) -> None:
        self.feed_until(float("inf"))
        self._mux(self.stream.encode(None))


def write(
    path: Path,
    container: str,
    frames: Iterator[tuple[float, Planes]] | None,
    *,
    vcodec: str | None = None,
    size: tuple[int, int] = (640, 360),
    fps: Fraction = Fraction(25),
    vfr: bool = False,
    vshift: float = 0.0,
    audio: list[AudioTrack] = (),  # type: ignore[assignment]
    empty_video: bool = False,
) -> Written:
    """Encode ``frames`` ((content time, planes), in order) and the ``audio`` tracks into
    ``path`` (written under a temporary name, then renamed)."""
    os.environ.setdefault("SVT_LOG", "1")
    tmp = path.with_name(f".{path.name}.part")
    written = Written()
    with av.open(str(tmp), "w", format=FORMATS[container]) as out:
        vs = None
        if vcodec is not None:
            # times off the frame grid (VFR, a shift that is not whole frames) need a fine
            # time base
            off_grid = vfr or abs(vshift * fps - round(vshift * fps)) > 1e-6
            vs = _video_stream(out, vcodec, size[0], size[1], fps, off_grid, container)
        feeds: list[_AudioFeed] = []
        for k, track in enumerate(audio):
            s = _audio_stream(out, track)
            if not track.empty:
                feeds.append(_AudioFeed(out, s, track, k, written))
        if vs is not None and frames is not None and not empty_video:
            tb = vs.codec_context.time_base
            for t, planes in frames:
                y, u, v = planes
                w = y.shape[1]
                fr = av.VideoFrame.from_ndarray(
                    np.concatenate([y, u.reshape(-1, w), v.reshape(-1, w)]), format="yuv420p"
                )
                fr.pts = round((t + vshift) / tb)
                fr.time_base = tb
                for p in vs.encode(fr):
                    out.mux(p)
                written.video_frames += 1
                for f in feeds:
                    f.feed_until(t + vshift + 0.3)
            for p in vs.encode(None):
                out.mux(p)
        for f in feeds:
            f.flush()
    tmp.replace(path)
    return written


# ---- where things landed ------------------------------------------------------------------------


@dataclass
class Located:
    """Presentation times (s) of content time 0 of the picture and of sample 0 of each audio
    track; the file's duration and each stream's [start, end) as the demuxer sees them."""

    video_origin: float | None
    audio_origin: dict[int, float]
    audio_match: dict[int, float]  # correlation of the match (1 = exact)
    duration: float
    streams: list[dict[str, Any]]


def _decoded_audio(
    c: av.container.InputContainer, stream: av.AudioStream, origin: float, seconds: float
) -> tuple[np.ndarray, float, int]:
    """The first ``seconds`` of a stream's decoded sound, mixed to mono, placed by frame time
    (gaps kept: a frame more than 2 ms from where the last one ended starts where its time
    says; otherwise it follows on, so millisecond container timestamps add no jitter); its
    start time and rate."""
    rate = stream.codec_context.sample_rate
    parts: list[tuple[int, np.ndarray]] = []
    rs = av.AudioResampler(format="fltp", layout=stream.codec_context.layout.name, rate=rate)
    got = 0
    t0: float | None = None
    pos = 0
    for pkt in c.demux(stream):
        for fr in pkt.decode():
            t = (fr.time if fr.time is not None else 0.0) - origin
            if t0 is None:
                t0 = t
            k = round((t - t0) * rate)
            if abs(k - pos) <= 0.002 * rate:
                k = pos
            for o in rs.resample(fr):
                x = o.to_ndarray().mean(axis=0)
                parts.append((k, x))
                k += x.size
                got += x.size
            pos = k
        if got >= seconds * rate:
            break
    if not parts or t0 is None:
        return np.zeros(0, np.float32), 0.0, rate
    out = np.zeros(max(k + p.size for k, p in parts), np.float32)
    for k, p in parts:
        out[k : k + p.size] = p
    return out, t0, rate


def _lag(decoded: np.ndarray, source: np.ndarray, max_lag: int) -> tuple[int, float]:
    """L such that decoded[j] ≈ source[j − L], |L| ≤ max_lag, and the normalised correlation."""
    n = min(decoded.size, source.size + max_lag)
    d = decoded[:n].astype(np.float64)
    s = source[:n].astype(np.float64)
    size = 1 << (2 * n + 1).bit_length()
    xc = np.fft.irfft(np.fft.rfft(d, size) * np.conj(np.fft.rfft(s, size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    vals = np.concatenate([xc[: max_lag + 1], xc[size - max_lag :]])
    k = int(np.argmax(vals))
    lag = int(lags[k])
    a = d[max(0, lag) : max(0, lag) + s.size]
    b = s[max(0, -lag) : max(0, -lag) + a.size]
    a = a[: b.size]
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return lag, float(np.dot(a, b) / denom) if denom > 0 else 0.0


def locate(path: Path, sources_: dict[int, np.ndarray], seconds: float = 30.0) -> Located:
    """Where content 0 of the picture and sample 0 of each audio track (``sources_``: audio
    track number → the samples handed to the encoder, any channel layout) landed."""
    with av.open(str(path)) as c:
        origin = (c.start_time or 0) / av.time_base
        streams = []
        for s in c.streams:
            if s.type not in ("video", "audio"):
                continue
            first, last = None, None
            streams.append(
                {
                    "index": s.index,
                    "type": s.type,
                    "codec": s.codec_context.name,
                    "first": first,
                    "end": last,
                }
            )
        # stream extents from the packets
        ends: dict[int, float] = {}
        starts: dict[int, float] = {}
        for pkt in c.demux():
            if pkt.pts is None or pkt.stream.type not in ("video", "audio"):
                continue
            tb = float(pkt.time_base)
            t = pkt.pts * tb - origin
            e = t + (pkt.duration or 0) * tb
            i = pkt.stream.index
            starts[i] = min(starts.get(i, t), t)
            ends[i] = max(ends.get(i, e), e)
        for s in streams:
            s["first"], s["end"] = starts.get(s["index"]), ends.get(s["index"])
    video_origin = None
    audio_origin: dict[int, float] = {}
    match: dict[int, float] = {}
    with av.open(str(path)) as c:
        if c.streams.video:
            for fr in c.decode(video=0):
                video_origin = float(fr.time) - origin
                break
    audio_streams = []
    with av.open(str(path)) as c:
        audio_streams = [s.index for s in c.streams.audio]
    for k, src in sources_.items():
        if k >= len(audio_streams):
            continue
        with av.open(str(path)) as c:
            st = c.streams.audio[k]
            if st.codec_context.sample_rate in (0, None):
                continue
            try:
                dec, t0, rate = _decoded_audio(c, st, origin, seconds)
            except (av.FFmpegError, ValueError):
                continue
        if dec.size == 0:
            continue
        mono = src.mean(axis=0)[: int(seconds * rate)]
        lag, r = _lag(dec, mono, int(0.5 * rate))
        audio_origin[k] = t0 + lag / rate
        match[k] = r
    duration = max((s["end"] for s in streams if s["end"] is not None), default=0.0)
    return Located(video_origin, audio_origin, match, duration, streams)

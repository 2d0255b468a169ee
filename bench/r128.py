"""ITU-R BS.1770-4 / EBU R128 loudness of one audio stream, measured in-process by
libavfilter's ``ebur128`` filter (shipped in the PyAV wheel).

Why the filter rather than our own K-weighting: it is FFmpeg's reference meter, conformant to
EBU Tech 3341/3342 (our tests check cases 1–6 and 1–4 of them), handles 5.1 weighting (LFE
excluded, surrounds +1.5 dB) from the channel layout, and its C loop is cheaper than IIR
filtering in Python. Its readings arrive on its output frames (every 100 ms: momentary M,
short-term S, and the integrated loudness I and loudness range LRA so far); the last reading
at the end of the stream holds the file's I and LRA. True peak is measured by the measure step
instead (it needs a reading per block, the filter gives only a running maximum).
"""

from __future__ import annotations

import math

import av
import av.filter

from streamcheck.decode.messages import describe_error
from streamcheck.model import LoudnessSummary

SILENT = -120.0  # what the filter reports (LUFS) before its first full window


class R128Meter:
    """Feed decoded frames of one stream; read (time, M, S) as they come and a summary at the
    end. A stream whose frames the filter refuses is dropped with a reason (``error``).

    The filter cannot change its input format on the fly, and broadcast recordings do (a TS
    programme going from 2.0 to 5.1): when the sample rate, format or layout changes, the
    current meter is finished and a new one starts, so readings go on. The stream's integrated
    loudness and range are those of its longest segment (BS.1770 gating does not add up across
    meters; a recording is mostly one programme); the maxima are over all segments."""

    def __init__(self, origin_s: float) -> None:
        self.origin_s = origin_s
        self.error: str | None = None
        self._last: dict[str, str] = {}
        self._max_m = -math.inf
        self._max_s = -math.inf
        self._graph: av.filter.Graph | None = None
        self._key: tuple[int, str, str] | None = (
            None  # (rate, format, layout) the graph was built for
        )
        self._samples = 0  # samples fed to the current graph
        self._unread = 0  # samples pushed that the filter has not given back yet
        self._frame = 1  # samples per reading: the filter works in 100 ms frames
        self._segments: list[tuple[float, dict[str, str]]] = []  # (seconds, last reading)

    @staticmethod
    def _key_of(frame: av.AudioFrame) -> tuple[int, str, str]:
        return frame.sample_rate, frame.format.name, frame.layout.name

    def _build(self, frame: av.AudioFrame) -> None:
        graph = av.filter.Graph()
        src = graph.add_abuffer(
            sample_rate=frame.sample_rate,
            format=frame.format.name,
            layout=frame.layout.name,
            time_base=frame.time_base,
        )
        meter = graph.add("ebur128", "metadata=1")
        sink = graph.add("abuffersink")
        src.link_to(meter)
        meter.link_to(sink)
        graph.configure()
        self._graph = graph
        self._key = self._key_of(frame)
        self._samples = 0
        self._unread = 0
        self._frame = max(1, frame.sample_rate // 10)
        self._last = {}

    def _end_segment(self) -> list[tuple[float, float, float]]:
        """Flush the current graph; keep its last reading and length."""
        if self._graph is None:
            return []
        self._graph.push(None)
        out = self._drain(flush=True)
        if self._last and self._key is not None:
            self._segments.append((self._samples / self._key[0], self._last))
        self._graph = None
        return out

    def push(self, frame: av.AudioFrame | None) -> list[tuple[float, float, float]]:
        """Readings that became available: (time s, momentary LUFS, short-term LUFS)."""
        if self.error is not None:
            return []
        try:
            if frame is None:
                return self._end_segment()
            out: list[tuple[float, float, float]] = []
            if self._graph is not None and self._key_of(frame) != self._key:
                out = self._end_segment()
            if self._graph is None:
                self._build(frame)
            assert self._graph is not None
            self._graph.push(frame)
            self._samples += frame.samples
            self._unread += frame.samples
            return out + self._drain()
        except (av.FFmpegError, ValueError) as exc:
            self.error = f"loudness meter stopped: {describe_error(exc)}"
            return []

    def _drain(self, flush: bool = False) -> list[tuple[float, float, float]]:
        """Readings of the frames the filter gives back. Until a whole frame has been pushed
        none can be ready, and a pull is not tried: PyAV raises an exception for a pull
        that finds nothing, 10 µs, which was paid for every decoded frame."""
        out: list[tuple[float, float, float]] = []
        graph = self._graph
        if graph is None:
            return out
        while flush or self._unread >= self._frame:
            try:
                frame = graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return out
            if not isinstance(frame, av.AudioFrame):
                continue
            self._unread -= frame.samples
            md = frame.metadata
            if not md or "lavfi.r128.M" not in md:
                continue
            self._last = dict(md)
            m, s = float(md["lavfi.r128.M"]), float(md["lavfi.r128.S"])
            self._max_m, self._max_s = max(self._max_m, m), max(self._max_s, s)
            t = (frame.time or 0.0) - self.origin_s
            out.append((t, m, s))
        return out

    def finish(self) -> LoudnessSummary | None:
        """Flush the filter; the stream's integrated loudness, range and maxima."""
        self.push(None)
        if not self._segments:
            return None
        last = max(self._segments, key=lambda seg: seg[0])[1]  # the longest segment's

        def value(key: str) -> float | None:
            v = float(last.get(key, "nan"))
            return None if math.isnan(v) else v

        integrated = value("lavfi.r128.I")
        return LoudnessSummary(
            integrated_lufs=integrated if integrated is not None and integrated > -70 else None,
            range_lu=value("lavfi.r128.LRA"),
            max_momentary_lufs=self._max_m if self._max_m > SILENT else None,
            max_short_term_lufs=self._max_s if self._max_s > SILENT else None,
        )

"""Evidence of damage that the decoder sees but does not raise: its error log lines, and
frames it drops.

PyAV raises for few kinds of bitstream damage. FFmpeg's decoders conceal the rest and say so
in their log ("error while decoding MB 5 2, bytestream -5"), or drop a picture whose packet was
read. :class:`LogTap` captures the log lines while one file is decoded (a worker decodes one
file at a time, so every line belongs to it); :class:`DropTracker` matches video packets to the
pictures that come out.
"""

from __future__ import annotations

import heapq
import re
from collections import deque
from typing import Any

import av
import av.logging

MAX_MESSAGES = 5  # error lines kept per stream as evidence
# video packets remembered in decode order: more than any decoder's reordering delay (H.264
# and HEVC allow 16 pictures)
DECODE_ORDER_PACKETS = 32

# Warning-level lines that still mean damage: FFmpeg's HEVC decoder reports a slice it had to
# throw away (invalid data) only as a warning, and conceals the picture silently; a TS
# recording's damaged HEVC picture leaves no other trace. Every other warning is left out
# (many are harmless: "Increasing reorder buffer", "deprecated pixel format").
DAMAGE_WARNINGS = (
    "Skipping invalid undecodable NALU",  # hevcdec.c: a NAL unit that failed to decode
    "Error parsing NAL unit",  # hevcdec.c: the rest of the packet's NAL units are lost
)


# video codecs whose Annex B byte streams (MPEG-TS, MPEG-PS, elementary streams) cannot hold three
# zero bytes in a row inside coded data (an emulation prevention byte, 00 00 03, breaks every
# such run) and whose FFmpeg parsers end a picture's data at one without a word. MPEG-2 video
# cannot hold them either, but its decoder reports damaged slices itself, and the check would
# cost it 5-8% of decoding (large packets, copied to be searched: measured on the eval
# corpus's 10 Mbit/s SD MPEG-2; 0.4% on its HEVC)
ANNEX_B_CODECS = frozenset({"h264", "hevc", "vvc"})


_NONZERO = re.compile(rb"[^\x00]")  # the end of a run of zero bytes


def zero_run_inside(data: bytes) -> bool:
    """Whether Annex B video data holds a run of three or more zero bytes that is not the zero
    stuffing before a start code (``00 00 01``) or at the end: data lost or blanked inside a
    coded picture. FFmpeg's H.264/HEVC parsers end the picture's data at such a run and decode
    the rest of it silently as copied blocks (a TS recorder that fills what it lost with zeros
    leaves exactly this). Not for length-prefixed data (MP4, Matroska), whose lengths hold
    zero bytes: see :func:`annex_b`. ``bytes.find`` looks for the runs, the regex engine for
    where each ends (an encoder's zero stuffing can be kilobytes long)."""
    at = data.find(b"\x00\x00\x00")
    while at >= 0:
        end = _NONZERO.search(data, at + 3)
        if end is None:
            return False  # zeros to the end
        if data[end.start()] != 1:
            return True
        at = data.find(b"\x00\x00\x00", end.start())
    return False


def annex_b(codec: str, extradata: bytes | None, data: bytes) -> bool:
    """Whether the video packets of ``codec`` are an Annex B byte stream, as in MPEG-TS,
    rather than length-prefixed NAL units (MP4, Matroska: their ``extradata`` is an avcC or
    hvcC record, which opens with its version, 1): no such record, and the first packet
    ``data`` opens with a start code."""
    start_codes = (b"\x00\x00\x01", b"\x00\x00\x00\x01")
    return (
        codec in ANNEX_B_CODECS
        and (not extradata or extradata.startswith(start_codes))
        and data.startswith(start_codes)
    )


class LogTap:
    """Capture FFmpeg's error-level log lines, and the warnings in :data:`DAMAGE_WARNINGS`,
    from every decoder thread while active."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []  # what take() has not returned, kept on exit

    def __enter__(self) -> LogTap:
        self._prev = av.logging.get_level()
        av.logging.set_level(av.logging.WARNING)
        self._capture = av.logging.Capture(local=False)
        self._lines = self._capture.__enter__()
        # PyAV holds back a line equal to the previous one and emits it later as "repeated":
        # that would land in the next file's evidence
        self._prev_skip = av.logging.get_skip_repeated()
        av.logging.set_skip_repeated(False)
        return self

    def take(self) -> list[tuple[str, str]]:
        """(logger name, message) of the lines logged since the last call."""
        if not self._lines:
            return []
        out = [
            (name or "", msg.strip())
            for level, name, msg in self._lines
            if level <= av.logging.ERROR or any(w in msg for w in DAMAGE_WARNINGS)
        ]
        del self._lines[:]
        return out

    def __exit__(self, *exc: Any) -> None:
        self.lines = self.take()
        self._capture.__exit__(*exc)
        av.logging.set_level(self._prev)
        av.logging.set_skip_repeated(self._prev_skip)


class DropTracker:
    """Pictures the decoder dropped: video packets whose presentation time never came out as a
    frame. Disabled for streams where packet and frame times do not correspond."""

    def __init__(self) -> None:
        self._pending: list[float] = []  # heap of packet times not yet matched, seconds
        self._packets = 0
        self._dropped = 0

    def packet(self, t_s: float | None, discard: bool) -> None:
        if t_s is None or discard:
            return
        self._packets += 1
        heapq.heappush(self._pending, t_s)

    def frame(self, t_s: float, tolerance_s: float) -> tuple[int, float | None]:
        """Register a decoded picture at ``t_s``; return how many packets before it produced no
        picture, and the time of the first of them."""
        dropped, first = 0, None
        pending = self._pending
        while pending and pending[0] < t_s - tolerance_s:
            t = heapq.heappop(pending)
            first = t if first is None else first
            dropped += 1
        if pending and abs(pending[0] - t_s) <= tolerance_s:
            heapq.heappop(pending)
        self._dropped += dropped
        return dropped, first

    @property
    def reliable(self) -> bool:
        """False when most packets never matched a picture: the decoder does not carry packet
        times through (then drops cannot be told from that)."""
        return self._packets == 0 or self._dropped <= 0.5 * self._packets


class DecodeOrder:
    """The presentation times of the last :data:`DECODE_ORDER_PACKETS` video packets, in the
    order they were decoded. A damaged reference picture spoils the B-pictures decoded after
    it, and those are shown *before* it: the decoder flags (or logs for) the damaged picture
    only, which comes out after them. :meth:`shown_before` says where its damage shows first."""

    def __init__(self) -> None:
        self._times: deque[float] = deque(maxlen=DECODE_ORDER_PACKETS)

    def packet(self, t_s: float | None) -> None:
        if t_s is not None:
            self._times.append(t_s)

    def shown_before(self, t_s: float, tolerance_s: float) -> float | None:
        """The earliest presentation time, before ``t_s``, of the packets decoded after the
        one shown at ``t_s`` (within ``tolerance_s``); None when there is none."""
        times = list(self._times)
        at = next((k for k, t in enumerate(times) if abs(t - t_s) <= tolerance_s), None)
        if at is None:
            return None
        return min((t for t in times[at + 1 :] if t < t_s - tolerance_s), default=None)

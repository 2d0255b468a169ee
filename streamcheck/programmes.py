"""Audio programmes: which tracks are measured together as one programme, and the blocks of
each programme assembled from its tracks' blocks.

Broadcast masters rarely carry one stereo stream: an XDCAM/AS-11-style MXF has 8 mono PCM
tracks (1+2 the stereo programme, the others M&E, audio description or a 5.1), a MOV a stereo
mix plus a commentary. Loudness, true peak, phase and their judgement are about a programme;
silence, clipping and dropouts stay per channel of each track.

- **Configured**: ``[[programme]]`` entries (:class:`ProgrammeSpec`): ``name``, ``tracks``
  (1-based audio track numbers: track 1 is the file's first audio stream, whatever its
  container stream index) and ``layout`` (``mono``, ``stereo``, ``5.1``…: the channel order
  of the tracks' channels taken together).
- **Default** (``[programmes] default = "pairs"``): a stream with several channels is its own
  programme; a file whose audio is all mono streams pairs consecutive tracks as stereo (1+2,
  3+4, …; an odd last track is a mono programme of its own). ``default = "streams"``: every
  stream its own programme. Tracks no configured programme names get the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import LAYOUTS, AudioBlock, StreamInfo, default_names

DEFAULTS = ("pairs", "streams")


@dataclass(frozen=True)
class ProgrammeSpec:
    """A configured programme: ``tracks`` are 1-based audio track numbers."""

    name: str
    tracks: tuple[int, ...]
    layout: str


@dataclass(frozen=True)
class Programme:
    """A programme of one file: its name, the tracks it takes (container stream indexes, and
    the 1-based track numbers), each channel as (stream index, channel of that stream), the
    channel names, its sample rate, and whether it is exactly one whole stream (then its
    blocks are that stream's, untouched)."""

    name: str
    streams: tuple[int, ...]
    tracks: tuple[int, ...]
    channels: tuple[tuple[int, int], ...]
    channel_names: tuple[str, ...]
    sample_rate: int
    whole_stream: bool = False

    @property
    def label(self) -> str:
        """How findings name it: ``programme 'main' (tracks 1+2)``."""
        tracks = "+".join(map(str, self.tracks))
        return f"programme '{self.name}' (track{'s' if len(self.tracks) > 1 else ''} {tracks})"

    def info(self) -> StreamInfo:
        """The StreamInfo a programme detector gets."""
        return StreamInfo(
            index=self.streams[0],
            kind="programme",
            sample_rate=self.sample_rate,
            channels=len(self.channel_names),
            channel_names=self.channel_names,
            programme=self.name,
            label=self.label,
        )

    def locate(self, channel: int | None) -> tuple[int, int | None]:
        """(stream index, channel of that stream) of a programme channel (None: the whole
        programme, on its first stream)."""
        if channel is None or not 0 <= channel < len(self.channels):
            return self.streams[0], None
        stream, ch = self.channels[channel]
        return stream, ch


def plan(
    audio: list[StreamInfo], specs: tuple[ProgrammeSpec, ...] = (), default: str = "pairs"
) -> tuple[list[Programme], list[str]]:
    """The programmes of a file whose audio streams are ``audio`` (in track order), and notes
    on configured programmes that could not be formed (named tracks the file lacks, tracks of
    different sample rates, a layout whose channel count does not match)."""
    programmes: list[Programme] = []
    notes: list[str] = []
    used: set[int] = set()
    for spec in specs:
        if any(not 1 <= t <= len(audio) for t in spec.tracks):
            notes.append(
                f"programme '{spec.name}' names track(s) {spec.tracks} but the file has "
                f"{len(audio)} audio track(s)"
            )
            continue
        infos = [audio[t - 1] for t in spec.tracks]
        if len({i.sample_rate for i in infos}) > 1:
            notes.append(f"programme '{spec.name}': its tracks have different sample rates")
            continue
        channels = [(i.index, ch) for i in infos for ch in range(max(1, i.channels))]
        names = LAYOUTS[spec.layout]
        if len(names) != len(channels):
            notes.append(
                f"programme '{spec.name}': layout {spec.layout} has {len(names)} channel(s), "
                f"its tracks {len(channels)}"
            )
            continue
        programmes.append(
            Programme(
                spec.name,
                tuple(i.index for i in infos),
                spec.tracks,
                tuple(channels),
                names,
                infos[0].sample_rate,
                whole_stream=len(infos) == 1,
            )
        )
        used.update(spec.tracks)
    rest = [(n, info) for n, info in enumerate(audio, start=1) if n not in used]
    all_mono = bool(audio) and all(info.channels == 1 for info in audio)
    while rest:
        n, info = rest.pop(0)
        pair = (
            default == "pairs"
            and all_mono
            and rest
            and rest[0][0] == n + 1
            and rest[0][1].sample_rate == info.sample_rate
        )
        if pair:
            m, other = rest.pop(0)
            programmes.append(
                Programme(
                    f"{n}+{m}",
                    (info.index, other.index),
                    (n, m),
                    ((info.index, 0), (other.index, 0)),
                    LAYOUTS["stereo"],
                    info.sample_rate,
                )
            )
            continue
        names = info.channel_names or default_names(info.channels)
        programmes.append(
            Programme(
                str(n),
                (info.index,),
                (n,),
                tuple((info.index, ch) for ch in range(info.channels)),
                names,
                info.sample_rate,
                whole_stream=True,
            )
        )
    return programmes, notes


@dataclass
class ProgrammeMixer:
    """Assembles the blocks of one programme from the blocks of its tracks, as they arrive
    (interleaved in file order): a whole-stream programme passes its stream's blocks through;
    several tracks are joined channel by channel over the stretch all of them have reached,
    timed by the first track. What a track has beyond the others waits (at most the spread of
    the container's interleaving)."""

    programme: Programme
    _pending: dict[int, list[np.ndarray]] = field(default_factory=dict)
    _start: float | None = None

    def add(self, block: AudioBlock) -> list[AudioBlock]:
        p = self.programme
        if block.stream_index not in p.streams:
            return []
        if p.whole_stream:
            return [
                AudioBlock(
                    block.stream_index,
                    block.t_s,
                    block.sample_rate,
                    block.samples,
                    programme=p.name,
                    _magnitude=block._magnitude,
                )
            ]
        if self._start is None and block.stream_index == p.streams[0]:
            self._start = block.t_s
        self._pending.setdefault(block.stream_index, []).append(block.samples)
        return self._emit()

    def finish(self) -> list[AudioBlock]:
        """What is left at the end: the stretch every track reached (the rest of longer
        tracks has no partner to be measured with)."""
        return self._emit()

    def _emit(self) -> list[AudioBlock]:
        p = self.programme
        if self._start is None or len(self._pending) < len(p.streams):
            return []
        available = {s: sum(a.shape[1] for a in blocks) for s, blocks in self._pending.items()}
        n = min(available.values())
        if n == 0:
            return []
        rows = []
        for stream, channel in p.channels:
            joined = np.concatenate(self._pending[stream], axis=1)
            rows.append(joined[channel, :n])
        for stream in p.streams:
            joined = np.concatenate(self._pending[stream], axis=1)
            self._pending[stream] = [joined[:, n:]] if joined.shape[1] > n else []
        start = self._start
        self._start = start + n / p.sample_rate
        samples = np.ascontiguousarray(np.stack(rows))
        return [AudioBlock(p.streams[0], start, p.sample_rate, samples, programme=p.name)]

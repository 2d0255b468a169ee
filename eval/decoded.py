"""Freezes and levels the codec made: measured on the written file's decoded pictures, at
scoring time.

The freeze truth is measured on the pictures handed to the encoder (:mod:`eval.truth`). A
picture that is barely live there (a dim scene whose faint noise and slow motion move its
16×16 blocks by a code value or two, a live window in which nothing moves) can come out of
the encoder as the same picture repeated: the viewer sees a freeze, the source says live. Like
the blocks a codec makes, such a stretch is neither a defect we injected nor clean material,
so a freeze finding on it is neither right nor wrong.

For each freeze finding that no freeze truth overlaps, the pictures of its span (and 1 s
either side) are decoded from the written file and judged by FFmpeg's freezedetect rule, the
industry's reference and none of streamcheck's code: n = −60 dB (the mean absolute difference
over all samples of the three planes, against the first picture of the candidate freeze, at
most 0.001 of the code range), d = 2 s, d taken within the scorer's matching tolerance (0.5
s: a decoded still of 1.96 s and a finding of 2.04 s are the same event, as they would be
matched). Where that finds a freeze covering at least half of the finding, an ambiguous truth
event (``note``: codec-made freeze) is added over it.

Levels likewise: the truth judges the pictures handed to the encoder by EBU R 103's rule
(:class:`eval.truth.LevelsReference`, every sample counted), and a codec moves a picture's
darkest and brightest samples: it can smooth a noisy black that was illegal into a legal one,
or push the noise floor of a dark scene below −1% on just over 1% of the picture. The spans of
the levels findings no levels truth overlaps, and of the levels truth no finding overlaps, are
decoded and judged by the same rule, with the truth's ambiguous band (within a factor 2 of
the limits): a finding where the decoded pictures are illegal or near it (a stretch of theirs
covering half of it) gets an ambiguous truth event (``note``: codec-made levels), a truth
event whose decoded pictures are not plainly illegal becomes ambiguous (``note``: made legal
by the codec). Neither is counted either way.

Decoding only the spans of such findings keeps this cheap; it does not change the corpus
(nor its digest).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import numpy as np

from . import score as S
from . import truth as T
from .scenario import declared_matrix

PAD_S = 1.0  # decoded before and after a finding, so a freeze's reference picture is seen


FREEZE_NOISE = 0.001  # freezedetect n=-60dB: mean absolute difference, share of the range
FREEZE_MIN_S = 2.0  # freezedetect d=2
STILL_MIN_S = FREEZE_MIN_S - S.TOLERANCE_S  # ... within the scorer's matching tolerance


def decoded_freezes(path: Path, start_s: float, end_s: float) -> list[tuple[float, float]]:
    """freezedetect's freezes (n=−60 dB, d=2 within 0.5 s) on the decoded pictures of
    [start_s − 1 s, end_s + 1 s)."""
    out: list[tuple[float, float]] = []
    with av.open(str(path)) as c:
        if not c.streams.video:
            return out
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        origin = (c.start_time or 0) / av.time_base  # the findings' 0: the file's start
        c.seek(max(0, int((origin + start_s - PAD_S - 2.0) / av.time_base)), backward=True)
        ref: np.ndarray | None = None
        ref_t = last_t = 0.0
        for frame in c.decode(stream):
            if frame.time is None or float(frame.time) - origin < start_s - PAD_S:
                continue
            t = float(frame.time) - origin
            if t >= end_s + PAD_S:
                break
            # the three planes one after the other (yuv420p's layout): every sample counts
            planes = frame.to_ndarray(format="yuv420p").astype(np.int16)
            same = ref is not None and float(np.abs(planes - ref).mean()) / 255 <= FREEZE_NOISE
            if not same:
                if ref is not None and t - ref_t >= STILL_MIN_S:
                    out.append((ref_t, t))
                ref, ref_t = planes, t
            last_t = t
        if ref is not None and last_t - ref_t >= STILL_MIN_S:
            out.append((ref_t, last_t))
    return out


def codec_made_freezes(path: Path, truth: list[S.Event], found: list[S.Event]) -> list[S.Event]:
    """Ambiguous truth events for the freeze findings of ``path`` that the decoded pictures
    confirm while the source truth has no freeze there."""
    out: list[S.Event] = []
    freezes = [t for t in truth if t.detector == "freeze"]
    for f in found:
        if f.detector != "freeze":
            continue
        if any(min(t.end_s, f.end_s) > max(t.start_s, f.start_s) for t in freezes):
            continue
        for a, b in decoded_freezes(path, f.start_s, f.end_s):
            if min(b, f.end_s) - max(a, f.start_s) >= 0.5 * (f.end_s - f.start_s):
                out.append(S.Event("freeze", a, b, note="codec-made freeze", ambiguous=True))
    return out


def decoded_levels(
    path: Path, start_s: float, end_s: float, matrix: str
) -> list[tuple[float, float, bool]]:
    """The stretches of illegal levels (:class:`eval.truth.LevelsReference`'s rule, gamut read
    with ``matrix``) of the decoded pictures of [start_s, end_s), as 8-bit 4:2:0: (start, end,
    plainly illegal); not plainly: within a factor 2 of the limits, the truth's ambiguous
    band."""
    ref = T.LevelsReference()
    with av.open(str(path)) as c:
        if not c.streams.video:
            return []
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        origin = (c.start_time or 0) / av.time_base  # the findings' 0: the file's start
        c.seek(max(0, int((origin + start_s - 2.0) / av.time_base)), backward=True)
        for frame in c.decode(stream):
            if frame.time is None or float(frame.time) - origin < start_s:
                continue
            t = float(frame.time) - origin
            if t >= end_s:
                break
            h, w = frame.height, frame.width
            yuv = frame.to_ndarray(format="yuv420p")  # 8 bit, the planes one after the other
            y = yuv[:h]
            chroma = yuv[h:].reshape(2, h // 2, w // 2)
            dur = float(frame.duration * frame.time_base) if frame.duration else 0.04
            ref.add((y, chroma[0], chroma[1]), t, dur)
    return [
        (float(e["start_s"]), float(e["end_s"]), not e.get("ambiguous"))  # type: ignore[arg-type]
        for e in ref.events(matrix)
        if e.get("note") != "full-range content"
    ]


def codec_made_levels(
    path: Path, truth: list[S.Event], found: list[S.Event]
) -> tuple[list[S.Event], list[S.Event]]:
    """(truth with the levels events the decoded pictures do not confirm made ambiguous,
    ambiguous events for the levels findings they confirm where the source truth has none)."""
    levels = [t for t in truth if t.detector == "levels"]
    found_levels = [f for f in found if f.detector == "levels"]
    if not levels and not found_levels:
        return truth, []
    with av.open(str(path)) as c:
        height = c.streams.video[0].codec_context.height if c.streams.video else 0
    matrix = declared_matrix(path, height)  # as the truth reads gamut

    def overlaps(a: S.Event, b: S.Event) -> bool:
        return min(a.end_s, b.end_s) > max(a.start_s, b.start_s)

    added: list[S.Event] = []
    for f in found_levels:
        if any(overlaps(t, f) for t in levels):
            continue
        for a, b, _ in decoded_levels(path, f.start_s, f.end_s, matrix):  # near is enough
            if min(b, f.end_s) - max(a, f.start_s) >= 0.5 * (f.end_s - f.start_s):
                added.append(S.Event("levels", a, b, note="codec-made levels", ambiguous=True))
    out = []
    for t in truth:
        if (
            t.detector == "levels"
            and not t.ambiguous
            and t.note != "full-range content"
            and not any(overlaps(t, f) for f in found_levels)
            and not any(plain for _, _, plain in decoded_levels(path, t.start_s, t.end_s, matrix))
        ):
            t = dataclasses.replace(t, ambiguous=True, note="made legal by the codec")
        out.append(t)
    return out, added

"""The aggregate step: one file's findings made final.

- clipped to the file's duration ``[0, duration_s]`` (a detector may run past the last frame);
- the rules between detectors (:data:`streamcheck.detectors.RULES`, e.g. a freeze is not
  reported where the picture is black: the black finding says it better); what remains of a
  cut finding is kept when it still lasts its detector's minimum duration;
- findings declared as there on purpose (``expected`` in the configuration, or a sidecar
  ``NAME.streamcheck.toml`` beside the file) are marked expected: kept, never failing a run;
- at most :data:`MAX_PER_DETECTOR` findings per detector and file: past that, the rest become
  one finding that spans them and says how many they are (a damaged file can hold 10⁵ timestamp
  jumps; the report must stay a report, and the parent's memory bounded);
- sorted by start time, then detector name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from .detectors import RULES, Rule
from .detectors.intervals import subtract
from .model import EXPECTED_SLACK_S, Event, Expected

MAX_PER_DETECTOR = 1000


def _subtract(event: Event, holes: list[Event], inside: str) -> list[Event]:
    """Parts of ``event`` not covered by any of ``holes``; frame numbers follow the cuts."""
    pieces = subtract((event.start_s, event.end_s), [(h.start_s, h.end_s) for h in holes])
    if pieces == [(event.start_s, event.end_s)]:
        return [event]
    starts = {h.end_s: h.frame_end for h in holes}  # a piece starting where a hole ends
    ends = {h.start_s: h.frame_start for h in holes}
    return [
        dataclasses.replace(
            event,
            start_s=s,
            end_s=e,
            value=e - s if event.unit == "s" else event.value,
            frame_start=starts.get(s, event.frame_start),
            frame_end=ends.get(e, event.frame_end),
            detail=f"{event.detail.rstrip('.')}; {e - s:.2f} s of it outside {inside}.",
        )
        for s, e in pieces
    ]


def mark_expected(events: list[Event], expected: list[Expected], filename: str) -> list[Event]:
    """Mark the findings that an :class:`Expected` entry declares as there on purpose."""
    out = []
    for ev in events:
        for x in expected:
            if not x.applies_to(filename, ev.detector):
                continue
            if (
                ev.start_s >= x.start_s - EXPECTED_SLACK_S
                and ev.end_s <= x.end_s + EXPECTED_SLACK_S
            ):
                note = f": {x.note}" if x.note else ""
                ev = dataclasses.replace(
                    ev, expected=True, detail=f"{ev.detail.rstrip('.')} (expected{note})."
                )
                break
        out.append(ev)
    return out


def apply_rule(events: list[Event], rule: Rule, min_duration_s: float) -> list[Event]:
    """``events`` with the findings of ``rule.detector`` cut where ``rule.inside`` found
    something, pieces shorter than ``min_duration_s`` dropped."""
    holes = [e for e in events if e.detector == rule.inside]
    if not holes:
        return events
    kept: list[Event] = []
    for ev in events:
        if ev.detector != rule.detector:
            kept.append(ev)
            continue
        mine = [h for h in holes if not rule.same_stream or h.stream_index == ev.stream_index]
        kept += [
            p
            for p in _subtract(ev, mine, rule.inside.replace("_", " "))
            if p.duration_s + 1e-9 >= min_duration_s
        ]
    return kept


def finalize(
    events: list[Event],
    duration_s: float | None,
    *,
    min_duration_s: Mapping[str, float] | None = None,
    rules: Sequence[Rule] = RULES,
    expected: list[Expected] | None = None,
    filename: str = "",
) -> list[Event]:
    """Apply the aggregate rules to one file's events (see module docstring);
    ``min_duration_s``: each detector's shortest finding (seconds, 0 when absent)."""
    out: list[Event] = []
    for ev in events:
        if duration_s is not None and duration_s > 0:
            start = min(max(ev.start_s, 0.0), duration_s)
            end = min(max(ev.end_s, start), duration_s)
            if (start, end) != (ev.start_s, ev.end_s):
                ev = dataclasses.replace(ev, start_s=start, end_s=end)
        out.append(ev)
    for rule in rules:
        out = apply_rule(out, rule, (min_duration_s or {}).get(rule.detector, 0.0))
    if expected:
        out = mark_expected(out, expected, filename)
    return bounded(sorted(out, key=lambda e: (e.start_s, e.detector, e.channel or -1)))


def bounded(events: list[Event], most: int = MAX_PER_DETECTOR) -> list[Event]:
    """``events`` (sorted by start) with each detector's findings past the first ``most`` - 1
    folded into one finding spanning them; value = how many were folded."""
    by_detector: dict[str, list[Event]] = {}
    for ev in events:
        by_detector.setdefault(ev.detector, []).append(ev)
    crowded = {d for d, evs in by_detector.items() if len(evs) > most}
    if not crowded:
        return events
    out = [ev for ev in events if ev.detector not in crowded]
    for det in crowded:
        evs = by_detector[det]
        rest = evs[most - 1 :]
        first = rest[0]
        out += evs[: most - 1]
        out.append(
            dataclasses.replace(
                first,
                end_s=max(e.end_s for e in rest),
                value=float(len(rest)),
                unit="findings",
                channel=None,
                frame_end=max((e.frame_end for e in rest if e.frame_end is not None), default=None),
                detail=f"{len(rest)} more {det} findings from here on, not listed one by one "
                f"(the first: {first.detail.rstrip('.')}).",
                severity=max((e.severity for e in rest), key=lambda s: s.rank),
            )
        )
    return sorted(out, key=lambda e: (e.start_s, e.detector, e.channel or -1))

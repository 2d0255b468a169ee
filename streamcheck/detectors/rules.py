"""Rules between detectors, as data: where the finding of one detector makes another's
redundant. The aggregate step (:func:`streamcheck.events.finalize`) applies them; this table
is the one place they are written.

A rule cuts findings of ``detector`` where they overlap findings of ``inside`` (on the same
stream when ``same_stream``); what remains is kept when it still lasts the detector's own
``min_duration_s`` (0 when it has none). Rules apply in this order: a silence is cut by the
audio gaps before damaged stretches take the gaps away.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    detector: str
    inside: str
    why: str
    same_stream: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
        "freeze", "black", "a black picture is also a still one; the black finding says it better"
    ),
    Rule("letterbox", "black", "an all-black picture shows no bars; it is black"),
    Rule(
        "silence",
        "timestamp_gap",
        "the missing audio is already a timestamp_gap finding: report it once",
        same_stream=True,
    ),
    Rule(
        "timestamp_gap",
        "decode_error",
        "inside damaged data the timestamps jump and go back; the damage is the finding",
    ),
)

"""Rules between detectors, as data: where the finding of one detector makes another's
redundant. The aggregate step (:func:`streamcheck.events.finalize`) applies them; this table
is the one place they are written.

A rule cuts findings of ``detector`` where they overlap findings of ``inside`` (on the same
stream when ``same_stream``); what remains is kept when it still lasts the detector's own
``min_duration_s`` (0 when it has none).
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
)

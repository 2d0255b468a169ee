"""streamcheck: find defects in recorded audio/video files, in batch.

Library API::

    import streamcheck
    outcome = streamcheck.run(["recordings/"], out="report")  # what `streamcheck scan` does
    print(outcome.exit_code(), [(r.path, r.status) for r in outcome.results])

    for result in streamcheck.scan(["recordings/"]):  # results only, nothing written
        print(result.path, result.status, [e.detector for e in result.events])

    one = streamcheck.analyze_file("clip.mp4", streamcheck.Config())

Importing this package does nothing observable and loads no heavy module: the names below are
imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .config import Config
    from .model import Event, FileResult, Severity, Status
    from .pipeline import analyze_file
    from .runner import scan
    from .session import RunOutcome, run

_LAZY = {
    "run": ("session", "run"),
    "RunOutcome": ("session", "RunOutcome"),
    "scan": ("runner", "scan"),
    "analyze_file": ("pipeline", "analyze_file"),
    "Config": ("config", "Config"),
    "Event": ("model", "Event"),
    "FileResult": ("model", "FileResult"),
    "Severity": ("model", "Severity"),
    "Status": ("model", "Status"),
}

__all__ = [
    "Config",
    "Event",
    "FileResult",
    "RunOutcome",
    "Severity",
    "Status",
    "__version__",
    "analyze_file",
    "run",
    "scan",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

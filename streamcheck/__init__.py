"""streamcheck: find defects in recorded audio/video files, in batch.

Library API::

    import streamcheck
    outcome = streamcheck.run(["recordings/"], out="report")  # what `streamcheck scan` does
    print(outcome.exit_code(), [(r.path, r.status) for r in outcome.results])

    for result in streamcheck.scan(["recordings/"]):  # results only, nothing written
        print(result.path, result.status, [e.detector for e in result.events])

    one = streamcheck.analyze_file("clip.mp4", streamcheck.Config())

    report = streamcheck.read_report("report")  # the tables (pyarrow) of a report folder
    report.files, report.to_pandas("defects")  # pandas with dtype_backend="pyarrow"

    changes = streamcheck.compare_reports("before", "after")  # what changed between two runs

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
    from .report.diff import Comparison, Tolerance, compare_reports
    from .report.read import Report, read_report
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
    "read_report": ("report.read", "read_report"),
    "compare_reports": ("report.diff", "compare_reports"),
    "Comparison": ("report.diff", "Comparison"),
    "Tolerance": ("report.diff", "Tolerance"),
    "Report": ("report.read", "Report"),
}

__all__ = [
    "Comparison",
    "Config",
    "Event",
    "FileResult",
    "Report",
    "RunOutcome",
    "Severity",
    "Status",
    "Tolerance",
    "__version__",
    "analyze_file",
    "compare_reports",
    "read_report",
    "run",
    "scan",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

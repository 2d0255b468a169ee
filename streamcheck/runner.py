"""Fan files out over a process pool and yield their results as they finish.

joblib runs the pool: its ``loky`` backend on this machine by default (``jobs`` worker
processes), or any other joblib backend by name (``"dask"`` when a Dask cluster is
configured). Each task is :func:`streamcheck.pipeline.analyze_file` on one file; only the
small FileResult comes back. No printing here: progress belongs to the caller, who iterates.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator

from .config import Config
from .discover import discover
from .model import FileInfo, FileResult, Status
from .pipeline import analyze_file


def default_jobs() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def scan(
    paths: Iterable[str],
    config: Config | None = None,
    *,
    jobs: int | None = None,
    backend: str = "loky",
) -> Iterator[FileResult]:
    """Analyse every media file under ``paths`` (files, folders, globs) and yield one
    FileResult per file, in the order they finish. Every file yields exactly one result."""
    config = config or Config()
    files = discover(paths)
    if not files:
        return
    jobs = max(1, min(jobs or default_jobs(), len(files)))
    if config.decoder_threads == 0:
        # Several files in flight: one decoder thread each uses the cores best. One file
        # alone: let FFmpeg thread the decoder over the cores.
        config = dataclasses.replace(config, decoder_threads=1 if jobs > 1 else 0)
    if jobs == 1:
        for f in files:
            yield analyze_file(f, config)
        return

    from joblib import Parallel, delayed

    pending = set(files)
    try:
        parallel = Parallel(n_jobs=jobs, backend=backend, return_as="generator_unordered")
        for result in parallel(delayed(analyze_file)(f, config) for f in files):
            pending.discard(result.path)
            yield result
    except Exception as exc:  # the pool itself broke (e.g. a worker died)
        reason = f"worker process failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        for f in sorted(pending):
            yield FileResult(info=FileInfo(path=f), status=Status.CRASHED, error=reason)

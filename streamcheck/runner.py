"""Fan files out over worker processes and yield one result per file as they finish.

Each file is one call of the per-file task, :func:`streamcheck.task.analyze_isolated` (the
analysis in a child process of the worker, with the time and memory limits; a crash costs only
that file), the same task on the local pool and on a Dask cluster (:mod:`.dask_backend`).

The local pool is joblib's process engine, loky (``joblib.externals.loky``), used through its
executor. Its workers leave within a second when the process that started them is gone (a
killed ``scan``), and so do their children. No printing here: progress belongs to the caller,
who iterates.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from .config import Config
from .discover import discover
from .model import FileResult, Status
from .pipeline import failed_result
from .task import QUIET_THREADS, Limits, analyze_isolated

# One thread per worker for the numeric libraries: the parallelism is the files; BLAS's
# spinning helper threads only burn the CPU time the other workers need.
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
PARENT_CHECK_S = 1.0  # how often a local worker checks that its run is still alive


def default_jobs() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_max_memory(jobs: int) -> int:
    """Per-file address-space limit by default (bytes): an even share of 80% of the
    machine's memory, at least 2 GiB (the address space of Python, NumPy and FFmpeg's
    threads is larger than what they touch)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return max(2 << 30, int(total * 0.8 / max(1, jobs)))


# ---- local workers ------------------------------------------------------------------------------


def _watch_parent(parent: int) -> None:
    """In a local worker: leave when the run that started it is gone (a killed ``scan``), so
    no worker lingers. loky's own check takes a minute; this one a second."""
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(0)


def _worker_init(parent: int) -> None:
    """Runs once in each local worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    import cv2

    cv2.setNumThreads(1)  # as WORKER_ENV: the files are the parallelism
    from . import pipeline  # noqa: F401  (load FFmpeg and NumPy once; children inherit them)

    watcher = threading.Thread(
        target=_watch_parent, args=(parent,), daemon=True, name=QUIET_THREADS[0]
    )
    watcher.start()


def scan(
    paths: Iterable[str],
    config: Config | None = None,
    *,
    jobs: int | None = None,
    file_timeout: float | None = None,
    max_memory: int | None = None,
    scheduler: str | None = None,
) -> Iterator[FileResult]:
    """Analyse every media file under ``paths`` (files, folders, globs) and yield one
    FileResult per file, in the order they finish. Every file yields exactly one result,
    whatever happens to it or to its worker. Writes nothing: :func:`streamcheck.run` is the
    whole run with its reports.

    ``jobs``: worker processes (default: the cores); ``file_timeout``: seconds per file
    (default: proportional to its duration, see module docstring); ``max_memory``: bytes per
    file (default :func:`default_max_memory`; 0 = no limit); ``scheduler``: the address of
    a Dask scheduler (``tcp://host:8786``) to run on a cluster instead of local processes."""
    yield from scan_files(
        discover(list(paths)),
        config,
        jobs=jobs,
        file_timeout=file_timeout,
        max_memory=max_memory,
        scheduler=scheduler,
    )


def scan_files(
    files: list[str],
    config: Config | None = None,
    *,
    jobs: int | None = None,
    file_timeout: float | None = None,
    max_memory: int | None = None,
    scheduler: str | None = None,
) -> Iterator[FileResult]:
    """:func:`scan` over files already discovered (absolute paths, as :func:`discover` gives
    them); a file that has gone since gets its row all the same."""
    config = config or Config()
    if not files:
        return
    wanted = jobs or default_jobs()
    workers = max(1, min(wanted, len(files)))
    if config.decoder_threads == 0:
        # At least as many files as workers asked for: one decoder thread each, the files are
        # the parallelism. Fewer files than that: let FFmpeg thread the decoder.
        config = dataclasses.replace(config, decoder_threads=1 if len(files) >= wanted else 0)
    if max_memory is None:
        max_memory = default_max_memory(workers)
    limits = Limits(file_timeout, max_memory or None)
    if scheduler:
        from .dask_backend import scan_on_cluster

        yield from scan_on_cluster(files, config, scheduler, limits)
    else:
        yield from _scan_local(files, config, workers, limits)


def _scan_local(
    files: list[str], config: Config, jobs: int, limits: Limits
) -> Iterator[FileResult]:
    from joblib.externals.loky import get_reusable_executor
    from joblib.externals.loky.process_executor import BrokenProcessPool

    queue = deque(files)
    retried: set[str] = set()
    executor = None

    def pool() -> Any:
        return get_reusable_executor(
            max_workers=jobs,
            kill_workers=True,
            initializer=_worker_init,
            initargs=(os.getpid(),),
            env=WORKER_ENV,
        )

    try:
        while queue:
            executor = pool()
            running: dict[Future[FileResult], str] = {}
            broken: list[str] = []
            while (queue or running) and not broken:
                while queue and len(running) < 2 * jobs:
                    path = queue.popleft()
                    running[executor.submit(analyze_isolated, path, config, limits)] = path
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    path = running.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:  # a worker itself died (not a file's analysis)
                        broken.append(path)
                    except Exception as exc:  # the task could not run or return
                        yield failed_result(path, Status.CRASHED, f"worker failed: {exc!r}"[:300])
            # A broken pool fails every task in it: they go back in line, once each.
            for path in [*broken, *running.values()]:
                if path in retried:
                    yield failed_result(
                        path, Status.CRASHED, "the worker process died twice while on this file"
                    )
                else:
                    retried.add(path)
                    queue.appendleft(path)
    finally:
        if executor is not None:
            # waiting (for the manager thread; the workers are killed) lets loky release its
            # locks: without it its resource tracker may warn of "leaked semlock objects" on
            # stderr at exit, seen once in a `scan -q` that must print nothing
            executor.shutdown(wait=True, kill_workers=True)

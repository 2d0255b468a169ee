"""Fan files out over worker processes and yield one result per file as they finish.

The local pool is joblib's process engine, loky (``joblib.externals.loky``), used through its
executor so that every file, even with ``jobs=1``, is analysed in a worker process the parent
outlives. Each task is :func:`streamcheck.pipeline.analyze_file` on one file; only the small
FileResult comes back. No printing here: progress belongs to the caller, who iterates.

What can go wrong in a worker, and what the file gets:

- the analysis fails: ``status=error`` with the reason (inside :func:`analyze_file`);
- the worker process dies (a decoder segfault, SIGKILL, ``os._exit``, the OOM killer):
  ``status=crashed`` with the exit code. loky breaks the whole pool when one worker dies (and
  stops the others), so each worker keeps a marker file naming the file it is on. After a
  break, the files that workers were on are retried one at a time, each alone in a pool: the
  one that breaks it again is the culprit, the others finish. Files not yet started go back in
  line;
- the file takes longer than its time limit: the parent's watchdog kills that worker and the
  file gets ``status=timeout``. The limit is ``file_timeout`` seconds when given, else
  :data:`TIMEOUT_BASE_S` + :data:`TIMEOUT_PER_MEDIA_S` × the media duration (known once the
  worker has opened the file): generous for a 4K HEVC decode on one core, short for a loop;
- the worker's memory passes ``max_memory`` bytes (an address-space limit set in each worker,
  never less than its start-up size + :data:`MIN_HEADROOM`): allocation fails inside the
  worker and the file gets ``status=error`` ("out of memory").
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any

from .config import Config
from .discover import discover
from .model import FileInfo, FileResult, Status
from .pipeline import analyze_file, failed_result

# One thread per worker for the numeric libraries: the parallelism is the files; BLAS's
# spinning helper threads only burn the CPU time the other workers need.
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TIMEOUT_BASE_S = 120.0  # every file: opening, probing, a slow disk
TIMEOUT_PER_MEDIA_S = 20.0  # per second of media: 20× slower than real time is stuck
CRASH_ENV = "STREAMCHECK_TEST_CRASH_ON"  # test switch: a worker kills itself on this file name
HANG_ENV = "STREAMCHECK_TEST_HANG_ON"  # test switch: a worker hangs on this file name
MIN_HEADROOM = 512 << 20  # bytes a worker may map beyond its start-up size, at the least
HOG_ENV = "STREAMCHECK_TEST_HOG_ON"  # test switch: a worker allocates 64 GiB on this file name


def default_jobs() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_max_memory(jobs: int) -> int:
    """Per-worker address-space limit by default (bytes): an even share of 80% of the
    machine's memory, at least 2 GiB (the address space of Python, NumPy and FFmpeg's
    threads is larger than what they touch)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return max(2 << 30, int(total * 0.8 / max(1, jobs)))


# ---- worker side -------------------------------------------------------------------------------


def _worker_init(max_memory: int | None) -> None:
    """Runs once in each worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    import cv2

    cv2.setNumThreads(1)  # as WORKER_ENV: the files are the parallelism
    from . import pipeline  # noqa: F401  (load FFmpeg and NumPy before the limit applies)

    if max_memory:
        import resource

        # never below what the worker already maps plus room to open a file: a limit under
        # that would fail every file with an import error instead of the big one
        limit = max(max_memory, _address_space() + MIN_HEADROOM)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    """This process's mapped address space in bytes (Linux), 0 when unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _task(path: str, config: Config, marker_dir: str, file_timeout: float | None) -> FileResult:
    """One file in a worker: keep a marker naming it (and its deadline) while on it."""
    marker = Path(marker_dir) / str(os.getpid())
    started = time.time()

    def note(deadline: float) -> None:
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps({"path": path, "deadline": deadline}))
        tmp.replace(marker)

    note(started + (file_timeout or TIMEOUT_BASE_S))

    def on_open(info: FileInfo) -> None:
        if file_timeout is None and info.duration_s:
            note(started + TIMEOUT_BASE_S + TIMEOUT_PER_MEDIA_S * info.duration_s)

    name = os.path.basename(path)
    if os.environ.get(CRASH_ENV) and os.environ[CRASH_ENV] == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(HANG_ENV) and os.environ[HANG_ENV] == name:
        while True:
            time.sleep(1)
    if os.environ.get(HOG_ENV) and os.environ[HOG_ENV] == name:
        return analyze_file(path, config, on_open=lambda _: bytearray(64 << 30))
    try:
        return analyze_file(path, config, on_open=on_open)
    finally:
        with contextlib.suppress(OSError):
            marker.unlink()


# ---- parent side -------------------------------------------------------------------------------


class _Watchdog(threading.Thread):
    """Kills workers whose file is past its deadline; remembers which files it timed out."""

    def __init__(self, marker_dir: Path) -> None:
        super().__init__(daemon=True, name="streamcheck-watchdog")
        self.marker_dir = marker_dir
        self.timed_out: dict[str, float] = {}
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(0.25):
            now = time.time()
            for pid, info in _markers(self.marker_dir).items():
                if now > info["deadline"] and info["path"] not in self.timed_out:
                    self.timed_out[info["path"]] = now
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        self._stop.set()


def _markers(marker_dir: Path) -> dict[int, dict]:
    out = {}
    for m in marker_dir.iterdir():
        if not m.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            out[int(m.name)] = json.loads(m.read_text())
    return out


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
    whatever happens to it or to its worker.

    ``jobs``: worker processes (default: the cores); ``file_timeout``: seconds per file
    (default: proportional to its duration, see module docstring); ``max_memory``: bytes per
    worker (default :func:`default_max_memory`; 0 = no limit); ``scheduler``: the address of
    a Dask scheduler (``tcp://host:8786``) to run on a cluster instead of local processes."""
    yield from scan_files(
        discover(paths),
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
    jobs = max(1, min(wanted, len(files)))
    if config.decoder_threads == 0:
        # At least as many files as workers: one decoder thread each, the files are the
        # parallelism. Fewer files than the cores asked for: let FFmpeg thread the decoder.
        config = dataclasses.replace(config, decoder_threads=1 if len(files) >= wanted else 0)
    if max_memory is None:
        max_memory = default_max_memory(jobs)
    if scheduler:
        from .dask_backend import scan_on_cluster

        yield from scan_on_cluster(files, config, scheduler)
    else:
        yield from _scan_local(files, config, jobs, file_timeout, max_memory)


def _scan_local(
    files: list[str], config: Config, jobs: int, file_timeout: float | None, max_memory: int
) -> Iterator[FileResult]:
    from joblib.externals.loky import get_reusable_executor
    from joblib.externals.loky.process_executor import BrokenProcessPool

    queue = deque(files)
    isolate: deque[str] = deque()  # in flight when a pool broke: retried one at a time
    with tempfile.TemporaryDirectory(prefix="streamcheck-") as tmp:
        marker_dir = Path(tmp)
        watchdog = _Watchdog(marker_dir)
        watchdog.start()
        executor = None

        def pool(workers: int) -> Any:
            return get_reusable_executor(
                max_workers=workers,
                kill_workers=True,
                initializer=_worker_init,
                initargs=(max_memory or None,),
                env=WORKER_ENV,
            )

        def submit(ex: Any, path: str) -> Future:
            return ex.submit(_task, path, config, str(marker_dir), file_timeout)

        try:
            while queue or isolate:
                if isolate:  # alone in its pool: a break now can only be this file's
                    path = isolate.popleft()
                    executor = pool(1)
                    try:
                        yield submit(executor, path).result()
                    except BrokenProcessPool as exc:
                        _clear(marker_dir)
                        yield _blame(path, exc, watchdog)
                    continue
                executor = pool(jobs)
                running: dict[Future, str] = {}
                broken = None
                while (queue or running) and broken is None:
                    while queue and len(running) < 2 * jobs:
                        path = queue.popleft()
                        running[submit(executor, path)] = path
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for fut in done:
                        path = running.pop(fut)
                        try:
                            yield fut.result()
                        except BrokenProcessPool as exc:
                            broken = exc
                            running[fut] = path
                        except Exception as exc:  # the task could not run or return
                            yield failed_result(
                                path, Status.CRASHED, f"worker failed: {exc!r}"[:300]
                            )
                if broken is None:
                    continue
                # The pool broke. A file the watchdog stopped explains it; otherwise every
                # file a worker was on is a suspect, retried alone; the rest go back in line.
                in_flight = {m["path"] for m in _markers(marker_dir).values()}
                _clear(marker_dir)
                timed_out = [p for p in running.values() if p in watchdog.timed_out]
                for path in timed_out:
                    yield _blame(path, broken, watchdog)
                for path in running.values():
                    if path in timed_out:
                        continue
                    if path in in_flight and not timed_out:
                        isolate.append(path)
                    else:
                        queue.appendleft(path)
        finally:
            watchdog.stop()
            if executor is not None:
                # waiting (for the manager thread; the workers are killed) lets loky release its
                # locks: without it its resource tracker may warn of "leaked semlock objects" on
                # stderr at exit, seen once in a `scan -q` that must print nothing
                executor.shutdown(wait=True, kill_workers=True)


def _clear(marker_dir: Path) -> None:
    for m in marker_dir.iterdir():
        m.unlink(missing_ok=True)


def _blame(path: str, exc: BaseException, watchdog: _Watchdog) -> FileResult:
    """The result of a file whose worker died under it."""
    if path in watchdog.timed_out:
        return failed_result(path, Status.TIMEOUT, "time limit reached; the worker was stopped")
    found = re.search(r"\{([^}]*)\}", str(exc))
    how = f"exit {found.group(1)}" if found else type(exc).__name__
    return failed_result(path, Status.CRASHED, f"the worker process died on this file ({how})")

"""Fan files out over worker processes and yield one result per file as they finish.

There is one per-file task, :func:`analyze_isolated`, the same on the local pool and on a Dask
cluster. It analyses the file (:func:`streamcheck.pipeline.analyze_file`) in a child process
of the worker it runs in, and applies the limits to that child:

- the time limit: ``file_timeout`` seconds when given, else :data:`TIMEOUT_BASE_S` +
  :data:`TIMEOUT_PER_MEDIA_S` × the media duration (known once the child has opened the file):
  generous for a 4K HEVC decode on one core, short for a loop. Past it the child is killed
  and the file gets ``status=timeout``;
- the memory limit: an address-space limit (``max_memory`` bytes, never less than the child's
  size at its start + :data:`MIN_HEADROOM`) set in the child: allocation fails inside it and
  the file gets ``status=error`` ("out of memory");
- a crash (a decoder segfault, SIGKILL, the OOM killer): the child dies, the worker sees it
  and the file gets ``status=crashed`` with the signal or exit code. The worker itself lives
  on, so one file never costs another.

The child is forked from the worker (a copy of a process that has FFmpeg, NumPy and OpenCV
loaded already: a few milliseconds) when the worker is single-threaded, as a local worker is;
otherwise it is a fresh interpreter (a Dask worker runs threads, and forking a threaded
process is unsafe; the imports then cost about half a second per file). It dies with its
parent (``PR_SET_PDEATHSIG``), and local workers leave when the process that started them is
gone, so a killed run leaves nothing behind.

The local pool is joblib's process engine, loky (``joblib.externals.loky``), used through its
executor; :mod:`.dask_backend` runs the same task through joblib's ``dask`` backend. No
printing here: progress belongs to the caller, who iterates.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from multiprocessing.connection import Connection
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
MIN_HEADROOM = 512 << 20  # bytes a child may map beyond its start-up size, at the least
CRASH_ENV = "STREAMCHECK_TEST_CRASH_ON"  # test switch: the child kills itself on this file name
HANG_ENV = "STREAMCHECK_TEST_HANG_ON"  # test switch: the child hangs on this file name
HOG_ENV = "STREAMCHECK_TEST_HOG_ON"  # test switch: the child allocates 64 GiB on this file name
PARENT_CHECK_S = 1.0  # how often a local worker checks that its run is still alive
WATCHER = "streamcheck-parent-watch"  # the thread doing it (asleep: no obstacle to a fork)


@dataclass(frozen=True)
class Limits:
    """Per-file limits: ``file_timeout`` seconds (None: from the media's duration, see the
    module docstring), ``max_memory`` bytes of address space (None or 0: no limit)."""

    file_timeout: float | None = None
    max_memory: int | None = None

    def deadline(self, started: float, duration_s: float | None) -> float:
        """When a file started at ``started`` (``time.monotonic``) must be done."""
        if self.file_timeout is not None:
            return started + self.file_timeout
        return started + TIMEOUT_BASE_S + TIMEOUT_PER_MEDIA_S * (duration_s or 0.0)


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


# ---- the per-file task --------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (no-op elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


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


def _limit_memory(max_memory: int | None) -> None:
    if not max_memory:
        return
    import resource

    # never below what the process already maps plus room to open a file: a limit under that
    # would fail every file with an import error instead of the big one
    limit = max(max_memory, _address_space() + MIN_HEADROOM)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(path: str, config: Config, max_memory: int | None, conn: Connection) -> None:
    """The child's whole life: limits, the analysis, the result down the pipe."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _limit_memory(max_memory)
    name = os.path.basename(path)

    def on_open(info: FileInfo) -> None:
        conn.send(("open", info.duration_s))
        if os.environ.get(HOG_ENV) == name:
            bytearray(64 << 30)

    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(HANG_ENV) == name:
        while True:
            time.sleep(1)
    conn.send(("result", analyze_file(path, config, on_open=on_open)))
    conn.close()


class _Child:
    """A child process analysing one file, with the pipe its messages come through: forked
    from this process when that is safe (a single-threaded process, as a local worker is),
    else a fresh interpreter (``python -m streamcheck.runner FD``, arguments on its stdin)."""

    def __init__(self, path: str, config: Config, max_memory: int | None) -> None:
        read_fd, write_fd = os.pipe()
        self.messages = Connection(read_fd, writable=False)
        others = [t for t in threading.enumerate() if t.name != WATCHER]
        self._proc: subprocess.Popen[bytes] | None = None
        if others == [threading.current_thread()]:
            pid = os.fork()
            if pid == 0:  # the child
                code = 0
                try:
                    os.close(read_fd)
                    _child(path, config, max_memory, Connection(write_fd, readable=False))
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            self.pid = pid
        else:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "streamcheck.runner", str(write_fd)],
                stdin=subprocess.PIPE,
                pass_fds=(write_fd,),
            )
            self.pid = self._proc.pid
            assert self._proc.stdin is not None
            with contextlib.suppress(OSError):
                pickle.dump((path, config, max_memory), self._proc.stdin)
                self._proc.stdin.close()
        os.close(write_fd)
        self._status: int | None = None

    def kill(self) -> None:
        if self.exitcode() is None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)

    def exitcode(self, wait_s: float = 0.0) -> int | None:
        """The exit code (−signal when killed), waiting up to ``wait_s``; None if running."""
        if self._status is not None:
            return self._status
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._status = self._proc.wait(wait_s)
            return self._status
        deadline = time.monotonic() + wait_s
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._status = os.waitstatus_to_exitcode(status)
                return self._status
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)


def _spawned(fd: int) -> None:
    """``python -m streamcheck.runner FD``: a child started as a fresh interpreter."""
    path, config, max_memory = pickle.load(sys.stdin.buffer)
    _child(path, config, max_memory, Connection(fd, readable=False))


def _how_it_died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-exitcode).name
    return f"exit code {exitcode}"


def analyze_isolated(path: str, config: Config, limits: Limits | None = None) -> FileResult:
    """The per-file task: :func:`~streamcheck.pipeline.analyze_file` in a child process, with
    ``limits`` applied (see the module docstring). Always returns the file's result."""
    limits = limits or Limits()
    started = time.monotonic()
    child = _Child(path, config, limits.max_memory or None)
    deadline = limits.deadline(started, None)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                child.kill()
                return failed_result(
                    path, Status.TIMEOUT, "time limit reached; the analysis was stopped"
                )
            if not child.messages.poll(min(left, 1.0)):
                continue
            try:
                kind, payload = child.messages.recv()
            except (EOFError, OSError):  # the child died without a result
                how = _how_it_died(child.exitcode(wait_s=5.0))
                return failed_result(
                    path, Status.CRASHED, f"the analysis process died on this file ({how})"
                )
            if kind == "open":
                deadline = limits.deadline(started, payload)
            else:
                result: FileResult = payload
                return result
    finally:
        child.messages.close()
        child.kill()
        child.exitcode(wait_s=5.0)


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

    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name=WATCHER).start()


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


if __name__ == "__main__":
    _spawned(int(sys.argv[1]))

"""The per-file task, the same on the local pool and on a Dask cluster:
:func:`analyze_isolated` analyses one file (:func:`streamcheck.pipeline.analyze_file`) in a
child process of the worker it runs in, and applies the limits to that child:

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
parent (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from .config import Config
from .model import FileInfo, FileResult, Status
from .pipeline import analyze_file, failed_result

TIMEOUT_BASE_S = 120.0  # every file: opening, probing, a slow disk
TIMEOUT_PER_MEDIA_S = 20.0  # per second of media: 20× slower than real time is stuck
MIN_HEADROOM = 512 << 20  # bytes a child may map beyond its start-up size, at the least
CRASH_ENV = "STREAMCHECK_TEST_CRASH_ON"  # test switch: the child kills itself on this file name
HANG_ENV = "STREAMCHECK_TEST_HANG_ON"  # test switch: the child hangs on this file name
HOG_ENV = "STREAMCHECK_TEST_HOG_ON"  # test switch: the child allocates 64 GiB on this file name
# threads of our own that sleep and hold nothing: no obstacle to forking (see runner)
QUIET_THREADS = ("streamcheck-parent-watch",)


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
    result = analyze_file(path, config, on_open=on_open, memory_limit=max_memory)
    conn.send(("result", result))
    conn.close()


class _Child:
    """A child process analysing one file, with the pipe its messages come through: forked
    from this process when that is safe (a single-threaded process, as a local worker is),
    else a fresh interpreter (``python -m streamcheck.task FD``, arguments on its stdin)."""

    def __init__(self, path: str, config: Config, max_memory: int | None) -> None:
        read_fd, write_fd = os.pipe()
        self.messages = Connection(read_fd, writable=False)
        others = [t for t in threading.enumerate() if t.name not in QUIET_THREADS]
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
                [sys.executable, "-m", "streamcheck.task", str(write_fd)],
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
    """``python -m streamcheck.task FD``: a child started as a fresh interpreter."""
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


if __name__ == "__main__":
    _spawned(int(sys.argv[1]))

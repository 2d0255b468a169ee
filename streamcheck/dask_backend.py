"""Scale-out: the same per-file analysis on a Dask distributed cluster, through joblib's
``dask`` backend (an existing engine, not one of ours). Needs the ``dask`` extra:
``pip install streamcheck[dask]``.

Each task is :func:`streamcheck.pipeline.analyze_file` on one file, run by a Dask worker; the
small FileResult comes back to the parent, which writes the reports as in a local run, so the
findings are the same. Workers must see the media at the same paths as the parent (shared or
mounted storage).

What differs from a local run: Dask retries a task whose worker died (three times by default,
the scheduler's ``allowed-failures``) and then gives up on it, and the file gets
``status=crashed``; there is no per-file time limit (Dask has none; a stuck worker can be
restarted from its dashboard or with ``client.restart()``); memory limits are the workers'
own (``dask worker --memory-limit``), which pause and then restart a worker over its limit.
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .model import FileResult, Status
from .pipeline import analyze_file, failed_result


def _task(path: str, config: Config) -> FileResult:
    return analyze_file(path, config)


def scan_on_cluster(files: list[str], config: Config, scheduler: str) -> Iterator[FileResult]:
    """Yield one FileResult per file, analysed on the cluster at ``scheduler``."""
    try:
        from dask.distributed import Client
        from joblib import Parallel, delayed, parallel_config
    except ImportError as exc:  # pragma: no cover - the extra is not installed
        raise RuntimeError(
            "running on a Dask cluster needs the dask extra: pip install 'streamcheck[dask]'"
        ) from exc

    pending = set(files)
    with Client(scheduler, timeout="30s"):
        try:
            with parallel_config(backend="dask"):
                parallel = Parallel(n_jobs=-1, return_as="generator_unordered")
                for result in parallel(delayed(_task)(f, config) for f in files):
                    pending.discard(result.path)
                    yield result
        except Exception as exc:  # a task the cluster gave up on (KilledWorker…)
            reason = f"the cluster gave up on it: {type(exc).__name__}: {exc}"
            for path in sorted(pending):
                yield failed_result(path, Status.CRASHED, reason.splitlines()[0][:300])

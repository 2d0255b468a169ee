"""Scale-out: the same per-file task on a Dask distributed cluster, through joblib's ``dask``
backend (an existing engine, not one of ours). Needs the ``dask`` extra:
``pip install streamcheck[dask]``.

Each task is :func:`streamcheck.task.analyze_isolated` on one file, run by a Dask worker,
with the same limits as a local run: the analysis runs in a child process of the Dask worker
(started from a fork server, since a Dask worker runs threads), which gets the memory limit and
is stopped at the time limit; a crash kills only that child. The small FileResult comes back
to the parent, which writes the reports as in a local run, so the findings are the same.
Workers must see the media at the same paths as the parent (shared or mounted storage).

What remains different: a Dask worker that dies itself (not the analysis under it) has its
task retried by Dask (three times by default, the scheduler's ``allowed-failures``), then the
file gets ``status=crashed``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .model import FileResult, Status
from .pipeline import failed_result
from .task import Limits, analyze_isolated


def scan_on_cluster(
    files: list[str], config: Config, scheduler: str, limits: Limits | None = None
) -> Iterator[FileResult]:
    """Yield one FileResult per file, analysed on the cluster at ``scheduler``."""
    try:
        from dask.distributed import Client
        from joblib import Parallel, delayed, parallel_config
    except ImportError as exc:  # pragma: no cover - the extra is not installed
        raise RuntimeError(
            "running on a Dask cluster needs the dask extra: pip install 'streamcheck[dask]'"
        ) from exc

    pending = set(files)
    with Client(scheduler, timeout="30s"):  # type: ignore[no-untyped-call]
        try:
            with parallel_config(backend="dask"):
                parallel = Parallel(n_jobs=-1, return_as="generator_unordered")
                tasks = (delayed(analyze_isolated)(f, config, limits) for f in files)
                for result in parallel(tasks):
                    pending.discard(result.path)
                    yield result
        except Exception as exc:  # a task the cluster gave up on (KilledWorker…)
            reason = f"the cluster gave up on it: {type(exc).__name__}: {exc}"
            for path in sorted(pending):
                yield failed_result(path, Status.CRASHED, reason.splitlines()[0][:300])

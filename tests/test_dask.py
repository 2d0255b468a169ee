"""The same scan on a Dask distributed cluster (a LocalCluster of worker processes on the
loopback interface) gives the same findings as a local run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from streamcheck.config import Config
from streamcheck.runner import scan_files

distributed = pytest.importorskip("distributed")

NAMES = ("h264_aac_mp4.mp4", "pcm_wav.wav", "damaged_h264_ts.ts", "audio_late_mp4.mp4")


def _findings(results) -> dict[str, list[tuple]]:
    return {
        Path(r.path).name: [
            (e.detector, e.start_s, e.end_s, e.value, e.channel, e.frame_start) for e in r.events
        ]
        for r in results
    }


def test_cluster_results_equal_local_results(media_dir: Path, tmp_path: Path):
    files = []
    for name in NAMES:
        shutil.copy(media_dir / name, tmp_path / name)
        files.append(str(tmp_path / name))
    (tmp_path / "broken.mp4").write_text("not media")
    files.append(str(tmp_path / "broken.mp4"))
    local = list(scan_files(files, Config(), jobs=2))
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        remote = list(scan_files(files, Config(), scheduler=cluster.scheduler_address))
    assert sorted(r.path for r in remote) == sorted(files)
    assert _findings(remote) == _findings(local)
    status = {Path(r.path).name: (r.status.value, r.error) for r in remote}
    assert status == {Path(r.path).name: (r.status.value, r.error) for r in local}
    assert status["broken.mp4"][0] == "error"


def test_cluster_runs_apply_the_same_time_and_memory_limits(
    media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The per-file task is the same on a cluster: a file that hangs times out, a file that
    allocates past the memory limit gets an out-of-memory error, and the others are fine
    (the limits apply to the analysis's own process, under the Dask worker)."""
    names = ("h264_aac_mp4.mp4", "pcm_wav.wav", "neg_cuts_loud_pcm.mov")
    files = []
    for name in names:
        shutil.copy(media_dir / name, tmp_path / name)
        files.append(str(tmp_path / name))
    monkeypatch.setenv("STREAMCHECK_TEST_HANG_ON", "pcm_wav.wav")
    monkeypatch.setenv("STREAMCHECK_TEST_HOG_ON", "neg_cuts_loud_pcm.mov")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        results = list(
            scan_files(
                files,
                Config(),
                scheduler=cluster.scheduler_address,
                file_timeout=6,
                max_memory=2 << 30,
            )
        )
    got = {Path(r.path).name: r for r in results}
    assert got["pcm_wav.wav"].status.value == "timeout"
    assert "time limit" in got["pcm_wav.wav"].error
    assert got["neg_cuts_loud_pcm.mov"].status.value == "error"
    assert "out of memory" in got["neg_cuts_loud_pcm.mov"].error
    assert got["h264_aac_mp4.mp4"].status.value == "ok"

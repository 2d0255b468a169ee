"""Small real recordings for the tests of the operations features (watch, diff, baselines,
read_report): a few seconds at 160×120, with defects at known times, encoded by PyAV in a
fraction of a second each."""

from __future__ import annotations

from pathlib import Path

from streamcheck.testmedia import Defect, Spec, generate


def clip(
    folder: Path,
    name: str,
    *defects: Defect,
    container: str = "mp4",
    duration_s: float = 4.0,
    audio: str = "music",
    seed: int = 1,
) -> Path:
    """A ``duration_s`` clip ``folder/name.container`` (H.264 + AAC in MP4, else PCM in WAV)
    with ``defects``; its ground truth JSON is removed, so the folder holds media only."""
    folder.mkdir(parents=True, exist_ok=True)
    if container == "wav":
        spec = Spec(
            name,
            "wav",
            None,
            "pcm_s16le",
            video=None,
            audio=audio,
            duration_s=duration_s,
            seed=seed,
            defects=tuple(defects),
        )
    else:
        spec = Spec(
            name,
            container,
            "libx264",
            "aac",
            duration_s=duration_s,
            width=160,
            height=120,
            audio=audio,
            seed=seed,
            defects=tuple(defects),
        )
    path = generate(spec, folder)
    path.with_suffix(".json").unlink(missing_ok=True)
    return path


BLACK = Defect("black", 0.5, 3.5)  # error by default
SILENCE = Defect("silence", 0.5, 3.5)  # warning by default

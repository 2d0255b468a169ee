"""Running the real ``streamcheck`` command in a child process, as users and cron do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(
    *args: str,
    stdin: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """``python -m streamcheck ARGS``, output captured as text. COLUMNS is wide enough that
    rich folds no cell of the summary; ``env`` adds to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "streamcheck", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "250", **(env or {})},
    )

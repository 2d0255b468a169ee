"""Output that fits an 80-column terminal (CI logs, cron mail) and the shell: file names never
broken over lines, ``--help`` whole at 80 columns, shell completion."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from streamcheck.model import Event, FileInfo, FileResult, Severity, Status
from streamcheck.report.summary import display_paths, middle_ellipsis, render_summary
from streamcheck.testmedia import Defect, Spec, generate
from tests.cli import run

STREAMCHECK = Path(sys.executable).parent / "streamcheck"  # the console script pip installed


def test_middle_ellipsis_keeps_both_ends():
    assert middle_ellipsis("short.mkv", 20) == "short.mkv"
    cut = middle_ellipsis("evening_news_take_03_brother.mkv", 16)
    assert cut == "eveni…rother.mkv"  # a third for the start, two for the end
    assert cut.count("…") == 1
    # wide characters count as two cells
    wide = middle_ellipsis("日本語のファイル名はとても長い.mp4", 12)
    from rich.cells import cell_len

    assert cell_len(wide) <= 12 and wide.endswith(".mp4")


def _file_cells(text: str) -> list[str]:
    """The file column of the summary table: every body line's first cell."""
    cells = []
    for line in text.splitlines():
        if line.startswith("│"):
            cells.append(line.split("│")[1].strip())
    return cells


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_summary_never_breaks_a_file_name(columns: int):
    names = [
        "/ingest/2026-11-23/studio_b/evening_news_take_03_with_a_long_name.mxf",
        "/ingest/2026-11-23/studio_b/brother.mkv",
        "/ingest/2026-11-23/other/a_file_that_could_not_be_read_at_all.mov",
    ]
    results = [
        FileResult(
            info=FileInfo(path=names[0], duration_s=3725.5),
            events=[
                Event("black", Severity.ERROR, 10.0, 12.0, "black picture"),
                Event("freeze", Severity.ERROR, 20.0, 32.0, "frozen"),
                Event("silence", Severity.WARNING, 10.0, 12.0, "silent"),
            ],
        ),
        FileResult(info=FileInfo(path=names[1], duration_s=5.0)),
        FileResult(
            info=FileInfo(path=names[2]),
            status=Status.ERROR,
            error="not a media file (no audio or video stream FFmpeg can read)",
        ),
    ]
    out = io.StringIO()
    render_summary(Console(file=out, width=columns, color_system=None), results)
    text = out.getvalue()
    table = text[: text.index("└")]
    assert max(len(line) for line in table.splitlines()) <= columns
    cells = [c for c in _file_cells(table) if c]
    shown = sorted(display_paths(results).values())
    assert shown[0] == "other/a_file_that_could_not_be_read_at_all.mov"
    # one cell per file: no name continues on a second line of the table
    assert len(cells) == len(results), cells
    for cell, name in zip(cells, shown, strict=True):
        if "…" in cell:  # cut in the middle: its start and its end are the name's
            head, tail = cell.split("…")
            assert name.startswith(head) and name.endswith(tail) and len(tail) >= len(head)
        else:
            assert cell == name
    if columns >= 120:
        assert all("…" not in c for c in cells)
    else:
        assert any("…" in c for c in cells)
    # the findings list names the file by its full path, on one line
    assert names[0] in text.splitlines()
    # times stay whole
    assert "01:02:05.500" in table


def test_scan_at_80_columns_keeps_names_whole(tmp_path: Path):
    media = tmp_path / "ingest" / "2026-11-23"
    media.mkdir(parents=True)
    spec = Spec(
        "brother_of_the_evening_news_take_03",
        "mp4",
        "libx264",
        "aac",
        duration_s=4.0,
        width=160,
        height=120,
        defects=(Defect("black", 0.5, 3.5),),
    )
    clip = generate(spec, media)
    shutil.copy(clip, media / "x.mp4")
    r = run("scan", str(media), "-o", str(tmp_path / "rep"), "-j", "1", env={"COLUMNS": "80"})
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert str(clip) in lines  # the full path heads its findings
    cells = [c for c in _file_cells(r.stdout) if c]
    assert len(cells) == 2, r.stdout  # two files, one line each in the file column
    assert "x.mp4" in cells
    long_cell = next(c for c in cells if c != "x.mp4")
    assert long_cell == clip.name or ("…" in long_cell and long_cell.endswith("take_03.mp4"))
    assert all(len(line) <= 80 for line in lines if line.startswith(("│", "┃", "┏", "└")))


COMMANDS = ["scan", "report", "detectors", "selftest"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_at_80_columns_is_whole(command: str):
    r = run(command, "--help", env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    text = r.stdout
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "<bool>" not in text and "…" not in text  # no flag type, nothing cut
    # wrapped at spaces only: no word broken after a hyphen ("streamcheck-" / "report")
    assert not [line for line in lines if re.search(r"\w-$", line)]
    flat = " ".join(text.split())
    if command == "scan":
        for default in ("streamcheck-report", "error", "table"):
            assert f"[default: {default}]" in flat
        for option in ("--out DIR", "--fail-on LEVEL", "--thumbnails", "--incremental"):
            assert option in flat
        assert "[default: number of cores]" in flat  # help text is not read as markup
    if command == "report":
        assert "[default: streamcheck-report]" in flat


def test_help_lists_completion_options():
    r = run("--help", env={"COLUMNS": "80"})
    assert r.returncode == 0
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout
    for command in COMMANDS:
        assert command in r.stdout


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")
def test_bash_completion_installs_and_completes(tmp_path: Path):
    """``streamcheck --install-completion``, typed in bash, writes a script that a real bash
    sources, and which then completes subcommands and option values."""
    assert STREAMCHECK.exists()
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "SHELL": "/bin/bash",
        "PATH": f"{STREAMCHECK.parent}{os.pathsep}{os.environ['PATH']}",
    }
    # typer finds the shell in the process tree (shellingham), as when a user types it in
    # bash: run it from one, so that the test does not depend on what started pytest
    inst = subprocess.run(
        ["bash", "--norc", "-c", f"{STREAMCHECK} --install-completion"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert inst.returncode == 0, inst.stderr
    scripts = list(tmp_path.rglob("streamcheck.sh"))
    assert scripts, inst.stdout
    assert "streamcheck" in (tmp_path / ".bashrc").read_text()

    def complete(words: str, cword: int) -> list[str]:
        script = (
            f"source {scripts[0]}\n"
            f"COMP_WORDS=({words}); COMP_CWORD={cword}\n"
            "_streamcheck_completion streamcheck\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        done = subprocess.run(
            ["bash", "--norc", "-c", script], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("streamcheck sc", 1) == ["scan"]
    assert complete("streamcheck scan x --fail-on w", 4) == ["warning"]

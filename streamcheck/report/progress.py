"""Progress of a run on the terminal: a rich progress bar (files, media seconds, ETA) when
stderr is a terminal, else (cron, CI) one plain line per finished file."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console

from ..model import FileResult
from .text import printable


def result_text(r: FileResult) -> str:
    """``ok: /path (2 findings, worst error)``: one finished file."""
    worst = r.worst_severity
    n = len(r.events)
    tail = f"{n} finding{'s' if n != 1 else ''}" + (f", worst {worst.value}" if worst else "")
    if r.error:
        tail += f"; {r.error}"
    return f"{r.status.value}: {r.path} ({tail})"


def log_line(console: Console, done: int, total: int, r: FileResult) -> None:
    """``[3/10] ok: /path (2 findings, worst error)``: one finished file."""
    console.print(
        printable(f"[{done}/{total}] {result_text(r)}"),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


class Progress:
    """Pass :meth:`start` and :meth:`advance` as a run's ``on_start``/``on_result``.
    ``bar``: show the progress bar (a terminal); ``lines``: log each finished file."""

    def __init__(self, console: Console, *, bar: bool, lines: bool) -> None:
        self.console = console
        self.bar = bar
        self.lines = lines
        self.total = 0
        self.done = 0
        self.media_s = 0.0
        self._progress: Any = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, exc, tb)

    def start(self, total: int) -> None:
        self.total = total
        if not self.bar:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._progress = RichProgress(
            TextColumn("[bold]scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[media]} of media"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task("scan", total=total, media="0 s")

    def advance(self, r: FileResult) -> None:
        self.done += 1
        self.media_s += r.info.duration_s or 0.0
        if self._progress is not None:
            self._progress.update(self._task, advance=1, media=f"{self.media_s:.0f} s")
        if self.lines:
            log_line(self.console, self.done, self.total, r)

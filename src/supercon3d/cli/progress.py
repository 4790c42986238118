"""Consoles, progress bars and one-line error reporting shared by the CLI commands."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from supercon3d.errors import EXIT_FAILED, SuperCon3DError

console = Console(stderr=True)
"""Messages and progress: stderr, so stdout stays clean for --json."""
output = Console()
"""Results: stdout."""


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields ``advance(n)``."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)


PLAIN_PROGRESS_INTERVAL_S = 10.0
"""Off a terminal, the least time (s) between two progress lines of a stage."""
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600


def time_left(seconds: float) -> str:
    """A duration in words for a progress line: "40 s", "3 min", "1 h 5 min"."""
    if seconds < SECONDS_PER_MINUTE:
        return f"{seconds:.0f} s"
    if seconds < SECONDS_PER_HOUR:
        return f"{seconds / SECONDS_PER_MINUTE:.0f} min"
    hours, rest = divmod(seconds, SECONDS_PER_HOUR)
    return f"{hours:.0f} h {rest / SECONDS_PER_MINUTE:.0f} min"


def progress_line(label: str, done: int, total: int | None, elapsed_s: float) -> str:
    """``label: wrote 300 of 1,200 rows · 2 min left``; at the end, the time it took; without
    a total, the count and the time so far."""
    if total is None:
        return f"{label}: wrote {done:,} rows · {time_left(elapsed_s)} so far"
    total = max(total, done)
    if done == total:
        return f"{label}: wrote {done:,} of {total:,} rows in {time_left(elapsed_s)}"
    left = elapsed_s / done * (total - done) if done else None
    estimate = "" if left is None else f" · {time_left(left)} left"
    return f"{label}: wrote {done:,} of {total:,} rows{estimate}"


class StageProgress:
    """Rows written by the stages of a run, each with its total when known and the time left:
    a rich bar per stage on a terminal, else a plain line on stderr at most every
    :data:`PLAIN_PROGRESS_INTERVAL_S` seconds and at each stage's end. A stage's time counts
    from the last report of the stage before it (the first: from the start)."""

    def __init__(self) -> None:
        self.last_report = time.monotonic()
        self.bars: Progress | None = None
        self.tasks: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.printed_at: dict[str, float] = {}
        self.printed_done: dict[str, int] = {}
        self.totals: dict[str, int | None] = {}

    def advance(self, label: str, rows: int, total: int | None) -> None:
        """``rows`` more rows written by the stage ``label`` of ``total`` (None: unknown)."""
        now = time.monotonic()
        if label not in self.started:
            if not console.is_terminal:
                self._print_unprinted(now)  # the stage before ends with its last count
            self.started[label] = self.last_report
        self.last_report = now
        self.done[label] = self.done.get(label, 0) + rows
        self.totals[label] = total
        if console.is_terminal:
            self._draw(label, rows, total)
        elif now - self.printed_at.get(label, self.started[label]) >= PLAIN_PROGRESS_INTERVAL_S:
            self._print(label, now)

    def _draw(self, label: str, rows: int, total: int | None) -> None:
        if self.bars is None:
            self.bars = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
            )
            self.bars.start()
        if label not in self.tasks:
            self.tasks[label] = self.bars.add_task(label, total=total)
        self.bars.update(self.tasks[label], advance=rows, total=total)

    def _print(self, label: str, now: float) -> None:
        line = progress_line(label, self.done[label], self.totals[label], now - self.started[label])
        console.print(line, highlight=False, soft_wrap=True)
        self.printed_at[label] = now
        self.printed_done[label] = self.done[label]

    def _print_unprinted(self, now: float) -> None:
        for label, done in self.done.items():
            if self.printed_done.get(label) != done:
                self._print(label, now)

    def close(self) -> None:
        """Stop the bars, or print each stage's last count if not printed yet."""
        if self.bars is not None:
            self.bars.stop()
        else:
            self._print_unprinted(time.monotonic())


@contextmanager
def stage_progress() -> Iterator[StageProgress]:
    """A :class:`StageProgress`, closed at the end (also after an error or Ctrl-C)."""
    progress = StageProgress()
    try:
        yield progress
    finally:
        progress.close()


def print_warnings(warnings: Iterable[tuple[str, str]], label: str = "warning") -> None:
    """Each (file, text) pair as one line ``label: file: text`` on stderr, the lines set
    apart by a blank line from what was printed above (a table)."""
    lines = [f"[yellow]{label}:[/yellow] {file}: {escape(text)}" for file, text in warnings]
    if lines:
        console.print()
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def report_failures(failures: list, what: str) -> None:
    """Print one line per failure (each names its file) and a count."""
    for failure in failures:
        console.print(f"[yellow]skipped[/yellow] {failure}", highlight=False, soft_wrap=True)
    if failures:
        console.print(f"[yellow]{len(failures)} {what} skipped[/yellow]")


def _exit_code(error: Exception) -> int | None:
    """The exit status of an expected failure: a :class:`SuperCon3DError`'s ``exit_code``, or
    :data:`EXIT_FAILED` for an OSError (a missing or unreadable file); None for anything else,
    which is a bug and keeps its traceback."""
    if isinstance(error, SuperCon3DError):
        return error.exit_code
    return EXIT_FAILED if isinstance(error, OSError) else None


def one_line_errors(command: Callable) -> Callable:
    """Turn the expected failures of a command (missing data, unreadable input: an OSError or
    a :class:`SuperCon3DError`) into one line on stderr and the error's exit status, instead of
    a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Exception as error:
            code = _exit_code(error)
            if code is None:
                raise
            console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(code) from None

    return wrapper

"""Consoles, progress bars and one-line error reporting shared by the CLI commands."""

from __future__ import annotations

import functools
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

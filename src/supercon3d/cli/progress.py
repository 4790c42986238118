"""Consoles, progress bars and one-line error reporting shared by the CLI commands."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

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


def report_failures(failures: list, what: str) -> None:
    """Print one line per failure (each names its file) and a count."""
    for failure in failures:
        console.print(f"[yellow]skipped[/yellow] {failure}", highlight=False, soft_wrap=True)
    if failures:
        console.print(f"[yellow]{len(failures)} {what} skipped[/yellow]")


def one_line_errors(command: Callable) -> Callable:
    """Turn the expected failures of a command (missing data, unreadable input) into one line
    on stderr and exit status 1, instead of a traceback."""
    from supercon3d.data.cif import CifReadError
    from supercon3d.graphs.crystal_graph import GraphBuildError
    from supercon3d.models.weights import CheckpointError
    from supercon3d.settings import DataFolderError
    from supercon3d.training.sodnet import RunFolderError

    expected = (
        DataFolderError, CifReadError, GraphBuildError, CheckpointError, RunFolderError, OSError
    )  # fmt: skip

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except expected as error:
            console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper

"""Consoles, progress bars and one-line error reporting shared by the CLI commands."""

from __future__ import annotations

import functools
import sys
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


EXPECTED_ERRORS = (
    ("supercon3d.settings", "DataFolderError"),
    ("supercon3d.data.cif", "CifReadError"),
    ("supercon3d.graphs.crystal_graph", "GraphBuildError"),
    ("supercon3d.models.weights", "CheckpointError"),
    ("supercon3d.training.sodnet", "RunFolderError"),
    ("supercon3d.training.extra_structures", "ExtraStructuresError"),
    ("supercon3d.training.loop", "TrainingStateError"),
    ("supercon3d.training.loop", "DataParallelError"),
    ("supercon3d.evaluation.folds", "SplitError"),
    ("supercon3d.screening.database", "ScreenDatabaseError"),
    ("supercon3d.stability.potentials", "PotentialUnavailableError"),
    ("supercon3d.executor", "EngineUnavailableError"),
)
"""The project's errors that a command reports in one line, as (module, class name): named,
not imported, so that the CLI starts without importing torch or pymatgen."""


def _is_expected(error: Exception) -> bool:
    """Whether ``error`` is an OSError or one of :data:`EXPECTED_ERRORS` (whose module is
    necessarily imported already when one of them was raised)."""
    if isinstance(error, OSError):
        return True
    return any(
        isinstance(error, getattr(sys.modules[module], name))
        for module, name in EXPECTED_ERRORS
        if module in sys.modules
    )


def one_line_errors(command: Callable) -> Callable:
    """Turn the expected failures of a command (missing data, unreadable input) into one line
    on stderr and exit status 1, instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Exception as error:
            if not _is_expected(error):
                raise
            console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper

"""What a command over many files leaves behind: its exit status and its results file.

Exit status: :data:`EXIT_ALL_DONE` when every file succeeded, :data:`EXIT_SOME_FAILED` when
some failed (each one is a row with its error), :data:`EXIT_NONE_DONE` when none could run (all
failed, or the model could not load), :data:`EXIT_USAGE` for a usage error (a bad option, an
output that would overwrite something) and :data:`EXIT_INTERRUPTED` after Ctrl-C.

The results file (``--out``) is checked before the work starts (:func:`check_output`): never an
input, never an existing file unless ``force``, in a folder that exists and is writable. It is
written to a temporary file beside it and renamed over it (:func:`write_output`), as strict
JSON (``null`` for a non-finite number) or CSV.
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import typer

from supercon3d.cli.progress import console

EXIT_ALL_DONE = 0
EXIT_NONE_DONE = 1
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C."""


def exit_status(failed: int, total: int) -> int:
    """The exit status of a run over ``total`` files of which ``failed`` failed."""
    if failed == 0:
        return EXIT_ALL_DONE
    return EXIT_NONE_DONE if failed == total else EXIT_SOME_FAILED


def usage_error(message: str) -> typer.Exit:
    """Print ``message`` as one line and return the exit to raise (status :data:`EXIT_USAGE`)."""
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_USAGE)


def check_output(out: Path, inputs: Iterable[Path], force: bool) -> None:
    """Refuse (:func:`usage_error`) an output that is one of ``inputs``, a folder, an existing
    file without ``force``, or in a folder that is missing or not writable."""
    if out.is_dir():
        raise usage_error(f"{out}: is a folder; --out takes a file name")
    if out.exists():
        if any(path.exists() and os.path.samefile(out, path) for path in inputs):
            raise usage_error(f"{out}: is one of the inputs; choose another --out")
        if not force:
            raise usage_error(f"{out}: exists; --force replaces it")
    folder = out.parent
    if not folder.is_dir():
        raise usage_error(f"{out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise usage_error(f"{out}: the folder {folder} is not writable")


NEW_FILE_MODE = 0o666
"""Permissions of a new file before the umask (a temporary file starts private)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def finite_or_none(value: object) -> object:
    """``value`` with every non-finite float (NaN, ±inf), at any depth, replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    return value


def write_output(out: Path, records: list[dict], csv_row: Callable[[dict], dict]) -> None:
    """Write ``records`` to ``out`` (CSV for ``.csv``, each row made by ``csv_row``; strict JSON
    otherwise) through a temporary file in its folder renamed over it, and say so."""
    records = finite_or_none(records)
    if out.suffix.lower() == ".csv":
        import pandas as pd

        text = pd.DataFrame([csv_row(record) for record in records]).to_csv(index=False)
    else:
        text = json.dumps(records, indent=1, allow_nan=False)
    replaced = out.exists()
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.chmod(temporary, NEW_FILE_MODE & ~_umask())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    console.print(f"{'replaced' if replaced else 'wrote'} {out}", highlight=False)


def interruptible(command: Callable) -> Callable:
    """Turn Ctrl-C during ``command`` into one line and :data:`EXIT_INTERRUPTED`."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/yellow]")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper

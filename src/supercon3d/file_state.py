"""The state of a model folder's files, to key in-process caches of loaded models.

A cached model is reused while its folder's files keep their names, sizes and modification
times; a retrained or replaced file gives a new key, hence a fresh load.
"""

from __future__ import annotations

import os
from pathlib import Path

FileState = tuple[str, int, int]
"""(path relative to the folder, size in bytes, modification time in ns)."""


def folder_state(folder: str | os.PathLike) -> tuple[FileState, ...]:
    """The state of every file under ``folder`` (recursively), sorted by path; empty if the
    folder does not exist."""
    folder = Path(folder)
    states = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            states.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(states)

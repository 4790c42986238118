"""What one ``supercon3d serve`` process may read and how much it accepts.

Light on purpose (no torch, no web framework): the CLI builds these before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 200
"""Structures one prediction request may hold (zip members counted one by one)."""
MAX_REQUEST_BYTES = 50_000_000
"""Largest request body (bytes) the server reads: a larger upload is refused whole (413)."""
MAX_ARCHIVE_BYTES = 200_000_000
"""Largest total size (bytes) of the members of one uploaded zip, once uncompressed."""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ServeSettings:
    """One server's settings.

    ``databases``: the screening databases it may open (read-only), listed by position;
    ``runs``: the folder whose sub-folders are discovery runs (read, and written by the runs
    it starts), or None; ``token``: the access token every request must carry (None: no
    token, allowed on a loopback address only); ``checkpoints``: the Tc model's run folder
    (None: the shipped model); ``load_models``: load the models at start (tests of the
    request checks may skip it); ``data``: the data folder of the known superconductors
    (None: the configured one)."""

    databases: tuple[Path, ...] = ()
    runs: Path | None = None
    token: str | None = None
    checkpoints: Path | None = None
    max_files: int = MAX_FILES
    max_request_bytes: int = MAX_REQUEST_BYTES
    max_archive_bytes: int = MAX_ARCHIVE_BYTES
    load_models: bool = True
    data: Path | None = None

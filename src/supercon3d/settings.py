"""Where supercon3d finds its data and keeps its caches.

The data folder is read in place. Its location comes from, in order: an explicit argument
(the CLI's ``--data``), the ``SUPERCON3D_DATA`` environment variable, and the default
``../shared/datasets`` relative to the repository root. Caches go to ``SUPERCON3D_CACHE``
or ``~/.cache/supercon3d``.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "SUPERCON3D_DATA"
CACHE_ENV = "SUPERCON3D_CACHE"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPOSITORY_ROOT.parent / "shared" / "datasets"


class DataFolderError(FileNotFoundError):
    """The data folder, or a file expected inside it, is missing."""


def _configured_path(override: str | os.PathLike | None, env: str, default: Path) -> Path:
    """The explicit override, else the environment variable ``env``, else ``default``."""
    if override is not None:
        return Path(override).expanduser()
    if os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    return default


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The datasets folder (the one holding ``supercon3d/``, ``3dsc_mp/``, ...)."""
    path = _configured_path(override, DATA_ENV, DEFAULT_DATA_DIR).resolve()
    if not path.is_dir():
        raise DataFolderError(f"{path}: data folder not found; set {DATA_ENV} or pass --data")
    return path


def dataset_path(name: str, data: str | os.PathLike | None = None) -> Path:
    """A file or folder inside the data folder, with an error naming it when it is missing."""
    path = data_dir(data) / name
    if not path.exists():
        raise DataFolderError(f"{path}: not found in the data folder")
    return path


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The cache folder (created on first use)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "supercon3d"
    path = _configured_path(override, CACHE_ENV, default)
    path.mkdir(parents=True, exist_ok=True)
    return path

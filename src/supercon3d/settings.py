"""Where supercon3d finds its data and keeps its caches.

The data folder is read in place. Its location comes from, in order: an explicit argument
(the CLI's ``--data``), the ``SUPERCON3D_DATA`` environment variable, the key ``data`` of the
user's config file (``config.toml`` in the platform's config folder for supercon3d, from
platformdirs: on Linux ``$XDG_CONFIG_HOME/supercon3d``, by default ``~/.config/supercon3d``;
a relative path there is relative to the file), and, only when the package runs from a source
checkout, ``../shared/datasets`` beside the repository. Caches go to ``SUPERCON3D_CACHE`` or
the platform's cache folder (on Linux ``$XDG_CACHE_HOME/supercon3d``, by default
``~/.cache/supercon3d``).
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from pathlib import Path

import platformdirs

from supercon3d.errors import SuperCon3DError

DATA_ENV = "SUPERCON3D_DATA"
CACHE_ENV = "SUPERCON3D_CACHE"
CONFIG_DATA_KEY = "data"
APP_NAME = "supercon3d"
"""The folder name under the platform's config and cache folders."""
CONFIG_FILE = "config.toml"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
"""The repository root when the package runs from a source checkout (``src/supercon3d``)."""
CHECKOUT_DATA_DIR = REPOSITORY_ROOT.parent / "shared" / "datasets"
"""The data folder of a source checkout: ``shared/datasets`` beside the repository."""


class DataFolderError(SuperCon3DError, FileNotFoundError):
    """The data folder, or a file expected inside it, is missing, or the config file that
    names it cannot be read."""


def _configured_path(override: str | os.PathLike | None, env: str, default: Path) -> Path:
    """The explicit override, else the environment variable ``env``, else ``default``."""
    if override is not None:
        return Path(override).expanduser()
    if os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    return default


def config_file() -> Path:
    """The user's config file: ``config.toml`` in the platform's config folder for supercon3d
    (on Linux ``$XDG_CONFIG_HOME/supercon3d``, by default ``~/.config/supercon3d``)."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / CONFIG_FILE


def _how_to_set() -> str:
    return (
        f"pass --data, set {DATA_ENV}=/path/to/datasets or write "
        f'{CONFIG_DATA_KEY} = "/path/to/datasets" in {config_file()}'
    )


def _read_config_data(path: Path) -> str | None:
    """The ``data`` string of a config file, None when the key is absent.

    Read with tomllib (Python 3.11+); on Python 3.10, which has no tomllib, only a line
    ``data = "/path"`` (or single-quoted, without escapes) is understood.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataFolderError(
            f"{path}: not a valid TOML file (byte 0x{error.object[error.start]:02x} at "
            f"offset {error.start} is not UTF-8, the encoding TOML requires)"
        ) from None
    except OSError as error:
        raise DataFolderError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        match = re.search(rf"""^\s*{CONFIG_DATA_KEY}\s*=\s*(["'])(.*)\1\s*$""", text, re.M)
        return match.group(2) if match else None
    try:
        value = tomllib.loads(text).get(CONFIG_DATA_KEY)
    except tomllib.TOMLDecodeError as error:
        raise DataFolderError(f"{path}: not a valid TOML file ({error})") from None
    if value is not None and not isinstance(value, str):
        raise DataFolderError(f"{path}: {CONFIG_DATA_KEY!r} must be a string (a folder path)")
    return value


def running_from_checkout() -> bool:
    """Whether this package is ``src/supercon3d`` of a source checkout: the folder above
    ``src/`` has a pyproject.toml naming the project supercon3d (not so after a wheel install)."""
    pyproject = REPOSITORY_ROOT / "pyproject.toml"
    if Path(__file__).resolve().parent != REPOSITORY_ROOT / "src" / "supercon3d":
        return False
    if not pyproject.is_file():
        return False
    return re.search(r'^name\s*=\s*"supercon3d"\s*$', pyproject.read_text(), re.M) is not None


def _data_location(override: str | os.PathLike | None) -> tuple[Path, str]:
    """The configured data folder and where the setting came from."""
    if override is not None:
        return Path(override).expanduser(), "--data"
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser(), DATA_ENV
    config = config_file()
    if config.is_file():
        value = _read_config_data(config)
        if value is not None:
            return config.parent / Path(value).expanduser(), str(config)
    if running_from_checkout():
        return CHECKOUT_DATA_DIR, "the source checkout's default"
    raise DataFolderError(f"no data folder set: {_how_to_set()}")


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The datasets folder (the one holding ``supercon3d/``, ``3dsc_mp/``, ...): ``override``,
    else ``SUPERCON3D_DATA``, else the config file's ``data``, else, in a source checkout,
    ``../shared/datasets``; an error saying how to set it when none applies."""
    path, source = _data_location(override)
    path = path.resolve()
    if not path.is_dir():
        raise DataFolderError(f"{path}: data folder not found (set by {source}); {_how_to_set()}")
    return path


def dataset_path(name: str, data: str | os.PathLike | None = None) -> Path:
    """A file or folder inside the data folder, with an error naming it when it is missing."""
    path = data_dir(data) / name
    if not path.exists():
        raise DataFolderError(f"{path}: not found in the data folder")
    return path


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The cache folder (created on first use): ``override``, else ``SUPERCON3D_CACHE``, else
    the platform's cache folder for supercon3d (on Linux ``$XDG_CACHE_HOME/supercon3d``, by
    default ``~/.cache/supercon3d``). One that cannot be created (a read-only disk) is
    returned all the same, as one that cannot be written: a cache finds nothing there, and
    its writer says so and goes on without it or fails in one line."""
    default = platformdirs.user_cache_path(APP_NAME, appauthor=False)
    path = _configured_path(override, CACHE_ENV, default)
    with contextlib.suppress(OSError):
        path.mkdir(parents=True, exist_ok=True)
    return path


_CACHES_WARNED: set[str] = set()
"""The cache files and folders already warned of in this process."""


def warn_cache_once(cache: str | os.PathLike, message: str) -> None:
    """Warn, in one line and once per process for each ``cache`` (a file or folder), that it
    cannot be used: ``message`` says what failed, why, and how the work goes on without it."""
    if str(cache) in _CACHES_WARNED:
        return
    _CACHES_WARNED.add(str(cache))
    warnings.warn(f"{cache}: {' '.join(message.split())}", stacklevel=3)

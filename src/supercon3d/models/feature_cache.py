"""Caches of descriptor vectors keyed by a string: a bounded in-process LRU and an append-only
CSV file that several processes may extend at once."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from supercon3d.settings import warn_cache_once


class LruCache(OrderedDict):
    """A dict that keeps at most ``max_size`` entries, evicting the least recently used."""

    def __init__(self, max_size: int):
        if max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        super().__init__()
        self.max_size = max_size

    def __getitem__(self, key):
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    def __setitem__(self, key, value) -> None:
        if key in self:
            self.move_to_end(key)
        super().__setitem__(key, value)
        if len(self) > self.max_size:
            del self[next(iter(self))]


class AppendOnlyCsv:
    """Vectors on disk, one line per key: ``key,v1,...,vn`` (an empty field is NaN), under a
    header line ``index_name,column1,...,columnn`` (the layout pandas writes and reads).

    The file is only ever appended to, one line per ``os.write`` in append mode, so processes
    extending it at once do not overwrite each other. Reading skips malformed lines (a line cut
    short by a crash, a second header written by a concurrent first writer) and keeps the last
    line of a key written more than once. Memory holds the byte offset of each key's line, not
    its values.

    A file that cannot be read (no permission, a folder in its place) or that is not such a
    file (its first line is not the header: damaged, or another program's) is warned of once
    and neither read nor written; one that cannot be written (a read-only folder or disk) is
    warned of once and still read. Either way the caller goes on computing what it lacks.
    """

    def __init__(self, path: str | os.PathLike, columns: Sequence[str], index_name: str):
        if any("," in name or "\n" in name for name in (index_name, *columns)):
            raise ValueError(f"{path}: column names must not contain commas or newlines")
        self.path = Path(path)
        self.n_columns = len(columns)
        self._header = (",".join((index_name, *columns)) + "\n").encode()
        self._offsets: dict[str, int] | None = None
        self._writable = True

    def _index(self) -> dict[str, int]:
        """Byte offset of the last well-formed line of each key (the file is read once)."""
        if self._offsets is not None:
            return self._offsets
        self._offsets = {}
        if not self.path.exists():
            return self._offsets
        try:
            self._offsets = self._read_offsets()
        except (OSError, _NotThisCache) as error:
            self._offsets = {}
            self._writable = False
            reason = getattr(error, "strerror", None) or error
            warn_cache_once(self.path, f"cannot be read ({reason}); computed without it")
        return self._offsets

    def _read_offsets(self) -> dict[str, int]:
        """Byte offset of each key's last well-formed line; :class:`_NotThisCache` when the
        first line is not the header."""
        offsets: dict[str, int] = {}
        offset = 0
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle):
                if number == 0 and line != self._header:
                    raise _NotThisCache("its first line is not the header: damaged, or not a cache")
                if self._well_formed(line) and line != self._header:
                    key = line[: line.index(b",")].decode(errors="replace")
                    offsets[key] = offset
                offset += len(line)
        return offsets

    def _well_formed(self, line: bytes) -> bool:
        return line.endswith(b"\n") and line.count(b",") == self.n_columns

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those ``keys`` that are in the file."""
        offsets = self._index()
        wanted = [key for key in keys if key in offsets]
        found: dict[str, np.ndarray] = {}
        if not wanted:
            return found
        try:
            with open(self.path, "rb") as handle:
                for key in wanted:
                    handle.seek(offsets[key])
                    values = self._parse(handle.readline())
                    if values is not None:
                        found[key] = values
        except OSError as error:
            reason = error.strerror or error
            warn_cache_once(self.path, f"cannot be read ({reason}); computed without it")
        return found

    def _parse(self, line: bytes) -> np.ndarray | None:
        if not self._well_formed(line):
            return None
        try:
            return np.array([float(f) if f else np.nan for f in line[:-1].split(b",")[1:]])
        except ValueError:
            return None

    def append(self, key: str, values: np.ndarray) -> None:
        """Add one line in a single write: after a header when the file is new, after a newline
        when the file ends in a line cut short. A file that cannot be written is warned of
        once (:func:`~supercon3d.settings.warn_cache_once`) and no longer written to."""
        if "," in key or "\n" in key:
            raise ValueError(f"{self.path}: key {key!r} must not contain commas or newlines")
        if len(values) != self.n_columns:
            raise ValueError(f"{self.path}: expected {self.n_columns} values, got {len(values)}")
        index = self._index()
        if not self._writable:
            return
        fields = ("" if np.isnan(v) else repr(float(v)) for v in values)
        line = (",".join((key, *fields)) + "\n").encode()
        try:
            end = self._write(line)
        except OSError as error:
            self._writable = False
            reason = error.strerror or error
            warn_cache_once(self.path, f"cannot be written ({reason}); computed again next time")
            return
        index[key] = end - len(line)

    def _write(self, line: bytes) -> int:
        """Append ``line`` (see :meth:`append`); the file's end offset after it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(descriptor).st_size
            if size == 0:
                data = self._header + line
            elif _last_byte(descriptor, size) != b"\n":  # a line cut short by a crash
                data = b"\n" + line
            else:
                data = line
            written = os.write(descriptor, data)
            end = os.lseek(descriptor, 0, os.SEEK_CUR)
        finally:
            os.close(descriptor)
        if written != len(data):
            raise OSError(f"only {written} of {len(data)} bytes written")
        return end


class _NotThisCache(ValueError):
    """A file in a cache's place that is not that cache (damaged, or another program's)."""


def _last_byte(descriptor: int, size: int) -> bytes:
    """The last byte of an open file of ``size`` bytes (appends still go to the end)."""
    os.lseek(descriptor, size - 1, os.SEEK_SET)
    return os.read(descriptor, 1)

"""Structure sources for screening, read as a stream: one :class:`StructureItem` at a time.

A source is a CIF file, a folder (its ``*.cif`` files at any depth, in sorted order), a
``.zip`` or ``.tar``/``.tar.gz``/``.tgz`` archive of CIFs, a CSV file with a column of CIF
text (the MP-20 / DiffCSP layout), or any other file that ``ase.io`` reads (extxyz, an ASE
``.db``, ...). Nothing is parsed here: an item carries the raw content (CIF text, or the
arrays of an ASE ``Atoms``) and its sha256, so that the coordinator can skip what a database
already holds before any work is sent out. Each item has a stable ``id``: the source as given
plus ``::`` and the name inside it (the path under a folder, the archive member, the CSV row's
id, the ASE frame's index); a CIF file given on its own is its own id.

What cannot be read becomes an item with ``error`` set (one line naming the file and the
reason) instead of stopping the stream: a missing file, an unreadable archive, an archive
member that is not a CIF, a CSV row without CIF text.
"""

from __future__ import annotations

import csv
import hashlib
import os
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supercon3d.defaults import DEFAULT_CIF_COLUMN, MAX_CIF_BYTES

ID_SEPARATOR = "::"
"""Between a source and the name of an item inside it."""
CIF_SUFFIX = ".cif"
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
CSV_SUFFIX = ".csv"
ID_COLUMN_GUESSES = ("material_id", "id", "name")
"""Columns tried, in order, as a CSV's id column when none is given."""
KIND_CIF, KIND_ATOMS, KIND_ERROR = "cif", "atoms", "error"


@dataclass(frozen=True)
class StructureItem:
    """One structure of a source, unparsed.

    ``kind`` is ``cif`` (``content`` is the CIF text), ``atoms`` (``content`` maps
    ``numbers``, ``positions`` (Å, Cartesian) and ``cell`` (Å, rows are lattice vectors) to
    lists) or ``error`` (``content`` is None and ``error`` says why, naming the file).
    ``sha256`` is the hash of the content (None for an error without content)."""

    id: str
    source: str
    name: str
    kind: str
    content: str | dict | None
    sha256: str | None
    error: str | None = None


def _item_id(source: str, name: str | None) -> str:
    return source if name is None else f"{source}{ID_SEPARATOR}{name}"


def _error(source: str, name: str | None, reason: str) -> StructureItem:
    item_id = _item_id(source, name)
    return StructureItem(
        item_id,
        source,
        name or Path(source).name,
        KIND_ERROR,
        None,
        None,
        f"{item_id}: {' '.join(reason.split())}",
    )


def _text_item(source: str, name: str | None, data: bytes) -> StructureItem:
    """A CIF item from raw bytes; binary data or an oversized file is an error item."""
    if len(data) > MAX_CIF_BYTES:
        return _too_large(source, name, len(data))
    if b"\0" in data:
        return _error(source, name, "a binary file, not a CIF")
    digest = hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8-sig", errors="replace")
    return StructureItem(
        _item_id(source, name), source, name or Path(source).name, KIND_CIF, text, digest
    )


def _too_large(source: str, name: str | None, size: int) -> StructureItem:
    return _error(source, name, f"{size:,} bytes, above {MAX_CIF_BYTES:,} for one CIF")


def _cif_file(path: Path, source: str, name: str | None) -> StructureItem:
    try:
        size = path.stat().st_size
        if size > MAX_CIF_BYTES:
            return _too_large(source, name, size)
        return _text_item(source, name, path.read_bytes())
    except OSError as error:
        return _error(source, name, error.strerror or type(error).__name__)


def _folder(folder: Path, source: str) -> Iterator[StructureItem]:
    """Every ``*.cif`` under ``folder``, at any depth, sorted by relative path."""
    found = False
    for root, folders, files in os.walk(folder):
        folders.sort()
        for file in sorted(files):
            if file.lower().endswith(CIF_SUFFIX):
                found = True
                path = Path(root) / file
                yield _cif_file(path, source, path.relative_to(folder).as_posix())
    if not found:
        yield _error(source, None, "no .cif files in this folder")


def _not_a_cif(source: str, member: str) -> StructureItem:
    return _error(source, member, "an archive member that is not a CIF (by its name)")


def _zip(path: Path, source: str) -> Iterator[StructureItem]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if not info.filename.lower().endswith(CIF_SUFFIX):
                yield _not_a_cif(source, info.filename)
            elif info.file_size > MAX_CIF_BYTES:
                yield _too_large(source, info.filename, info.file_size)
            else:
                yield _text_item(source, info.filename, archive.read(info))


def _tar(path: Path, source: str) -> Iterator[StructureItem]:
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if not member.isfile():
                continue
            if not member.name.lower().endswith(CIF_SUFFIX):
                yield _not_a_cif(source, member.name)
            elif member.size > MAX_CIF_BYTES:
                yield _too_large(source, member.name, member.size)
            else:
                yield _text_item(source, member.name, archive.extractfile(member).read())


def _csv(
    path: Path, source: str, cif_column: str, id_column: str | None
) -> Iterator[StructureItem]:
    """One item per data row; the name is the row's id (``id_column``, else the first of
    :data:`ID_COLUMN_GUESSES` the file has, else ``row<n>``, n counted from 1)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        if cif_column not in columns:
            yield _error(
                source,
                None,
                f"no column {cif_column!r} of CIF text (columns: "
                f"{', '.join(columns) or 'none'}); choose one with --cif-column",
            )
            return
        if id_column is not None and id_column not in columns:
            yield _error(source, None, f"no id column {id_column!r}")
            return
        if id_column is None:
            id_column = next((c for c in ID_COLUMN_GUESSES if c in columns), None)
        for number, row in enumerate(reader, start=1):
            identifier = row.get(id_column) if id_column else None
            name = identifier.strip() if identifier and identifier.strip() else f"row{number}"
            text = row.get(cif_column)
            if None in row or not text or not text.strip():
                what = (
                    "more fields than columns" if None in row else f"no CIF text in {cif_column!r}"
                )
                yield _error(source, name, f"CSV row {number}: {what}")
                continue
            yield _text_item(source, name, text.encode())


def atoms_content(atoms) -> dict:
    """The content of an ASE ``Atoms`` as plain lists: atomic numbers, Cartesian positions (Å)
    and the cell (Å)."""
    return {
        "numbers": [int(z) for z in atoms.numbers],
        "positions": np.asarray(atoms.positions, dtype=float).tolist(),
        "cell": np.asarray(atoms.cell.array, dtype=float).tolist(),
    }


def _atoms_hash(content: dict) -> str:
    digest = hashlib.sha256()
    for key in ("numbers", "positions", "cell"):
        digest.update(np.asarray(content[key], dtype=float).tobytes())
    return digest.hexdigest()


def _ase(path: Path, source: str) -> Iterator[StructureItem]:
    """Every frame ``ase.io`` reads from the file, named by its index (from 0)."""
    import ase.io

    try:
        frames = ase.io.iread(path, index=":")
        for index, atoms in enumerate(frames):
            name = str(index)
            if not atoms.pbc.all() or atoms.cell.rank < 3:
                yield _error(source, name, "not a periodic crystal (ASE frame without a 3D cell)")
                continue
            content = atoms_content(atoms)
            yield StructureItem(
                _item_id(source, name), source, name, KIND_ATOMS, content, _atoms_hash(content)
            )
    except Exception as error:  # ASE raises many types; all mean "cannot read this file"
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        yield _error(source, None, f"not readable by ase.io ({reason})")


def _has_suffix(path: Path, suffixes: Iterable[str]) -> bool:
    return any(path.name.lower().endswith(suffix) for suffix in suffixes)


def iter_source(
    source: str | os.PathLike, cif_column: str = DEFAULT_CIF_COLUMN, id_column: str | None = None
) -> Iterator[StructureItem]:
    """The items of one source, in a stable order (see the module docstring)."""
    path = Path(source)
    name = str(source)
    if path.is_dir():
        yield from _folder(path, name)
        return
    if not path.exists():
        yield _error(name, None, "no such file or folder")
        return
    try:
        if _has_suffix(path, (CIF_SUFFIX,)):
            yield _cif_file(path, name, None)
        elif _has_suffix(path, ZIP_SUFFIXES):
            yield from _zip(path, name)
        elif _has_suffix(path, TAR_SUFFIXES):
            yield from _tar(path, name)
        elif _has_suffix(path, (CSV_SUFFIX,)):
            yield from _csv(path, name, cif_column, id_column)
        else:
            yield from _ase(path, name)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, csv.Error, EOFError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        yield _error(name, None, f"unreadable ({reason})")


def iter_sources(
    sources: Iterable[str | os.PathLike],
    cif_column: str = DEFAULT_CIF_COLUMN,
    id_column: str | None = None,
) -> Iterator[StructureItem]:
    """The items of every source, source after source."""
    for source in sources:
        yield from iter_source(source, cif_column, id_column)

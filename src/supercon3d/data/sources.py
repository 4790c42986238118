"""Structure sources read as a stream: one :class:`StructureItem` at a time, every input a row.

A source is a CIF file, a folder (its ``*.cif`` files at any depth, in sorted order), a
``.zip`` or ``.tar``/``.tar.gz``/``.tgz`` archive of CIFs, a CSV file with a column of CIF
text (the MP-20 / DiffCSP layout), or any other file that ``ase.io`` reads (extxyz, POSCAR,
an ASE ``.db``, ...); a file with another name whose text has a ``data_`` line is read as a
CIF. Nothing is parsed here: an item carries the raw content (CIF text, or the arrays of an
ASE ``Atoms``) and its sha256, so that a screen can skip what its database already holds
before any work is sent out. Each item has an ``id``: the source as given plus ``::`` and the
name inside it (the path under a folder, the archive member, the CSV row's id, the ASE
frame's index); a CIF file given on its own is its own id. An id met again in one stream gets
``#2``, ``#3``, ... and a warning saying so (:func:`iter_sources`), so no result overwrites
another.

Every byte is read under the file rule (:mod:`supercon3d.data.files`): regular files only,
at most ``MAX_CIF_BYTES`` per structure, counted as they are read (an archive member's header
is not trusted). What cannot be read becomes an item with ``error`` set (one line naming the
file or member and the reason) instead of stopping the stream: a missing file, a FIFO, a
device, a link inside an archive, an unreadable or looping folder, a damaged archive member
(the members after it are still read), a member that is not a CIF, a CSV row without CIF
text. Symbolic links to folders are followed; one that leads back to a folder being read (a
loop) is an error item.
"""

from __future__ import annotations

import csv
import hashlib
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from supercon3d.data.files import (
    check_regular,
    file_kind,
    not_regular,
    read_capped,
    read_regular_file,
    read_start,
    too_large,
)
from supercon3d.data.refusals import RULE_SIZE, InputRefused
from supercon3d.defaults import DEFAULT_CIF_COLUMN, MAX_CIF_BYTES

ID_SEPARATOR = "::"
"""Between a source and the name of an item inside it."""
DUPLICATE_MARK = "#"
"""Between an id met again in one stream and its count (``x.cif#2``)."""
CIF_SUFFIX = ".cif"
NO_CIFS = "no .cif files in this folder"
"""Why a folder given as an input gives no structure."""
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
CSV_SUFFIX = ".csv"
ID_COLUMN_GUESSES = ("material_id", "id", "name")
"""Columns tried, in order, as a CSV's id column when none is given."""
KIND_CIF, KIND_ATOMS, KIND_ERROR = "cif", "atoms", "error"
CIF_SNIFF_BYTES = 65_536
"""Bytes of a file without a known suffix searched for a ``data_`` line (a CIF)."""
MEMBER_ERRORS = (
    zipfile.BadZipFile, zlib.error, tarfile.TarError, OSError, EOFError, RuntimeError,
    NotImplementedError, ValueError,
)  # fmt: skip
"""What reading one damaged, encrypted or unsupported archive member raises."""
UNIX_MODE_SHIFT = 16
"""A zip entry's Unix file mode is the high 16 bits of its external attributes."""


@dataclass(frozen=True)
class StructureItem:
    """One structure of a source, unparsed.

    ``kind`` is ``cif`` (``content`` is the CIF text), ``atoms`` (``content`` maps
    ``numbers``, ``positions`` (Å, Cartesian) and ``cell`` (Å, rows are lattice vectors) to
    lists) or ``error`` (``content`` is None and ``error`` says why, naming the file).
    ``sha256`` is the hash of the content (None for an error without content); ``warnings``
    what the stream itself noted (an id made unique)."""

    id: str
    source: str
    name: str
    kind: str
    content: str | dict | None
    sha256: str | None
    error: str | None = None
    warnings: tuple[str, ...] = ()


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
        return _error(source, name, too_large("", len(data), MAX_CIF_BYTES).reason)
    if b"\0" in data:
        return _error(source, name, "a binary file, not a CIF")
    digest = hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8-sig", errors="replace")
    return StructureItem(
        _item_id(source, name), source, name or Path(source).name, KIND_CIF, text, digest
    )


def _os_error(source: str, name: str | None, error: OSError) -> StructureItem:
    return _error(source, name, error.strerror or type(error).__name__)


def _cif_file(path: Path, source: str, name: str | None) -> StructureItem:
    try:
        return _text_item(source, name, read_regular_file(path, MAX_CIF_BYTES, source))
    except InputRefused as error:
        return _error(source, name, error.reason)
    except OSError as error:
        return _os_error(source, name, error)


def _folder(folder: Path, source: str) -> Iterator[StructureItem]:
    """Every ``*.cif`` under ``folder``, at any depth: a folder's files sorted by name, then
    its subfolders in sorted order. Linked folders are followed unless they lead back to one
    being read; an unreadable folder or a loop is an error item."""
    found = False
    for path, reason in walk_cifs(folder):
        found = True
        name = path.relative_to(folder).as_posix() if path != folder else None
        yield _cif_file(path, source, name) if reason is None else _error(source, name, reason)
    if not found:
        yield _error(source, None, NO_CIFS)


def walk_cifs(
    folder: Path, reading: frozenset[tuple[int, int]] = frozenset()
) -> Iterator[tuple[Path, str | None]]:
    """(path, None) for each ``*.cif`` entry under ``folder``, at any depth, that is not a
    folder (broken links and FIFOs included, so that reading them says what they are), and
    (path, reason) for a folder that cannot be listed or a linked folder that leads back to
    one above it (a loop, not followed): a folder's files sorted by name, then its
    subfolders in sorted order. ``reading``: the (device, inode) of the folders above."""
    try:
        info = folder.stat()
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        yield folder, f"an unreadable folder ({error.strerror or type(error).__name__})"
        return
    key = (info.st_dev, info.st_ino)
    subfolders = []
    for entry in entries:
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            subfolders.append(Path(entry.path))
        elif entry.name.lower().endswith(CIF_SUFFIX):
            yield Path(entry.path), None
    for subfolder in subfolders:
        try:
            below = subfolder.stat()
        except OSError as error:
            yield subfolder, f"an unreadable folder ({error.strerror or type(error).__name__})"
            continue
        if (below.st_dev, below.st_ino) in reading | {key}:
            yield subfolder, "a symbolic link to a folder above it (a loop): not followed"
            continue
        yield from walk_cifs(subfolder, reading | {key})


def _not_a_cif(source: str, member: str) -> StructureItem:
    return _error(source, member, "an archive member that is not a CIF (by its name)")


def _zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> StructureItem:
    """One zip member: a regular file named ``*.cif`` read under the cap, else an error
    item; a damaged member fails alone."""
    mode = info.external_attr >> UNIX_MODE_SHIFT
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return _error(source, info.filename, not_regular("", file_kind(mode)).reason)
    if not info.filename.lower().endswith(CIF_SUFFIX):
        return _not_a_cif(source, info.filename)
    if info.file_size > MAX_CIF_BYTES:
        return _error(source, info.filename, too_large("", info.file_size, MAX_CIF_BYTES).reason)
    try:
        with archive.open(info) as member:
            return _text_item(source, info.filename, read_capped(member, MAX_CIF_BYTES, ""))
    except InputRefused as error:
        return _error(source, info.filename, error.reason)
    except MEMBER_ERRORS as error:
        return _error(source, info.filename, f"a damaged archive member ({_reason(error)})")


def _zip(path: Path, source: str) -> Iterator[StructureItem]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                yield _zip_member(archive, info, source)


def _tar_member(archive: tarfile.TarFile, member: tarfile.TarInfo, source: str) -> StructureItem:
    """One tar member: a regular file named ``*.cif`` read under the cap, else an error item
    naming what it is (links are never followed)."""
    if member.issym():
        return _error(source, member.name, f"a symbolic link (to {member.linkname}) in the "
                      "archive: not followed")  # fmt: skip
    if member.islnk():
        return _error(source, member.name, f"a hard link (to {member.linkname}) in the "
                      "archive: not followed")  # fmt: skip
    if not member.isfile():
        return _error(source, member.name, not_regular("", _tar_kind(member)).reason)
    if not member.name.lower().endswith(CIF_SUFFIX):
        return _not_a_cif(source, member.name)
    if member.size > MAX_CIF_BYTES:
        return _error(source, member.name, too_large("", member.size, MAX_CIF_BYTES).reason)
    try:
        data = read_capped(archive.extractfile(member), MAX_CIF_BYTES, "")
    except InputRefused as error:
        return _error(source, member.name, error.reason)
    except MEMBER_ERRORS as error:
        return _error(source, member.name, f"a damaged archive member ({_reason(error)})")
    return _text_item(source, member.name, data)


def _tar_kind(member: tarfile.TarInfo) -> str:
    """What a tar member that is neither a file, a folder nor a link is."""
    kinds = ((member.ischr, "a character device"), (member.isblk, "a block device"),
             (member.isfifo, "a FIFO (named pipe)"))  # fmt: skip
    return next((kind for test, kind in kinds if test()), "a special file")


def _tar(path: Path, source: str) -> Iterator[StructureItem]:
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if not member.isdir():
                yield _tar_member(archive, member, source)


def _capped_lines(handle, cap: int, source: str) -> Iterator[str]:
    """The lines of a text file, refused (:class:`InputRefused`) at the first one longer than
    ``cap`` characters, before it is held in memory whole."""
    while line := handle.readline(cap + 1):
        if len(line) > cap and not line.endswith("\n"):
            raise too_large(source, None, cap)
        yield line


def _csv(
    path: Path, source: str, cif_column: str, id_column: str | None
) -> Iterator[StructureItem]:
    """One item per data row; the name is the row's id (``id_column``, else the first of
    :data:`ID_COLUMN_GUESSES` the file has, else ``row<n>``, n counted from 1). A cell or
    line above ``MAX_CIF_BYTES`` characters ends the file with an error item naming its row:
    the rows after it cannot be told apart from its text."""
    csv.field_size_limit(MAX_CIF_BYTES)
    with read_regular_text(path, source) as handle:
        reader = csv.DictReader(_capped_lines(handle, MAX_CIF_BYTES, source))
        try:
            columns = reader.fieldnames or []
        except (csv.Error, InputRefused) as error:
            yield _error(source, None, f"CSV header: {_reason(error)}")
            return
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
        number = 0
        while True:
            number += 1
            try:
                row = next(reader, None)
            except (csv.Error, InputRefused) as error:
                yield _error(source, f"row{number}", f"CSV row {number}: {_reason(error)}; the "
                             "rows after it are not read")  # fmt: skip
                return
            if row is None:
                return
            yield _csv_row(source, row, number, cif_column, id_column)


def _csv_row(
    source: str, row: dict, number: int, cif_column: str, id_column: str | None
) -> StructureItem:
    identifier = row.get(id_column) if id_column else None
    name = identifier.strip() if identifier and identifier.strip() else f"row{number}"
    text = row.get(cif_column)
    if None in row or not text or not text.strip():
        what = "more fields than columns" if None in row else f"no CIF text in {cif_column!r}"
        return _error(source, name, f"CSV row {number}: {what}")
    return _text_item(source, name, text.encode())


def read_regular_text(path: Path, source: str):
    """A regular file opened as UTF-8 text (a byte-order mark dropped, undecodable bytes
    replaced), checked as :func:`~supercon3d.data.files.check_regular` does."""
    check_regular(path, source)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    handle = open(descriptor, newline="", encoding="utf-8-sig", errors="replace")  # noqa: SIM115
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        handle.close()
        raise not_regular(source, file_kind(mode))
    return handle


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
    """Every frame ``ase.io`` reads from the (regular) file, named by its index (from 0)."""
    import ase.io

    from supercon3d.data.contract import MAX_SITES

    try:
        check_regular(path, source)
    except InputRefused as error:
        yield _error(source, None, error.reason)
        return
    try:
        frames = ase.io.iread(path, index=":")
        for index, atoms in enumerate(frames):
            name = str(index)
            if not atoms.pbc.all() or atoms.cell.rank < 3:
                yield _error(source, name, "not a periodic crystal (ASE frame without a 3D cell)")
                continue
            if len(atoms) > MAX_SITES:
                yield _error(source, name, f"{len(atoms):,} atoms, above the limit of "
                             f"{MAX_SITES:,} [rule: {RULE_SIZE}]")  # fmt: skip
                continue
            content = atoms_content(atoms)
            yield StructureItem(
                _item_id(source, name), source, name, KIND_ATOMS, content, _atoms_hash(content)
            )
    except Exception as error:  # ASE raises many types; all mean "cannot read this file"
        yield _error(source, None, f"not readable by ase.io ({_reason(error)})")


def _reason(error: BaseException) -> str:
    if isinstance(error, InputRefused):
        return error.reason
    text = getattr(error, "strerror", None) or str(error)
    return text.splitlines()[0] if text else type(error).__name__


def _has_suffix(path: Path, suffixes: Iterable[str]) -> bool:
    return any(path.name.lower().endswith(suffix) for suffix in suffixes)


def is_cif_file(path: str | os.PathLike) -> bool:
    """Whether a file is read as a CIF: named ``*.cif``, or not named as an archive or a CSV
    and holding a ``data_`` line in its first :data:`CIF_SNIFF_BYTES` bytes (the others go
    to ``ase.io``). A file that cannot be read counts as a CIF (the CIF reader says why)."""
    path = Path(path)
    if _has_suffix(path, (CIF_SUFFIX,)):
        return True
    if _has_suffix(path, (*ZIP_SUFFIXES, *TAR_SUFFIXES, CSV_SUFFIX)):
        return False
    try:
        start = read_start(path, CIF_SNIFF_BYTES, str(path))
    except (InputRefused, OSError):
        return not path.is_dir()
    return any(line.lstrip().startswith(b"data_") for line in start.splitlines())


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
        if is_cif_file(path):
            yield _cif_file(path, name, None)
        elif _has_suffix(path, ZIP_SUFFIXES):
            yield from _zip(path, name)
        elif _has_suffix(path, TAR_SUFFIXES):
            yield from _tar(path, name)
        elif _has_suffix(path, (CSV_SUFFIX,)):
            yield from _csv(path, name, cif_column, id_column)
        else:
            yield from _ase(path, name)
    except InputRefused as error:
        yield _error(name, None, error.reason)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, csv.Error, EOFError) as error:
        yield _error(name, None, f"unreadable ({_reason(error)})")


def unique_ids(items: Iterable[StructureItem]) -> Iterator[StructureItem]:
    """``items`` with every id met again made unique: the second ``x`` becomes ``x#2`` (then
    ``x#3``, ...) with a warning saying so, so that each input keeps its own row."""
    seen: dict[str, int] = {}
    for item in items:
        count = seen.get(item.id, 0) + 1
        seen[item.id] = count
        if count == 1:
            yield item
            continue
        new_id = f"{item.id}{DUPLICATE_MARK}{count}"
        while new_id in seen:
            count += 1
            new_id = f"{item.id}{DUPLICATE_MARK}{count}"
        seen[new_id] = 1
        note = f"the id {item.id} was met before in the inputs: this one is {new_id}"
        error = None if item.error is None else new_id + item.error[len(item.id) :]
        yield replace(item, id=new_id, error=error, warnings=(*item.warnings, note))


def iter_sources(
    sources: Iterable[str | os.PathLike],
    cif_column: str = DEFAULT_CIF_COLUMN,
    id_column: str | None = None,
) -> Iterator[StructureItem]:
    """The items of every source, source after source, each id unique
    (:func:`unique_ids`)."""
    return unique_ids(
        item for source in sources for item in iter_source(source, cif_column, id_column)
    )


UNCOMPRESSED_TAR_SUFFIX = ".tar"
"""The one archive kind whose members are listed without decompressing it whole."""


def count_items(
    sources: Iterable[str | os.PathLike], cif_column: str = DEFAULT_CIF_COLUMN
) -> int | None:
    """How many items :func:`iter_sources` gives, where that is cheap to know, for a progress
    total: a folder's ``*.cif`` entries and a zip's or an uncompressed tar's members are
    counted by name, a CSV's rows are read (not parsed as CIFs), anything else that cannot
    be read is one item. None when a source must be decompressed or parsed to count (a
    compressed tar, a file for ``ase.io``)."""
    total = 0
    for source in sources:
        path = Path(source)
        if path.is_dir():
            total += max(1, sum(1 for _ in walk_cifs(path)))
            continue
        try:
            check_regular(path, str(source))
            if is_cif_file(path):
                total += 1
            elif _has_suffix(path, ZIP_SUFFIXES):
                with zipfile.ZipFile(path) as archive:
                    total += max(1, sum(not info.is_dir() for info in archive.infolist()))
            elif _has_suffix(path, (UNCOMPRESSED_TAR_SUFFIX,)):
                with tarfile.open(path, "r:") as archive:
                    total += max(1, sum(not member.isdir() for member in archive))
            elif _has_suffix(path, (CSV_SUFFIX,)):
                total += max(1, sum(1 for _ in _csv(path, str(source), cif_column, None)))
            else:
                return None
        except (InputRefused, OSError, zipfile.BadZipFile, tarfile.TarError):
            total += 1
    return total

"""Reading CIF files into pymatgen structures under the input contract.

Every reader returns a :class:`CifRecord` that keeps, next to the structure, every warning:
pymatgen's and the contract's (:mod:`supercon3d.data.contract`): what was changed on reading
(rescaled, dropped, P1 assumed, a data block skipped) or is doubtful. An occupancy sum above 1
at one position is rescaled by pymatgen and recorded in ``overfull_occupancies``. A file that
cannot be read, or breaks the contract, raises :class:`CifReadError` (:class:`InputRefused` for
the contract) whose message is one line naming the file; ``strict=True`` refuses a file with a
warning too. The first data block that is accepted is used.
"""

from __future__ import annotations

import errno
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from pymatgen.core import Structure
from pymatgen.io.cif import CifParser

from supercon3d.data.contract import (
    NO_SYMMETRY_NOTE,
    CifReadError,
    NoAtomSites,
    check_block_names,
    check_cif_block,
    check_parsed_structure,
    refuse_warnings,
)
from supercon3d.data.files import read_regular_file
from supercon3d.data.sources import NO_CIFS, walk_cifs
from supercon3d.defaults import MAX_CIF_BYTES
from supercon3d.executor import make_executor

_OVERFULL = re.compile(r"Some occupancies \(\[([^\]]*)\]\) sum to > 1")
_AGGREGATE_PREFIX = "Issues encountered while parsing CIF"
_BLOCK_START = re.compile(r"^\s*data_", re.MULTILINE)
_POWDER_PATTERN = "powder_pattern"
"""A data block pymatgen skips (diffraction data, no structure)."""
_TRUNCATED_LOOP = ("is not a multiple of", "zip()", "modulo by zero", "division by zero")
"""pymatgen's errors for a loop_ whose values do not fill its columns."""

Parsed = TypeVar("Parsed")


@dataclass
class CifRecord:
    """A parsed CIF: the structure plus everything the parser and the contract reported."""

    source: str
    structure: Structure
    warnings: list[str] = field(default_factory=list)
    overfull_occupancies: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The file name without folders (the entry id for SuperCon3D)."""
        return Path(self.source).name

    @property
    def assumed_p1(self) -> bool:
        """True when the CIF had no symmetry operations and was read as P1."""
        return any(NO_SYMMETRY_NOTE in message for message in self.warnings)


def _pymatgen(step: Callable[[], Parsed], source: str) -> Parsed:
    """``step()``, any error of pymatgen's turned into a one-line :class:`CifReadError`."""
    try:
        return step()
    except Exception as error:  # pymatgen raises many types; all mean "unreadable"
        cause = error.__cause__ or error
        text = str(cause).strip("'\"") or type(cause).__name__
        if isinstance(cause, KeyError):
            text = f"missing CIF item {text!r}"
        if any(words in text for words in _TRUNCATED_LOOP):
            text = "a loop_ whose values do not fill its columns (truncated?)"
        raise CifReadError(source, text.splitlines()[0]) from None


def _read_block(text: str, source: str) -> CifRecord:
    """One data block read by pymatgen under the contract."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parser = _pymatgen(lambda: CifParser.from_str(text, occupancy_tolerance=math.inf), source)
        block = next(iter(parser.as_dict().values()), {})
        rows, notes = check_cif_block(block, source)
        structure = _pymatgen(
            lambda: parser.parse_structures(primitive=False, on_error="raise")[0], source
        )
    others = [str(w.message) for w in caught if not str(w.message).startswith(_AGGREGATE_PREFIX)]
    messages = list(dict.fromkeys(" ".join(m.split()) for m in [*parser.warnings, *others]))
    overfull = [
        float(value)
        for message in messages
        for match in _OVERFULL.finditer(message)
        for value in match.group(1).split(",")
        if value.strip()
    ]
    kept = [message for message in messages if not _OVERFULL.search(message)]
    notes += check_parsed_structure(structure, block, rows, kept, overfull, source)
    return CifRecord(source, structure, kept + notes, overfull)


def _data_blocks(text: str) -> list[tuple[str, str]]:
    """(name, text) of each data block, split as pymatgen splits them."""
    blocks = []
    for body in _BLOCK_START.split(f"x\n{text}")[1:]:
        header = body.split("\n", 1)[0]
        if _POWDER_PATTERN not in header:
            blocks.append((header.strip(), f"data_{body}"))
    return blocks


def read_cif_text(text: str, source: str, strict: bool = False) -> CifRecord:
    """Read a CIF given as text; ``source`` names it in errors. The first data block that
    the contract accepts is used; earlier ones that failed, and later ones, are warnings."""
    blocks = _data_blocks(text)
    check_block_names([name for name, _ in blocks], source)
    failed: list[tuple[str, CifReadError]] = []
    for index, (name, block) in enumerate(blocks):
        try:
            record = _read_block(block, source)
        except CifReadError as error:
            failed.append((name, error))
            continue
        skipped = [
            f"data block {n!r} holds no atom sites" if isinstance(error, NoAtomSites)
            else f"data block {n!r} skipped: {error.reason}"
            for n, error in failed
        ]  # fmt: skip
        if index + 1 < len(blocks):
            skipped.append(f"{len(blocks)} data blocks; {name!r} was read, the later ones not")
        record.warnings = skipped + record.warnings
        if strict:
            refuse_warnings(source, record.warnings)
        return record
    structural = [error for _, error in failed if not isinstance(error, NoAtomSites)]
    raise (structural or [failed[0][1]])[0]


def _os_reason(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "a symbolic link loop"
    if error.errno == errno.ENOENT and path.is_symlink():
        return f"a broken symbolic link (to {os.readlink(path)})"
    if error.errno == errno.ENOENT:
        return "no such file"
    return error.strerror or type(error).__name__


def _read_text(path: Path) -> str:
    """The text of a CIF file: a regular file (:mod:`supercon3d.data.files`), no larger than
    ``MAX_CIF_BYTES``, not binary."""
    source = str(path)
    try:
        if path.is_dir():
            reason = "a folder, not a CIF" if _cif_entries(path) else NO_CIFS
            raise CifReadError(source, reason)
        data = read_regular_file(path, MAX_CIF_BYTES, source)
    except OSError as error:
        raise CifReadError(source, _os_reason(path, error)) from None
    return cif_bytes_text(data, source)


def cif_bytes_text(data: bytes, source: str) -> str:
    """The text of a CIF's bytes (UTF-8, a byte-order mark dropped, undecodable bytes
    replaced); :class:`CifReadError` for binary data."""
    if b"\0" in data:
        raise CifReadError(source, "a binary file, not a CIF")
    return data.decode("utf-8-sig", errors="replace")


def read_cif(path: str | os.PathLike, strict: bool = False) -> CifRecord:
    """Read one CIF file under the input contract (``strict``: refuse one with warnings).
    Raises :class:`CifReadError` naming the file."""
    path = Path(path)
    return read_cif_text(_read_text(path), str(path), strict)


@dataclass
class FolderReadResult:
    """What reading many CIFs gave: the records in input order, and the failures."""

    records: list[CifRecord]
    failures: list[CifReadError]

    def summary(self) -> str:
        """One line: how many were read and how many failed."""
        return f"{len(self.records)} CIFs read, {len(self.failures)} failed"


def _read_or_error(path: str, strict: bool = False) -> CifRecord | CifReadError:
    try:
        return read_cif(path, strict)
    except CifReadError as error:
        return error


def _cif_entries(folder: Path) -> list[Path]:
    """The ``*.cif`` entries of a folder that are not folders (broken links and loops
    included, so that reading them reports them), sorted by name."""
    try:
        entries = list(folder.iterdir())
    except OSError as error:
        raise CifReadError(str(folder), _os_reason(folder, error)) from None
    return sorted(p for p in entries if p.suffix.lower() == ".cif" and not p.is_dir())


def cif_files(folder: str | os.PathLike) -> list[Path]:
    """The ``*.cif`` files at the top of a folder (a dataset's flat folder), sorted by name;
    an error naming the folder if none. Inputs are read at any depth: :func:`cif_input_paths`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CifReadError(str(folder), "not a folder")
    files = _cif_entries(folder)
    if not files:
        raise CifReadError(str(folder), NO_CIFS)
    return files


def cif_input_paths(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, str | None]]:
    """Each path with None, a folder replaced by every ``*.cif`` under it, at any depth
    (:func:`supercon3d.data.sources.walk_cifs`: sorted, linked folders followed). A folder
    that cannot be listed, a linked folder that leads back to one above it (a loop) and a
    folder without any ``*.cif`` come with the reason, so that each is an error row, never
    skipped. Any other path stays as given (reading it says what is wrong)."""
    expanded: list[tuple[Path, str | None]] = []
    for path in map(Path, paths):
        if not path.is_dir():
            expanded.append((path, None))
            continue
        expanded += list(walk_cifs(path)) or [(path, NO_CIFS)]
    return expanded


def expand_cif_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The paths of :func:`cif_input_paths`, reasons left out: what the inputs stand for, to
    count them or to check an output path against them. Read with the reasons: a folder
    that cannot be read stays as itself here."""
    return [path for path, _ in cif_input_paths(paths)]


def read_cifs(
    paths: Iterable[str | os.PathLike],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    strict: bool = False,
) -> FolderReadResult:
    """Read many CIFs, files and folders (every ``*.cif`` under a folder, at any depth:
    :func:`cif_input_paths`), in parallel over ``workers`` processes (default: all cores; see
    :func:`supercon3d.executor.make_executor`).

    A file that fails, and a folder that cannot be read or loops, is counted in ``failures``
    and the rest still complete. ``progress`` is called with the number of entries finished
    since its last call.
    """
    entries = cif_input_paths(paths)
    readable = [str(path) for path, reason in entries if reason is None]
    records: list[CifRecord] = []
    failures: list[CifReadError] = []
    with make_executor(workers, len(readable)) as executor:
        outcomes = executor.map(partial(_read_or_error, strict=strict), readable)
        for path, reason in entries:
            outcome = next(outcomes) if reason is None else CifReadError(str(path), reason)
            (failures if isinstance(outcome, CifReadError) else records).append(outcome)
            if progress is not None:
                progress(1)
    return FolderReadResult(records, failures)


def read_cif_folder(
    folder: str | os.PathLike,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FolderReadResult:
    """Read every ``*.cif`` under a folder, at any depth (see :func:`read_cifs`); a path that
    is not a folder, or a folder without any, is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CifReadError(str(folder), "not a folder")
    if next(walk_cifs(folder), None) is None:
        raise CifReadError(str(folder), NO_CIFS)
    return read_cifs([folder], workers, progress)


def write_cif(structure: Structure, path: str | os.PathLike) -> None:
    """Write ``structure`` as a CIF (P1, occupancies kept) with unique site labels, as the
    CIF specification asks: each species line of each site is labelled by its element and a
    running number (``Pb0``, ``Pb1``, ``Bi2``), whatever labels the structure carried (a
    substitution repeats them)."""
    from pymatgen.io.cif import CifWriter

    labelled = structure.copy()
    for site in labelled:
        site.label = site.species_string  # pymatgen then numbers every line itself
    CifWriter(labelled).write_file(path)

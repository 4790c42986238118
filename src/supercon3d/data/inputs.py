"""Mixed structure inputs: files, folders and pymatgen Structures, named and read under the
one input contract.

Light to import (pymatgen loads on first use). A command or library call takes any mix of
these; a folder stands for every ``*.cif`` under it (sorted, at any depth; an unreadable
folder or a loop of linked folders is a record with its error), a file for its structures
(a CIF through :func:`supercon3d.data.cif.read_cif`; an archive, a CSV of CIF text or a file
``ase.io`` reads, such as a POSCAR or an extxyz, through :mod:`supercon3d.data.sources`), a
Structure is named by the caller or by its position. Every structure, whatever its door,
meets :func:`supercon3d.data.contract.check_structure`. An input that cannot be read becomes
a record with a one-line error naming it, and the others are still read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from pymatgen.core import Structure

    from supercon3d.data.sources import StructureItem

StructureInput = Union[str, os.PathLike, "Structure"]
"""A structure file (CIF, archive, CSV of CIF text, a format ``ase.io`` reads), a folder of
CIFs, or a pymatgen Structure."""
STRUCTURE_NAME = "structure[{}]"
"""How an unnamed Structure is named in the records: its position among the inputs."""


@dataclass(frozen=True)
class ReadStructure:
    """One structure of the inputs: its ``name`` (the file, or the Structure's name) and the
    ``structure``, or None and the one-line ``error`` of a CIF that could not be read; the
    CIF reader's ``warnings`` (rescaled occupancies...; none for a Structure)."""

    name: str
    structure: Structure | None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def is_structure(item: object) -> bool:
    """Whether ``item`` is a pymatgen Structure (pymatgen is imported only here)."""
    from pymatgen.core import Structure

    return isinstance(item, Structure)


def named_inputs(
    inputs: StructureInput | Iterable[StructureInput], names: Sequence[str] | None = None
) -> tuple[list[StructureInput], dict[int, str]]:
    """``inputs`` as a list, and the name of each Structure by its position: ``names[i]`` for
    the i-th Structure if given (ValueError unless one per Structure), else ``structure[i]``
    (i: its position in ``inputs``)."""
    single = isinstance(inputs, (str, os.PathLike)) or is_structure(inputs)
    items = [inputs] if single else list(inputs)
    at = [i for i, item in enumerate(items) if is_structure(item)]
    if names is not None and len(names) != len(at):
        raise ValueError(f"{len(names)} names for {len(at)} structures")
    return items, dict(zip(at, names if names is not None else map(STRUCTURE_NAME.format, at)))


def input_stem(name: str) -> str:
    """A record's name for labels: a file's stem, an unnamed Structure's ``structure[i]``."""
    return name if name.startswith(STRUCTURE_NAME.split("{")[0]) else Path(name).stem


def checked_structure(structure: Structure, name: str, strict: bool = False) -> ReadStructure:
    """A Structure (given to the API, or built from an ASE frame) under the contract's
    structure rules (:func:`~supercon3d.data.contract.check_structure`): its record with the
    warnings, or with the one-line error; ``strict`` refuses one with a warning."""
    from supercon3d.data.contract import CifReadError, check_structure, refuse_warnings

    try:
        warnings = check_structure(structure, name)
        if strict:
            refuse_warnings(name, warnings)
    except CifReadError as error:
        return ReadStructure(name, None, str(error))
    return ReadStructure(name, structure, warnings=warnings)


def read_item(item: StructureItem) -> tuple[Structure, list[str], list[float]]:
    """(structure, warnings, overfull occupancies) of an item of
    :mod:`supercon3d.data.sources` under the contract: CIF text through the CIF reader, an
    ASE frame's arrays through :func:`~supercon3d.data.contract.check_atoms_arrays` and
    :func:`~supercon3d.data.contract.check_structure`. The item's own warnings come first.
    Raises :class:`~supercon3d.data.contract.CifReadError` naming the item."""
    from supercon3d.data.cif import read_cif_text
    from supercon3d.data.contract import CifReadError, check_structure
    from supercon3d.data.sources import KIND_ATOMS, KIND_ERROR

    if item.kind == KIND_ERROR:
        raise CifReadError(item.id, (item.error or "unreadable").removeprefix(f"{item.id}: "))
    if item.kind == KIND_ATOMS:
        structure = _atoms_structure(item)
        return structure, [*item.warnings, *check_structure(structure, item.id)], []
    record = read_cif_text(item.content, item.id)
    return record.structure, [*item.warnings, *record.warnings], record.overfull_occupancies


def _atoms_structure(item: StructureItem) -> Structure:
    """A pymatgen Structure from an ASE item's arrays, checked before it is built."""
    from pymatgen.core import Lattice, Structure

    from supercon3d.data.contract import CifReadError, check_atoms_arrays

    content = item.content
    check_atoms_arrays(content["numbers"], content["positions"], content["cell"], item.id)
    try:
        return Structure(
            Lattice(content["cell"]), content["numbers"], content["positions"],
            coords_are_cartesian=True,
        )  # fmt: skip
    except Exception as error:  # pymatgen raises several types for a bad cell or element
        raise CifReadError(item.id, f"not a valid structure ({error})") from None


def read_cif_files(
    paths: Iterable[str | os.PathLike], strict: bool = False
) -> Iterator[ReadStructure]:
    """One record per structure of each file and folder, in order. A folder stands for every
    ``*.cif`` under it, at any depth (:func:`supercon3d.data.cif.cif_input_paths`); one that
    cannot be read, a loop of linked folders and a folder without CIFs are each a record with
    the error naming them. A CIF (see :func:`~supercon3d.data.sources.is_cif_file`) is one
    record named by its path; another file gives one per item of
    :func:`~supercon3d.data.sources.iter_source`, named by the item's id. Each holds its
    structure and the reader's warnings, or the error that stopped it from being read
    (unreadable, not a structure, missing, refused by the contract); ``strict`` refuses a
    structure with warnings too."""
    from supercon3d.data.cif import read_cif
    from supercon3d.data.contract import CifReadError

    for entry in read_except_cifs(paths, strict):
        if isinstance(entry, ReadStructure):
            yield entry
            continue
        try:
            record = read_cif(entry, strict)
        except (CifReadError, OSError) as error:
            yield ReadStructure(str(entry), None, str(error))
        else:
            yield ReadStructure(str(entry), record.structure, warnings=list(record.warnings))


def read_except_cifs(
    paths: Iterable[str | os.PathLike], strict: bool = False
) -> Iterator[Path | ReadStructure]:
    """The records of :func:`read_cif_files`, in order, except that a CIF file comes back as
    its path, unread: for a caller that reads CIFs in worker processes."""
    from supercon3d.data.cif import cif_input_paths
    from supercon3d.data.contract import CifReadError, refuse_warnings
    from supercon3d.data.sources import is_cif_file, iter_source

    for path, problem in cif_input_paths(paths):
        if problem is not None:
            yield ReadStructure(str(path), None, str(CifReadError(str(path), problem)))
            continue
        if is_cif_file(path):
            yield path
            continue
        for item in iter_source(path):
            try:
                structure, warnings, _ = read_item(item)
                if strict:
                    refuse_warnings(item.id, warnings)
            except CifReadError as error:
                yield ReadStructure(item.id, None, str(error), list(item.warnings))
            else:
                yield ReadStructure(item.id, structure, warnings=warnings)


def read_structures(
    inputs: StructureInput | Iterable[StructureInput],
    names: Sequence[str] | None = None,
    strict: bool = False,
) -> list[ReadStructure]:
    """One record per structure of ``inputs``, in order: a file or folder as in
    :func:`read_cif_files` (a folder: every ``*.cif`` under it, at any depth), a Structure
    named as in :func:`named_inputs` and checked (:func:`checked_structure`)."""
    items, name_of = named_inputs(inputs, names)
    read: list[ReadStructure] = []
    for i, item in enumerate(items):
        if i in name_of:
            read.append(checked_structure(item, name_of[i], strict))
        else:
            read += read_cif_files([item], strict)
    return read

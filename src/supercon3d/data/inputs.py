"""Mixed structure inputs: CIF files, folders of CIFs and pymatgen Structures, named and read.

Light to import (pymatgen loads on first use). A command or library call takes any mix of
these; a folder stands for its ``*.cif`` files
(sorted), a Structure is named by the caller or by its position. An unreadable CIF becomes a
record with a one-line error naming the file, and the others are still read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from pymatgen.core import Structure

StructureInput = Union[str, os.PathLike, "Structure"]
"""A CIF file, a folder of CIFs, or a pymatgen Structure."""
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


def read_cif_files(paths: Iterable[str | os.PathLike]) -> Iterator[ReadStructure]:
    """One record per CIF file, in order, named by its path: its structure and the reader's
    warnings, or the error that stopped it from being read (unreadable, not a CIF, missing)."""
    from supercon3d.data.cif import CifReadError, read_cif

    for path in paths:
        try:
            record = read_cif(path)
        except (CifReadError, OSError) as error:
            yield ReadStructure(str(path), None, str(error))
        else:
            yield ReadStructure(str(path), record.structure, warnings=list(record.warnings))


def read_structures(
    inputs: StructureInput | Iterable[StructureInput], names: Sequence[str] | None = None
) -> list[ReadStructure]:
    """One record per structure of ``inputs``, in order: a folder gives one per ``*.cif``
    file, a Structure is named as in :func:`named_inputs`."""
    from supercon3d.data.cif import expand_cif_paths

    items, name_of = named_inputs(inputs, names)
    read: list[ReadStructure] = []
    for i, item in enumerate(items):
        if i in name_of:
            read.append(ReadStructure(name_of[i], item))
        else:
            read += read_cif_files(expand_cif_paths([item]))
    return read

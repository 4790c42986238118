"""Reading CIF files into pymatgen structures without losing what the parser said.

Every reader returns a :class:`CifRecord` that keeps the parser's warnings next to the
structure. Nothing is dropped silently: an occupancy sum above 1 at one position is rescaled
by pymatgen but recorded in ``overfull_occupancies``; a CIF without symmetry operations is read
as P1 and says so in ``warnings``. A file that cannot be read raises :class:`CifReadError`
whose message is one line naming the file.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pymatgen.core import Structure
from pymatgen.io.cif import CifParser

_OVERFULL = re.compile(r"Some occupancies \(\[([^\]]*)\]\) sum to > 1")
_AGGREGATE_PREFIX = "Issues encountered while parsing CIF"
_NO_SYMMETRY = "Defaulting to P1"


class CifReadError(ValueError):
    """A CIF could not be read; the message is one line that starts with the file name."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{source}: {self.reason}")


@dataclass
class CifRecord:
    """A parsed CIF: the structure plus everything the parser reported about it."""

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
        return any(_NO_SYMMETRY in message for message in self.warnings)


def _parse(parser_factory: Callable[[], CifParser], source: str) -> CifRecord:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parser = parser_factory()
            structures = parser.parse_structures(primitive=False, on_error="raise")
        except Exception as error:  # pymatgen raises many types; all mean "unreadable"
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CifReadError(source, reason) from None
    others = [str(w.message) for w in caught if not str(w.message).startswith(_AGGREGATE_PREFIX)]
    kept = list(dict.fromkeys([*parser.warnings, *others]))
    if len(structures) > 1:
        kept.append(f"{len(structures)} data blocks; the first one was used")
    overfull = [
        float(value)
        for message in kept
        for match in _OVERFULL.finditer(message)
        for value in match.group(1).split(",")
        if value.strip()
    ]
    if len(structures[0]) == 0:
        raise CifReadError(source, "no atom sites")
    return CifRecord(source, structures[0], kept, overfull)


def read_cif(path: str | os.PathLike, occupancy_tolerance: float = math.inf) -> CifRecord:
    """Read one CIF file.

    ``occupancy_tolerance``: largest occupancy sum at one position that is accepted (and
    rescaled to 1, keeping a warning); the default accepts any, so an over-full (interstitial)
    position never aborts a run. Raises :class:`CifReadError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CifReadError(str(path), "no such file")
    return _parse(lambda: CifParser(path, occupancy_tolerance=occupancy_tolerance), str(path))


def read_cif_text(text: str, source: str, occupancy_tolerance: float = math.inf) -> CifRecord:
    """Read a CIF given as text; ``source`` names it in errors."""
    return _parse(lambda: CifParser.from_str(text, occupancy_tolerance=occupancy_tolerance), source)


@dataclass
class FolderReadResult:
    """What reading many CIFs gave: the records in input order, and the failures."""

    records: list[CifRecord]
    failures: list[CifReadError]

    def summary(self) -> str:
        """One line: how many were read and how many failed."""
        return f"{len(self.records)} CIFs read, {len(self.failures)} failed"


def _read_or_error(path: str) -> CifRecord | CifReadError:
    try:
        return read_cif(path)
    except CifReadError as error:
        return error


def cif_files(folder: str | os.PathLike) -> list[Path]:
    """The ``*.cif`` files of a folder, sorted by name; an error naming the folder if none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CifReadError(str(folder), "not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".cif" and p.is_file())
    if not files:
        raise CifReadError(str(folder), "no .cif files in this folder")
    return files


def expand_cif_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given, folders replaced by their ``*.cif`` files (see :func:`cif_files`)."""
    return [f for p in map(Path, paths) for f in (cif_files(p) if p.is_dir() else [p])]


def read_cifs(
    paths: Iterable[str | os.PathLike],
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FolderReadResult:
    """Read many CIFs, in parallel over ``workers`` processes (default: all cores).

    A file that fails is counted in ``failures`` and the rest still complete.
    ``progress`` is called with the number of files finished since its last call.
    """
    paths = [str(p) for p in paths]
    workers = workers or os.cpu_count() or 1
    records: list[CifRecord] = []
    failures: list[CifReadError] = []

    def collect(outcome: CifRecord | CifReadError) -> None:
        (failures if isinstance(outcome, CifReadError) else records).append(outcome)
        if progress is not None:
            progress(1)

    if workers == 1 or len(paths) < 32:
        for path in paths:
            collect(_read_or_error(path))
    else:
        with ProcessPoolExecutor(workers) as pool:
            for outcome in pool.map(_read_or_error, paths, chunksize=16):
                collect(outcome)
    return FolderReadResult(records, failures)


def read_cif_folder(
    folder: str | os.PathLike,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FolderReadResult:
    """Read every ``*.cif`` of a folder (see :func:`read_cifs`); an empty folder is an error."""
    return read_cifs(cif_files(folder), workers, progress)

"""Energy above the convex hull against a reference table computed with the same potential.

The table (``resources/stability/<potential>_reference.csv.gz``, written by
``scripts/stability_reference.py``) holds one row per reduced formula: the lowest energy
(eV/atom) found for it and the id of the structure it came from (see that script for how the
energies were obtained).

Each shipped table has a sidecar JSON (``<potential>_reference.json``,
``<potential>_binaries.json``) recording the potential it was computed with: package,
package version, pretrained model, date and command. Energies of another version of the
potential are not comparable (a shifted reference moves every e_above_hull), so loading a
table whose record differs from the installed potential raises
:class:`PotentialVersionError`, one line.

Beside it, two tables of relaxed binary prototypes (same columns) cover the pairs of elements
that meet in no compound of the reference table (:mod:`supercon3d.stability.completion`):
``resources/stability/<potential>_binaries.csv.gz`` ships them for every such pair among the
table's elements (written by ``scripts/stability_binaries.py``), and a cache table
(``<cache>/stability/<potential>_binaries.csv.gz``) holds those computed on demand where none
ship (another potential, a table built anew). The hull uses all three, the lowest energy per
formula.

Coverage: a candidate's hull is **complete** when every element of its chemical system has
an elemental reference and every pair of its elements meets in at least one compound of the
table inside the system (for Ba–Cu–O: a Ba–Cu, a Ba–O and a Cu–O compound, or ternaries
holding those pairs; a pair met only by prototype binaries counts: they bound the pair's
hull from above, so an e_above_hull against them may be low by what the pair's true ground
state lies below the best prototype). Otherwise ``hull_incomplete``: its e_above_hull is
still computed against what the table holds (elements only, at worst), but it must not be
read as "stable". A candidate more than :data:`MAX_BELOW_HULL` below a complete hull is
marked incomplete too: a real compound that far below every known phase of its system is far
rarer than a reference table that lacks the system's stable phases (a candidate of the
default discover run once sat 1.36 eV/atom below a hull built from one binary).
"""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import os
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path

from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

from supercon3d.errors import SuperCon3DError
from supercon3d.stability.potentials import potential_version

REFERENCE_COLUMNS = ("formula", "energy_per_atom", "source")
REFERENCE_FILE = "{}_reference.csv.gz"
BINARIES_FILE = "{}_binaries.csv.gz"
TABLE_SUFFIX = ".csv.gz"
METADATA_SUFFIX = ".json"
VERSION_KEYS = ("potential", "package", "package_version", "model")
"""The fields of a table's record that must equal the installed potential's."""
MAX_BELOW_HULL = 0.5
"""eV/atom: how far below the reference hull a candidate may lie before the hull is judged
to lack its system's competing phases. How far below the current table real compounds lie
when judged as novel ones (each against the table without its own formula) is printed by
``benchmarks/stability_sanity.py`` and quoted in docs/results.md."""


class HullUnavailableError(SuperCon3DError, FileNotFoundError):
    """No reference table ships for a potential; one line."""


class PotentialVersionError(HullUnavailableError):
    """A shipped table was computed with another version of its potential than the installed
    one, or records none; one line."""


@dataclass(frozen=True)
class HullPosition:
    """A composition's energy above the hull (eV/atom; negative: below every reference
    combination) and whether the hull of its chemical system is incomplete."""

    e_above_hull: float
    hull_incomplete: bool


def reference_path(potential: str) -> Path:
    """Where the shipped reference table of ``potential`` lives (it may not exist)."""
    folder = resources.files("supercon3d.resources") / "stability"
    return Path(str(folder / REFERENCE_FILE.format(potential)))


def shipped_binaries_path(potential: str) -> Path:
    """Where the shipped prototype binaries of ``potential`` live (they may not exist)."""
    folder = resources.files("supercon3d.resources") / "stability"
    return Path(str(folder / BINARIES_FILE.format(potential)))


def binaries_path(potential: str) -> Path:
    """Where the cached prototype binaries of ``potential`` live (they may not exist)."""
    from supercon3d.settings import cache_dir

    return cache_dir() / "stability" / BINARIES_FILE.format(potential)


def write_reference_table(path: Path, rows: list[tuple[str, float, str]]) -> None:
    """Write (formula, energy_per_atom in eV/atom, source id) rows, gzipped CSV, through a
    temporary file renamed over ``path`` (a reader never sees half a table)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with gzip.open(temporary, "wt", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(REFERENCE_COLUMNS)
        for formula, energy, source in sorted(rows):
            writer.writerow([formula, f"{energy:.5f}", source])
    os.replace(temporary, path)


def metadata_path(table: Path) -> Path:
    """The sidecar JSON of a table file (``<name>.json`` beside ``<name>.csv.gz``)."""
    return table.with_name(table.name.removesuffix(TABLE_SUFFIX) + METADATA_SUFFIX)


def write_table_metadata(table: Path, potential: str, command: str) -> None:
    """Record beside ``table`` the installed version of ``potential`` that computed it
    (:func:`~supercon3d.stability.potentials.potential_version`), the UTC date and the
    ``command`` that wrote it."""
    record = {
        **potential_version(potential),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
    }
    path = metadata_path(table)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(temporary, path)


def _described(record: dict) -> str:
    return f"{record.get('package')} {record.get('package_version')} (model {record.get('model')})"


def check_potential_version(table: Path, potential: str) -> None:
    """Raise :class:`PotentialVersionError` unless the record beside ``table`` names the
    installed version of ``potential`` (package, package version, model)."""
    installed = potential_version(potential)
    path = metadata_path(table)
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise PotentialVersionError(
            f"{table.name}: no readable record of the potential it was computed with "
            f"({path.name}: {type(error).__name__}); rebuild it with scripts/"
            "stability_reference.py"
        ) from None
    if any(recorded.get(key) != installed[key] for key in VERSION_KEYS):
        raise PotentialVersionError(
            f"{table.name} was computed with {_described(recorded)} but {_described(installed)}"
            f" is installed; install {recorded.get('package')}=="
            f"{recorded.get('package_version')} or rebuild the tables with scripts/"
            "stability_reference.py and scripts/stability_binaries.py"
        )


def read_reference_table(path: Path) -> dict[str, tuple[float, str]]:
    """Reduced formula -> (energy per atom in eV/atom, source id) of a table file."""
    with gzip.open(path, "rt", newline="") as file:
        rows = list(csv.DictReader(file))
    return {r["formula"]: (float(r["energy_per_atom"]), r["source"]) for r in rows}


def lowest_entries(*tables: dict[str, tuple[float, str]]) -> dict[str, tuple[float, str]]:
    """The tables merged, keeping the lowest energy of each formula."""
    merged: dict[str, tuple[float, str]] = {}
    for table in tables:
        for formula, (energy, source) in table.items():
            if formula not in merged or energy < merged[formula][0]:
                merged[formula] = (energy, source)
    return merged


def readable_table(path: Path) -> dict[str, tuple[float, str]]:
    """The table at ``path``; empty when there is none, and when it cannot be read (with a
    one-line warning: the next completion rewrites it)."""
    if not path.is_file():
        return {}
    try:
        return read_reference_table(path)
    except (OSError, EOFError, KeyError, ValueError, csv.Error) as error:
        warnings.warn(f"{path}: unreadable ({error}); ignored", stacklevel=2)
        return {}


def cached_binaries(potential: str) -> dict[str, tuple[float, str]]:
    """The cached prototype binaries of ``potential`` (empty when none were computed)."""
    return readable_table(binaries_path(potential))


@cache
def shipped_binaries(potential: str) -> dict[str, tuple[float, str]]:
    """The shipped prototype binaries of ``potential`` (empty when none ship), read once per
    process; :class:`PotentialVersionError` when they were computed with another version of
    the potential."""
    path = shipped_binaries_path(potential)
    if path.is_file():
        check_potential_version(path, potential)
    return readable_table(path)


def prototype_binaries(potential: str) -> dict[str, tuple[float, str]]:
    """The shipped and the cached prototype binaries of ``potential``, the lowest energy per
    formula (the cache read anew on each call: a completion may have added some)."""
    return lowest_entries(shipped_binaries(potential), cached_binaries(potential))


def chemical_system(composition: Composition) -> frozenset[str]:
    """The element symbols of ``composition`` (oxidation states and occupancies ignored)."""
    return frozenset(str(element) for element in composition.element_composition.elements)


class ReferenceHull:
    """The reference entries of one potential, with a phase diagram per chemical system."""

    def __init__(self, entries: dict[str, tuple[float, str]]):
        """``entries``: reduced formula -> (energy per atom in eV/atom, source id)."""
        self.entries = entries
        self._by_system: dict[frozenset[str], list[PDEntry]] = {}
        self._diagrams: dict[frozenset[str], PhaseDiagram] = {}
        for formula, (energy, source) in entries.items():
            composition = Composition(formula)
            system = chemical_system(composition)
            entry = PDEntry(composition, energy * composition.num_atoms, name=source)
            self._by_system.setdefault(system, []).append(entry)

    @classmethod
    def from_file(cls, path: Path) -> ReferenceHull:
        return cls(read_reference_table(path))

    def _entries(self, system: frozenset[str]) -> list[PDEntry]:
        """Every reference entry whose elements are a subset of ``system``."""
        found = []
        for size in range(1, len(system) + 1):
            for subset in itertools.combinations(sorted(system), size):
                found += self._by_system.get(frozenset(subset), [])
        return found

    def has_element(self, symbol: str) -> bool:
        """Whether ``symbol`` has an elemental reference."""
        return frozenset([symbol]) in self._by_system

    def missing_pairs(self, system: frozenset[str]) -> list[tuple[str, str]]:
        """The pairs of elements of ``system`` (alphabetical) that meet in no compound
        reference."""
        compounds = [key for key in self._by_system if len(key) > 1 and key <= system]
        return [
            pair for pair in itertools.combinations(sorted(system), 2)
            if not any(set(pair) <= key for key in compounds)
        ]  # fmt: skip

    def is_complete(self, system: frozenset[str]) -> bool:
        """Every element has a reference, and every pair of elements meets in a compound
        reference within ``system`` (see the module docstring)."""
        return all(self.has_element(e) for e in system) and not self.missing_pairs(system)

    def _diagram(self, system: frozenset[str]) -> PhaseDiagram:
        """The phase diagram of ``system``, built once per hull."""
        if system not in self._diagrams:
            self._diagrams[system] = PhaseDiagram(self._entries(system), elements=None)
        return self._diagrams[system]

    def position(self, composition: Composition, energy_per_atom: float) -> HullPosition:
        """Energy above the hull (eV/atom) of ``composition`` at ``energy_per_atom``; a system
        with an element missing from the table raises :class:`HullUnavailableError`."""
        composition = composition.element_composition
        system = chemical_system(composition)
        missing = sorted(e for e in system if not self.has_element(e))
        if missing:
            raise HullUnavailableError(f"no elemental reference for {', '.join(missing)}")
        diagram = self._diagram(system)
        entry = PDEntry(composition, energy_per_atom * composition.num_atoms)
        _, e_above = diagram.get_decomp_and_e_above_hull(entry, allow_negative=True)
        incomplete = not self.is_complete(system) or bool(e_above < -MAX_BELOW_HULL)
        return HullPosition(float(e_above), incomplete)


@cache
def shipped_entries(potential: str) -> dict[str, tuple[float, str]]:
    """The shipped reference table of ``potential``, read once per process;
    :class:`PotentialVersionError` when it was computed with another version of the
    potential."""
    path = reference_path(potential)
    if not path.is_file():
        raise HullUnavailableError(
            f"no reference hull ships for the {potential} potential ({path.name}); "
            "scripts/stability_reference.py builds one"
        )
    check_potential_version(path, potential)
    return read_reference_table(path)


def reference_hull(potential: str) -> ReferenceHull:
    """The reference hull of ``potential``: the shipped table and the prototype binaries
    (:func:`prototype_binaries`)."""
    return ReferenceHull(lowest_entries(shipped_entries(potential), prototype_binaries(potential)))

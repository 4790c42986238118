"""Energy above the convex hull against a reference table computed with the same potential.

The table (``resources/stability/<potential>_reference.csv.gz``, written by
``benchmarks/stability_reference.py``) holds one row per reduced formula: the lowest energy
(eV/atom) found for it and the id of the structure it came from (see that script for how the
energies were obtained).

Coverage: a candidate's hull is **complete** when every element of its chemical system has an
elemental reference and every pair of its elements meets in at least one compound of the table
inside the system (for Ba–Cu–O: a Ba–Cu, a Ba–O and a Cu–O compound, or ternaries holding
those pairs). Otherwise ``hull_incomplete``: its e_above_hull is still computed against what
the table holds (elements only, at worst), but it must not be read as "stable". A candidate
more than :data:`MAX_BELOW_HULL` below a complete hull is marked incomplete too: a real
compound that far below every known phase of its system is far rarer than a reference table
that lacks the system's stable phases (a candidate of the default discover run once sat
1.36 eV/atom below a hull built from one binary).
"""

from __future__ import annotations

import csv
import gzip
import itertools
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

REFERENCE_COLUMNS = ("formula", "energy_per_atom", "source")
REFERENCE_FILE = "{}_reference.csv.gz"
MAX_BELOW_HULL = 0.5
"""eV/atom: how far below the reference hull a candidate may lie before the hull is judged
to lack its system's competing phases. Real compounds judged as novel ones are (the sanity
sample of docs/benchmarks.md, each against the table without its own formula): of 63 with a
complete hull, 13 lay more than 0.2 below it and the lowest 0.45, none beyond 0.5."""


class HullUnavailableError(FileNotFoundError):
    """No reference table ships for a potential; one line."""


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


def write_reference_table(path: Path, rows: list[tuple[str, float, str]]) -> None:
    """Write (formula, energy_per_atom in eV/atom, source id) rows, gzipped CSV."""
    with gzip.open(path, "wt", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(REFERENCE_COLUMNS)
        for formula, energy, source in sorted(rows):
            writer.writerow([formula, f"{energy:.5f}", source])


class ReferenceHull:
    """The reference entries of one potential, with a phase diagram per chemical system."""

    def __init__(self, entries: dict[str, tuple[float, str]]):
        """``entries``: reduced formula -> (energy per atom in eV/atom, source id)."""
        self.entries = entries
        self._by_system: dict[frozenset[str], list[PDEntry]] = {}
        for formula, (energy, source) in entries.items():
            composition = Composition(formula)
            system = frozenset(str(element) for element in composition.elements)
            entry = PDEntry(composition, energy * composition.num_atoms, name=source)
            self._by_system.setdefault(system, []).append(entry)

    @classmethod
    def from_file(cls, path: Path) -> ReferenceHull:
        with gzip.open(path, "rt", newline="") as file:
            rows = list(csv.DictReader(file))
        return cls({r["formula"]: (float(r["energy_per_atom"]), r["source"]) for r in rows})

    def _entries(self, system: frozenset[str]) -> list[PDEntry]:
        """Every reference entry whose elements are a subset of ``system``."""
        found = []
        for size in range(1, len(system) + 1):
            for subset in itertools.combinations(sorted(system), size):
                found += self._by_system.get(frozenset(subset), [])
        return found

    def is_complete(self, system: frozenset[str]) -> bool:
        """Every element has a reference, and every pair of elements meets in a compound
        reference within ``system`` (see the module docstring)."""
        if any(frozenset([element]) not in self._by_system for element in system):
            return False
        compounds = [key for key in self._by_system if len(key) > 1 and key <= system]
        return all(
            any(set(pair) <= key for key in compounds)
            for pair in itertools.combinations(sorted(system), 2)
        )

    @cache  # noqa: B019 - one hull per process, kept for its lifetime
    def _diagram(self, system: frozenset[str]) -> PhaseDiagram:
        return PhaseDiagram(self._entries(system), elements=None)

    def position(self, composition: Composition, energy_per_atom: float) -> HullPosition:
        """Energy above the hull (eV/atom) of ``composition`` at ``energy_per_atom``; a system
        with an element missing from the table raises :class:`HullUnavailableError`."""
        composition = composition.element_composition
        system = frozenset(str(element) for element in composition.elements)
        missing = sorted(e for e in system if frozenset([e]) not in self._by_system)
        if missing:
            raise HullUnavailableError(f"no elemental reference for {', '.join(missing)}")
        diagram = self._diagram(system)
        entry = PDEntry(composition, energy_per_atom * composition.num_atoms)
        _, e_above = diagram.get_decomp_and_e_above_hull(entry, allow_negative=True)
        incomplete = not self.is_complete(system) or bool(e_above < -MAX_BELOW_HULL)
        return HullPosition(float(e_above), incomplete)


@cache
def reference_hull(potential: str) -> ReferenceHull:
    """The shipped reference hull of ``potential``, read once per process."""
    path = reference_path(potential)
    if not path.is_file():
        raise HullUnavailableError(
            f"no reference hull ships for the {potential} potential ({path.name}); "
            "benchmarks/stability_reference.py builds one"
        )
    return ReferenceHull.from_file(path)

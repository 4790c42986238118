"""What completing the reference hull costs per element pair, and why every prototype is
relaxed rather than the one of lowest static energy per formula.

    python benchmarks/hull_completion.py [--pairs Ag-Ca,H-Y,...]
    python benchmarks/hull_completion.py --rejudge-binaries [--reference TABLE]

First the coverage of the shipped table: its elements, the pairs among them and how many of
those meet in at least one of its compounds. Then for each pair (one process, one torch
thread, as a worker runs it): the ten binary prototypes of
``supercon3d.stability.prototypes.binary_prototypes`` relaxed as
``supercon3d.stability.completion`` does (``PROTOTYPE_MAX_STEPS``), with the wall time; per
formula the prototype that relaxed lowest, its energy (eV/atom), and the relaxed energy of
the prototype a static-energy pick would have chosen (lowest energy of the unrelaxed cells),
with how far that pick misses the lowest. Nothing is written to the cache.

``--rejudge-binaries`` relaxes nothing: it places every shipped prototype binary on the hull
of the reference table alone (the shipped one, or ``--reference``, e.g. an older table) and
prints how many lie on or below it (e_above_hull <= ``ON_HULL``), how many more than
``FAR_BELOW`` eV/atom below, and those counts for the binaries holding H.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from pymatgen.core import Composition

from supercon3d.machine import describe_machine
from supercon3d.stability.completion import PROTOTYPE_MAX_STEPS
from supercon3d.stability.hull import (
    ReferenceHull,
    read_reference_table,
    shipped_binaries,
    shipped_entries,
)
from supercon3d.stability.potentials import DEFAULT_POTENTIAL, load_potential, potential_threads
from supercon3d.stability.prototypes import binary_prototypes
from supercon3d.stability.relax import RelaxationError, relax, static_energies

DEFAULT_PAIRS = "H-S,Ag-Ca,H-Y,Li-O,Au-Tc,Np-Tc,I-S"
"""Pairs missing from the shipped table that the first default discover run met."""
MISS = 0.05
"""eV/atom: a static pick that relaxes higher than this above the lowest is counted a miss."""
ON_HULL = 1e-6
"""eV/atom: a binary this close above the hull, or below it, counts as on the hull."""
FAR_BELOW = 0.1
"""eV/atom: a binary further below the reference hull than this is counted apart."""


def rejudge_binaries(potential: str, reference: Path | None) -> None:
    """Print where the shipped prototype binaries lie on the reference table's hull."""
    entries = shipped_entries(potential) if reference is None else read_reference_table(reference)
    hull = ReferenceHull(entries)
    binaries = shipped_binaries(potential)
    values, hydrogen = [], []
    for formula, (energy, _) in binaries.items():
        composition = Composition(formula)
        values.append(hull.position(composition, energy).e_above_hull)
        hydrogen.append("H" in {str(e) for e in composition.elements})
    values, hydrogen = np.array(values), np.array(hydrogen)
    print(f"reference {reference or 'shipped'}: {len(values)} prototype binaries")
    for label, chosen in (("all", values), ("holding H", values[hydrogen])):
        print(f"  {label} ({len(chosen)}): on or below the hull {np.sum(chosen <= ON_HULL)}, "
              f"more than {FAR_BELOW} eV/atom below {np.sum(chosen < -FAR_BELOW)}; median "
              f"e_above_hull {np.median(chosen):.3f} eV/atom")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", default=DEFAULT_PAIRS)
    parser.add_argument("--potential", default=DEFAULT_POTENTIAL)
    parser.add_argument("--rejudge-binaries", action="store_true")
    parser.add_argument("--reference", type=Path, default=None, help="A reference table file.")
    args = parser.parse_args()
    print(describe_machine())
    if args.rejudge_binaries:
        rejudge_binaries(args.potential, args.reference)
        return
    shipped = ReferenceHull(shipped_entries(args.potential))
    elements = sorted(e for e in {str(x) for f in shipped.entries for x in Composition(f)}
                      if shipped.has_element(e))  # fmt: skip
    pairs = len(elements) * (len(elements) - 1) // 2
    covered = pairs - len(shipped.missing_pairs(frozenset(elements)))
    print(f"shipped table: {len(elements)} elements, {covered:,} of their {pairs:,} pairs meet "
          f"in a compound")  # fmt: skip
    started = time.perf_counter()
    potential = load_potential(args.potential)
    print(f"potential loaded in {time.perf_counter() - started:.1f} s")
    misses, formulas, seconds = 0, 0, []
    with potential_threads():
        for pair in args.pairs.split(","):
            first, second = sorted(pair.split("-"))
            t = time.perf_counter()
            cells = binary_prototypes(first, second)
            static = dict(zip(cells, static_energies(list(cells.values()), potential)))
            relaxed = {}
            for name, cell in cells.items():
                try:
                    relaxed[name] = relax(cell, potential, PROTOTYPE_MAX_STEPS).energy_per_atom
                except (RelaxationError, ValueError, RuntimeError) as error:
                    print(f"  {name}: failed ({error})")
            seconds.append(time.perf_counter() - t)
            print(f"{first}-{second}: {seconds[-1]:.1f} s for {len(cells)} relaxations")
            by_formula: dict[str, list[str]] = {}
            for name, cell in cells.items():
                by_formula.setdefault(cell.composition.reduced_formula, []).append(name)
            for formula, names in sorted(by_formula.items()):
                done = [n for n in names if n in relaxed]
                if not done:
                    continue
                best = min(done, key=relaxed.get)
                pick = min(done, key=static.get)
                miss = relaxed[pick] - relaxed[best]
                formulas += 1
                misses += miss > MISS
                print(f"  {formula:8s} lowest {best:14s} {relaxed[best]:8.3f}; static pick "
                      f"{pick:14s} {relaxed[pick]:8.3f} (miss {miss:.3f} eV/atom)")  # fmt: skip
    print(f"median {sorted(seconds)[len(seconds) // 2]:.1f} s per pair (one core); static pick "
          f"misses the lowest by > {MISS} eV/atom for {misses} of {formulas} formulas")  # fmt: skip


if __name__ == "__main__":
    main()

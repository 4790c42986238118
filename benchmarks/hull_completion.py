"""What completing the reference hull costs per element pair, and why every prototype is
relaxed rather than the one of lowest static energy per formula.

    python benchmarks/hull_completion.py [--pairs Ag-Ca,H-Y,...]

First the coverage of the shipped table: its elements, the pairs among them and how many of
those meet in at least one of its compounds. Then for each pair (one process, one torch
thread, as a worker runs it): the ten binary prototypes of
``supercon3d.stability.prototypes.binary_prototypes`` relaxed as
``supercon3d.stability.completion`` does (``PROTOTYPE_MAX_STEPS``), with the wall time; per
formula the prototype that relaxed lowest, its energy (eV/atom), and the relaxed energy of
the prototype a static-energy pick would have chosen (lowest energy of the unrelaxed cells),
with how far that pick misses the lowest. Nothing is written to the cache.
"""

from __future__ import annotations

import argparse
import time

from pymatgen.core import Composition

from supercon3d.machine import describe_machine
from supercon3d.stability.completion import PROTOTYPE_MAX_STEPS
from supercon3d.stability.hull import ReferenceHull, shipped_entries
from supercon3d.stability.potentials import DEFAULT_POTENTIAL, load_potential, potential_threads
from supercon3d.stability.prototypes import binary_prototypes
from supercon3d.stability.relax import RelaxationError, relax, static_energies

DEFAULT_PAIRS = "H-S,Ag-Ca,H-Y,Li-O,Au-Tc,Np-Tc,I-S"
"""Pairs missing from the shipped table that the first default discover run met."""
MISS = 0.05
"""eV/atom: a static pick that relaxes higher than this above the lowest is counted a miss."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", default=DEFAULT_PAIRS)
    parser.add_argument("--potential", default=DEFAULT_POTENTIAL)
    args = parser.parse_args()
    print(describe_machine())
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

"""Reference energies for the stability filter's convex hull, computed once per potential and
shipped as ``src/supercon3d/resources/stability/<potential>_reference.csv.gz``.

    nice -n 10 python benchmarks/stability_reference.py [--potential chgnet] [--bias-sample 100]

Corpus: the ordered Materials Project structures of ``mp_structures/cifs`` and the ordered
3DSC parents of ``3dsc_mp/cifs`` (files without ``-synth_doped``; one per MP id). What is
computed, chosen for the 2-core budget:

- compounds (two or more elements): the static energy of the DFT-relaxed MP structure (no
  relaxation with the potential: ~0.03 s each instead of ~10 s);
- elemental structures of the corpus: static energies of all, then the
  ``ELEMENT_RELAXED`` lowest per element relaxed (cell and positions, up to
  ``ELEMENT_MAX_STEPS`` FIRE steps) when they have at most ``ELEMENT_MAX_SITES`` sites;
- elements with no elemental structure in the corpus: fcc/bcc/hcp/diamond prototypes (a dimer
  in a box for diatomic gases) relaxed the same way, the lowest kept.

The bias of the static compound energies is measured on ``--bias-sample`` random compounds
(at most ``BIAS_MAX_SITES`` sites): relaxed as a candidate is (``DEFAULT_MAX_STEPS``), the
energy drop is printed (median, mean, 90th percentile, max in eV/atom) and those relaxed
energies replace the static ones in the table. The table keeps, per reduced formula, the
lowest energy and the id of its structure.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from pymatgen.core import Structure

from supercon3d.machine import describe_machine
from supercon3d.settings import data_dir
from supercon3d.stability.hull import reference_path, write_reference_table
from supercon3d.stability.potentials import DEFAULT_POTENTIAL, load_potential, potential_threads
from supercon3d.stability.prototypes import elemental_prototypes
from supercon3d.stability.relax import (
    DEFAULT_MAX_STEPS,
    RelaxationError,
    isolated_atoms,
    relax,
    static_energies,
)

ELEMENT_MAX_STEPS = 300
ELEMENT_MAX_SITES = 64
ELEMENT_RELAXED = 2
BIAS_MAX_SITES = 40
SEED = 0
SYNTH_DOPED = "-synth_doped"


def corpus_files(data: Path) -> dict[str, Path]:
    """Source id (MP id) -> CIF: mp_structures first, then 3DSC parents of other ids."""
    files = {path.stem: path for path in sorted((data / "mp_structures" / "cifs").glob("*.cif"))}
    for path in sorted((data / "3dsc_mp" / "cifs").glob("*.cif")):
        if SYNTH_DOPED in path.stem:
            continue
        files.setdefault(path.stem.split("-MP-")[-1], path)
    return files


def read_ordered(files: dict[str, Path], atomic_numbers: frozenset[int]) -> dict[str, Structure]:
    """The ordered structures the potential covers and without isolated atoms, by source
    id."""
    structures, isolated = {}, 0
    for source, path in files.items():
        try:
            structure = Structure.from_file(path)
        except Exception as error:  # an unreadable corpus file is skipped and counted
            print(f"skipped {path.name}: {str(error).splitlines()[0] if str(error) else error}")
            continue
        if not structure.is_ordered or any(
            e.Z not in atomic_numbers for e in structure.composition
        ):
            continue
        if isolated_atoms(structure):
            isolated += 1
            continue
        structures[source] = structure
    print(f"left out {isolated} structures with an atom isolated beyond the cutoff")
    return structures


def relaxed_energy(structure: Structure, potential, max_steps: int, relax_cell: bool = True):
    """Energy (eV/atom) after relaxing, or None if the potential diverged."""
    try:
        return relax(structure, potential, max_steps, relax_cell).energy_per_atom
    except (RelaxationError, ValueError, RuntimeError) as error:
        print(f"failed: {structure.composition.reduced_formula}: {error}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--potential", default=DEFAULT_POTENTIAL)
    parser.add_argument("--bias-sample", type=int, default=100)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    print(describe_machine())
    potential = load_potential(args.potential)
    structures = read_ordered(corpus_files(data_dir(args.data)), potential.atomic_numbers)
    compounds = {s: st for s, st in structures.items() if len(st.composition.elements) > 1}
    elementals = {s: st for s, st in structures.items() if len(st.composition.elements) == 1}
    print(f"{len(structures)} ordered structures: {len(compounds)} compounds, "
          f"{len(elementals)} elemental")  # fmt: skip
    energies: dict[str, float] = {}
    with potential_threads():
        ids = sorted(compounds, key=lambda s: len(compounds[s]))
        t = time.perf_counter()
        for i, e in zip(ids, static_energies([compounds[i] for i in ids], potential)):
            energies[i] = e
        print(f"static energies of {len(ids)} compounds: {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        ids = sorted(elementals, key=lambda s: len(elementals[s]))
        static = dict(zip(ids, static_energies([elementals[i] for i in ids], potential)))
        energies.update(static)
        by_element = defaultdict(list)
        for source in ids:
            by_element[elementals[source].composition.elements[0]].append(source)
        relaxed = 0
        for sources in by_element.values():
            lowest = sorted(sources, key=static.get)[:ELEMENT_RELAXED]
            for source in lowest:
                if len(elementals[source]) <= ELEMENT_MAX_SITES:
                    energy = relaxed_energy(elementals[source], potential, ELEMENT_MAX_STEPS)
                    relaxed += 1
                    if energy is not None:
                        energies[source] = min(energy, static[source])
        print(
            f"{len(elementals)} elemental structures ({len(by_element)} elements, {relaxed} "
            f"relaxed): {time.perf_counter() - t:.0f} s"
        )
        present = {str(e) for st in elementals.values() for e in st.composition}
        needed = {str(e) for st in compounds.values() for e in st.composition}
        t = time.perf_counter()
        for symbol in sorted(needed - present):
            for name, (cell, relax_cell) in elemental_prototypes(symbol).items():
                energy = relaxed_energy(cell, potential, ELEMENT_MAX_STEPS, relax_cell)
                if energy is not None:
                    energies[f"prototype-{name}-{symbol}"] = energy
                    structures[f"prototype-{name}-{symbol}"] = cell
        missing = ", ".join(sorted(needed - present))
        print(f"prototypes for {len(needed - present)} elements ({missing}): "
              f"{time.perf_counter() - t:.0f} s")  # fmt: skip
        small = sorted(s for s in compounds if len(compounds[s]) <= BIAS_MAX_SITES)
        sample = random.Random(SEED).sample(small, min(args.bias_sample, len(small)))
        drops, unconverged, t = [], 0, time.perf_counter()
        for source in sample:
            try:
                result = relax(compounds[source], potential, DEFAULT_MAX_STEPS)
            except (RelaxationError, ValueError, RuntimeError) as error:
                print(f"failed: {source}: {error}")
                continue
            drops.append(energies[source] - result.energy_per_atom)
            unconverged += not result.converged
            energies[source] = min(energies[source], result.energy_per_atom)
        seconds = time.perf_counter() - t
    if drops:
        d = np.array(drops)
        print(f"relaxation vs static on {len(d)} compounds (<= {BIAS_MAX_SITES} sites, "
              f"{DEFAULT_MAX_STEPS} steps, {unconverged} not converged, {seconds:.0f} s): "
              f"drop median {np.median(d):.4f}, mean {d.mean():.4f}, "
              f"90th pct {np.percentile(d, 90):.4f}, max {d.max():.4f} eV/atom; "
              f"share > 0.05 eV/atom: {np.mean(d > 0.05):.1%}")  # fmt: skip
    best: dict[str, tuple[float, str]] = {}
    for source, energy in energies.items():
        formula = structures[source].composition.reduced_formula
        if formula not in best or energy < best[formula][0]:
            best[formula] = (energy, source)
    rows = [(formula, energy, source) for formula, (energy, source) in best.items()]
    path = reference_path(args.potential)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_reference_table(path, rows)
    by_size = defaultdict(int)
    for formula in best:
        by_size[len(structures[best[formula][1]].composition.elements)] += 1
    print(
        f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): {len(rows)} formulas, "
        f"by number of elements {dict(sorted(by_size.items()))}"
    )
    print(
        f"total {time.perf_counter() - started:.0f} s; median compound sites "
        f"{statistics.median(len(s) for s in compounds.values()):.0f}"
    )


if __name__ == "__main__":
    main()

"""Reference energies for the stability filter's convex hull, computed once per potential and
shipped as ``src/supercon3d/resources/stability/<potential>_reference.csv.gz`` with its
record ``<potential>_reference.json`` (potential, package version, model, date, command).

    nice -n 10 python scripts/stability_reference.py [--potential chgnet] [--bias-sample 100]
    nice -n 10 python scripts/stability_reference.py --elements-only

Corpus: the ordered Materials Project structures of ``mp_structures/cifs`` and the ordered
3DSC parents of ``3dsc_mp/cifs`` (files without ``-synth_doped``; one per MP id). What is
computed, chosen for the 2-core budget:

- compounds (two or more elements): the static energy of the DFT-relaxed MP structure (no
  relaxation with the potential: ~0.03 s each instead of ~10 s);
- elements, every one the compounds or the corpus hold: the lowest energy over (a) the
  corpus's elemental structures (static energies of all, then the ``ELEMENT_RELAXED`` lowest
  relaxed, cell and positions, up to ``ELEMENT_MAX_STEPS`` FIRE steps, when they have at most
  ``ELEMENT_MAX_SITES`` sites) and (b) the standard prototypes of
  :func:`~supercon3d.stability.prototypes.elemental_prototypes` (fcc, bcc, hcp, simple cubic,
  diamond; a dimer in a box for the molecular elements) relaxed the same way. A structure
  without bonds (:func:`~supercon3d.stability.prototypes.unbonded`), in the corpus or after
  relaxing, is never a reference. A table of every element's old and new reference is
  printed, changes beyond ``CHANGE_FLAG`` eV/atom flagged.

The bias of the static compound energies is measured on ``--bias-sample`` random compounds
(at most ``BIAS_MAX_SITES`` sites): relaxed as a candidate is (``DEFAULT_MAX_STEPS``), the
energy drop is printed (median, mean, 90th percentile, max in eV/atom) and those relaxed
energies replace the static ones in the table. The table keeps, per reduced formula, the
lowest energy and the id of its structure.

``--elements-only`` recomputes only the element rows of the existing table and keeps its
compound rows as they are (their static and bias-relaxed energies depend on no element
reference): minutes instead of the full build's hour. The table's record must name the
installed potential (the kept rows would otherwise mix two versions).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from pymatgen.core import Composition, Structure

from supercon3d.machine import describe_machine
from supercon3d.settings import data_dir
from supercon3d.stability.completion import PROTOTYPE_SOURCE
from supercon3d.stability.hull import (
    check_potential_version,
    read_reference_table,
    reference_path,
    write_reference_table,
    write_table_metadata,
)
from supercon3d.stability.potentials import (
    DEFAULT_POTENTIAL,
    Potential,
    load_potential,
    potential_threads,
)
from supercon3d.stability.prototypes import elemental_prototypes, shortest_distance, unbonded
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
ELEMENT_MAX_VOLUME_LOSS = 0.75
"""The share of its volume an elemental cell (1–2 atoms for a prototype) may lose while it
relaxes: more than a candidate may (a 1-atom cell costs nothing as it shrinks), as a
prototype's start from tabulated radii can lie far from the potential's density (diamond
cells of metals collapse towards close packing, -50 % or more)."""
BIAS_MAX_SITES = 40
SEED = 0
SYNTH_DOPED = "-synth_doped"
CHANGE_FLAG = 0.02
"""eV/atom: an element reference that moves more than this is flagged in the printed table."""
FORMULA_SUM = re.compile(r"_chemical_formula_sum\s+'?([^'\n]+)'?")

Energies = dict[str, tuple[float, Structure]]
"""Source id -> (energy in eV/atom, structure)."""


def corpus_files(data: Path) -> dict[str, Path]:
    """Source id (MP id) -> CIF: mp_structures first, then 3DSC parents of other ids."""
    files = {path.stem: path for path in sorted((data / "mp_structures" / "cifs").glob("*.cif"))}
    for path in sorted((data / "3dsc_mp" / "cifs").glob("*.cif")):
        if SYNTH_DOPED in path.stem:
            continue
        files.setdefault(path.stem.split("-MP-")[-1], path)
    return files


def elemental_file(path: Path) -> bool:
    """Whether a corpus CIF may hold an elemental structure: its ``_chemical_formula_sum``
    names one element, or it has none (then the file is read to know)."""
    found = FORMULA_SUM.search(path.read_text(errors="replace"))
    return found is None or len(found.group(1).split()) == 1


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


def relaxed(
    structure: Structure, potential: Potential, max_steps: int, relax_cell: bool = True
) -> tuple[float, Structure] | None:
    """(energy in eV/atom, structure) of an elemental structure after relaxing, or None if
    the potential diverged or the cell lost more than ``ELEMENT_MAX_VOLUME_LOSS``."""
    try:
        result = relax(structure, potential, max_steps, relax_cell, ELEMENT_MAX_VOLUME_LOSS)
    except (RelaxationError, ValueError, RuntimeError) as error:
        print(f"failed: {structure.composition.reduced_formula}: {error}")
        return None
    return result.energy_per_atom, result.structure


def bonded(source: str, structure: Structure) -> bool:
    """Whether an elemental ``structure`` has bonds; a one-line note when it has none."""
    if not unbonded(structure):
        return True
    print(f"rejected {source} ({structure.composition.reduced_formula}): no bonds, shortest "
          f"distance {shortest_distance(structure):.2f} Å")  # fmt: skip
    return False


def corpus_elements(elementals: dict[str, Structure], potential: Potential) -> Energies:
    """The corpus's bonded elemental structures: static energies of all, the
    ``ELEMENT_RELAXED`` lowest per element relaxed (the lower of the two energies kept; a
    relaxed structure that lost its bonds keeps its static energy)."""
    kept = {s: st for s, st in elementals.items() if bonded(s, st)}
    ids = sorted(kept, key=lambda s: len(kept[s]))
    static = dict(zip(ids, static_energies([kept[i] for i in ids], potential)))
    energies = {source: (static[source], kept[source]) for source in ids}
    by_element = defaultdict(list)
    for source in ids:
        by_element[kept[source].composition.elements[0]].append(source)
    for sources in by_element.values():
        for source in sorted(sources, key=static.get)[:ELEMENT_RELAXED]:
            if len(kept[source]) > ELEMENT_MAX_SITES:
                continue
            result = relaxed(kept[source], potential, ELEMENT_MAX_STEPS)
            if result is not None and result[0] < static[source] and bonded(source, result[1]):
                energies[source] = result
    return energies


def prototype_elements(symbols: list[str], potential: Potential) -> Energies:
    """Every prototype of :func:`elemental_prototypes` of each of ``symbols``, relaxed; those
    that lose their bonds left out."""
    energies: Energies = {}
    for symbol in symbols:
        for name, (cell, relax_cell) in elemental_prototypes(symbol).items():
            source = PROTOTYPE_SOURCE.format(name, symbol)
            result = relaxed(cell, potential, ELEMENT_MAX_STEPS, relax_cell)
            if result is not None and bonded(source, result[1]):
                energies[source] = result
    return energies


def lowest_per_formula(energies: Energies) -> dict[str, tuple[float, str]]:
    """Reduced formula -> (lowest energy in eV/atom, its source id)."""
    best: dict[str, tuple[float, str]] = {}
    for source, (energy, structure) in energies.items():
        formula = structure.composition.reduced_formula
        if formula not in best or energy < best[formula][0]:
            best[formula] = (energy, source)
    return best


def element_rows(
    elementals: dict[str, Structure], symbols: set[str], potential: Potential
) -> dict[str, tuple[float, str]]:
    """Element rows (reduced formula -> (energy in eV/atom, source id)): the lowest of the
    corpus's elemental structures and of the prototypes, for ``symbols`` and every element
    of ``elementals``."""
    t = time.perf_counter()
    energies = corpus_elements(elementals, potential)
    print(f"{len(elementals)} corpus elemental structures, {len(energies)} kept: "
          f"{time.perf_counter() - t:.0f} s")  # fmt: skip
    wanted = sorted(symbols | {str(st.composition.elements[0]) for st in elementals.values()})
    t = time.perf_counter()
    energies.update(prototype_elements(wanted, potential))
    print(f"prototypes of {len(wanted)} elements: {time.perf_counter() - t:.0f} s")
    return lowest_per_formula(energies)


def print_element_changes(
    old: dict[str, tuple[float, str]], new: dict[str, tuple[float, str]]
) -> None:
    """Every element's old and new reference (eV/atom, source), changes beyond
    ``CHANGE_FLAG`` flagged."""
    print(f"{'element':8s} {'old':>10s} {'old source':24s} {'new':>10s} {'new source':24s} "
          f"{'change':>8s}")  # fmt: skip
    flagged = 0
    for formula in sorted(set(old) | set(new), key=lambda f: Composition(f).elements[0].Z):
        before, after = old.get(formula, (np.nan, "-")), new.get(formula, (np.nan, "-"))
        change = after[0] - before[0]
        flag = "" if abs(change) <= CHANGE_FLAG else " *"
        flagged += bool(flag)
        print(f"{formula:8s} {before[0]:10.4f} {before[1]:24s} {after[0]:10.4f} {after[1]:24s} "
              f"{change:8.4f}{flag}")  # fmt: skip
    print(f"{flagged} of {len(set(old) | set(new))} element references changed by more than "
          f"{CHANGE_FLAG} eV/atom (*)")  # fmt: skip


def compound_rows(
    compounds: dict[str, Structure], bias_sample: int, potential: Potential
) -> dict[str, tuple[float, str]]:
    """Compound rows: static energies, then ``bias_sample`` of them relaxed (the drop
    printed, the lower energy kept)."""
    t = time.perf_counter()
    ids = sorted(compounds, key=lambda s: len(compounds[s]))
    energies = {i: e for i, e in zip(ids, static_energies([compounds[i] for i in ids], potential))}
    print(f"static energies of {len(ids)} compounds: {time.perf_counter() - t:.0f} s")
    small = sorted(s for s in compounds if len(compounds[s]) <= BIAS_MAX_SITES)
    sample = random.Random(SEED).sample(small, min(bias_sample, len(small)))
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
    print(f"median compound sites {statistics.median(len(s) for s in compounds.values()):.0f}")
    return lowest_per_formula({s: (e, compounds[s]) for s, e in energies.items()})


def is_element(formula: str) -> bool:
    return len(Composition(formula).elements) == 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--potential", default=DEFAULT_POTENTIAL)
    parser.add_argument("--bias-sample", type=int, default=100)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument(
        "--elements-only",
        action="store_true",
        help="Recompute only the element rows of the existing table, keeping its compounds.",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    print(describe_machine())
    path = reference_path(args.potential)
    old = read_reference_table(path) if path.is_file() else {}
    if args.elements_only:
        check_potential_version(path, args.potential)
    potential = load_potential(args.potential)
    files = corpus_files(data_dir(args.data))
    if args.elements_only:
        files = {source: file for source, file in files.items() if elemental_file(file)}
    structures = read_ordered(files, potential.atomic_numbers)
    elementals = {s: st for s, st in structures.items() if len(st.composition.elements) == 1}
    compounds = {s: st for s, st in structures.items() if len(st.composition.elements) > 1}
    with potential_threads():
        if args.elements_only:
            kept = {f: row for f, row in old.items() if not is_element(f)}
            print(f"{len(elementals)} elemental structures; {len(kept)} compound rows kept")
        else:
            print(f"{len(structures)} ordered structures: {len(compounds)} compounds, "
                  f"{len(elementals)} elemental")  # fmt: skip
            kept = compound_rows(compounds, args.bias_sample, potential)
        symbols = {str(e) for formula in kept for e in Composition(formula).elements}
        elements = element_rows(elementals, symbols, potential)
    print_element_changes({f: r for f, r in old.items() if is_element(f)}, elements)
    rows = {**kept, **elements}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_reference_table(path, [(f, energy, source) for f, (energy, source) in rows.items()])
    write_table_metadata(path, args.potential, " ".join(["python", *sys.argv]))
    by_size = defaultdict(int)
    for formula in rows:
        by_size[len(Composition(formula).elements)] += 1
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): {len(rows)} formulas, by "
          f"number of elements {dict(sorted(by_size.items()))}")  # fmt: skip
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Ordered approximants of a disordered structure, for a potential that needs whole atoms.

Method (random orderings in a small supercell, not an enumeration): the cell is repeated by
doubling its shortest axis while it stays within :data:`MAX_APPROXIMANT_SITES` sites, and the
repeat whose rounded occupancies come closest to the nominal composition is kept. Sites with
the same occupancy dictionary form one group; each species gets the largest-remainder rounding
of (occupancy × positions in the group) positions, the rest stay empty (vacancies), and
:data:`N_ORDERINGS` random assignments are drawn (seeded, so repeatable). The caller keeps the
one of lowest energy. The approximant's composition may differ from the nominal one by the
rounding; e_above_hull is computed for the approximant's own composition.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from pymatgen.core import Structure

MAX_APPROXIMANT_SITES = 48
"""Largest supercell (sites before vacancies are removed) an approximant may have."""
MAX_REPEAT = 8
"""Largest number of cells in the supercell."""
N_ORDERINGS = 3
"""Random orderings drawn per disordered structure."""
ORDERING_SEED = 0


def _repeats(structure: Structure) -> list[tuple[int, int, int]]:
    """Supercell scalings by doubling the shortest axis: (1,1,1), then e.g. (2,1,1), (2,2,1)…
    while the supercell has at most :data:`MAX_APPROXIMANT_SITES` sites."""
    scaling = [1, 1, 1]
    found = [tuple(scaling)]
    lengths = list(structure.lattice.abc)
    while True:
        axis = int(np.argmin([length * s for length, s in zip(lengths, scaling)]))
        scaling[axis] *= 2
        cells = math.prod(scaling)
        if cells > MAX_REPEAT or cells * len(structure) > MAX_APPROXIMANT_SITES:
            return found
        found.append(tuple(scaling))


def _site_groups(structure: Structure) -> dict[tuple, list[int]]:
    """Site indices by their (species, occupancy) dictionary."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, site in enumerate(structure):
        key = tuple(sorted((str(sp), round(float(occ), 6)) for sp, occ in site.species.items()))
        groups[key].append(index)
    return groups


def _rounded_counts(occupancies: tuple, positions: int) -> dict[str, int]:
    """Positions per species (largest remainder) for ``positions`` sites of one group."""
    wanted = {species: occupancy * positions for species, occupancy in occupancies}
    total = min(positions, round(sum(wanted.values())))
    counts = {species: math.floor(value) for species, value in wanted.items()}
    by_remainder = sorted(
        wanted, key=lambda species: wanted[species] - counts[species], reverse=True
    )
    for species in by_remainder[: max(0, total - sum(counts.values()))]:
        counts[species] += 1
    return counts


def _rounding_error(structure: Structure, cells: int) -> float:
    """Summed |rounded − nominal| atoms per cell over the groups, for ``cells`` repeats."""
    error = 0.0
    for key, sites in _site_groups(structure).items():
        counts = _rounded_counts(key, len(sites) * cells)
        error += sum(abs(counts[sp] / cells - occ * len(sites)) for sp, occ in key)
    return error


def best_supercell(structure: Structure) -> Structure:
    """The supercell (from :func:`_repeats`) whose rounded occupancies best match."""
    scalings = _repeats(structure)
    errors = [_rounding_error(structure, math.prod(scaling)) for scaling in scalings]
    return structure.make_supercell(scalings[int(np.argmin(errors))], in_place=False)


def ordered_approximants(structure: Structure, n: int = N_ORDERINGS) -> list[Structure]:
    """Up to ``n`` distinct random orderings of a disordered ``structure`` (the structure
    itself, as the only item, when it is ordered)."""
    if structure.is_ordered:
        return [structure]
    supercell = best_supercell(structure)
    groups = _site_groups(supercell)
    rng = np.random.default_rng(ORDERING_SEED)
    found: dict[tuple, Structure] = {}
    for _ in range(n):
        species: list[str | None] = [None] * len(supercell)
        for key, sites in groups.items():
            labels = [
                sp for sp, count in _rounded_counts(key, len(sites)).items() for _ in range(count)
            ]
            labels += [None] * (len(sites) - len(labels))
            for site, label in zip(rng.permutation(sites), labels):
                species[int(site)] = label
        kept = [i for i, label in enumerate(species) if label is not None]
        if not kept:
            continue
        ordered = Structure(
            supercell.lattice,
            [species[i] for i in kept],
            supercell.frac_coords[kept],
        )
        found.setdefault(tuple(species), ordered)
    return list(found.values())

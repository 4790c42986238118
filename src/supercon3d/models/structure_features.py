"""A few cheap descriptors of a crystal structure, ordered or disordered, that do not depend
on the choice of cell (conventional or primitive):

- ``volume_per_atom`` (Å³/atom): cell volume over the number of atoms (occupancies summed);
- ``density`` (g/cm³);
- ``n_distinct_sites``: symmetry-distinct sites (spglib's equivalent atoms);
- ``space_group``: the international number (1–230);
- ``mean_nn_distance`` (Å): the distance from each site to its nearest other site (periodic
  images included, up to :data:`NN_CUTOFF`), averaged over sites;
- ``partial_site_fraction``: the fraction of sites that are not one fully occupied atom.

Symmetry is found with pymatgen's ``SpacegroupAnalyzer`` at :data:`SYMPREC` (Å) and
:data:`ANGLE_TOLERANCE` (degrees), retried at :data:`FALLBACK_SYMPREC` when spglib finds
nothing; the two symmetry descriptors are NaN when neither works, ``mean_nn_distance`` is NaN
for a cell with no two sites within :data:`NN_CUTOFF`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from pymatgen.core import Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

if TYPE_CHECKING:
    from spglib import SpglibDataset

STRUCTURE_FEATURES: tuple[str, ...] = (
    "volume_per_atom",
    "density",
    "n_distinct_sites",
    "space_group",
    "mean_nn_distance",
    "partial_site_fraction",
)
SYMPREC = 0.1
FALLBACK_SYMPREC = 0.01
ANGLE_TOLERANCE = 5.0
NN_CUTOFF = 6.0
_OCCUPANCY_TOL = 1e-3
_SAME_POSITION = 1e-6  # Å: a "neighbour" this close is the site itself


def symmetry_dataset(structure: Structure) -> SpglibDataset | None:
    """spglib's symmetry dataset of the structure at :data:`SYMPREC`, else at
    :data:`FALLBACK_SYMPREC`; None when neither finds one."""
    for symprec in (SYMPREC, FALLBACK_SYMPREC):
        try:
            dataset = SpacegroupAnalyzer(
                structure, symprec=symprec, angle_tolerance=ANGLE_TOLERANCE
            ).get_symmetry_dataset()
        except Exception:  # spglib and pymatgen raise several types; all mean "no symmetry"
            continue
        if dataset is not None:
            return dataset
    return None


def _symmetry(structure: Structure) -> tuple[float, float]:
    """(space-group number, number of symmetry-distinct sites), NaN when spglib fails."""
    dataset = symmetry_dataset(structure)
    if dataset is None:
        return math.nan, math.nan
    return float(dataset.number), float(len(set(dataset.equivalent_atoms)))


def _mean_nn_distance(structure: Structure) -> float:
    centers, _, _, distances = structure.get_neighbor_list(NN_CUTOFF)
    real = distances > _SAME_POSITION
    if not real.any():
        return math.nan
    nearest = np.full(len(structure), np.inf)
    np.minimum.at(nearest, centers[real], distances[real])
    return float(nearest[np.isfinite(nearest)].mean())


def _is_partial(site) -> bool:
    return len(site.species) > 1 or abs(site.species.num_atoms - 1.0) > _OCCUPANCY_TOL


def structure_descriptors(structure: Structure) -> np.ndarray:
    """The :data:`STRUCTURE_FEATURES` of one structure, in that order."""
    n_atoms = structure.composition.num_atoms
    space_group, n_distinct = _symmetry(structure)
    return np.array(
        [
            structure.volume / n_atoms,
            float(structure.density),
            n_distinct,
            space_group,
            _mean_nn_distance(structure),
            sum(_is_partial(site) for site in structure) / len(structure),
        ],
        dtype=float,
    )

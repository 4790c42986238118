"""Molecular (zero-dimensional) structures: crystals of finite molecules or clusters (NH3,
H2O, CH4, I2), told from the bonded network of the structure.

Two atoms are bonded when they are at most :data:`BOND_TOLERANCE` times the sum of their
covalent radii apart (Cordero et al. 2008, as pymatgen lists them). A bonded cluster that
reaches a periodic image of one of its own atoms extends through the crystal (a chain, a
layer or a framework); a structure whose every cluster is finite, one of them at least two
atoms, is molecular (a cell of lone atoms, such as a stretched metal cell, is not). A hydrogen
bond (H···O 1.8 Å against 1.2 x 0.97 Å) and a van der Waals contact (I···I 3.5 Å against
3.3 Å) are no bond; an ionic contact is (Na-Cl 2.82 Å against 3.2 Å). An ammonium salt such as
NH4Cl is molecular by this rule (N-H···Cl is a hydrogen bond). A structure of metals only is
never molecular: metallic bonds run longer than covalent radii (Be-Ru 2.89 Å in the Laves
phase Be2Ru, against 1.2 x 2.42 Å), so the rule would cut a metal into clusters. Costs about a
millisecond for a 20-atom cell (one neighbour list and a walk over its bonds).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from pymatgen.core import Element, Structure

BOND_TOLERANCE = 1.2
"""A bond is at most this many times the sum of the two covalent radii."""
SAME_POSITION = 1e-6
"""Å: a "neighbour" this close is the atom itself."""
UNKNOWN_RADIUS = 1.5
"""Å: the radius of an element pymatgen gives none for (the superheavy ones, Og)."""


@cache
def covalent_radius(symbol: str) -> float:
    """The covalent radius (Å) of an element (Cordero et al.), else pymatgen's atomic
    radius, else :data:`UNKNOWN_RADIUS`."""
    from pymatgen.analysis.molecule_structure_comparator import CovalentRadius

    for radius in (CovalentRadius.radius.get(symbol), Element(symbol).atomic_radius):
        if radius is not None:
            return float(radius)
    return UNKNOWN_RADIUS


def _site_radii(structure: Structure) -> np.ndarray:
    """Per site, the largest covalent radius (Å) of its species."""
    return np.array(
        [max(covalent_radius(species.symbol) for species in site.species) for site in structure]
    )


def is_molecular(structure: Structure) -> bool:
    """Whether every bonded cluster of ``structure`` is finite, one at least of two atoms
    (module docstring)."""
    if all(getattr(element, "is_metal", False) for element in structure.composition.elements):
        return False
    radii = _site_radii(structure)
    cutoff = BOND_TOLERANCE * 2.0 * float(radii.max())
    centres, neighbours, images, distances = structure.get_neighbor_list(
        r=cutoff,
        exclude_self=False,  # keeps an atom's bonds to its own periodic images
    )
    bonded = (distances > SAME_POSITION) & (
        distances <= BOND_TOLERANCE * (radii[centres] + radii[neighbours])
    )
    bonds: list[list[tuple[int, tuple[int, ...]]]] = [[] for _ in range(len(structure))]
    for centre, neighbour, image in zip(
        centres[bonded].tolist(), neighbours[bonded].tolist(), images[bonded].astype(int).tolist()
    ):
        bonds[centre].append((neighbour, tuple(image)))
    offsets: dict[int, tuple[int, ...]] = {}
    for start in range(len(structure)):
        if start in offsets:
            continue
        offsets[start] = (0, 0, 0)
        stack = [start]
        while stack:
            atom = stack.pop()
            for neighbour, image in bonds[atom]:
                reached = tuple(a + b for a, b in zip(offsets[atom], image))
                if neighbour not in offsets:
                    offsets[neighbour] = reached
                    stack.append(neighbour)
                elif offsets[neighbour] != reached:
                    return False  # the cluster meets its own periodic image: it extends
    return any(bonds)  # isolated atoms alone make no molecule

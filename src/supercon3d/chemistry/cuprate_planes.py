"""The CuO2 planes of a cuprate structure and their hole count from bond valences.

Where the composition is blind, the structure shows where the carriers are: YBa2Cu3O7 holds
two plane Cu per chain Cu, and charge neutrality over the composition alone averages the three
to +2.33 (0.33 holes per Cu), whereas the planes, which superconduct, hold about 0.16.

**Plane Cu.** A copper site (Cu occupancy at least :data:`MIN_OCCUPANCY`) is in a CuO2 plane
when four of its oxygen neighbours within :data:`PLANE_BOND_MAX` form two opposite pairs
(O–Cu–O at least :data:`CORNER_MIN_ANGLE`) at right angles to each other (within
:data:`RIGHT_ANGLE_TOLERANCE`), each oxygen at least :data:`MIN_OCCUPANCY` occupied, and each
of the four shared with another copper atom within :data:`PLANE_BOND_MAX` through a
near-straight Cu–O–Cu link (at least :data:`CORNER_MIN_ANGLE`) that lies in the same plane
(within :data:`PLANE_MAX_OFFSET` of it): a corner-sharing square network. The chain Cu of
YBa2Cu3O7 also has four short, square-planar oxygens, but two of them are apical oxygens whose
other copper (the plane Cu) sits 2.3 Å away, so it is not a plane site.

**Bond-valence sum.** V = Σ occ · exp((R0 − d) / b) over the anions (O, F, Cl) within
:data:`BOND_SUM_CUTOFF`, with the Cu(II) parameters of Brown & Altermatt, Acta Cryst. B41, 244
(1985) and Brese & O'Keeffe, Acta Cryst. B47, 192 (1991): R0 of :data:`COPPER_ANION_R0`,
b = :data:`BOND_VALENCE_B` (those of the cuprate bond-valence literature, e.g. Tallon,
Physica C 168, 85 (1990)); occ is the anion's occupancy of the neighbouring site.
Structures relaxed with GGA (the Materials Project structures of 3DSC) have bonds about 1 %
long and sums about 0.1 low.

Three descriptors (:data:`CUPRATE_PLANE_FEATURES`):

- ``cuo2_hole_count``: V − 2 averaged over the plane Cu atoms (holes per plane Cu; NaN
  without planes);
- ``cuo2_neutral_hole_count``: a charge-neutral doping level of the planes: the holes that
  charge neutrality over the composition gives all copper together (from the caller's mean
  copper valence, e.g. fixed ion charges), less the bond-valence holes of the copper outside the
  planes (chains, ladders), shared among the plane Cu (NaN without planes). For YBa2Cu3O7
  the chain Cu's sum (about 2.3) keeps only part of the chain layer's holes, so this
  overestimates the planes' share (holes on the chain oxygens are not counted);
- ``cuo2_copper_share``: the plane Cu atoms' share of all Cu atoms (0 without planes).

All three are NaN for a structure without copper and oxygen.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from pymatgen.core import Structure

CUPRATE_PLANE_FEATURES: tuple[str, ...] = (
    "cuo2_hole_count",
    "cuo2_neutral_hole_count",
    "cuo2_copper_share",
)
COPPER_ANION_R0: dict[str, float] = {"O": 1.679, "F": 1.594, "Cl": 2.000}
"""Å: bond-valence R0 of Cu(II) with each anion (apical F and Cl in Sr2CuO2F2, Sr2CuO2Cl2)."""
BOND_VALENCE_B = 0.37
"""Å: the bond-valence softness b."""
BOND_SUM_CUTOFF = 3.0
"""Å: anions up to this distance count in a copper's bond-valence sum (a 3 Å bond adds 0.03)."""
PLANE_BOND_MAX = 2.1
"""Å: the longest Cu–O bond of a CuO2 plane (in-plane bonds are 1.88–2.0 Å; apical oxygens
of plane Cu sit at 2.2–2.8 Å)."""
CORNER_MIN_ANGLE = 150.0
"""Degrees: the smallest O–Cu–O angle of an opposite pair and Cu–O–Cu angle of a corner
link (buckled planes, as in YBa2Cu3O7 and Bi2Sr2CaCu2O8, have 160–170°)."""
RIGHT_ANGLE_TOLERANCE = 20.0
"""Degrees: how far the two O–Cu–O axes of a plane Cu may be from perpendicular."""
PLANE_MAX_OFFSET = 0.5
"""Å: how far a plane oxygen or the next plane copper may sit off the plane (buckling)."""
MIN_OCCUPANCY = 0.5
"""The smallest Cu occupancy of a copper site and O occupancy of a plane oxygen site."""
NOMINAL_COPPER_VALENCE = 2.0


def _occupancy(species, element: str) -> float:
    return float(sum(x for sp, x in species.items() if sp.symbol == element))


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    cosine = float(np.clip(np.dot(_unit(a), _unit(b)), -1.0, 1.0))
    return math.degrees(math.acos(cosine))


class _Bond:
    """A copper → anion bond: the anion's site index and cell image, the vector (Å), the site's
    oxygen occupancy and the bond's valence (all anions of the site, by occupancy)."""

    def __init__(self, copper: int, anion: int, image: tuple, vector: np.ndarray, species):
        self.copper, self.oxygen, self.image, self.vector = copper, anion, image, vector
        self.length = float(np.linalg.norm(vector))
        self.occupancy = _occupancy(species, "O")
        self.valence = sum(
            _occupancy(species, anion) * math.exp((r0 - self.length) / BOND_VALENCE_B)
            for anion, r0 in COPPER_ANION_R0.items()
        )


def _copper_bonds(structure: Structure, coppers: list[int]) -> list[_Bond]:
    centers, points, images, _ = structure.get_neighbor_list(BOND_SUM_CUTOFF, sites=[
        structure[i] for i in coppers
    ])  # fmt: skip
    lattice = structure.lattice
    bonds = []
    for center, point, image in zip(centers, points, images):
        species = structure[point].species
        if not any(_occupancy(species, anion) > 0 for anion in COPPER_ANION_R0):
            continue
        copper = coppers[center]
        vector = lattice.get_cartesian_coords(
            structure[point].frac_coords + image - structure[copper].frac_coords
        )
        bonds.append(_Bond(copper, int(point), tuple(int(x) for x in image), vector, species))
    return bonds


def _bond_valence_sum(bonds: list[_Bond]) -> float:
    return sum(bond.valence for bond in bonds)


def _opposite_pairs(short: list[_Bond]) -> list[tuple[_Bond, _Bond]]:
    return [
        (a, b)
        for i, a in enumerate(short)
        for b in short[i + 1 :]
        if _angle(a.vector, b.vector) >= CORNER_MIN_ANGLE
    ]


def _is_corner_shared(bond: _Bond, normal: np.ndarray, by_oxygen: dict) -> bool:
    """Whether the bond's oxygen links to another copper within the plane, near-straight."""
    for other in by_oxygen[bond.oxygen]:
        if other.length > PLANE_BOND_MAX:
            continue
        if other.copper == bond.copper and other.image == bond.image:
            continue  # the same copper atom
        next_copper = bond.vector - other.vector  # from this copper to the other, Å
        if (
            _angle(bond.vector, other.vector) >= CORNER_MIN_ANGLE
            and abs(float(np.dot(next_copper, normal))) <= PLANE_MAX_OFFSET
        ):
            return True
    return False


def _is_plane_copper(bonds: list[_Bond], by_oxygen: dict) -> bool:
    short = [b for b in bonds if b.length <= PLANE_BOND_MAX and b.occupancy >= MIN_OCCUPANCY]
    pairs = _opposite_pairs(short)
    for i, first in enumerate(pairs):
        axis = first[0].vector - first[1].vector
        for second in pairs[i + 1 :]:
            other_axis = second[0].vector - second[1].vector
            if abs(_angle(axis, other_axis) - 90.0) > RIGHT_ANGLE_TOLERANCE:
                continue
            normal = _unit(np.cross(axis, other_axis))
            square = (*first, *second)
            if all(
                abs(float(np.dot(b.vector, normal))) <= PLANE_MAX_OFFSET for b in square
            ) and all(_is_corner_shared(b, normal, by_oxygen) for b in square):
                return True
    return False


def copper_sites(structure: Structure) -> list[int]:
    """Indices of the sites whose Cu occupancy is at least :data:`MIN_OCCUPANCY`."""
    return [
        i for i, site in enumerate(structure) if _occupancy(site.species, "Cu") >= MIN_OCCUPANCY
    ]


def copper_valences(structure: Structure) -> dict[int, tuple[float, bool]]:
    """Per copper site (:func:`copper_sites`): its bond-valence sum (valence units) and whether
    it sits in a CuO2 plane."""
    coppers = copper_sites(structure)
    if not coppers:
        return {}
    bonds = _copper_bonds(structure, coppers)
    by_copper, by_oxygen = defaultdict(list), defaultdict(list)
    for bond in bonds:
        by_copper[bond.copper].append(bond)
        by_oxygen[bond.oxygen].append(bond)
    return {
        i: (_bond_valence_sum(by_copper[i]), _is_plane_copper(by_copper[i], by_oxygen))
        for i in coppers
    }


def cuprate_plane_descriptors(structure: Structure, neutral_valence: float) -> np.ndarray:
    """The :data:`CUPRATE_PLANE_FEATURES` of ``structure``; ``neutral_valence`` is the mean
    copper valence that charge neutrality gives the composition (NaN if unknown)."""
    missing = np.full(len(CUPRATE_PLANE_FEATURES), np.nan)
    amounts = structure.composition.element_composition
    if amounts["Cu"] <= 0 or amounts["O"] <= 0:
        return missing
    valences = copper_valences(structure)
    weights = {i: _occupancy(structure[i].species, "Cu") for i in valences}
    total = sum(weights.values())
    plane = [i for i, (_, in_plane) in valences.items() if in_plane]
    if not plane or total <= 0:
        return np.array([np.nan, np.nan, 0.0])
    n_plane = sum(weights[i] for i in plane)
    plane_holes = sum(weights[i] * (valences[i][0] - NOMINAL_COPPER_VALENCE) for i in plane)
    other_holes = sum(
        weights[i] * (v - NOMINAL_COPPER_VALENCE) for i, (v, p) in valences.items() if not p
    )
    neutral = ((neutral_valence - NOMINAL_COPPER_VALENCE) * total - other_holes) / n_plane
    return np.array([plane_holes / n_plane, neutral, n_plane / total])

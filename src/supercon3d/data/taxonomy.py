"""The disorder taxonomy of a crystal structure: O, SD, PD, SPD or ID.

A site is (species occupancies, position), as a pymatgen site whose ``species`` is a
Composition. The class is decided from the sites alone:

- **O** (ordered): every site holds one species with occupancy 1 (within ``occupancy_tol``).
  Decided first, from occupancies only: overlapping fully occupied atoms (a data error seen
  in a few hydride CIFs) are reported in ``DisorderReport.overlapping_full_pairs`` but do not
  change the class.
- **SD** (substitutional): some site holds two or more elements.
- **PD** (positional): some site has total occupancy below 1 (a partial single-species site,
  or vacancies on a mixed site), or sites of one element lie closer than physically possible
  and together share one position (a split site).
- **SPD**: both SD and PD.
- **ID** (interstitial): more than one atom would sit at one position, i.e. two sites
  in contact whose occupancies add up to more than ``1 + overfull_tol``; or a partially occupied
  atom in contact with a fully occupied atom of another element (it can only be there in
  addition to the host atom, outside the regular lattice positions); or a CIF position whose
  occupancies summed above 1 (``CifRecord.overfull_occupancies``).

Two sites are *in contact* when their distance (under periodic boundaries) is below
``contact_factor`` times the sum of their occupancy-weighted empirical atomic radii
(pymatgen ``Element.atomic_radius``). With the default 0.5 none of the 562 disordered
SuperCon3D entries is ID; at 0.6 one would be (181483.cif, two split sites summing to 1.32).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from pymatgen.core import Element, Structure

from supercon3d.defaults import CONTACT_FACTOR, OVERFULL_TOLERANCE

_FALLBACK_RADIUS = 1.5  # Å, for the few elements pymatgen has no atomic radius for


class DisorderClass(str, Enum):
    """Disorder class of a structure."""

    O = "O"  # noqa: E741 (the class names are the taxonomy's own)
    SD = "SD"
    PD = "PD"
    SPD = "SPD"
    ID = "ID"

    def __str__(self) -> str:
        return self.value


DISORDER_CLASSES: tuple[str, ...] = tuple(c.value for c in DisorderClass)


@dataclass(frozen=True)
class DisorderTolerances:
    """Tolerances of :func:`classify_disorder`.

    occupancy_tol: an occupancy within this of 1 counts as full.
    contact_factor: sites closer than this times the sum of their atomic radii (Å) share
        one position.
    overfull_tol: a shared position holding more than ``1 + overfull_tol`` atoms is over-full
        (ICSD occupancies are often rounded, so 1.1 at one position is not yet interstitial).
    """

    occupancy_tol: float = 1e-3
    contact_factor: float = CONTACT_FACTOR
    overfull_tol: float = OVERFULL_TOLERANCE


@dataclass(frozen=True)
class DisorderReport:
    """The class of a structure and the site counts behind it."""

    disorder_class: DisorderClass
    substitutional_sites: int
    partial_sites: int
    split_site_pairs: int
    overfull_pairs: int
    interstitial_sites: int
    overlapping_full_pairs: int


def _site_radii(structure: Structure) -> np.ndarray:
    radii = []
    for site in structure:
        elements = site.species.element_composition
        total = elements.num_atoms
        radius = sum(
            amount * (Element(str(el)).atomic_radius or _FALLBACK_RADIUS)
            for el, amount in elements.items()
        )
        radii.append(float(radius) / total)
    return np.asarray(radii)


def _contact_pairs(
    structure: Structure, radii: np.ndarray, contact_factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Site pairs (i < j) closer than ``contact_factor`` times their radii sum (any image)."""
    reach = 2.0 * contact_factor * float(radii.max())
    center, neighbor, _, distance = structure.get_neighbor_list(r=reach, exclude_self=True)
    close = (center < neighbor) & (distance < contact_factor * (radii[center] + radii[neighbor]))
    if not close.any():
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    pairs = np.unique(np.stack([center[close], neighbor[close]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def classify_disorder(
    structure: Structure,
    tolerances: DisorderTolerances = DisorderTolerances(),
    overfull_occupancies: Sequence[float] = (),
) -> DisorderReport:
    """Classify the disorder of ``structure`` (see the module docstring for the rules)."""
    tol = tolerances
    occupancy = np.array([site.species.num_atoms for site in structure], dtype=float)
    n_elements = np.array([len(site.species.element_composition) for site in structure])
    elements = [frozenset(str(e) for e in site.species.element_composition) for site in structure]

    substitutional = n_elements > 1
    partial = occupancy < 1.0 - tol.occupancy_tol
    full = ~partial

    radii = _site_radii(structure)
    i, j = _contact_pairs(structure, radii, tol.contact_factor)

    both_full_single = full[i] & full[j] & ~substitutional[i] & ~substitutional[j]
    overlapping_full = int(both_full_single.sum())

    pair_sum = occupancy[i] + occupancy[j]
    overfull = pair_sum > 1.0 + tol.overfull_tol
    same_element = np.array([elements[a] == elements[b] for a, b in zip(i, j)], dtype=bool)
    split = same_element & ~overfull
    interstitial_pair = (partial[i] & full[j] | full[i] & partial[j]) & ~same_element
    interstitial_sites = {
        int(a if partial[a] else b) for a, b in zip(i[interstitial_pair], j[interstitial_pair])
    }
    cif_overfull = any(o > 1.0 + tol.overfull_tol for o in overfull_occupancies)

    is_ordered = not substitutional.any() and not partial.any()
    if is_ordered:
        disorder_class = DisorderClass.O
    elif overfull.any() or interstitial_sites or cif_overfull:
        disorder_class = DisorderClass.ID
    else:
        has_sd = bool(substitutional.any())
        has_pd = bool(partial.any() or split.any())
        disorder_class = (
            DisorderClass.SPD
            if has_sd and has_pd
            else DisorderClass.SD
            if has_sd
            else DisorderClass.PD
        )
    return DisorderReport(
        disorder_class=disorder_class,
        substitutional_sites=int(substitutional.sum()),
        partial_sites=int(partial.sum()),
        split_site_pairs=int(split.sum()),
        overfull_pairs=int((overfull & ~both_full_single).sum()),
        interstitial_sites=len(interstitial_sites),
        overlapping_full_pairs=overlapping_full,
    )

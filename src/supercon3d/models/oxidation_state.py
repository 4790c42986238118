"""The doping level of a composition from charge neutrality: the mean oxidation state and
d-electron count of its d-block metals, with every other element at a fixed charge (an
optional input of the P(superconductor) classifier, :mod:`supercon3d.models.superconductor`).

What tells a superconducting member of a doping series from its insulating end is often the
carrier count, not which elements are there: YBa2Cu3O7 (Cu +2.33, 90 K) against YBa2Cu3O6
(Cu +1.67, an insulator), LaFeAsO0.9F0.1 (Fe +1.9, 26 K) against LaFeAsO (Fe +2.0, none).
Magpie's fraction-weighted element statistics move little between such compositions; the
metals' mean oxidation state moves by the doping itself.

The anions of :data:`ANION_CHARGES` take their charge, the d-block metals of
:data:`METAL_GROUPS` (Ti to Cu and their heavier homologues) share what is left, and every
other element takes its usual cation charge: :data:`CATION_CHARGES` where the superconductors
hold it at a charge other than its smallest positive common oxidation state (pymatgen's
``common_oxidation_states``), else that smallest one. Five descriptors
(:data:`OXIDATION_FEATURES`):

- ``metal_oxidation_state`` (e): the metals' mean oxidation state;
- ``metal_d_electrons``: their mean group minus that state (d electrons per metal atom);
- ``metal_group``: their amount-weighted mean group (4-11);
- ``metal_share``, ``anion_share``: their and the anions' share of the atoms.

All five are NaN for a composition without such a metal or without an anion (elements,
intermetallics, hydrides of the other metals), or with an element of no positive common
oxidation state outside both groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pymatgen.core import Composition, Element, Structure

from supercon3d.chemistry.cuprate_planes import CUPRATE_PLANE_FEATURES, cuprate_plane_descriptors

OXIDATION_FEATURES: tuple[str, ...] = (
    "metal_oxidation_state",
    "metal_d_electrons",
    "metal_group",
    "metal_share",
    "anion_share",
)
ANION_CHARGES: dict[str, int] = {
    "O": -2, "S": -2, "Se": -2, "Te": -2, "F": -1, "Cl": -1, "Br": -1, "I": -1,
    "N": -3, "P": -3, "As": -3, "H": -1,
}  # fmt: skip
"""Charge (e) of each element counted as an anion."""
CATION_CHARGES: dict[str, int] = {"Tl": 3, "Hg": 2}
"""Cations (e) whose charge in the superconductors (Tl and Hg cuprates) is not their smallest
positive common oxidation state."""
METAL_GROUPS = range(4, 12)
"""Groups of the d-block metals whose mean oxidation state is solved for."""


def _cation_charge(symbol: str) -> int | None:
    if symbol in CATION_CHARGES:
        return CATION_CHARGES[symbol]
    positive = [state for state in Element(symbol).common_oxidation_states if state > 0]
    return min(positive) if positive else None


def oxidation_descriptors(composition: Composition) -> np.ndarray:
    """The :data:`OXIDATION_FEATURES` of ``composition`` (NaN where they are undefined)."""
    missing = np.full(len(OXIDATION_FEATURES), np.nan)
    amounts = composition.element_composition.get_el_amt_dict()
    metals = {
        symbol: amount
        for symbol, amount in amounts.items()
        if Element(symbol).block == "d" and Element(symbol).group in METAL_GROUPS
    }
    anions = {symbol: amount for symbol, amount in amounts.items() if symbol in ANION_CHARGES}
    if not metals or not anions:
        return missing
    charge = sum(ANION_CHARGES[symbol] * amount for symbol, amount in anions.items())
    for symbol, amount in amounts.items():
        if symbol in metals or symbol in anions:
            continue
        cation = _cation_charge(symbol)
        if cation is None:
            return missing
        charge += cation * amount
    n_metal, n_atoms = sum(metals.values()), sum(amounts.values())
    state = -charge / n_metal
    group = sum(Element(symbol).group * amount for symbol, amount in metals.items()) / n_metal
    return np.array(
        [state, group - state, group, n_metal / n_atoms, sum(anions.values()) / n_atoms]
    )


def oxidation_feature_matrix(compositions: Sequence[Composition]) -> np.ndarray:
    """The (n, len(OXIDATION_FEATURES)) matrix of :func:`oxidation_descriptors`."""
    rows = [oxidation_descriptors(composition) for composition in compositions]
    return np.vstack(rows) if rows else np.empty((0, len(OXIDATION_FEATURES)))


def plane_doping_descriptors(structure: Structure | None) -> np.ndarray:
    """The :data:`~supercon3d.chemistry.cuprate_planes.CUPRATE_PLANE_FEATURES` of a structure:
    the CuO2 planes' hole count from bond valences, their charge-neutral doping level (the
    copper holes from this module's charge neutrality, less the bond-valence holes of chain
    Cu) and the plane Cu share; NaN without a structure or without Cu and O."""
    if structure is None:
        return np.full(len(CUPRATE_PLANE_FEATURES), np.nan)
    metal_state = oxidation_descriptors(structure.composition)[0]
    return cuprate_plane_descriptors(structure, metal_state)


def plane_doping_matrix(structures: Sequence[Structure | None]) -> np.ndarray:
    """The (n, len(CUPRATE_PLANE_FEATURES)) matrix of :func:`plane_doping_descriptors`."""
    rows = [plane_doping_descriptors(structure) for structure in structures]
    return np.vstack(rows) if rows else np.empty((0, len(CUPRATE_PLANE_FEATURES)))

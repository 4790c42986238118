"""Textbook non-superconductors built with pymatgen at their room-temperature lattice
constants (Å): the sanity set on which P(superconductor) must fall below 0.5.

Insulators and semiconductors (rock salt, fluorite, diamond, zinc blende) and the magnetic
metals and ordinary metals that do not superconduct at ambient pressure down to the lowest
temperatures measured (Fe, Ni, Co, Cu, Au).
"""

from __future__ import annotations

import numpy as np
from pymatgen.core import Lattice, Structure

# Conventional cubic cells, written out: Structure.from_spacegroup takes up to a second each.
_FCC = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
_QUARTER = np.array([0.25, 0.25, 0.25])
_OCTANT = np.array([[x, y, z] for x in (0.25, 0.75) for y in (0.25, 0.75) for z in (0.25, 0.75)])


def _cubic(a: float, sublattices: list[tuple[str, np.ndarray]]) -> Structure:
    species = [element for element, sites in sublattices for _ in sites]
    coords = np.vstack([sites for _, sites in sublattices])
    return Structure(Lattice.cubic(a), species, coords)


def rocksalt(cation: str, anion: str, a: float) -> Structure:
    return _cubic(a, [(cation, _FCC), (anion, (_FCC + [0.5, 0, 0]) % 1)])


def diamond(element: str, a: float) -> Structure:
    return _cubic(a, [(element, _FCC), (element, _FCC + _QUARTER)])


def zincblende(cation: str, anion: str, a: float) -> Structure:
    return _cubic(a, [(cation, _FCC), (anion, _FCC + _QUARTER)])


def fluorite(cation: str, anion: str, a: float) -> Structure:
    return _cubic(a, [(cation, _FCC), (anion, _OCTANT)])


def bcc(element: str, a: float) -> Structure:
    return _cubic(a, [(element, np.array([[0, 0, 0], [0.5, 0.5, 0.5]]))])


def fcc(element: str, a: float) -> Structure:
    return _cubic(a, [(element, _FCC)])


def hcp(element: str, a: float, c: float) -> Structure:
    coords = [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]]
    return Structure(Lattice.hexagonal(a, c), [element, element], coords)


def textbook_non_superconductors() -> dict[str, Structure]:
    """Name → structure of the sanity set."""
    return {
        "NaCl": rocksalt("Na", "Cl", 5.64),
        "KCl": rocksalt("K", "Cl", 6.29),
        "LiF": rocksalt("Li", "F", 4.03),
        "MgO": rocksalt("Mg", "O", 4.21),
        "NiO": rocksalt("Ni", "O", 4.17),
        "MnO": rocksalt("Mn", "O", 4.44),
        "CaF2": fluorite("Ca", "F", 5.463),
        "Si": diamond("Si", 5.43),
        "diamond": diamond("C", 3.567),
        "GaAs": zincblende("Ga", "As", 5.653),
        "ZnS": zincblende("Zn", "S", 5.41),
        "Fe (bcc)": bcc("Fe", 2.87),
        "Ni (fcc)": fcc("Ni", 3.52),
        "Co (hcp)": hcp("Co", 2.507, 4.07),
        "Cu (fcc)": fcc("Cu", 3.615),
        "Au (fcc)": fcc("Au", 4.078),
    }

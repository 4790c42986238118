"""Textbook non-superconductors built with pymatgen at their room-temperature lattice
constants (Å): the sanity set on which P(superconductor) must fall below 0.5.

Insulators and semiconductors (rock salt, fluorite, diamond, zinc blende) and the magnetic
metals and ordinary metals that do not superconduct at ambient pressure down to the lowest
temperatures measured (Fe, Ni, Co, Cu, Au).
"""

from __future__ import annotations

from pymatgen.core import Lattice, Structure

_ORIGIN, _BODY_CENTRE, _QUARTER = [0, 0, 0], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]


def rocksalt(cation: str, anion: str, a: float) -> Structure:
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a), [cation, anion], [_ORIGIN, _BODY_CENTRE]
    )


def diamond(element: str, a: float) -> Structure:
    return Structure.from_spacegroup("Fd-3m", Lattice.cubic(a), [element], [_ORIGIN])


def zincblende(cation: str, anion: str, a: float) -> Structure:
    return Structure.from_spacegroup(
        "F-43m", Lattice.cubic(a), [cation, anion], [_ORIGIN, _QUARTER]
    )


def fluorite(cation: str, anion: str, a: float) -> Structure:
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a), [cation, anion], [_ORIGIN, _QUARTER]
    )


def bcc(element: str, a: float) -> Structure:
    return Structure.from_spacegroup("Im-3m", Lattice.cubic(a), [element], [_ORIGIN])


def fcc(element: str, a: float) -> Structure:
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), [element], [_ORIGIN])


def hcp(element: str, a: float, c: float) -> Structure:
    lattice = Lattice.hexagonal(a, c)
    return Structure.from_spacegroup("P6_3/mmc", lattice, [element], [[1 / 3, 2 / 3, 0.25]])


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

"""Elemental reference structures built from standard prototypes, for the elements the
structure corpus has no elemental crystal of: fcc, bcc, hcp and diamond cells sized from the
element's atomic radius, and for the diatomic gases a dimer in a box. The reference is the
lowest energy after relaxing every prototype with the potential."""

from __future__ import annotations

import math

from pymatgen.core import Element, Lattice, Structure

DIATOMIC_GASES = frozenset({"H", "N", "O", "F", "Cl", "Br", "I"})
"""Elements whose ground state is a molecule: referenced as a dimer in a box."""
DIMER_BOX = 10.0
"""Å: edge of the cubic box around a dimer (no cell relaxation)."""
IDEAL_C_OVER_A = math.sqrt(8.0 / 3.0)
DEFAULT_RADIUS = 1.5
"""Å: the atomic radius used when pymatgen has none."""


def _radius(element: Element) -> float:
    """Å: the atomic radius, or the covalent-like fallback."""
    radius = element.atomic_radius
    return float(radius) if radius is not None else DEFAULT_RADIUS


def crystal_prototypes(symbol: str) -> dict[str, Structure]:
    """fcc, bcc, hcp and diamond cells of ``symbol``, nearest neighbours at twice its radius."""
    d = 2.0 * _radius(Element(symbol))
    fcc = Structure(Lattice.cubic(d * math.sqrt(2.0)), [symbol] * 4,
                    [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])  # fmt: skip
    bcc = Structure(Lattice.cubic(2.0 * d / math.sqrt(3.0)), [symbol] * 2,
                    [[0, 0, 0], [0.5, 0.5, 0.5]])  # fmt: skip
    hcp = Structure(Lattice.hexagonal(d, d * IDEAL_C_OVER_A), [symbol] * 2,
                    [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]])  # fmt: skip
    diamond = Structure.from_spacegroup(
        "Fd-3m", Lattice.cubic(4.0 * d / math.sqrt(3.0)), [symbol], [[0, 0, 0]]
    )
    return {"fcc": fcc, "bcc": bcc, "hcp": hcp, "diamond": diamond}


def dimer(symbol: str) -> Structure:
    """A ``symbol``₂ molecule in a :data:`DIMER_BOX` cube, bond length twice the radius."""
    bond = 2.0 * _radius(Element(symbol))
    return Structure(Lattice.cubic(DIMER_BOX), [symbol, symbol],
                     [[0, 0, 0], [bond / DIMER_BOX, 0, 0]], coords_are_cartesian=False)  # fmt: skip


def elemental_prototypes(symbol: str) -> dict[str, tuple[Structure, bool]]:
    """Prototype name -> (structure, whether its cell relaxes): the dimer alone for a
    diatomic gas, else the crystal prototypes."""
    if symbol in DIATOMIC_GASES:
        return {"dimer": (dimer(symbol), False)}
    return {name: (cell, True) for name, cell in crystal_prototypes(symbol).items()}

"""Reference structures built from standard prototypes, for what the structure corpus lacks.

- Elements without an elemental crystal in the corpus: fcc, bcc, hcp and diamond cells sized
  from the element's atomic radius, and for the diatomic gases a dimer in a box; the
  reference is the lowest energy after relaxing every prototype with the potential.
- Pairs of elements that meet in no compound of the corpus (:mod:`supercon3d.stability.
  completion`): ten binary prototypes of the commonest AB, AB₂ and AB₃ structure types, each
  way round where the stoichiometry is asymmetric. Relaxed, their lowest energy per formula
  bounds the pair's true hull from above.
"""

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
CLOSEST_SHARE = 0.75
"""No two atoms of a binary prototype start closer than this share of the sum of their
radii: a gross overlap is removed, while a cell such as AlB₂-type CaAg₂ (Ag–Ag at 0.74 of
the sum, the lowest CaAg₂ of the ten after relaxing) keeps its shape and size."""
MIN_RADIUS = 0.5
"""Å: the smallest radius a prototype is built with (pymatgen's atomic radius of H, 0.25 Å,
would put metal–H bonds 0.3 Å shorter than in any hydride)."""
HEXAGONAL_A_SCALE = 1.2
"""In-plane lattice constant of the hexagonal binaries (AlB₂, CdI₂) in units of the A–B
bond length; the height then follows from that bond length."""
MIN_HEIGHT_SHARE = 0.3
"""Lower bound of (height / bond length)² of the hexagonal binaries, so that no cell starts
flat however the radii compare."""


def _radius(element: Element) -> float:
    """Å: the atomic radius (at least :data:`MIN_RADIUS`), or the fallback."""
    radius = element.atomic_radius
    return max(MIN_RADIUS, float(radius)) if radius is not None else DEFAULT_RADIUS


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


def _fcc(a: float) -> Lattice:
    """The primitive lattice of a face-centred cubic cell of edge ``a`` (Å)."""
    return Lattice([[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]])


def _hexagonal(bond: float, height_per_bond: float) -> Lattice:
    """A hexagonal lattice whose A site at the origin and B site at (1/3, 2/3, z) are
    ``bond`` Å apart, with z·c given by ``height_per_bond`` × that height."""
    a = HEXAGONAL_A_SCALE * bond
    height = math.sqrt(max(bond**2 - a**2 / 3.0, MIN_HEIGHT_SHARE * bond**2))
    return Lattice.hexagonal(a, height * height_per_bond)


def _spread(cell: Structure) -> Structure:
    """``cell`` scaled up, if needed, until no two atoms (periodic images included) are
    closer than :data:`CLOSEST_SHARE` of the sum of their radii: a prototype built from the
    A–B distance can otherwise put two B atoms far too close (S–S at 0.87 Å in AlB₂-type
    HS₂, whose CHGNet graph took 6 GB)."""
    radii = [_radius(site.specie) for site in cell]
    centres, neighbours, _, distances = cell.get_neighbor_list(r=2.0 * max(radii))
    if not len(centres):
        return cell
    ratio = min(
        distance / (radii[i] + radii[j]) for i, j, distance in zip(centres, neighbours, distances)
    )
    if ratio < CLOSEST_SHARE:
        cell.scale_lattice(cell.volume * (CLOSEST_SHARE / ratio) ** 3)
    return cell


def binary_prototypes(first: str, second: str) -> dict[str, Structure]:
    """Ten binary cells of ``first`` (A) and ``second`` (B), by name: rock salt, CsCl (AB);
    fluorite, AlB₂, CdI₂ (AB₂ and A₂B); BiF₃/D0₃ (AB₃ and A₃B). Primitive cells of 2–4
    atoms, the nearest A–B distance the sum of the atomic radii (scaled up where two atoms
    would overlap, see :func:`_spread`)."""
    d = _radius(Element(first)) + _radius(Element(second))
    a, b = first, second
    quarter, half, three_quarters = [0.25] * 3, [0.5] * 3, [0.75] * 3
    cells = {
        "rocksalt-AB": Structure(_fcc(2.0 * d), [a, b], [[0, 0, 0], half]),
        "cscl-AB": Structure(Lattice.cubic(2.0 * d / math.sqrt(3.0)), [a, b], [[0, 0, 0], half]),
    }
    fcc = _fcc(4.0 * d / math.sqrt(3.0))
    for x, y, tag in ((a, b, "AB"), (b, a, "BA")):
        cells[f"fluorite-{tag}2"] = Structure(fcc, [x, y, y], [[0, 0, 0], quarter, three_quarters])
        cells[f"alb2-{tag}2"] = Structure(
            _hexagonal(d, 2.0), [x, y, y], [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]]
        )
        cells[f"cdi2-{tag}2"] = Structure(
            _hexagonal(d, 4.0), [x, y, y], [[0, 0, 0], [1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]]
        )
        cells[f"d03-{tag}3"] = Structure(
            fcc, [x, y, y, y], [[0, 0, 0], quarter, three_quarters, half]
        )
    return {name: _spread(cell) for name, cell in cells.items()}

"""Reference structures built from standard prototypes, and the rule that keeps a structure
without bonds out of the elemental references.

- Every element: fcc, bcc, hcp, simple cubic and diamond cells sized from the element's atomic
  radius, and for the elements whose ground state is molecular
  (:data:`MOLECULAR_ELEMENTS`) a dimer in a box as well; relaxed with the potential, their
  lowest energy bounds the element's reference from above (the reference table takes the
  lowest of these and of the corpus's elemental structures).
- An elemental structure whose atoms sit far beyond bonding distance of one another
  (:func:`unbonded`, e.g. Materials Project's mp-23907: two H atoms 3.90 Å apart) stands
  for no real phase and is never a reference.
- Pairs of elements that meet in no compound of the corpus (:mod:`supercon3d.stability.
  completion`): ten binary prototypes of the commonest AB, AB₂ and AB₃ structure types, each
  way round where the stoichiometry is asymmetric. Relaxed, their lowest energy per formula
  bounds the pair's true hull from above.
"""

from __future__ import annotations

import math
import warnings

from pymatgen.analysis.molecule_structure_comparator import CovalentRadius
from pymatgen.core import Element, Lattice, Structure

MOLECULAR_ELEMENTS = frozenset({"H", "N", "O", "F", "Cl", "Br", "I"})
"""Elements whose ground state is made of diatomic molecules (gases H₂, N₂, O₂, F₂, Cl₂;
liquid Br₂; solid I₂, a crystal of I₂ molecules): each also gets a dimer in a box. P (black
P) and S (S₈ rings) are referenced by their crystals; At, whose ground state is not known,
by the crystal prototypes."""
DIMER_BOX = 12.0
"""Å: edge of the cubic box around a dimer (no cell relaxation). Periodic images lie beyond
twice CHGNet's 5 Å graph radius from each other's atoms."""
IDEAL_C_OVER_A = math.sqrt(8.0 / 3.0)
DEFAULT_RADIUS = 1.5
"""Å: the atomic radius used when pymatgen has none."""
MAX_BOND_STRETCH = 2.0
"""An elemental structure whose shortest interatomic distance exceeds this many covalent
bond lengths (twice the element's covalent radius) has no bonds: it stands for no phase and
its energy says nothing about the element (the H₂ of mp-23907, two H atoms 3.90 Å apart, 6.3
bond lengths, lies 2.2 eV/atom above an H₂ molecule with CHGNet). Among the 433 ordered
elemental structures of the Materials Project corpus every other one stays within 1.41
(alkali metals 1.1, molecular O₂ and Br₂ crystals 1.35–1.41). Noble gases, bound only by
dispersion, are exempt."""
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


def crystal_radius(element: Element) -> float:
    """Å: half the nearest-neighbour distance an elemental crystal prototype starts with: the
    metallic radius where pymatgen has one (closer to the metals' densities: 1.55 Å for Np,
    whose atomic radius of 1.75 Å starts a cell the potential then shrinks by half), else
    :func:`_radius`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns for every element without the datum
        metallic = element.metallic_radius
    return float(metallic) if metallic else _radius(element)


def covalent_radius(symbol: str) -> float:
    """Å: the covalent radius of ``symbol`` (Cordero et al. 2008, through pymatgen), or
    :data:`DEFAULT_RADIUS` for an element it lacks."""
    return float(CovalentRadius.radius.get(symbol, DEFAULT_RADIUS))


def shortest_distance(structure: Structure) -> float:
    """Å: the shortest distance between two atoms of ``structure``, periodic images included
    (infinite for a lone atom in a cell wider than the search radius)."""
    reach = max(structure.lattice.abc) + 1.0
    distances = structure.get_neighbor_list(r=reach, exclude_self=True)[3]
    return float(distances.min()) if len(distances) else math.inf


def unbonded(structure: Structure) -> bool:
    """Whether an elemental ``structure`` has no bonds: its shortest interatomic distance
    beyond :data:`MAX_BOND_STRETCH` covalent bond lengths (never for a noble gas)."""
    symbol = structure.composition.elements[0].symbol
    if Element(symbol).is_noble_gas:
        return False
    bond = 2.0 * covalent_radius(symbol)
    return shortest_distance(structure) > MAX_BOND_STRETCH * bond


def crystal_prototypes(symbol: str) -> dict[str, Structure]:
    """Primitive fcc, bcc, hcp, simple cubic and diamond cells of ``symbol`` (1–2 atoms),
    nearest neighbours at twice its :func:`crystal_radius` (Å)."""
    d = 2.0 * crystal_radius(Element(symbol))
    bcc_a = 2.0 * d / math.sqrt(3.0)
    bcc = Lattice([[-bcc_a / 2, bcc_a / 2, bcc_a / 2], [bcc_a / 2, -bcc_a / 2, bcc_a / 2],
                   [bcc_a / 2, bcc_a / 2, -bcc_a / 2]])  # fmt: skip
    eighth = [0.125] * 3
    return {
        "fcc": Structure(_fcc(d * math.sqrt(2.0)), [symbol], [[0, 0, 0]]),
        "bcc": Structure(bcc, [symbol], [[0, 0, 0]]),
        "hcp": Structure(
            Lattice.hexagonal(d, d * IDEAL_C_OVER_A),
            [symbol] * 2,
            [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]],
        ),
        "sc": Structure(Lattice.cubic(d), [symbol], [[0, 0, 0]]),
        "diamond": Structure(
            _fcc(4.0 * d / math.sqrt(3.0)), [symbol] * 2, [[-x for x in eighth], eighth]
        ),
    }


def dimer(symbol: str) -> Structure:
    """A ``symbol``₂ molecule in a :data:`DIMER_BOX` cube, bond length twice the covalent
    radius (Å; H₂ 0.62 Å, the potential relaxes it)."""
    bond = 2.0 * covalent_radius(symbol)
    return Structure(Lattice.cubic(DIMER_BOX), [symbol, symbol],
                     [[0, 0, 0], [bond, 0, 0]], coords_are_cartesian=True)  # fmt: skip


def elemental_prototypes(symbol: str) -> dict[str, tuple[Structure, bool]]:
    """Prototype name -> (structure, whether its cell relaxes): the crystal prototypes, and
    for a molecular element (:data:`MOLECULAR_ELEMENTS`) the dimer too (its box fixed)."""
    cells = {name: (cell, True) for name, cell in crystal_prototypes(symbol).items()}
    if symbol in MOLECULAR_ELEMENTS:
        cells["dimer"] = (dimer(symbol), False)
    return cells


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

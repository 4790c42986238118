"""Sizes for the substitution rule: a site's coordination number and the radii (Å) of the
host and the dopant on it.

Coordination is counted from the structure, without a bonding model: the neighbours of a site
within ``1 + COORDINATION_TOLERANCE`` times its shortest distance to another site (the
minimum-distance rule of pymatgen's ``MinimumDistanceNN``, done on one neighbour list for all
sites), averaged over the host element's sites weighted by occupancy. An ion's radius at a
coordination is its Shannon (1976) ionic radius from pymatgen's element data at the listed
coordination nearest to it (high spin where the table has both); two ions are compared at the
coordination nearest to the site's that both have listed, because Shannon radii grow with
coordination. A site without an assignable ion (a B⁻ network in MgB₂, As³⁻, an intermetallic)
is compared with covalent radii (Cordero et al. 2008, as tabulated in pymatgen).
"""

from __future__ import annotations

import re

import numpy as np
from pymatgen.core import Element, Species, Structure

COORDINATION_TOLERANCE = 0.2
"""Neighbours within ``(1 + this) × d_min`` of a site count towards its coordination."""
NEIGHBOUR_SEARCH_ANGSTROM = 4.5
"""Radius (Å) within which neighbours are looked for (longer first-shell bonds are rare)."""
_ROMAN = {"I": 1, "V": 5, "X": 10}
_LEADING_ROMAN = re.compile(r"^[IVX]+")
_SPIN_PREFERENCE = ("High Spin", "", "Low Spin")


def _roman(numeral: str) -> int:
    """The value of a Roman numeral such as ``VIII`` or ``IX``."""
    values = [_ROMAN[letter] for letter in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def coordination_number(structure: Structure, element: str) -> float | None:
    """The mean coordination number of ``element``'s sites (occupancy-weighted), counting
    the neighbours of each site within ``(1 + COORDINATION_TOLERANCE)`` times its shortest
    distance; None if the element is absent or has no neighbour within
    :data:`NEIGHBOUR_SEARCH_ANGSTROM`."""
    centres, _, _, distances = structure.get_neighbor_list(NEIGHBOUR_SEARCH_ANGSTROM)
    total, weight = 0.0, 0.0
    for index, site in enumerate(structure):
        share = sum(
            float(amount)
            for species, amount in site.species.items()
            if getattr(species, "symbol", str(species)) == element
        )
        mine = distances[centres == index]
        mine = mine[mine > 1e-6]
        if share <= 0 or not len(mine):
            continue
        count = int(np.sum(mine <= (1 + COORDINATION_TOLERANCE) * mine.min()))
        total, weight = total + share * count, weight + share
    return total / weight if weight else None


def shannon_radii(element: str, charge: int) -> dict[int, float]:
    """The Shannon ionic radii (Å) of ``element`` with ``charge`` by coordination number
    (square-planar and pyramidal entries fold into their number; high spin preferred)."""
    table = Element(element).data.get("Shannon radii", {}).get(str(charge), {})
    radii: dict[int, float] = {}
    for label, spins in table.items():
        numeral = _LEADING_ROMAN.match(label)
        if numeral is None:
            continue
        spin = next((s for s in _SPIN_PREFERENCE if s in spins), next(iter(spins)))
        radii.setdefault(_roman(numeral.group()), spins[spin]["ionic_radius"])
    return radii


def ionic_radii_at(
    host: Species, dopant: Species, coordination: float | None
) -> tuple[float, float] | None:
    """The ionic radii (Å) of ``host`` and ``dopant`` at the coordination both have listed
    nearest to ``coordination`` (the largest listed when it is None); None when they share
    no listed coordination."""
    mine = shannon_radii(host.symbol, int(host.oxi_state))
    theirs = shannon_radii(dopant.symbol, int(dopant.oxi_state))
    shared = sorted(set(mine) & set(theirs))
    if not shared:
        return None
    target = max(shared) if coordination is None else coordination
    nearest = min(shared, key=lambda cn: (abs(cn - target), -cn))
    return mine[nearest], theirs[nearest]


def covalent_radius(element: str) -> float | None:
    """The covalent radius (Å) of ``element`` (Cordero et al. 2008), or None if untabulated."""
    from pymatgen.analysis.molecule_structure_comparator import CovalentRadius

    return CovalentRadius.radius.get(element)


def mismatch(host_radius: float, dopant_radius: float) -> float:
    """The relative size mismatch ``|r_dopant − r_host| / r_host`` (dimensionless)."""
    return abs(dopant_radius - host_radius) / host_radius

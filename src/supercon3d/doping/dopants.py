"""Which element may replace which in a structure: a dopant of compatible charge and size.

**The host's oxidation states** are those the CIF declares, else pymatgen's first
charge-balanced guess for the composition (ICSD-frequency ranked), else the Zintl reading of
a metal boride, carbide or silicide (:func:`zintl_oxidation_states`: every metal at its one
common state, the one non-metal taking the balancing negative charge, so MgB₂ is Mg²⁺ with a
B⁻ network, B₂²⁻). Without any of these (an intermetallic such as Nb₃Sn) the states are
unknown.

**A site** is *ionic* when its element's state is known and its ion has Shannon radii and
is in the ICSD substitution table (a cation of non-integer mean state, Cu²·³³⁺ in
YBa₂Cu₃O₇, is read as the nearest integer state); otherwise it is *covalent* (B⁻ in MgB₂,
As³⁻, Te²⁻, C^(−1/3) in CaC₆) or, without known states, *metallic*.

**A dopant** of a host element must

- be a periodic-table neighbour of the host (:func:`periodic_distance`: valence column and
  period each within one; the lanthanides sit in column 3 of period 6): Al or Sc for Mg, C for
  B, Sr or Ca for Y, Zn or Ni for Cu, F or N for O — the substitutions of the doping
  literature, where a far element brings another bonding (Mn's d shell into MgB₂'s sp bands);
- for an ionic site: be an ion of pymatgen's ICSD substitution table (Hautier et al. 2011) of
  the same sign whose charge is within :data:`MAX_CHARGE_DIFFERENCE` of the host's, with a
  Shannon radius within :data:`MAX_RADIUS_MISMATCH` of the host ion's at the site's
  coordination (:mod:`~supercon3d.doping.radii`);
- for an ionic site, also: not be a pair the ICSD never shows replacing each other
  (:data:`MIN_SUBSTITUTION_PROBABILITY`); an element counts as its most probable ion, with
  that ion's probability, except in a host of an oxidising anion
  (:data:`OXIDISING_ANIONS`), where it takes an admissible ion of higher charge when that
  ion fits the site better: the small Y³⁺ site of YBa₂Cu₃O₇ takes Pr⁴⁺ (mismatch 0.06; Pr³⁺
  0.11), the electron-adding, hole-filling Pr that suppresses superconductivity in
  PrBa₂Cu₃O₇, and Ce⁴⁺;
- for a covalent or metallic site: be a metal for a metal and a non-metal (metalloids
  included) for a non-metal, of the same block family (s/p or d/f: Zr shares Sn's valence
  column but not its bonding), with a covalent radius within :data:`MAX_RADIUS_MISMATCH`;
- not be in the structure already, radioactive or a noble gas.

**Carriers**: on an ionic site a lower charge than the host's adds holes (Sr²⁺ for La³⁺),
a higher one electrons (Al³⁺ for Mg²⁺, F⁻ for O²⁻); on a covalent site the dopant keeps the
site's electron count, so one more valence electron is an electron (C for B in MgB₂) and one
fewer a hole; on a metallic site they are unknown.

**Which are kept**: per host at most ``max_per_host``, taken in turns from the carrier classes
(hole, isovalent, electron), each class in order of periodic distance, then ICSD substitution
probability (ionic) or size mismatch (covalent, metallic).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache

from pymatgen.core import Composition, Element, Species, Structure

from supercon3d.chemistry.elements import RADIOACTIVE
from supercon3d.chemistry.oxidation import integer_composition
from supercon3d.doping.radii import (
    coordination_number,
    covalent_radius,
    ionic_radii_at,
    mismatch,
    shannon_radii,
)

DEFAULT_MAX_DOPANTS_PER_HOST = 6
"""Dopants kept per host element (taken in turns from the hole, isovalent and electron
classes, so two of each when there are)."""
MAX_CHARGE_DIFFERENCE = 1
"""A dopant's oxidation state differs from the host's by at most this much."""
MAX_RADIUS_MISMATCH = 0.30
"""Largest relative size mismatch |r_dopant − r_host| / r_host on the site (ionic radii at its
coordination, else covalent radii). 0.30 keeps the textbook substitutions (Al³⁺ for Mg²⁺
0.26, Ca²⁺ for Y³⁺ 0.10, Zn²⁺ for Cu²⁺ 0.05, C for B 0.13) and drops Se or Te for B (0.43,
0.64) and Na⁺ for Mg²⁺ (0.33); Hume-Rothery's 15 % for complete solid solution is stricter
than doping needs."""
MAX_PERIODIC_DISTANCE = 1
"""Largest difference in valence column, and in period, between host and dopant."""
MIN_SUBSTITUTION_PROBABILITY = 1e-6
"""Ion pairs the ICSD never shows replacing each other get the table's floor (9.3e-8): an
ionic dopant needs more (Ag³⁺ for Cu²⁺ has the floor)."""
NOBLE_GASES = frozenset({"He", "Ne", "Ar", "Kr", "Xe", "Rn"})
"""Elements whose few compounds (KrF₂, XeF₂) need fluorine: the ICSD table still lists Kr²⁺
and Xe²⁺ among the substitutes of Zr³⁺ or Sr²⁺, and the default discover run proposed Kr for
Zr."""
NEVER_DOPANTS = RADIOACTIVE | NOBLE_GASES
"""Elements never proposed as dopants."""
STATE_TOLERANCE = 1e-3
"""Oxidation states closer than this (e) are equal."""
OXIDISING_ANIONS = frozenset({"O", "F"})
"""Anions that stabilise an element's higher oxidation states (CeO₂, PrO₂, BaPrO₃, TbO₂): in
their hosts a dopant may take a higher charge than its most probable ion on the site when
that ion fits the site better, never a lower one (Eu²⁺ and Yb²⁺ are reductants that a Cu²⁺
oxide oxidises)."""
VACANCY_ANIONS = ("O", "S", "Se", "As")
"""Anions whose sites may be left partly empty (vacancy doping)."""
IONIC, COVALENT, METALLIC = "ionic", "covalent", "metallic"
"""Kinds of host site (module docstring)."""
HOLE, ISOVALENT, ELECTRON, UNKNOWN = "hole", "isovalent", "electron", "unknown"
"""Carriers a dopant adds."""
CARRIER_ORDER = (HOLE, ISOVALENT, ELECTRON, UNKNOWN)


@dataclass(frozen=True)
class Dopant:
    """A substitution ``dopant`` (element) for ``host`` (element) on a site of ``site_kind``:
    their oxidation states (the host's None when unknown, possibly fractional on a covalent
    site), the substitution probability from the ICSD table (None off an ionic site), the
    relative ``radius_mismatch`` on the site and the ``carriers`` it adds (``"hole"``,
    ``"electron"``, ``"isovalent"`` or ``"unknown"``)."""

    host: str
    dopant: str
    host_oxidation: float | None
    dopant_oxidation: float | None
    probability: float | None
    carriers: str
    radius_mismatch: float
    site_kind: str


@cache
def _table():
    from pymatgen.analysis.structure_prediction.substitution_probability import (
        SubstitutionProbability,
    )

    return SubstitutionProbability()


def oxidation_states(composition: Composition) -> dict[str, float] | None:
    """pymatgen's most likely charge-balanced oxidation states by element, or None (none
    balances, or the amounts are not whole within
    :data:`~supercon3d.chemistry.oxidation.MAX_SCALE` formula units)."""
    whole = integer_composition(composition.reduced_composition)
    if whole is None:
        return None
    guesses = whole.oxi_state_guesses(max_sites=-1)
    return dict(guesses[0]) if guesses else None


def zintl_oxidation_states(composition: Composition) -> dict[str, float] | None:
    """The Zintl reading of a compound of metals with one non-metal (metalloids included):
    each metal at its single common oxidation state, the non-metal's atoms sharing the
    balancing negative charge (MgB₂: Mg 2, B −1; CaC₆: Ca 2, C −1/3). None when a metal has
    no single common state, there is not exactly one non-metal, or its share is not negative
    or beyond the element's most negative known state (Nb₃Ge would need Ge −15)."""
    metals = [e for e in composition.elements if e.is_metal]
    others = [e for e in composition.elements if not e.is_metal]
    if len(others) != 1 or not metals:
        return None
    if any(len(metal.common_oxidation_states) != 1 for metal in metals):
        return None
    states = {metal.symbol: float(metal.common_oxidation_states[0]) for metal in metals}
    (anion,) = others
    share = -sum(composition[m] * states[m.symbol] for m in metals) / composition[anion]
    known = set(anion.oxidation_states) | set(anion.icsd_oxidation_states)
    known |= set(anion.common_oxidation_states)
    if not share < 0 or share < min(known, default=0):
        return None
    return {**states, anion.symbol: share}


def declared_oxidation_states(structure: Structure) -> dict[str, float] | None:
    """The oxidation states a structure's file declares (occupancy-weighted mean per
    element), or None unless every species has one and some are not 0 (a CIF of a metal
    often declares 0 for every atom)."""
    totals: dict[str, list[float]] = {}
    for site in structure:
        for species, amount in site.species.items():
            charge = getattr(species, "oxi_state", None)
            if charge is None:
                return None
            weight, total = totals.setdefault(species.symbol, [0.0, 0.0])
            totals[species.symbol] = [weight + amount, total + amount * charge]
    states = {element: total / weight for element, (weight, total) in totals.items()}
    return states if any(round(charge) != 0 for charge in states.values()) else None


def host_oxidation_states(structure: Structure) -> dict[str, float] | None:
    """The oxidation states by element the doping rules use (module docstring): declared,
    else pymatgen's guess, else the Zintl reading; None when unknown."""
    composition = structure.composition.element_composition
    return (
        declared_oxidation_states(structure)
        or oxidation_states(composition)
        or zintl_oxidation_states(composition)
    )


def carriers(host_oxidation: float | None, dopant_oxidation: float | None) -> str:
    """What a dopant of ``dopant_oxidation`` on a host site of ``host_oxidation`` adds."""
    if host_oxidation is None or dopant_oxidation is None:
        return UNKNOWN
    if abs(dopant_oxidation - host_oxidation) < STATE_TOLERANCE:
        return ISOVALENT
    return HOLE if dopant_oxidation < host_oxidation else ELECTRON


def valence_column(element: str) -> int:
    """The valence-electron column: the group for the s and d blocks, group − 10 for the p
    block (Al 3, C 4, O 6), 3 for the lanthanides and actinides."""
    found = Element(element)
    if found.block == "p":
        return found.group - 10
    return 3 if found.block == "f" else found.group


def periodic_distance(host: str, dopant: str) -> int:
    """How far two elements sit apart in the periodic table: the larger of their difference
    in :func:`valence_column` and in period (row)."""
    a, b = Element(host), Element(dopant)
    return max(abs(valence_column(host) - valence_column(dopant)), abs(a.row - b.row))


def site_kind(element: str, states: dict[str, float] | None) -> str:
    """:data:`IONIC`, :data:`COVALENT` or :data:`METALLIC` for ``element``'s sites (module
    docstring)."""
    if states is None or round(states[element]) == 0:
        return METALLIC
    charge = states[element]
    if charge < 0 and abs(charge - round(charge)) > STATE_TOLERANCE:
        return COVALENT
    ion = Species(element, round(charge))
    return IONIC if shannon_radii(element, round(charge)) and ion in _table().species else COVALENT


def _main_group(element: str) -> bool:
    """Whether ``element`` is of the s or p block (else d or f)."""
    return Element(element).block in ("s", "p")


def _candidates(present: set[str]) -> list[str]:
    """Elements that may be proposed at all."""
    return [
        element.symbol
        for element in Element
        if element.Z <= 103 and element.symbol not in present | NEVER_DOPANTS
    ]


def _ionic_dopants(
    host: str, charge: int, coordination: float | None, present: set[str]
) -> list[Dopant]:
    """Every admissible dopant ion of an ionic host site (module docstring; an element may
    enter with more than one of its ions)."""
    table = _table()
    species = Species(host, charge)
    allowed = set(_candidates(present))
    found = []
    for candidate in table.species:
        state = candidate.oxi_state
        if (
            candidate.symbol not in allowed
            or state is None
            or state * charge <= 0
            or abs(state - charge) > MAX_CHARGE_DIFFERENCE
            or periodic_distance(host, candidate.symbol) > MAX_PERIODIC_DISTANCE
        ):
            continue
        probability = float(table.prob(candidate, species))
        radii = ionic_radii_at(species, candidate, coordination)
        if (
            probability < MIN_SUBSTITUTION_PROBABILITY
            or radii is None
            or mismatch(*radii) > MAX_RADIUS_MISMATCH
        ):
            continue
        found.append(Dopant(
            host, candidate.symbol, float(charge), float(state), probability,
            carriers(charge, state), mismatch(*radii), IONIC,
        ))  # fmt: skip
    return _likely_ions(found, oxidising=bool(OXIDISING_ANIONS & present))


def _likely_ions(found: list[Dopant], oxidising: bool) -> list[Dopant]:
    """Each element once, as its most probable admissible ion or, in a host of an oxidising
    anion (``oxidising``), as an ion of higher charge that fits the site better, with the
    element's probability (module docstring)."""
    by_element: dict[str, list[Dopant]] = defaultdict(list)
    for dopant in found:
        by_element[dopant.dopant].append(dopant)
    chosen = []
    for ions in by_element.values():
        likely = max(ions, key=lambda ion: ion.probability)
        higher = [
            ion
            for ion in ions
            if oxidising
            and ion.dopant_oxidation > likely.dopant_oxidation
            and ion.radius_mismatch < likely.radius_mismatch
        ]
        fitting = min(higher, key=lambda ion: ion.radius_mismatch, default=likely)
        chosen.append(replace(fitting, probability=likely.probability))
    return chosen


def _covalent_dopants(host: str, charge: float | None, present: set[str]) -> list[Dopant]:
    """Every admissible dopant of a covalent (``charge`` known) or metallic (None) host site:
    same kind (metal or not) and block family (s/p or d/f), a periodic neighbour, covalent
    radii within :data:`MAX_RADIUS_MISMATCH`."""
    own = covalent_radius(host)
    if own is None:
        return []
    kind = METALLIC if charge is None else COVALENT
    found = []
    for symbol in _candidates(present):
        radius = covalent_radius(symbol)
        if (
            radius is None
            or Element(symbol).is_metal != Element(host).is_metal
            or _main_group(symbol) != _main_group(host)
            or periodic_distance(host, symbol) > MAX_PERIODIC_DISTANCE
            or mismatch(own, radius) > MAX_RADIUS_MISMATCH
        ):
            continue
        state = None if charge is None else charge + valence_column(symbol) - valence_column(host)
        size = mismatch(own, radius)
        found.append(Dopant(host, symbol, charge, state, None, carriers(charge, state), size, kind))
    return found


def _in_turns(options: list[Dopant], host: str, limit: int) -> list[Dopant]:
    """At most ``limit`` dopants, one element once, taken in turns from the carrier classes,
    each class best first (periodic distance, then probability or size mismatch)."""

    def key(dopant: Dopant) -> tuple:
        preference = -dopant.probability if dopant.probability is not None else 0.0
        return periodic_distance(host, dopant.dopant), preference, dopant.radius_mismatch

    classes: dict[str, list[Dopant]] = defaultdict(list)
    for dopant in sorted(options, key=key):
        classes[dopant.carriers].append(dopant)
    queues = [classes[name] for name in CARRIER_ORDER if classes[name]]
    queues.sort(key=lambda queue: key(queue[0]))
    chosen: dict[str, Dopant] = {}
    while len(chosen) < limit and any(queues):
        for queue in queues:
            while queue and queue[0].dopant in chosen:
                queue.pop(0)
            if queue and len(chosen) < limit:
                dopant = queue.pop(0)
                chosen[dopant.dopant] = dopant
    return list(chosen.values())


def dopants_for(
    structure: Structure,
    states: dict[str, float] | None = None,
    max_per_host: int = DEFAULT_MAX_DOPANTS_PER_HOST,
) -> list[Dopant]:
    """The dopants of each element of ``structure`` (see the module docstring), at most
    ``max_per_host`` per host. ``states``: the oxidation states by element (default
    :func:`host_oxidation_states`; ``{}``: unknown, every site metallic)."""
    if states is None:
        states = host_oxidation_states(structure)
    states = states or None
    present = {element.symbol for element in structure.composition.elements}
    found = []
    for host in sorted(present):
        kind = site_kind(host, states)
        if kind == IONIC:
            options = _ionic_dopants(
                host, round(states[host]), coordination_number(structure, host), present
            )
        else:
            charge = states[host] if kind == COVALENT else None
            options = _covalent_dopants(host, charge, present)
        found += _in_turns(options, host, max_per_host)
    return found

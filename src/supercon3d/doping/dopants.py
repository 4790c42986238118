"""Which element may replace which in a structure, with plausible oxidation states.

The host's oxidation states are those the CIF declares, else pymatgen's first guess for the
composition (charge-balanced, ICSD-frequency ranked). Dopants for a host ion X^q are the
species of pymatgen's ICSD-derived substitution table (:class:`SubstitutionProbability`,
Hautier et al. 2011) that replace X^q most often, keeping only ions of the same sign (a
cation for a cation) whose charge is within :data:`MAX_CHARGE_DIFFERENCE` of q, of elements
that are not already in the structure and are neither radioactive nor noble gases. When no
charge-balanced guess exists (an intermetallic, or a CIF declaring 0 for every atom), the
host is looked up as its highest common oxidation state, the dopant must be a metal for a
metal and a non-metal (metalloids included) for a non-metal, and the variant's carriers are
unknown. A dopant of another charge is aliovalent: a lower charge than the host's adds holes
(Sr²⁺ for La³⁺), a higher one electrons (F⁻ for O²⁻).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pymatgen.core import Composition, Element, Species, Structure

from supercon3d.chemistry.elements import RADIOACTIVE
from supercon3d.chemistry.oxidation import integer_composition

DEFAULT_MAX_DOPANTS_PER_HOST = 4
"""Dopants kept per host element, the most probable substitutions first."""
MAX_CHARGE_DIFFERENCE = 1
"""A dopant's oxidation state differs from the host's by at most this much."""
NOBLE_GASES = frozenset({"He", "Ne", "Ar", "Kr", "Xe", "Rn"})
"""Elements whose few compounds (KrF₂, XeF₂) need fluorine: the ICSD table still lists Kr²⁺
and Xe²⁺ among the substitutes of Zr³⁺ or Sr²⁺, and the default discover run proposed Kr for
Zr."""
NEVER_DOPANTS = RADIOACTIVE | NOBLE_GASES
"""Elements never proposed as dopants."""
VACANCY_ANIONS = ("O", "S", "Se", "As")
"""Anions whose sites may be left partly empty (vacancy doping)."""


@dataclass(frozen=True)
class Dopant:
    """A substitution ``dopant`` (element) for ``host`` (element): their oxidation states
    (None when the composition has no charge-balanced guess), the substitution probability
    from the ICSD table and the carriers it adds (``"hole"``, ``"electron"``, ``"isovalent"``
    or ``"unknown"``)."""

    host: str
    dopant: str
    host_oxidation: int | None
    dopant_oxidation: int
    probability: float
    carriers: str


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


def carriers(host_oxidation: int | None, dopant_oxidation: int) -> str:
    """What a dopant of ``dopant_oxidation`` on a host site of ``host_oxidation`` adds."""
    if host_oxidation is None:
        return "unknown"
    if dopant_oxidation == host_oxidation:
        return "isovalent"
    return "hole" if dopant_oxidation < host_oxidation else "electron"


def _host_species(
    element: str, states: dict[str, float] | None
) -> tuple[Species, int | None] | None:
    """The species the host is looked up as and its oxidation state (None: a guess, when
    there are no states or the host's is 0)."""
    if states is not None and round(states[element]) != 0:
        charge = round(states[element])
        return Species(element, charge), charge
    common = Element(element).common_oxidation_states
    return (Species(element, max(common)), None) if common else None


def _same_kind(dopant: str, host: str) -> bool:
    """Both metals, or both not (metalloids count as non-metals)."""
    return Element(dopant).is_metal == Element(host).is_metal


def dopants_for(
    composition: Composition,
    states: dict[str, float] | None,
    max_per_host: int = DEFAULT_MAX_DOPANTS_PER_HOST,
) -> list[Dopant]:
    """The most probable dopants of each element of ``composition`` whose oxidation states
    are ``states`` (None: unknown; see the module docstring), at most ``max_per_host`` per
    host."""
    table = _table()
    present = {str(element) for element in composition.elements}
    found = []
    for host in sorted(present):
        looked_up = _host_species(host, states)
        if looked_up is None:
            continue
        species, host_charge = looked_up
        if species not in table.species:
            continue
        options = sorted(
            (
                (table.prob(candidate, species), candidate)
                for candidate in table.species
                if candidate.symbol not in present
                and candidate.symbol not in NEVER_DOPANTS
                and candidate.oxi_state is not None
                and candidate.oxi_state * species.oxi_state > 0
                and abs(candidate.oxi_state - species.oxi_state) <= MAX_CHARGE_DIFFERENCE
                and (host_charge is not None or _same_kind(candidate.symbol, host))
            ),
            key=lambda option: -option[0],
        )
        chosen: dict[str, Dopant] = {}
        for probability, candidate in options:
            if candidate.symbol in chosen:
                continue
            charge = int(candidate.oxi_state)
            chosen[candidate.symbol] = Dopant(
                host, candidate.symbol, host_charge, charge, float(probability),
                carriers(host_charge, charge),
            )  # fmt: skip
            if len(chosen) == max_per_host:
                break
        found += chosen.values()
    return found

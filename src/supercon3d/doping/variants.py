"""Doped variants of a structure, as partially occupied structures (substitutional or
vacancy disorder) that the disorder-aware Tc model scores directly.

A substitution at fraction x puts the dopant on a share x of every host site (each host
site's occupancy o becomes o(1 − x) host + o·x dopant; e.g. La₂CuO₄ with Sr for La at
x = 0.075 is La₁.₈₅Sr₀.₁₅CuO₄). A vacancy variant empties a share x of every site of an anion
of :data:`~supercon3d.doping.dopants.VACANCY_ANIONS` (occupancy o becomes o(1 − x)), within
the redox window (:mod:`~supercon3d.doping.vacancies`). No fraction below
:data:`MIN_FRACTION` is accepted, and no variant changes fewer than
:data:`MIN_CHANGE_PER_FORMULA_UNIT` atoms per formula unit of the parent (a host present only
as a trace, Al₀.₀₀₁ in Mg₀.₉₉₉Al₀.₀₀₁B₂, is not doped).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pymatgen.core import Element, Structure

from supercon3d.doping.dopants import (
    DEFAULT_MAX_DOPANTS_PER_HOST,
    VACANCY_ANIONS,
    Dopant,
    dopants_for,
    host_oxidation_states,
)
from supercon3d.doping.vacancies import max_vacancy_fraction

DEFAULT_FRACTIONS = (0.05, 0.1, 0.2, 0.3)
"""Shares of the host sites given to the dopant (or left empty)."""
MIN_FRACTION = 0.01
"""Smallest share of the host sites a variant changes."""
MIN_CHANGE_PER_FORMULA_UNIT = 0.01
"""Fewest atoms per formula unit of the parent a variant adds, replaces or removes."""
FORMULA_DECIMALS = 3
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class DopedVariant:
    """One doped variant: ``name`` (safe as a file name), the ``parent`` it came from,
    ``kind`` (``"substitution"`` or ``"vacancy"``), the ``host`` element, the ``dopant``
    element (None for a vacancy), the ``fraction`` of host sites changed, the ``formula``
    per parent formula unit, the ``carriers`` it adds (``"hole"``, ``"electron"``,
    ``"isovalent"``, ``"unknown"``), the substitution ``probability`` (ICSD table; None for a
    vacancy or off an ionic site), the partially occupied ``structure`` and the relative
    ``radius_mismatch`` of dopant and host on the site (None for a vacancy)."""

    name: str
    parent: str
    kind: str
    host: str
    dopant: str | None
    fraction: float
    formula: str
    carriers: str
    probability: float | None
    structure: Structure
    radius_mismatch: float | None = None

    def to_json(self) -> dict:
        """Every field but the structure."""
        return {
            "name": self.name, "parent": self.parent, "kind": self.kind, "host": self.host,
            "dopant": self.dopant, "fraction": self.fraction, "formula": self.formula,
            "carriers": self.carriers, "probability": self.probability,
            "radius_mismatch": self.radius_mismatch,
        }  # fmt: skip


def safe_name(text: str) -> str:
    """``text`` with every run of characters unsafe in a file name replaced by ``_``."""
    return _UNSAFE.sub("_", text).strip("_") or "structure"


def _amount(value: float) -> str:
    """An amount in a formula: nothing for 1, else at most :data:`FORMULA_DECIMALS` decimals;
    a trace smaller than that with two significant digits (never ``0``)."""
    rounded = round(value, FORMULA_DECIMALS)
    if rounded == 1:
        return ""
    return f"{rounded:g}" if rounded else f"{value:.2g}"


def _formula(structure: Structure, parent: Structure, host: str, dopant: str | None) -> str:
    """The variant's formula per formula unit of the parent, in the parent's element order
    with the dopant after its host, e.g. ``La1.8Sr0.2CuO4``."""
    reduced, units = parent.composition.element_composition.get_reduced_composition_and_factor()
    order = [str(element) for element in reduced.elements]
    if dopant is not None:
        order.insert(order.index(host) + 1, dopant)
    amounts = structure.composition.element_composition / units
    return "".join(f"{e}{_amount(amounts[e])}" for e in order if amounts[e] > 0)


def substitute(structure: Structure, host: str, dopant: str | None, fraction: float) -> Structure:
    """``structure`` with a share ``fraction`` of each ``host`` site given to ``dopant``
    (left empty when ``dopant`` is None)."""
    species = []
    for site in structure:
        occupancy = {str(Element(str(getattr(sp, "element", sp)))): 0.0 for sp in site.species}
        for sp, amount in site.species.items():
            occupancy[str(getattr(sp, "element", sp))] += float(amount)
        if host in occupancy:
            moved = occupancy[host] * fraction
            occupancy[host] -= moved
            if dopant is not None:
                occupancy[dopant] = occupancy.get(dopant, 0.0) + moved
        species.append({element: amount for element, amount in occupancy.items() if amount > 0})
    return Structure(structure.lattice, species, structure.frac_coords)


def _substitution(
    parent_name: str, parent: Structure, dopant: Dopant, fraction: float
) -> DopedVariant:
    structure = substitute(parent, dopant.host, dopant.dopant, fraction)
    formula = _formula(structure, parent, dopant.host, dopant.dopant)
    name = safe_name(
        f"{parent_name}__{dopant.dopant}-for-{dopant.host}_{round(fraction * 100):02d}"
    )
    return DopedVariant(
        name, parent_name, "substitution", dopant.host, dopant.dopant, fraction,
        formula, dopant.carriers, dopant.probability, structure, dopant.radius_mismatch,
    )  # fmt: skip


def _vacancy(parent_name: str, parent: Structure, anion: str, fraction: float) -> DopedVariant:
    structure = substitute(parent, anion, None, fraction)
    formula = _formula(structure, parent, anion, None)
    name = safe_name(f"{parent_name}__vacancy-{anion}_{round(fraction * 100):02d}")
    return DopedVariant(
        name, parent_name, "vacancy", anion, None, fraction, formula, "electron", None,
        structure,
    )  # fmt: skip


def check_fractions(fractions: Sequence[float]) -> None:
    """Raise ValueError (one line) unless every fraction lies in [MIN_FRACTION, 1)."""
    if any(not MIN_FRACTION <= fraction < 1 for fraction in fractions):
        raise ValueError(
            f"doping fractions must lie between {MIN_FRACTION:g} and 1 (1 excluded), "
            f"got {list(fractions)}"
        )


def doped_variants(
    structure: Structure,
    parent: str,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    max_dopants_per_host: int = DEFAULT_MAX_DOPANTS_PER_HOST,
) -> list[DopedVariant]:
    """Every substitution (at most ``max_dopants_per_host`` dopants of each element,
    :func:`~supercon3d.doping.dopants.dopants_for`) and every anion vacancy inside the redox
    window of ``structure`` at each of ``fractions`` (:func:`check_fractions`) that changes
    at least :data:`MIN_CHANGE_PER_FORMULA_UNIT` atoms per formula unit, named after
    ``parent``."""
    check_fractions(fractions)
    composition = structure.composition.element_composition
    reduced, _ = composition.get_reduced_composition_and_factor()
    states = host_oxidation_states(structure)

    def enough(host: str, fraction: float) -> bool:
        return reduced[host] * fraction >= MIN_CHANGE_PER_FORMULA_UNIT

    variants = [
        _substitution(parent, structure, dopant, x)
        for dopant in dopants_for(structure, states or {}, max_dopants_per_host)
        for x in fractions
        if enough(dopant.host, x)
    ]
    for anion in VACANCY_ANIONS:
        if Element(anion) not in composition:
            continue
        window = max_vacancy_fraction(composition, states, anion)
        variants += [
            _vacancy(parent, structure, anion, x)
            for x in fractions
            if x <= window and enough(anion, x)
        ]
    return variants

"""Doped variants of a structure, as partially occupied structures (substitutional or
vacancy disorder) that the disorder-aware Tc model scores directly.

A substitution at fraction x puts the dopant on a share x of every host site (each host
site's occupancy o becomes o(1 − x) host + o·x dopant; e.g. La₂CuO₄ with Sr for La at
x = 0.075 is La₁.₈₅Sr₀.₁₅CuO₄). A vacancy variant empties a share x of every site of an anion
of :data:`~supercon3d.doping.dopants.VACANCY_ANIONS` (occupancy o becomes o(1 − x)).
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
    declared_oxidation_states,
    dopants_for,
    oxidation_states,
)

DEFAULT_FRACTIONS = (0.05, 0.1, 0.2, 0.3)
"""Shares of the host sites given to the dopant (or left empty)."""
FORMULA_DECIMALS = 3
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class DopedVariant:
    """One doped variant: ``name`` (safe as a file name), the ``parent`` it came from,
    ``kind`` (``"substitution"`` or ``"vacancy"``), the ``host`` element, the ``dopant``
    element (None for a vacancy), the ``fraction`` of host sites changed, the ``formula``
    per parent formula unit, the ``carriers`` it adds (``"hole"``, ``"electron"``,
    ``"isovalent"``, ``"unknown"``), the substitution ``probability`` (ICSD table; None for a
    vacancy) and the partially occupied ``structure``."""

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

    def to_json(self) -> dict:
        """Every field but the structure."""
        return {
            "name": self.name, "parent": self.parent, "kind": self.kind, "host": self.host,
            "dopant": self.dopant, "fraction": self.fraction, "formula": self.formula,
            "carriers": self.carriers, "probability": self.probability,
        }  # fmt: skip


def safe_name(text: str) -> str:
    """``text`` with every run of characters unsafe in a file name replaced by ``_``."""
    return _UNSAFE.sub("_", text).strip("_") or "structure"


def _amount(value: float) -> str:
    """An amount in a formula: nothing for 1, else at most :data:`FORMULA_DECIMALS` decimals."""
    rounded = round(value, FORMULA_DECIMALS)
    return "" if rounded == 1 else f"{rounded:g}"


def _formula(structure: Structure, parent: Structure, host: str, dopant: str | None) -> str:
    """The variant's formula per formula unit of the parent, in the parent's element order
    with the dopant after its host, e.g. ``La1.8Sr0.2CuO4``."""
    reduced, units = parent.composition.element_composition.get_reduced_composition_and_factor()
    order = [str(element) for element in reduced.elements]
    if dopant is not None:
        order.insert(order.index(host) + 1, dopant)
    amounts = structure.composition.element_composition / units
    return "".join(f"{element}{_amount(amounts[element])}" for element in order)


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
        formula, dopant.carriers, dopant.probability, structure,
    )  # fmt: skip


def _vacancy(
    parent_name: str, parent: Structure, anion: str, fraction: float, known: bool
) -> DopedVariant:
    structure = substitute(parent, anion, None, fraction)
    formula = _formula(structure, parent, anion, None)
    name = safe_name(f"{parent_name}__vacancy-{anion}_{round(fraction * 100):02d}")
    return DopedVariant(
        name, parent_name, "vacancy", anion, None, fraction, formula,
        "electron" if known else "unknown", None, structure,
    )  # fmt: skip


def doped_variants(
    structure: Structure,
    parent: str,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    max_dopants_per_host: int = DEFAULT_MAX_DOPANTS_PER_HOST,
) -> list[DopedVariant]:
    """Every substitution (the ``max_dopants_per_host`` most probable dopants of each
    element, :func:`~supercon3d.doping.dopants.dopants_for`) and every anion vacancy of
    ``structure`` at each of ``fractions`` (0 < x < 1), named after ``parent``."""
    if any(not 0 < fraction < 1 for fraction in fractions):
        raise ValueError(
            f"doping fractions must lie strictly between 0 and 1, got {list(fractions)}"
        )
    composition = structure.composition.element_composition
    states = declared_oxidation_states(structure) or oxidation_states(composition)
    variants = []
    for dopant in dopants_for(composition, states, max_dopants_per_host):
        variants += [_substitution(parent, structure, dopant, x) for x in fractions]
    for anion in VACANCY_ANIONS:
        if Element(anion) not in composition:
            continue
        known = states is not None and states[anion] < 0
        if states is not None and states[anion] >= 0:
            continue
        variants += [_vacancy(parent, structure, anion, x, known) for x in fractions]
    return variants

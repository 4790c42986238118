"""Doping series in formula tables: which composition is a doping of which.

A *relative* of a parent composition is another whose formula is the parent's with either one
extra element d replacing part of one host element h (the other elements within
:data:`OTHER_TOLERANCE` of the parent's amounts, the h + d amount within
:data:`SITE_TOLERANCE` of the parent's h, h and d both metals or both not), or the same
elements with part of an anion site (O, S, Se, As) empty (the others within
:data:`OTHER_TOLERANCE`); the dopant share x (d / (h + d), or the missing share) lies in
[:data:`MIN_SERIES_FRACTION`, :data:`MAX_SERIES_FRACTION`]. Pairs whose Tc differ by less
than :data:`TIE_KELVIN` are left out. The doping benchmark and the fit of the ΔTc prior
(:mod:`supercon3d.doping.calibration`) use this one rule.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pymatgen.core import Composition, Element

from supercon3d.doping.dopants import VACANCY_ANIONS

OTHER_TOLERANCE = 0.15
"""Largest relative change of the elements the doping does not touch."""
SITE_TOLERANCE = 0.05
"""Largest relative change of the host site's total (host + dopant) amount."""
MAX_SERIES_FRACTION = 0.35
MIN_SERIES_FRACTION = 0.01
TIE_KELVIN = 0.5
"""Pairs whose Tc differ by less than this (K) have no direction."""
LEFT_OUT_FAMILIES = ("h_based",)
"""Hydrides: their Tc is set by pressure, not by the composition change."""
MAX_ATOMIC_NUMBER = 103
WHOLE_TOLERANCE = 1e-3
"""Amounts within this of an integer are whole (a stoichiometric parent)."""


@dataclass(frozen=True)
class Relation:
    """``relative`` (a name) is ``parent`` doped with ``dopant`` (None: vacancies) for
    ``host`` at share ``fraction``; ``delta_tc_data`` = Tc(relative) − Tc(parent) (K)."""

    parent: str
    relative: str
    host: str
    dopant: str | None
    fraction: float
    delta_tc_data: float


def _scaled_to_parent(parent: Composition, relative: Composition, others: set[str]):
    """``relative`` scaled so its ``others`` add up as in ``parent``, and the largest relative
    mismatch of those elements."""
    scale = sum(parent[o] for o in others) / sum(relative[o] for o in others)
    scaled = relative * scale
    mismatch = max(abs(scaled[o] - parent[o]) / parent[o] for o in others)
    return scaled, mismatch


def match(parent: Composition, relative: Composition) -> tuple[str, str | None, float] | None:
    """(host, dopant or None for a vacancy, fraction) when ``relative`` is a doping of
    ``parent`` (module docstring), else None; of several readings the closest."""
    mine = {str(e) for e in parent.elements}
    theirs = {str(e) for e in relative.elements}
    found = []
    if len(theirs - mine) == 1 and mine <= theirs:
        (dopant,) = theirs - mine
        for host in mine:
            others = mine - {host}
            if not others or Element(host).is_metal != Element(dopant).is_metal:
                continue
            scaled, mismatch = _scaled_to_parent(parent, relative, others)
            site = scaled[host] + scaled[dopant]
            if (
                mismatch > OTHER_TOLERANCE
                or abs(site - parent[host]) / parent[host] > SITE_TOLERANCE
            ):
                continue
            found.append((mismatch, host, dopant, scaled[dopant] / site))
    elif theirs == mine:
        for anion in sorted(mine & set(VACANCY_ANIONS)):
            others = mine - {anion}
            if not others:
                continue
            scaled, mismatch = _scaled_to_parent(parent, relative, others)
            if mismatch <= OTHER_TOLERANCE:
                found.append((mismatch, anion, None, 1.0 - scaled[anion] / parent[anion]))
    found = [f for f in found if MIN_SERIES_FRACTION <= f[3] <= MAX_SERIES_FRACTION]
    if not found:
        return None
    _, host, dopant, fraction = min(found)
    return host, dopant, fraction


def doping_relations(
    parents: Sequence[str], compositions: dict[str, Composition], tc: dict[str, float]
) -> list[Relation]:
    """Every (parent, relative) pair of the named ``compositions`` (relatives looked up by
    element set: the parent's, or it plus one element) with a Tc difference of at least
    :data:`TIE_KELVIN`; ``tc`` in K by name."""
    by_elements: dict[frozenset[str], list[str]] = defaultdict(list)
    for name, composition in compositions.items():
        by_elements[frozenset(str(e) for e in composition.elements)].append(name)
    relations = []
    for parent in parents:
        elements = frozenset(str(e) for e in compositions[parent].elements)
        candidates = list(by_elements[elements])
        for key, names in by_elements.items():
            if len(key) == len(elements) + 1 and elements < key:
                candidates += names
        for relative in candidates:
            if relative == parent:
                continue
            found = match(compositions[parent], compositions[relative])
            delta = tc[relative] - tc[parent]
            if found is not None and abs(delta) >= TIE_KELVIN:
                relations.append(Relation(parent, relative, *found, float(delta)))
    return relations


def supercon3d_relations(data: str | os.PathLike | None = None) -> list[Relation]:
    """The doping pairs of SuperCon3D that the doping benchmark scores: parents are the
    ordered entries but the hydrides (:data:`LEFT_OUT_FAMILIES`), relatives any entry; names
    are CIF file names."""
    from supercon3d.data.supercon3d import read_tc_table

    table = read_tc_table(data)
    compositions = {row.Index: Composition(row.cf) for row in table.itertuples()}
    parents = [
        name
        for name, order, family in zip(table.index, table["order"], table["family"])
        if order == "order" and family not in LEFT_OUT_FAMILIES
    ]
    return doping_relations(parents, compositions, dict(zip(table.index, table["tc"])))


def formula_table_relations(
    excluded: set[str], data: str | os.PathLike | None = None
) -> tuple[list[Relation], dict[str, float]]:
    """The doping pairs of the SuperCon formula table (``supercon_formulas/supercon_11949``)
    whose parent has whole-number amounts, leaving out every pair whose parent or relative
    has a reduced formula in ``excluded``; with Tc (K) by formula."""
    import pandas as pd

    from supercon3d.settings import dataset_path

    table = pd.read_csv(dataset_path("supercon_formulas/supercon_11949.csv", data))
    compositions, tc = {}, {}
    for formula, kelvin in zip(table["Formula"], table["Tc"]):
        try:
            composition = Composition(formula)
        except ValueError:
            continue
        if formula in compositions or any(e.Z > MAX_ATOMIC_NUMBER for e in composition):
            continue
        compositions[formula], tc[formula] = composition, float(kelvin)
    parents = [
        name
        for name, composition in compositions.items()
        if all(abs(amount - round(amount)) < WHOLE_TOLERANCE for amount in composition.values())
    ]
    relations = [
        relation
        for relation in doping_relations(parents, compositions, tc)
        if compositions[relation.parent].reduced_formula not in excluded
        and compositions[relation.relative].reduced_formula not in excluded
    ]
    return relations, tc

"""Does doping move the predicted Tc the way SuperCon3D's doping series do?

    nice -n 10 python benchmarks/doping_hit_rate.py

Parents: the ordered SuperCon3D entries but hydrides. A *relative* of a parent is another
entry (any disorder class) whose SuperCon formula is the parent's with either one extra
element d replacing part of one host element h (the other elements within
``OTHER_TOLERANCE`` of the parent's amounts, the h + d amount within ``SITE_TOLERANCE`` of
the parent's h, dopant share x = d / (h + d) at most ``MAX_FRACTION``, h and d both metals
or both not), or the same elements with part of an anion site (O, S, Se, As) empty
(x = missing share, others within ``OTHER_TOLERANCE``). The data's direction is the sign of
Tc(relative) − Tc(parent) (pairs closer than ``TIE_KELVIN`` are left out). The model's
direction: the parent's CIF doped the same way at the same x
(:func:`supercon3d.doping.variants.substitute`) and scored by ``api.predict``, minus the
parent's predicted Tc.

Printed: the sign agreement over all relatives and over those whose (host, dopant) ``dope``
itself proposes; and the ranking question, per parent with relatives on both sides, the
share of (raising, lowering) pairs whose predicted ΔTc is ordered the same way. Caveat: the
shipped model was trained on SuperCon3D, relatives included (each entry is held out in one
fold only), so this is an upper bound on what the model knows about unseen dopings.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

from pymatgen.core import Composition, Element

from supercon3d import api
from supercon3d.data.cif import CifReadError, read_cif
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.doping.dopants import VACANCY_ANIONS, dopants_for, host_oxidation_states
from supercon3d.doping.vacancies import max_vacancy_fraction
from supercon3d.doping.variants import DEFAULT_FRACTIONS, substitute
from supercon3d.machine import describe_machine
from supercon3d.settings import dataset_path

OTHER_TOLERANCE = 0.15
SITE_TOLERANCE = 0.05
MAX_FRACTION = 0.35
MIN_FRACTION = 0.01
TIE_KELVIN = 0.5
LEFT_OUT_FAMILIES = ("h_based",)
"""Hydrides: their Tc is set by pressure, not by the composition change."""


@dataclass(frozen=True)
class Relation:
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
    ``parent`` (see the module docstring), else None."""
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
    found = [f for f in found if MIN_FRACTION <= f[3] <= MAX_FRACTION]
    if not found:
        return None
    _, host, dopant, fraction = min(found)
    return host, dopant, fraction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    print(describe_machine())
    table = read_tc_table(args.data)
    formulas = {row.Index: Composition(row.cf) for row in table.itertuples()}
    ordered = [
        name
        for name, order, family in zip(table.index, table["order"], table["family"])
        if order == "order" and family not in LEFT_OUT_FAMILIES
    ]
    relations = []
    for parent in ordered:
        for relative, composition in formulas.items():
            if relative == parent:
                continue
            found = match(formulas[parent], composition)
            if found is None:
                continue
            delta = float(table.loc[relative, "tc"] - table.loc[parent, "tc"])
            if abs(delta) >= TIE_KELVIN:
                relations.append(Relation(parent, relative, *found, delta))
    print(f"{len(relations)} (parent, relative) doping pairs over "
          f"{len({r.parent for r in relations})} ordered parents")  # fmt: skip
    folder = dataset_path("supercon3d", args.data) / "cif"
    structures, proposed, windows = {}, {}, {}
    for parent in sorted({r.parent for r in relations}):
        try:
            structure = read_cif(folder / parent).structure
        except CifReadError as error:
            print(f"skipped {error}")
            continue
        structures[parent] = structure
        composition = structure.composition.element_composition
        states = host_oxidation_states(structure)
        proposed[parent] = {(d.host, d.dopant) for d in dopants_for(structure, states or {})}
        windows[parent] = {a: max_vacancy_fraction(composition, states, a) for a in VACANCY_ANIONS}
    relations = [r for r in relations if r.parent in structures]
    parents = sorted(structures)
    parent_tc = {
        p.file: p.tc_kelvin for p in api.predict([structures[n] for n in parents], parents)
    }
    variants = [substitute(structures[r.parent], r.host, r.dopant, r.fraction) for r in relations]
    names = [f"{r.parent}->{r.relative}" for r in relations]
    predicted = api.predict(variants, names=names)
    rows = []
    for relation, prediction in zip(relations, predicted):
        if prediction.error is not None or parent_tc.get(relation.parent) is None:
            continue
        delta = prediction.tc_kelvin - parent_tc[relation.parent]
        if relation.dopant is None:
            is_proposed = relation.fraction <= windows[relation.parent][relation.host]
        else:
            is_proposed = (relation.host, relation.dopant) in proposed[relation.parent]
        rows.append((relation, delta, is_proposed))
    for label, subset in (("all relatives", rows), ("proposed by dope", [r for r in rows if r[2]])):
        hits = [(rel.delta_tc_data > 0) == (delta > 0) for rel, delta, _ in subset]
        raising = sum(rel.delta_tc_data > 0 for rel, _, _ in subset)
        share = statistics.mean(hits) if hits else float("nan")
        print(f"{label}: {len(subset)} pairs ({raising} raise Tc in the data), "
              f"sign agreement {share:.1%} (always 'lowers': "
              f"{1 - raising / max(1, len(subset)):.1%})")  # fmt: skip
    concordant, total, per_family = 0, 0, defaultdict(lambda: [0, 0])
    by_parent = defaultdict(list)
    for relation, delta, _ in rows:
        by_parent[relation.parent].append((relation.delta_tc_data, delta))
    family = dict(zip(table.index, table["family"]))
    for parent, pairs in by_parent.items():
        up = [p for d, p in pairs if d > 0]
        down = [p for d, p in pairs if d < 0]
        for a in up:
            for b in down:
                concordant += a > b
                total += 1
                per_family[family[parent]][0] += a > b
                per_family[family[parent]][1] += 1
    both = sum(1 for pairs in by_parent.values() if {d > 0 for d, _ in pairs} == {True, False})
    if total:
        print(f"ranking: {both} parents with relatives raising and lowering Tc; "
              f"{concordant}/{total} = {concordant / total:.1%} of (raising, lowering) pairs "
              f"ranked the data's way")  # fmt: skip
        for name, (good, count) in sorted(per_family.items()):
            print(f"  {name}: {good}/{count} = {good / count:.1%}")
    by_kind = defaultdict(list)
    for relation, delta, _ in rows:
        kind = "vacancy" if relation.dopant is None else "substitution"
        by_kind[kind].append((relation.delta_tc_data > 0) == (delta > 0))
    for kind, hits in sorted(by_kind.items()):
        print(f"  sign agreement, {kind}: {statistics.mean(hits):.1%} of {len(hits)}")
    fractions = [r.fraction for r, _, _ in rows]
    if fractions:
        print(f"dopant fractions: median {statistics.median(fractions):.3f} "
              f"(dope's defaults {DEFAULT_FRACTIONS})")  # fmt: skip
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

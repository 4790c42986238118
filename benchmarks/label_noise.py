"""How far apart are two Tc measurements of the same material? (issue 15's MAE target)

    python benchmarks/label_noise.py

A floor for any Tc model scored on SuperCon3D: where the same composition (composition key,
fractions to 3 decimals) was measured more than once, a perfect model of the material can
do no better than the spread of its measurements. Prints, in ln K:

- SuperCon3D against SuperCon: for each SuperCon3D entry whose composition key (from its
  structure or its formula column) has rows with Tc > 0 in the SuperCon formula tables,
  the absolute difference between its ln Tc and the median ln Tc of those rows; the mean
  overall and per disorder class and family (how well "look up the material's Tc in
  SuperCon" would score; the composition models are forbidden those rows of the test
  entries).
- Inside SuperCon3D: entries whose composition key another entry shares, the absolute
  difference to the median ln Tc of the others (different structures or reports of one
  composition); and how many compositions have more than one structure at all (entries, and
  distinct space groups by :func:`~supercon3d.models.structure_features.symmetry_dataset`):
  where a composition has one structure, the structure is a function of the composition and
  can tell a model nothing the composition does not.
- Inside each SuperCon table: compositions with several rows with Tc > 0, each row against
  the median of the other rows of its composition; and how many compositions with Tc > 0
  each table holds, and both together.

The SuperCon rows are those of both label tables (``supercon_11949``, the composition
models' extra formulas, and ``supercon_stanev2018``).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
import pandas as pd

from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.machine import describe_machine
from supercon3d.models.structure_features import symmetry_dataset
from supercon3d.training.superconductor_data import LABEL_TABLES


def leave_one_out_gaps(values_by_key: dict) -> np.ndarray:
    """For every value in a group of two or more, |value − median of the group's others|."""
    gaps = []
    for values in values_by_key.values():
        values = np.asarray(values)
        for i in range(len(values)):
            gaps.append(abs(values[i] - np.median(np.delete(values, i))))
    return np.asarray(gaps)


def ln_tc_by_key(table: pd.DataFrame) -> dict:
    """ln Tc (ln K) of a formula table's rows with Tc > 0, by composition key."""
    by_key = defaultdict(list)
    for key, tc in zip(table["key"], table["tc"]):
        if tc > 0:
            by_key[key].append(float(np.log(tc)))
    return by_key


def summary(gaps: np.ndarray) -> str:
    """Mean, median and the share above 0.5 ln K of absolute gaps (ln K)."""
    return (
        f"n {len(gaps):5d}  mean {gaps.mean():.3f}  median {np.median(gaps):.3f}  "
        f"> 0.5 ln K {np.mean(gaps > 0.5):.1%}"
    )


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    started = time.perf_counter()
    dataset = load_supercon3d()
    tables = {name: load_supercon_formulas(name) for name in LABEL_TABLES}
    table_ln_tc = ln_tc_by_key(pd.concat(tables.values(), ignore_index=True))

    rows = []
    for entry in dataset.entries:
        keys = {composition_key(entry.structure.composition)}
        formula = parse_formula(entry.formula)
        if formula is not None:
            keys.add(composition_key(formula))
        measured = [v for key in keys for v in table_ln_tc.get(key, [])]
        if measured:
            rows.append({
                "disorder": entry.disorder_class.value, "family": entry.family,
                "gap": abs(entry.ln_tc - float(np.median(measured))),
            })  # fmt: skip
    matched = pd.DataFrame(rows)

    print(f"# {describe_machine()}")
    n_positive = sum(map(len, table_ln_tc.values()))
    print(f"SuperCon3D entries {len(dataset)}, SuperCon rows with Tc > 0 {n_positive}")
    keys = {name: set(table.loc[table["tc"] > 0, "key"]) for name, table in tables.items()}
    counts = ", ".join(f"{name} {len(k)}" for name, k in keys.items())
    together = len(set().union(*keys.values()))
    print(f"SuperCon compositions with Tc > 0: {counts}, together {together}")
    print("\nSuperCon3D ln Tc against the median SuperCon ln Tc of the same composition")
    print(f"  all            {summary(matched['gap'].to_numpy())}")
    for column in ("disorder", "family"):
        for name, group in matched.groupby(column):
            print(f"  {name:<14} {summary(group['gap'].to_numpy())}")

    inside, space_groups = defaultdict(list), defaultdict(set)
    for entry in dataset.entries:
        key = composition_key(entry.structure.composition)
        inside[key].append(entry.ln_tc)
        symmetry = symmetry_dataset(entry.structure)
        space_groups[key].add(None if symmetry is None else symmetry.number)
    repeated = {k: v for k, v in inside.items() if len(v) > 1}
    polymorphs = sum(len(groups) > 1 for groups in space_groups.values())
    n_repeated = sum(map(len, repeated.values()))
    print(f"\nInside SuperCon3D: {len(inside)} compositions; {len(repeated)} with more than one")
    print(f"entry ({n_repeated} entries); {polymorphs} with more than one space group")
    print("Entries sharing a composition key with another entry")
    print(f"  all            {summary(leave_one_out_gaps(repeated))}")

    print("\nInside each SuperCon table, compositions with several rows")
    for name, table in tables.items():
        repeated_rows = {k: v for k, v in ln_tc_by_key(table).items() if len(v) > 1}
        print(f"  {name:<20} {summary(leave_one_out_gaps(repeated_rows))}")
    print(f"\nwall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""How far apart the shipped model puts polymorphs of one composition (issue 15)

    python benchmarks/polymorph_spread.py

No SuperCon3D composition has entries in two space groups (docs/notebook/benchmarks-2026-11.md,
"Does the structure predict what the composition model misses?"), so nothing
the Tc models were validated on tells polymorphs apart. What do they do with them? 3DSC
matched several Materials Project structures to one SuperCon formula: its ordered files
(``3dsc_mp/cifs/<formula>-MP-<id>.cif``, not ``synth_doped``) of every formula with two or
more, predicted with ``supercon3d.api.predict`` (the shipped model and classifier). Per
formula, the spread (largest minus smallest) of the predicted ln Tc (ln K) and
P(superconductor) over its structures; printed for all such formulas and for those whose
structures span two or more space groups (:func:`~supercon3d.models.structure_features.
symmetry_dataset`). All structures of one formula share their SuperCon Tc, so a spread
is the model's own structural opinion, not something a label confirms.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np

from supercon3d import api
from supercon3d.data.cif import read_cif
from supercon3d.machine import describe_machine
from supercon3d.models.structure_features import symmetry_dataset
from supercon3d.settings import dataset_path

MATCH_SEPARATOR = "-MP-"
SYNTH_DOPED = "synth_doped"
WIDE_SPREAD = 0.5
"""ln K: a spread above this is a factor of 1.65 in Tc."""


def space_group(structure) -> int | None:
    """The structure's space-group number (None where spglib finds none)."""
    symmetry = symmetry_dataset(structure)
    return None if symmetry is None else symmetry.number


def spread_summary(spreads: list[float]) -> str:
    """Median, 90th percentile and maximum of per-formula spreads."""
    values = np.asarray(spreads)
    return (
        f"median {np.median(values):.3f}, 90th percentile {np.percentile(values, 90):.3f}, "
        f"max {values.max():.3f}"
    )


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    started = time.perf_counter()
    by_formula = defaultdict(list)
    for path in sorted(dataset_path("3dsc_mp/cifs").glob("*.cif")):
        if SYNTH_DOPED not in path.name:
            by_formula[path.name.split(MATCH_SEPARATOR)[0]].append(path)
    groups = {formula: paths for formula, paths in by_formula.items() if len(paths) > 1}
    paths = [path for group in groups.values() for path in group]
    records = {record.file: record for record in api.predict(paths)}

    rows = []
    for group in groups.values():
        predicted = [records[str(path)] for path in group]
        predicted = [record for record in predicted if record.error is None]
        if len(predicted) < 2:
            continue
        space_groups = {space_group(read_cif(path).structure) for path in group}
        ln_tc = [record.ln_tc for record in predicted]
        p_sc = [record.p_superconductor for record in predicted]
        rows.append((len(space_groups) > 1, max(ln_tc) - min(ln_tc), max(p_sc) - min(p_sc)))

    print(f"# {describe_machine()}")
    failed = sum(record.error is not None for record in records.values())
    print(f"{len(groups)} formulas with two or more ordered 3DSC structures, {len(paths)} files")
    print(f"({failed} refused)")
    selections = (("all", rows), ("two or more space groups", [row for row in rows if row[0]]))
    for label, chosen in selections:
        tc_spread = [row[1] for row in chosen]
        wide = np.mean(np.asarray(tc_spread) > WIDE_SPREAD)
        print(f"\n{label}: {len(chosen)} formulas")
        print(f"  predicted ln Tc spread (ln K): {spread_summary(tc_spread)}")
        print(f"    share above {WIDE_SPREAD} ln K: {wide:.1%}")
        print(f"  P(SC) spread: {spread_summary([row[2] for row in chosen])}")
    print(f"\nwall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

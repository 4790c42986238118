"""What the SR10 successes of a seed run are made of: how many are pure elements or mostly H.

    python benchmarks/seed_successes.py runs/seeds [runs/seeds/unguided ...]

For each output folder of ``supercon3d generate --from-seeds``: the seeds whose best valid
structure reaches the 90th percentile of the training split's ln Tc (the SR10 successes), how
many of those best structures are a single element, and how many are more than half hydrogen
(the SODNet judge rates hydrogen-rich cells high: SuperCon3D's hydrides are high-pressure
superhydrides), followed by the ten most frequent formulas among them.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from pymatgen.core import Composition

from supercon3d.generation.candidates import is_compound, read_candidates
from supercon3d.generation.corpus import ordered_split
from supercon3d.generation.metrics import SUCCESS_PERCENTILES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    training_ln_tc = [ln_tc for _, _, ln_tc in ordered_split("train")]
    threshold = np.percentile(training_ln_tc, SUCCESS_PERCENTILES["sr10"])
    print(f"SR10 threshold: ln Tc {threshold:.2f} ({np.exp(threshold):.1f} K)\n")
    print("| run | seeds | successes | elemental | more than half H | most frequent |")
    print("|---|---|---|---|---|---|")
    for folder in args.folders:
        table = read_candidates(folder)
        valid = table[table["valid_structure"] & table["valid_composition"]].dropna(
            subset=["ln_tc"]
        )
        best = valid.loc[valid.groupby("seed")["ln_tc"].idxmax()]
        formulas = best.loc[best["ln_tc"] >= threshold, "formula"]
        elemental = sum(not is_compound(formula) for formula in formulas)
        hits = [Composition(formula) for formula in formulas]
        hydrogen = sum(composition.get_atomic_fraction("H") > 0.5 for composition in hits)
        frequent = Counter(composition.reduced_formula for composition in hits).most_common(10)
        listing = ", ".join(f"{formula} ×{count}" for formula, count in frequent)
        print(
            f"| {folder} | {table['seed'].nunique()} | {len(hits)} | {elemental} "
            f"| {hydrogen} | {listing} |"
        )


if __name__ == "__main__":
    main()

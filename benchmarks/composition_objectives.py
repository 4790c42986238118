"""The shipped composition model's loss and row weights (issue 15)

    python benchmarks/composition_objectives.py [--variants l2,huber1]

The blend's composition model (LightGBM on Magpie + CHGNet element statistics, SuperCon3D
training entries plus the SuperCon formula rows the baseline may use) is fitted with
LightGBM's default squared loss, while every figure here is a mean absolute error in ln K.
Each variant of :data:`VARIANTS` changes one thing: the loss (absolute, or Huber with the
named transition in ln K) or the weight of the SuperCon3D rows against the formula rows
(the test entries are SuperCon3D's). Random 10 folds; prints each fold's validation and test
MAE (ln K) and the means: a variant would be chosen on the validation column.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from composition_embeddings import features as variant_features
from composition_folds import fold_rows, load_inputs
from pymatgen.core import Composition

from supercon3d.graphs.elements import element_table
from supercon3d.machine import describe_machine
from supercon3d.models.composition import make_regressor

SEED = 0
VARIANTS: dict[str, dict[str, float | str]] = {
    "l2": {},
    "l1": {"objective": "l1"},
    "huber0.5": {"objective": "huber", "alpha": 0.5},
    "huber1": {"objective": "huber", "alpha": 1.0},
    "supercon3d-x3": {"supercon3d_weight": 3.0},
    "l1+supercon3d-x3": {"objective": "l1", "supercon3d_weight": 3.0},
}
"""LightGBM parameters changed from ``make_regressor("lgbm")``; ``supercon3d_weight`` is the
sample weight of the SuperCon3D training entries (formula rows: 1)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    args = parser.parse_args()
    names = args.variants.split(",")
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    started = time.perf_counter()
    inputs = load_inputs()
    table = element_table("chgnet").astype(float)

    def features(compositions: list[Composition]) -> np.ndarray:
        return variant_features("magpie+chgnet", compositions, inputs.featurizer, table)

    print(f"# {describe_machine()}")
    print("| fold | " + " | ".join(f"{name} val / test" for name in names) + " |")
    print("|---" * (len(names) + 1) + "|")
    maes = {name: {"val": [], "test": []} for name in names}
    for fold in range(inputs.folds.n_folds):
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas)
        train_x = features(rows.compositions)
        held_out = {
            part: (
                features([entry.structure.composition for entry in getattr(rows, part)]),
                np.array([entry.ln_tc for entry in getattr(rows, part)]),
            )
            for part in ("val", "test")
        }
        for name in names:
            params = dict(VARIANTS[name])
            weights = np.ones(len(rows.ln_tc))
            weights[: len(rows.train)] = params.pop("supercon3d_weight", 1.0)
            model = make_regressor("lgbm", SEED).set_params(**params)
            model.fit(train_x, rows.ln_tc, sample_weight=weights)
            for part, (x, truth) in held_out.items():
                maes[name][part].append(float(np.abs(model.predict(x) - truth).mean()))
        cells = [f"{maes[n]['val'][-1]:.3f} / {maes[n]['test'][-1]:.3f}" for n in names]
        print(f"| {fold} | " + " | ".join(cells) + " |", flush=True)
    print("\nmean over the folds (ln K):")
    for name, parts in maes.items():
        print(
            f"  {name}: validation {np.mean(parts['val']):.4f}, "
            f"test {np.mean(parts['test']):.4f} ± {np.std(parts['test'], ddof=1):.4f}"
        )
    print(f"wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Does a nearest-neighbour Tc model add to LightGBM with the formulas? (issue 15)

    python benchmarks/composition_neighbours.py [--neighbours 5]

On the shared random 10 folds, each fold's training entries plus the SuperCon formula rows
the baseline may use (``fold_extra_rows``: no composition key of a validation or test entry)
train two models: the composition baseline (Magpie + LightGBM, fixed hyperparameters) and a
k-nearest-neighbour regressor on element fractions (Manhattan distance, weighted by inverse
distance), which recalls the closest members of a doping series. Their blend weight is
chosen on the validation fold (steps of 0.05). A third model is the same LightGBM whose
features also hold the 103 element fractions (``lgbm+fractions``), so that a tree can split on
one element's share directly. Prints each fold's test MAE (ln K) and the mean ± sample std
over the folds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from composition_folds import fold_rows, load_inputs, print_means
from pymatgen.core import Composition
from sklearn.neighbors import KNeighborsRegressor

from supercon3d.machine import describe_machine
from supercon3d.models.composition import MagpieFeaturizer, make_regressor

N_ELEMENTS = 103
WEIGHT_STEPS = 21
SEED = 0


def element_fractions(compositions: list[Composition]) -> np.ndarray:
    """One row per composition: the atomic fraction of each element, by atomic number."""
    rows = np.zeros((len(compositions), N_ELEMENTS))
    for row, composition in zip(rows, compositions):
        for element, fraction in composition.fractional_composition.items():
            row[element.Z - 1] = fraction
    return rows


def with_fractions(featurizer: MagpieFeaturizer, compositions: list[Composition]) -> np.ndarray:
    """Magpie descriptors and element fractions side by side."""
    return np.hstack([featurizer.transform(compositions), element_fractions(compositions)])


def predictions(models, entries) -> tuple[np.ndarray, ...]:
    """ln Tc (ln K) of ``entries`` from the booster, the neighbours and the booster with the
    fractions, and the truth."""
    booster, neighbours, fraction_booster, featurizer = models
    found = [entry.structure.composition for entry in entries]
    return (
        booster.predict(featurizer.transform(found)),
        neighbours.predict(element_fractions(found)),
        fraction_booster.predict(with_fractions(featurizer, found)),
        np.array([entry.ln_tc for entry in entries]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neighbours", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    started = time.perf_counter()
    inputs = load_inputs()
    featurizer = inputs.featurizer
    weights = np.linspace(0.0, 1.0, WEIGHT_STEPS)
    results: dict[str, list[float]] = {
        "lgbm+formulas": [], "neighbours": [], "blend": [], "lgbm+fractions": []
    }  # fmt: skip
    print(
        "| fold | lgbm+formulas | neighbours | blend | lgbm+fractions | LightGBM weight |\n"
        "|---|---|---|---|---|---|"
    )
    for fold in range(inputs.folds.n_folds):
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas)
        compositions, ln_tc, val, test = rows.compositions, rows.ln_tc, rows.val, rows.test
        booster = make_regressor("lgbm", SEED).fit(featurizer.transform(compositions), ln_tc)
        neighbours = KNeighborsRegressor(
            n_neighbors=args.neighbours, weights="distance", metric="manhattan"
        ).fit(element_fractions(compositions), ln_tc)
        fraction_booster = make_regressor("lgbm", SEED).fit(
            with_fractions(featurizer, compositions), ln_tc
        )
        models = (booster, neighbours, fraction_booster, featurizer)
        boosted, near, _, truth = predictions(models, val)
        errors = [np.abs(w * boosted + (1 - w) * near - truth).mean() for w in weights]
        weight = weights[int(np.argmin(errors))]
        boosted, near, fractions, truth = predictions(models, test)
        maes = (
            np.abs(boosted - truth).mean(),
            np.abs(near - truth).mean(),
            np.abs(weight * boosted + (1 - weight) * near - truth).mean(),
            np.abs(fractions - truth).mean(),
        )
        for name, mae in zip(results, maes):
            results[name].append(float(mae))
        print(f"| {fold} | " + " | ".join(f"{m:.3f}" for m in maes) + f" | {weight:.2f} |")
    print_means(results, started)


if __name__ == "__main__":
    main()

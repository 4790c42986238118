"""How the composition model's error falls with the number of labelled compositions (issue 15)

    python benchmarks/composition_learning_curve.py [--fractions 0.125,0.25,0.5,1]

Is 0.45 ln K on the random folds a matter of more labels? The shipped blend's composition
model (LightGBM, ``make_regressor("lgbm")``, on Magpie + CHGNet element statistics) is fitted
on a random share of each fold's training rows (its SuperCon3D training entries and the
SuperCon formula rows the baseline may add, drawn together, one seed) and scored on the test
fold. Prints the test MAE (ln K) per fold and share, the mean per share with the mean number
of training rows, the fall per doubling between neighbouring shares, and a power law
MAE = a + b · n^(−c) fitted to the means (a: the error with unlimited rows of this kind; the
rows n it would take to reach :data:`TARGET_MAE`, if a lies below it).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from composition_embeddings import features
from composition_folds import fold_rows, load_inputs
from scipy.optimize import curve_fit

from supercon3d.graphs.elements import element_table
from supercon3d.machine import describe_machine
from supercon3d.models.composition import make_regressor

SEED = 0
TARGET_MAE = 0.45
"""Issue 15's random-fold target (ln K)."""
VARIANT = "magpie+chgnet"


def power_law(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """MAE (ln K) with n training rows: a + b · n^(−c)."""
    return a + b * np.power(n, -c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", default="0.125,0.25,0.5,1")
    args = parser.parse_args()
    fractions = [float(f) for f in args.fractions.split(",")]
    started = time.perf_counter()
    inputs = load_inputs()
    tables = {"chgnet": element_table("chgnet").astype(float)}
    rng = np.random.default_rng(SEED)
    print(f"# {describe_machine()}")
    print("| fold | " + " | ".join(f"share {f:g}" for f in fractions) + " |")
    print("|---" * (len(fractions) + 1) + "|")
    maes = {f: [] for f in fractions}
    rows_used = {f: [] for f in fractions}
    for fold in range(inputs.folds.n_folds):
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas)
        train_x = features(VARIANT, rows.compositions, inputs.featurizer, tables)
        test_x = features(
            VARIANT, [e.structure.composition for e in rows.test], inputs.featurizer, tables
        )
        truth = np.array([e.ln_tc for e in rows.test])
        order = rng.permutation(len(train_x))
        for fraction in fractions:
            chosen = order[: round(fraction * len(train_x))]
            model = make_regressor("lgbm", SEED).fit(train_x[chosen], rows.ln_tc[chosen])
            maes[fraction].append(float(np.abs(model.predict(test_x) - truth).mean()))
            rows_used[fraction].append(len(chosen))
        print(f"| {fold} | " + " | ".join(f"{maes[f][-1]:.3f}" for f in fractions) + " |")

    n = np.array([np.mean(rows_used[f]) for f in fractions])
    mean = np.array([np.mean(maes[f]) for f in fractions])
    print("\n| share | training rows (mean) | MAE (ln K) | fall per doubling |")
    print("|---|---|---|---|")
    for i, fraction in enumerate(fractions):
        fall = ""
        if i:
            fall = f"{(mean[i - 1] - mean[i]) / np.log2(n[i] / n[i - 1]):.4f}"
        print(f"| {fraction:g} | {n[i]:,.0f} | {mean[i]:.4f} | {fall} |")
    (a, b, c), _ = curve_fit(power_law, n, mean, p0=(0.4, 5.0, 0.3), maxfev=20000)
    print(f"\npower law: MAE = {a:.3f} + {b:.2f} · n^(-{c:.3f})")
    if a < TARGET_MAE:
        needed = (b / (TARGET_MAE - a)) ** (1 / c)
        print(f"rows for {TARGET_MAE} ln K: {needed:,.0f} ({needed / n[-1]:.1f}× today's)")
    else:
        print(f"its asymptote lies above {TARGET_MAE} ln K")
    print(f"wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

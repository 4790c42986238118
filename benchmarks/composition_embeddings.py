"""Pretrained element embeddings as composition features for LightGBM (issue 15, part 3)

    python benchmarks/composition_embeddings.py

Transfer learning on the composition side: each composition is described by the
fraction-weighted mean and standard deviation of its elements' vectors in CHGNet 0.3.0's
pretrained 64-dimensional atom embedding (``element_table("chgnet")``: standardized, read
from the ``chgnet`` wheel offline), 128 features, beside or instead of the 132 Magpie
descriptors. LightGBM with the baseline's fixed hyperparameters (``make_regressor("lgbm")``)
on the shared random 10 folds, trained on each fold's training entries plus the SuperCon
formula rows the baseline may use (``fold_extra_rows``); prints each test fold's MAE (ln K)
and the mean ± sample std per variant.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from composition_folds import fold_rows, load_inputs, print_means
from pymatgen.core import Composition

from supercon3d.graphs.elements import element_table
from supercon3d.machine import describe_machine
from supercon3d.models.composition import embedding_statistics, make_regressor

SEED = 0
VARIANTS = ("magpie", "magpie+chgnet", "chgnet")


def features(variant: str, compositions: list[Composition], featurizer, table) -> np.ndarray:
    """The feature matrix of ``variant`` (Magpie and/or the CHGNet statistics)."""
    parts = []
    if "magpie" in variant:
        parts.append(featurizer.transform(compositions))
    if "chgnet" in variant:
        parts.append(embedding_statistics(compositions, table))
    return np.hstack(parts)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    started = time.perf_counter()
    inputs = load_inputs()
    featurizer = inputs.featurizer
    table = element_table("chgnet").astype(float)
    results: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    print(f"# {describe_machine()}")
    print("| fold | " + " | ".join(VARIANTS) + " |")
    print("|---" * (len(VARIANTS) + 1) + "|")
    for fold in range(inputs.folds.n_folds):
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas)
        tested = [entry.structure.composition for entry in rows.test]
        truth = np.array([entry.ln_tc for entry in rows.test])
        for variant in VARIANTS:
            model = make_regressor("lgbm", SEED)
            model.fit(features(variant, rows.compositions, featurizer, table), rows.ln_tc)
            predicted = model.predict(features(variant, tested, featurizer, table))
            results[variant].append(float(np.abs(predicted - truth).mean()))
        print(f"| {fold} | " + " | ".join(f"{results[v][-1]:.3f}" for v in VARIANTS) + " |")
    print_means(results, started)


if __name__ == "__main__":
    main()

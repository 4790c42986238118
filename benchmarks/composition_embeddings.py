"""Pretrained element embeddings as composition features for LightGBM (issue 15, part 3)

    python benchmarks/composition_embeddings.py [--forest]

Transfer learning on the composition side: each composition is described by the
fraction-weighted mean and standard deviation of its elements' vectors in CHGNet 0.3.0's
pretrained 64-dimensional atom embedding (``element_table("chgnet")``: standardized, read
from the ``chgnet`` wheel offline), 128 features, beside or instead of the 132 Magpie
descriptors. LightGBM with the baseline's fixed hyperparameters (``make_regressor("lgbm")``)
on the shared random 10 folds, trained on each fold's training entries plus the SuperCon
formula rows the baseline may use (``fold_extra_rows``); prints each test fold's MAE (ln K)
and the mean ± sample std per variant. ``--forest`` compares, on Magpie + CHGNet statistics,
LightGBM, the baselines' random forest and their plain mean instead.
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
FOREST_VARIANTS = ("magpie+chgnet", "magpie+chgnet rf", "magpie+chgnet lgbm/rf mean")
"""``--forest``: LightGBM, the baselines' random forest (``make_regressor("rf")``) and their
plain mean (weight 1/2, fixed beforehand), all on Magpie + CHGNet statistics."""


def features(variant: str, compositions: list[Composition], featurizer, table) -> np.ndarray:
    """The feature matrix of ``variant`` (Magpie and/or the CHGNet statistics)."""
    parts = []
    if "magpie" in variant:
        parts.append(featurizer.transform(compositions))
    if "chgnet" in variant:
        parts.append(embedding_statistics(compositions, table))
    return np.hstack(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forest", action="store_true", help="the forest variants instead")
    args = parser.parse_args()
    started = time.perf_counter()
    inputs = load_inputs()
    featurizer = inputs.featurizer
    table = element_table("chgnet").astype(float)
    variants = FOREST_VARIANTS if args.forest else VARIANTS
    results: dict[str, list[float]] = {variant: [] for variant in variants}
    print(f"# {describe_machine()}")
    print("| fold | " + " | ".join(variants) + " |")
    print("|---" * (len(variants) + 1) + "|")
    for fold in range(inputs.folds.n_folds):
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas)
        tested = [entry.structure.composition for entry in rows.test]
        truth = np.array([entry.ln_tc for entry in rows.test])
        predictions = {}
        for variant in variants:
            if variant.endswith("mean"):
                predicted = np.mean([predictions[v] for v in variants[:2]], axis=0)
            else:
                name, regressor = (variant.split() + ["lgbm"])[:2]
                model = make_regressor(regressor, SEED)
                model.fit(features(name, rows.compositions, featurizer, table), rows.ln_tc)
                predicted = model.predict(features(name, tested, featurizer, table))
            predictions[variant] = predicted
            results[variant].append(float(np.abs(predicted - truth).mean()))
        print(f"| {fold} | " + " | ".join(f"{results[v][-1]:.3f}" for v in variants) + " |")
    print_means(results, started)


if __name__ == "__main__":
    main()

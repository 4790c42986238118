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
from pymatgen.core import Composition

from supercon3d.data.supercon3d import load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.graphs.elements import element_table
from supercon3d.machine import describe_machine
from supercon3d.models.composition import MagpieFeaturizer, make_regressor
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import fold_extra_rows

FORMULAS_TABLE = "supercon_11949"
SEED = 0
VARIANTS = ("magpie", "magpie+chgnet", "chgnet")


def embedding_statistics(compositions: list[Composition], table: np.ndarray) -> np.ndarray:
    """Per composition: the fraction-weighted mean and standard deviation of its elements'
    rows of ``table`` (row Z - 1 is element Z)."""
    rows = np.zeros((len(compositions), 2 * table.shape[1]))
    for row, composition in zip(rows, compositions):
        fractions = composition.fractional_composition
        vectors = table[[element.Z - 1 for element in fractions]]
        weights = np.array([fractions[element] for element in fractions])[:, None]
        mean = (weights * vectors).sum(axis=0)
        row[: table.shape[1]] = mean
        row[table.shape[1] :] = np.sqrt((weights * (vectors - mean) ** 2).sum(axis=0))
    return rows


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
    dataset = load_supercon3d()
    by_id = {entry.id: entry for entry in dataset.entries}
    folds = FoldAssignment.shipped()
    featurizer = MagpieFeaturizer(cache_dir())
    formulas = load_supercon_formulas(FORMULAS_TABLE)
    table = element_table("chgnet").astype(float)
    results: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    print(f"# {describe_machine()}")
    print("| fold | " + " | ".join(VARIANTS) + " |")
    print("|---" * (len(VARIANTS) + 1) + "|")
    for fold in range(folds.n_folds):
        split = folds.split(fold)
        train, val, test = (
            [by_id[i] for i in ids if i in by_id] for ids in (split.train, split.val, split.test)
        )
        extra = fold_extra_rows(formulas, val, test, "random")
        compositions = [e.structure.composition for e in train] + list(extra["composition"])
        ln_tc = np.concatenate([[e.ln_tc for e in train], np.log(extra["tc"].to_numpy(float))])
        tested = [entry.structure.composition for entry in test]
        truth = np.array([entry.ln_tc for entry in test])
        for variant in VARIANTS:
            model = make_regressor("lgbm", SEED)
            model.fit(features(variant, compositions, featurizer, table), ln_tc)
            predicted = model.predict(features(variant, tested, featurizer, table))
            results[variant].append(float(np.abs(predicted - truth).mean()))
        print(f"| {fold} | " + " | ".join(f"{results[v][-1]:.3f}" for v in VARIANTS) + " |")
    print("\nmean ± std over the test folds (ln K):")
    for variant, maes in results.items():
        print(f"  {variant}: {np.mean(maes):.4f} ± {np.std(maes, ddof=1):.4f}")
    print(f"wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

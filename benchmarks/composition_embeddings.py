"""Pretrained element embeddings as composition features for LightGBM (issue 15, part 3)

    python benchmarks/composition_embeddings.py [--forest | --lightgbm-forest [--folds 0]]
    python benchmarks/composition_embeddings.py --sevennet

Transfer learning on the composition side: each composition is described by the
fraction-weighted mean and standard deviation of its elements' vectors in CHGNet 0.3.0's
pretrained 64-dimensional atom embedding (``element_table("chgnet")``: standardized, read
from the ``chgnet`` wheel offline), 128 features, beside or instead of the 132 Magpie
descriptors. LightGBM with the baseline's fixed hyperparameters (``make_regressor("lgbm")``)
on the shared random 10 folds, trained on each fold's training entries plus the SuperCon
formula rows the baseline may use (``fold_extra_rows``); prints each test fold's MAE (ln K)
and the mean ± sample std per variant. ``--forest`` compares, on Magpie + CHGNet statistics,
LightGBM, the baselines' random forest and their plain mean instead. ``--lightgbm-forest``
asks whether that forest could ship: LightGBM's own random-forest mode (saved as text, no
pickle) at the sizes of :data:`LIGHTGBM_FOREST_SIZES`, alone and averaged with LightGBM, on
the test folds of ``--folds``, with the size of each fold model's text compressed by xz
(how the shipped composition models are stored). ``--sevennet`` adds a second pretrained
embedding: the element vectors of SevenNet-0 (``7net-0``, MPtrj; the 128 numbers its first
layer gives each of its 89 elements, read from the ``sevenn`` wheel, standardized, elements
outside it zero), its statistics beside Magpie and beside Magpie + CHGNet.
"""

from __future__ import annotations

import argparse
import lzma
import time

import numpy as np
from composition_folds import fold_rows, load_inputs, print_means
from lightgbm import LGBMRegressor
from pymatgen.core import Composition

from supercon3d.graphs.elements import MAX_Z, element_table
from supercon3d.machine import describe_machine
from supercon3d.models.composition import embedding_statistics, make_regressor
from supercon3d.models.oxidation_state import oxidation_feature_matrix

SEED = 0
VARIANTS = ("magpie", "magpie+chgnet", "chgnet")
SEVENNET_VARIANTS = ("magpie+chgnet", "magpie+sevennet", "magpie+chgnet+sevennet")
SEVENNET_MODEL = "7net-0"
FOREST_VARIANTS = ("magpie+chgnet", "magpie+chgnet rf", "magpie+chgnet lgbm/rf mean")
"""``--forest``: LightGBM, the baselines' random forest (``make_regressor("rf")``) and their
plain mean (weight 1/2, fixed beforehand), all on Magpie + CHGNet statistics."""
LIGHTGBM_FOREST_SIZES = ((300, 4095, 1), (100, 1023, 3), (100, 255, 5))
"""``--lightgbm-forest``: (trees, largest number of leaves, fewest samples per leaf); the
first grows trees about as deep as the scikit-learn forest's (17 k training rows, one per
leaf), the others are smaller."""
BOOTSTRAP_SHARE = 0.632
"""Share of the rows each LightGBM forest tree sees (drawn without replacement): the share
of distinct rows in a bootstrap sample, as scikit-learn's forest draws."""


def sevennet_table() -> np.ndarray:
    """SevenNet-0's element vectors as a (103, 128) table, row Z - 1, standardized per column
    over its elements; zero for elements it lacks."""
    from sevenn.util import model_from_checkpoint, pretrained_name_to_path

    model, config = model_from_checkpoint(pretrained_name_to_path(SEVENNET_MODEL))
    type_map = config["_type_map"]
    weights = model.onehot_to_feature_x.linear.weight.detach().double().numpy()
    learnt = weights.reshape(len(type_map), -1)
    learnt = (learnt - learnt.mean(axis=0)) / learnt.std(axis=0)
    table = np.zeros((MAX_Z, learnt.shape[1]))
    for z, index in type_map.items():
        table[z - 1] = learnt[index]
    return table


def features(
    variant: str, compositions: list[Composition], featurizer, tables: dict[str, np.ndarray]
) -> np.ndarray:
    """The feature matrix of ``variant``: Magpie and/or the statistics of the element tables
    it names (``tables`` by name: ``chgnet``, ``sevennet``)."""
    parts = []
    if "magpie" in variant:
        parts.append(featurizer.transform(compositions))
    for name in ("chgnet", "sevennet"):
        if name in variant.split(" ")[0].split("+"):
            parts.append(embedding_statistics(compositions, tables[name]))
    if "oxidation" in variant:
        parts.append(oxidation_feature_matrix(compositions))
    return np.hstack(parts)


def lightgbm_forest(trees: int, leaves: int, min_leaf: int) -> LGBMRegressor:
    """LightGBM's random-forest mode with a third of the features per split, like the
    baselines' scikit-learn forest."""
    return LGBMRegressor(
        boosting_type="rf",
        n_estimators=trees,
        num_leaves=leaves,
        min_child_samples=min_leaf,
        subsample=BOOTSTRAP_SHARE,
        subsample_freq=1,
        feature_fraction_bynode=1 / 3,
        n_jobs=2,
        random_state=SEED,
        deterministic=True,
        verbose=-1,
    )


def compare_lightgbm_forests(inputs, tables, folds: list[int], started: float) -> None:
    """Test-fold MAE (ln K) of each :data:`LIGHTGBM_FOREST_SIZES` forest, alone and averaged
    with LightGBM, and its xz-compressed model text (MB)."""
    results: dict[str, list[float]] = {"lightgbm": []}
    print(
        "| fold | forest (trees / leaves / per leaf) | forest | mean with LightGBM | LightGBM "
        "| model text, xz (MB) | fit (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    for fold in folds:
        rows = fold_rows(inputs.by_id, inputs.folds.split(fold), inputs.formulas)
        tested = [entry.structure.composition for entry in rows.test]
        truth = np.array([entry.ln_tc for entry in rows.test])
        train_x = features("magpie+chgnet", rows.compositions, inputs.featurizer, tables)
        test_x = features("magpie+chgnet", tested, inputs.featurizer, tables)
        boosted = make_regressor("lgbm", SEED).fit(train_x, rows.ln_tc).predict(test_x)
        results["lightgbm"].append(float(np.abs(boosted - truth).mean()))
        for size in LIGHTGBM_FOREST_SIZES:
            fit_started = time.perf_counter()
            forest = lightgbm_forest(*size).fit(train_x, rows.ln_tc)
            fit_seconds = time.perf_counter() - fit_started
            predicted = forest.predict(test_x)
            text = forest.booster_.model_to_string().encode()
            megabytes = len(lzma.compress(text)) / 1e6
            name = "/".join(map(str, size))
            alone = float(np.abs(predicted - truth).mean())
            mean = float(np.abs((predicted + boosted) / 2 - truth).mean())
            results.setdefault(f"forest {name}", []).append(alone)
            results.setdefault(f"mean with forest {name}", []).append(mean)
            print(
                f"| {fold} | {name} | {alone:.3f} | {mean:.3f} | {results['lightgbm'][-1]:.3f} "
                f"| {megabytes:.2f} | {fit_seconds:.0f} |",
                flush=True,
            )
    print_means(results, started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forest", action="store_true", help="the forest variants instead")
    parser.add_argument(
        "--lightgbm-forest", action="store_true", help="LightGBM's forest mode: error and size"
    )
    parser.add_argument("--folds", default="0", help="test folds of --lightgbm-forest: '0,1'")
    parser.add_argument("--sevennet", action="store_true", help="SevenNet-0's element vectors")
    args = parser.parse_args()
    started = time.perf_counter()
    inputs = load_inputs()
    tables = {"chgnet": element_table("chgnet").astype(float)}
    print(f"# {describe_machine()}")
    if args.lightgbm_forest:
        folds = [int(fold) for fold in args.folds.split(",")]
        compare_lightgbm_forests(inputs, tables, folds, started)
        return
    featurizer = inputs.featurizer
    variants = FOREST_VARIANTS if args.forest else SEVENNET_VARIANTS if args.sevennet else VARIANTS
    if args.sevennet:
        tables["sevennet"] = sevennet_table()
    results: dict[str, list[float]] = {variant: [] for variant in variants}
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
                model.fit(features(name, rows.compositions, featurizer, tables), rows.ln_tc)
                predicted = model.predict(features(name, tested, featurizer, tables))
            predictions[variant] = predicted
            results[variant].append(float(np.abs(predicted - truth).mean()))
        print(f"| {fold} | " + " | ".join(f"{results[v][-1]:.3f}" for v in variants) + " |")
    print_means(results, started)


if __name__ == "__main__":
    main()

"""P(superconductor) variants tried against the shipped recipe, on chemical-system-grouped folds.

    python benchmarks/superconductor_variants.py

The shipped classifier's table, features, hyperparameters and grouped 5 folds
(:mod:`supercon3d.training.superconductor`); each variant changes one thing and prints its
out-of-fold ROC-AUC (pooled and per fold):

- ``shipped recipe``: as shipped;
- ``element and pair rates``: ten extra features, the smoothed superconductor share of the
  training rows holding each element and each element pair of a row (min, max, mean, and the
  log count of rows behind the rarest and the mean), every training row's counted without
  the rows of its own chemical system, as a test row's are;
- ``weights 1/√system``, ``weights 1/system``, ``weights 1/copies``: sample weights against
  the large chemical systems and the repeated compositions (3DSC holds several structures per
  formula);
- ``cleaned p < 0.1 / > 0.9``, ``cleaned p < 0.05 / > 0.95``: training rows whose label
  their own out-of-fold probability contradicts (superconductors below, non-superconductors
  above the thresholds; inner grouped 4 folds inside each training set) are left out of
  training; the test rows keep their labels;
- ``CHGNet element statistics``: 128 extra features, the fraction-weighted mean and standard
  deviation of the row's elements in CHGNet's pretrained atom embedding
  (``benchmarks/composition_embeddings.py``);
- ``doping level``: 5 extra features from charge neutrality, the mean oxidation state and
  d-electron count of the d-block metals with every other element at a fixed charge
  (:mod:`supercon3d.models.oxidation_state`), which tells YBa2Cu3O7 from YBa2Cu3O6; and both
  together (``doping level + CHGNet element statistics``, the shipped classifier's features);
- ``shipped features, training share 1/8`` (1/4, 1/2): those features fitted on a random
  share of each fold's training rows (seed :data:`SHARE_SEED` + fold): the learning curve,
  whether more labelled rows of this kind would lift the grouped AUC.

``--variant NAME`` (repeatable) runs only the named ones. ``--seeds N`` fits every variant
with the classifier's seeds 0 to N - 1 (row and feature subsampling) and prints the pooled
AUC per seed and its mean ± std: how far apart two seeds of one recipe land, against which a
variant's gain is read (the inner models that pick the rows to clean keep seed 0).
Every variant is one LightGBM fit per seed, where the shipped classifier averages five
(``superconductor_classifier.py``). ``--textbook`` also fits the shipped recipe and each
variant that adds composition features the way ``superconductor_classifier.py --seeds 1
--ship`` fits the shipped recipe (with the variant's columns last), and prints its
calibrated P(superconductor) of the textbook non-superconductors, which the shipped
classifier must keep below 0.5.

It also prints the share of rows in chemical systems that hold both classes and the AUC
inside and outside them. Reads the cached descriptors (``benchmarks/superconductor_classifier.py``
fills the cache).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np
from pymatgen.core import Composition
from sklearn.metrics import roc_auc_score

from supercon3d.evaluation.reference_materials import textbook_non_superconductors
from supercon3d.evaluation.splits import CLASSIFIER_FOLDS, chemical_system_folds, grouped_folds
from supercon3d.graphs.elements import element_table
from supercon3d.machine import describe_machine
from supercon3d.models.calibration import ProbabilityCalibration
from supercon3d.models.composition import MagpieFeaturizer, embedding_statistics
from supercon3d.models.oxidation_state import oxidation_feature_matrix
from supercon3d.models.superconductor import structure_feature_matrix
from supercon3d.settings import cache_dir
from supercon3d.training.superconductor import (
    balanced_weights,
    calibration_scores,
    make_classifier,
    training_features,
)
from supercon3d.training.superconductor_data import build_training_table

RATE_SMOOTHING = 2.0
"""Pseudo-rows at a share of 0.5 added to every element or pair count."""
INNER_FOLDS = 4
INNER_SEED = 7
SHARE_SEED = 11
TRAINING_SHARES = {"1/8": 0.125, "1/4": 0.25, "1/2": 0.5}
SHIPPED_FEATURES = "doping level + CHGNet element statistics"
"""The variant whose features the shipped classifier uses (Magpie, CHGNet statistics, doping
level, structure descriptors)."""


def element_pair_rates(
    elements: list[list[str]],
    systems: list[str],
    labels: np.ndarray,
    train: np.ndarray,
    query: np.ndarray,
) -> np.ndarray:
    """Per query row, 10 features from the training rows (indices ``train``) sharing its
    elements (5) and element pairs (5), the rows of its own chemical system left out."""
    own = defaultdict(lambda: [0, 0])
    for i in train:
        own[systems[i]][0] += 1
        own[systems[i]][1] += labels[i]
    features = []
    for size in (1, 2):
        total, positive = Counter(), Counter()
        for i in train:
            for group in itertools.combinations(elements[i], size):
                total[group] += 1
                positive[group] += labels[i]
        block = np.full((len(query), 5), np.nan)
        for row, i in enumerate(query):
            n_own, p_own = own.get(systems[i], (0, 0))
            groups = list(itertools.combinations(elements[i], size))
            if not groups:
                continue
            counts = np.array([total[g] - n_own for g in groups], dtype=float)
            rates = (np.array([positive[g] - p_own for g in groups]) + RATE_SMOOTHING / 2) / (
                counts + RATE_SMOOTHING
            )
            block[row] = [rates.min(), rates.max(), rates.mean(), np.log1p(counts.min()),
                          np.log1p(counts.mean())]  # fmt: skip
        features.append(block)
    return np.hstack(features)


def composition_describers() -> dict[str, Callable[[list[Composition]], np.ndarray]]:
    """The extra composition columns of the variants that add features (none for the shipped
    recipe), as functions of the compositions: what ``--textbook`` also applies to the
    textbook non-superconductors."""
    chgnet = element_table("chgnet")

    def chgnet_statistics(compositions: list[Composition]) -> np.ndarray:
        return embedding_statistics(compositions, chgnet)

    return {
        "shipped recipe": lambda compositions: np.empty((len(compositions), 0)),
        "CHGNet element statistics": chgnet_statistics,
        "doping level": oxidation_feature_matrix,
        "doping level + CHGNet element statistics": lambda compositions: np.hstack(
            [oxidation_feature_matrix(compositions), chgnet_statistics(compositions)]
        ),
    }


def textbook_probabilities(
    features: np.ndarray,
    labels: np.ndarray,
    folds: np.ndarray,
    describe: Callable[[list[Composition]], np.ndarray],
    featurizer: MagpieFeaturizer,
) -> tuple[str, np.ndarray]:
    """Fitted as ``superconductor_classifier.py --seeds 1 --ship`` fits it (seed 0, on
    every row of ``features``, the calibration of lowest cross-fitted Brier score fitted on
    the grouped out-of-fold probabilities): its calibration and its P(superconductor) of
    each textbook non-superconductor, given its structure."""
    _, _, out_of_fold = grouped_auc(features, labels, folds)
    scores = calibration_scores(out_of_fold, labels, folds)
    method = min(scores, key=scores.get)
    calibration = ProbabilityCalibration.fit(method, out_of_fold, labels, balanced_weights(labels))
    model = make_classifier().fit(features, labels)
    structures = list(textbook_non_superconductors().values())
    compositions = [structure.composition for structure in structures]
    x = np.hstack(
        [
            featurizer.transform(compositions),
            structure_feature_matrix(structures),
            describe(compositions),
        ]
    )
    return method, calibration.apply(model.predict_proba(x)[:, 1])


def print_textbook(
    describers: dict[str, Callable[[list[Composition]], np.ndarray]],
    variant_features: Callable[[str], np.ndarray],
    labels: np.ndarray,
    folds: np.ndarray,
    featurizer: MagpieFeaturizer,
) -> None:
    """The table of :func:`textbook_probabilities` per variant, its calibration and how many
    of the materials it puts at P ≥ 0.5."""
    results = {
        name: textbook_probabilities(variant_features(name), labels, folds, describe, featurizer)
        for name, describe in describers.items()
    }
    print("\n| textbook non-superconductor | " + " | ".join(results) + " |")
    print("|---" * (len(results) + 1) + "|")
    print("| calibration | " + " | ".join(method for method, _ in results.values()) + " |")
    for row, name in enumerate(textbook_non_superconductors()):
        cells = " | ".join(f"{p[row]:.3f}" for _, p in results.values())
        print(f"| {name} | {cells} |")
    above = [str(int((p >= 0.5).sum())) for _, p in results.values()]
    print("| at P ≥ 0.5 | " + " | ".join(above) + " |")


def grouped_auc(
    features: np.ndarray,
    labels: np.ndarray,
    folds: np.ndarray,
    train_rows: Callable[[int, np.ndarray], np.ndarray] = lambda fold, rows: rows,
    weights: np.ndarray | None = None,
    extra: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    seed: int = 0,
) -> tuple[float, list[float], np.ndarray]:
    """Pooled and per-fold out-of-fold ROC-AUC and the probabilities of the classifier with
    ``seed``; ``train_rows`` may drop training rows of a fold, ``extra`` adds (training,
    test) feature columns."""
    predicted = np.empty(len(labels))
    for fold in range(CLASSIFIER_FOLDS):
        test = np.flatnonzero(folds == fold)
        train = train_rows(fold, np.flatnonzero(folds != fold))
        x_train, x_test = features[train], features[test]
        if extra is not None:
            more_train, more_test = extra(train, test)
            x_train, x_test = np.hstack([x_train, more_train]), np.hstack([x_test, more_test])
        model = make_classifier(seed).fit(
            x_train, labels[train], sample_weight=None if weights is None else weights[train]
        )
        predicted[test] = model.predict_proba(x_test)[:, 1]
    per_fold = [
        roc_auc_score(labels[folds == f], predicted[folds == f]) for f in range(CLASSIFIER_FOLDS)
    ]
    return float(roc_auc_score(labels, predicted)), per_fold, predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", help="run only this variant (repeatable)")
    parser.add_argument("--seeds", type=int, default=1, help="classifier seeds per variant")
    parser.add_argument(
        "--textbook",
        action="store_true",
        help="also fit each feature variant on every row and print its calibrated P(SC) of "
        "the textbook non-superconductors",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"machine: {describe_machine()}")
    table = build_training_table()
    featurizer = MagpieFeaturizer(cache_dir())
    features = training_features(table, featurizer)
    labels = table["label"].to_numpy(dtype=int)
    systems = list(table["system"])
    elements = [system.split("-") for system in systems]
    folds = chemical_system_folds(list(table["composition"]), CLASSIFIER_FOLDS)
    system_size = table.groupby("system")["label"].transform("size").to_numpy(dtype=float)
    keys = table["label_key"].astype(str)
    copies = keys.map(keys.value_counts()).to_numpy(dtype=float)

    def inner_probabilities(rows: np.ndarray) -> np.ndarray:
        inner = grouped_folds([systems[i] for i in rows], INNER_FOLDS, INNER_SEED)
        predicted = np.empty(len(rows))
        for k in range(INNER_FOLDS):
            model = make_classifier().fit(features[rows[inner != k]], labels[rows[inner != k]])
            predicted[inner == k] = model.predict_proba(features[rows[inner == k]])[:, 1]
        return predicted

    @functools.cache
    def inner(fold: int) -> np.ndarray:
        return inner_probabilities(np.flatnonzero(folds != fold))

    def cleaned(low: float, high: float) -> Callable[[int, np.ndarray], np.ndarray]:
        def rows(fold: int, train: np.ndarray) -> np.ndarray:
            p = inner(fold)
            wrong = ((labels[train] == 1) & (p < low)) | ((labels[train] == 0) & (p > high))
            return train[~wrong]

        return rows

    def share(fraction: float) -> Callable[[int, np.ndarray], np.ndarray]:
        def rows(fold: int, train: np.ndarray) -> np.ndarray:
            chosen = np.random.default_rng(SHARE_SEED + fold).permutation(train)
            return np.sort(chosen[: round(fraction * len(train))])

        return rows

    def rates(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            element_pair_rates(elements, systems, labels, train, train),
            element_pair_rates(elements, systems, labels, train, test),
        )

    compositions = list(table["composition"])
    describers = composition_describers()
    described = {name: describe(compositions) for name, describe in describers.items()}

    def columns(name: str) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        return lambda train, test: (described[name][train], described[name][test])

    variants = {
        "shipped recipe": {},
        "element and pair rates": {"extra": rates},
        "weights 1/√system": {"weights": 1 / np.sqrt(system_size)},
        "weights 1/system": {"weights": 1 / system_size},
        "weights 1/copies": {"weights": 1 / copies},
        "cleaned p < 0.1 / > 0.9": {"train_rows": cleaned(0.1, 0.9)},
        "cleaned p < 0.05 / > 0.95": {"train_rows": cleaned(0.05, 0.95)},
        **{name: {"extra": columns(name)} for name in describers if name != "shipped recipe"},
        **{
            f"shipped features, training share {label}": {
                "extra": columns(SHIPPED_FEATURES),
                "train_rows": share(fraction),
            }
            for label, fraction in TRAINING_SHARES.items()
        },
    }
    if args.variant:
        unknown = set(args.variant) - set(variants)
        if unknown:
            parser.error(f"unknown variant(s) {sorted(unknown)}; choose from {list(variants)}")
        variants = {name: variants[name] for name in variants if name in args.variant}
    print(f"\n{len(labels)} rows, chemical-system-grouped {CLASSIFIER_FOLDS} folds\n")
    if args.seeds == 1:
        print("| variant | ROC-AUC | per fold |\n|---|---|---|")
    else:
        print(f"| variant | ROC-AUC, mean ± std over {args.seeds} seeds | per seed |")
        print("|---|---|---|")
    shipped = None
    for name, change in variants.items():
        runs = [grouped_auc(features, labels, folds, **change, seed=s) for s in range(args.seeds)]
        shipped = runs[0][2] if name == "shipped recipe" else shipped
        if args.seeds == 1:
            auc, per_fold, _ = runs[0]
            print(f"| {name} | {auc:.3f} | {' '.join(f'{a:.3f}' for a in per_fold)} |", flush=True)
            continue
        aucs = [auc for auc, _, _ in runs]
        print(
            f"| {name} | {np.mean(aucs):.4f} ± {np.std(aucs, ddof=1):.4f} "
            f"| {' '.join(f'{a:.4f}' for a in aucs)} |",
            flush=True,
        )

    if args.textbook:
        print_textbook(
            {name: describers[name] for name in variants if name in describers},
            lambda name: np.hstack([features, described[name]]),
            labels,
            folds,
            featurizer,
        )
    if shipped is None:
        print(f"\nwall time: {time.perf_counter() - start:.0f} s")
        return
    share = table.groupby("system")["label"].transform("mean").to_numpy()
    mixed = (share > 0) & (share < 1)
    print(
        f"\nrows in chemical systems holding both classes: {mixed.mean():.1%}; shipped recipe "
        f"AUC inside them {roc_auc_score(labels[mixed], shipped[mixed]):.3f}, outside "
        f"{roc_auc_score(labels[~mixed], shipped[~mixed]):.3f}"
    )
    print(f"\nwall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

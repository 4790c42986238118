"""Training and evaluating the P(superconductor) classifier.

The table is :func:`~supercon3d.training.superconductor_data.build_training_table`; the
features are Magpie descriptors of each row's composition (optionally an element embedding's
statistics and the doping level) plus its structure descriptors (NaN for formula rows).
Evaluation is out-of-fold ROC-AUC on chemical-system-grouped folds
(:func:`~supercon3d.evaluation.splits.chemical_system_folds`), overall and on the 3DSC
structure rows alone, beside random folds over the same rows and a composition-only ablation
(structure descriptors hidden). Every probability, out of fold or shipped, is the mean of
:data:`N_SEEDS` LightGBM fits that differ only in their seed (row and feature subsampling).

The probability is calibrated for **equal class priors**: SuperCon holds about three
superconductors per recorded non-superconductor because superconductors are what gets
published, not because three in four materials superconduct. Calibration samples are weighted
so that both classes weigh the same (:func:`balanced_weights`); P = 0.5 then means the
features are as typical of the known non-superconductors as of the superconductors. The
calibration (identity, Platt or isotonic) with the lowest cross-fitted, class-balanced Brier
score on the grouped out-of-fold probabilities is kept: each fold's calibrated probabilities
come from a map fitted on the other folds' out-of-fold predictions. The shipped model is
fitted on every row, its calibration on all grouped out-of-fold predictions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from pymatgen.core import Composition
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.neighbors import NearestNeighbors

from supercon3d.chemistry.cuprate_planes import CUPRATE_PLANE_FEATURES
from supercon3d.evaluation.splits import (
    CLASSIFIER_FOLDS,
    GROUPED_SEED,
    chemical_system,
    chemical_system_folds,
    grouped_folds,
    host_system,
)
from supercon3d.machine import package_versions
from supercon3d.models.calibration import CALIBRATION_METHODS, ProbabilityCalibration
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.structure_features import STRUCTURE_FEATURES
from supercon3d.models.superconductor import SuperconductorClassifier, composition_features
from supercon3d.settings import cache_dir
from supercon3d.training.superconductor_data import build_training_table

RANDOM_SPLIT_SEED = 0
# LightGBM fits averaged per prediction. One fit's grouped AUC moves by ±0.002 with its seed and
# its P for chemistries unlike the data (NaCl, LiF, MgO) by up to 0.3; five averaged gain
# 0.005-0.008 in grouped AUC over one and keep those below 0.4 (docs/notebook/benchmarks-2026-11.md,
# "P(superconductor): a five-seed ensemble, shipped").
N_SEEDS = 5
FITTING_PACKAGES = (
    "supercon3d", "lightgbm", "numpy", "scikit-learn", "pymatgen", "matminer", "spglib", "chgnet"
)  # fmt: skip
"""Packages whose versions a fitted classifier records (``fitted_with``): a refit elsewhere
can be told apart from a change of the recipe (docs/notebook/benchmarks-2026-11.md,
"P(superconductor): a five-seed ensemble, shipped")."""


def make_classifier(seed: int = 0, n_jobs: int = 2) -> LGBMClassifier:
    """LightGBM with fixed hyperparameters: 300 trees, learning rate 0.1, 31 leaves, ≥ 10
    samples per leaf, 80 % row and 50 % feature subsampling, L2 penalty 1, classes unweighted
    (the calibration sets the prior).

    Chosen by the one-standard-error rule on grouped out-of-fold AUC: the simplest of the
    settings tried whose AUC is within one standard error over folds (0.009) of the best
    (600 trees at rate 0.05 with 63 leaves: 0.838; this one: 0.831).
    """
    return LGBMClassifier(
        n_estimators=300,
        learning_rate=0.1,
        num_leaves=31,
        min_child_samples=10,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        reg_lambda=1.0,
        n_jobs=n_jobs,
        random_state=seed,
        deterministic=True,
        verbose=-1,
    )


def training_features(
    table: pd.DataFrame,
    featurizer: MagpieFeaturizer,
    doping_level: bool = False,
    plane_doping: bool = False,
) -> np.ndarray:
    """The classifier's composition columns of ``table['composition']`` (``featurizer``'s
    descriptors: Magpie, and an element embedding's statistics if it adds them; then the
    doping level with ``doping_level``), then its structure descriptor columns (and with
    ``plane_doping`` the CuO2 planes' hole counts, which the table must hold)."""
    described = composition_features(featurizer, list(table["composition"]), doping_level)
    structural = list(STRUCTURE_FEATURES) + (list(CUPRATE_PLANE_FEATURES) if plane_doping else [])
    return np.hstack([described, table[structural].to_numpy(dtype=float)])


def random_folds(
    n: int, n_folds: int = CLASSIFIER_FOLDS, seed: int = RANDOM_SPLIT_SEED
) -> np.ndarray:
    """Fold index per row of a random, near-equal split."""
    folds = np.empty(n, dtype=int)
    for fold, members in enumerate(
        np.array_split(np.random.default_rng(seed).permutation(n), n_folds)
    ):
        folds[members] = fold
    return folds


def classifier_seeds(seed: int = 0, n_seeds: int = N_SEEDS) -> list[int]:
    """The LightGBM seeds of an ensemble of ``n_seeds`` fits starting at ``seed``."""
    return list(range(seed, seed + n_seeds))


def out_of_fold_probabilities(
    features: np.ndarray,
    labels: np.ndarray,
    folds: np.ndarray,
    n_jobs: int = 2,
    progress: Callable[[int], None] | None = None,
    seeds: Sequence[int] = (0,),
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Each row's P(superconductor) from the models fitted on the other folds (rows weighted
    by ``sample_weight`` if given), one per classifier seed in ``seeds``, averaged
    (uncalibrated)."""
    predicted = np.zeros(len(labels))
    weight = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight)
    for fold in np.unique(folds):
        test = folds == fold
        for seed in seeds:
            model = make_classifier(seed, n_jobs).fit(
                features[~test], labels[~test], sample_weight=weight[~test]
            )
            predicted[test] += model.predict_proba(features[test])[:, 1] / len(seeds)
            if progress is not None:
                progress(1)
    return predicted


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Per-sample weights giving each class the same total weight (mean weight 1)."""
    labels = np.asarray(labels, dtype=int)
    counts = np.bincount(labels, minlength=2)
    return len(labels) / (2 * counts[labels])


def cross_fitted_calibration(
    probabilities: np.ndarray, labels: np.ndarray, folds: np.ndarray, method: str
) -> np.ndarray:
    """Calibrated out-of-fold probabilities, each fold's from a class-balanced map fitted on
    the other folds."""
    calibrated = np.empty(len(labels))
    for fold in np.unique(folds):
        test = folds == fold
        weights = balanced_weights(labels[~test])
        fitted = ProbabilityCalibration.fit(method, probabilities[~test], labels[~test], weights)
        calibrated[test] = fitted.apply(probabilities[test])
    return calibrated


def calibration_scores(
    probabilities: np.ndarray, labels: np.ndarray, folds: np.ndarray
) -> dict[str, float]:
    """Class-balanced Brier score of each calibration method on the out-of-fold
    ``probabilities``, each fold calibrated by a map fitted on the other folds; the method
    with the lowest score is the one to ship."""
    return {
        method: float(
            brier_score_loss(
                labels,
                cross_fitted_calibration(probabilities, labels, folds, method),
                sample_weight=balanced_weights(labels),
            )
        )
        for method in CALIBRATION_METHODS
    }


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC; NaN without both classes or with a score not computed (NaN)."""
    if len(np.unique(labels)) < 2 or np.isnan(scores).any():
        return float("nan")
    return float(roc_auc_score(labels, scores))


GROUPINGS: dict[str, Callable[[Composition], str]] = {
    "element set": chemical_system,
    "host system": host_system,
}
"""The groupings of :func:`grouped_evaluation`: all compositions of one element set in one fold,
or of one host system (the elements above 5 at. %, which puts a doped variant with its
parent: La1.85Sr0.15CuO4 with La2CuO4)."""
GROUPING_SEEDS: tuple[int, ...] = (GROUPED_SEED, GROUPED_SEED + 1, GROUPED_SEED + 2)
NEAR_DUPLICATE_DISTANCE = 0.01
"""Element-fraction L2 distance below which two compositions are near-duplicates."""
ALL_ROWS = "all"


def composition_weights(keys: Sequence) -> np.ndarray:
    """Per row, 1 / (rows with the same key): each composition weighs 1 however many
    structures it has."""
    keys = pd.Series(list(keys))
    return 1.0 / keys.map(keys.value_counts()).to_numpy(dtype=float)


def training_weights(table: pd.DataFrame, weight_compositions: bool) -> np.ndarray | None:
    """The classifier's per-row training weights: with ``weight_compositions``
    :func:`composition_weights` of ``table['label_key']`` (each composition weighs 1 in the
    fit, as in the grouped evaluation), else None (every row weighs 1)."""
    return composition_weights(table["label_key"]) if weight_compositions else None


def element_fractions(compositions: Sequence[Composition]) -> np.ndarray:
    """The (n, 118) matrix of atomic fractions by atomic number."""
    matrix = np.zeros((len(compositions), 118))
    for row, composition in enumerate(compositions):
        for element, x in composition.element_composition.fractional_composition.items():
            matrix[row, element.Z - 1] = x
    return matrix


def near_duplicates(fractions: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Per row, whether a row of another fold lies within :data:`NEAR_DUPLICATE_DISTANCE`
    (element-fraction L2)."""
    near = np.zeros(len(folds), dtype=bool)
    for fold in np.unique(folds):
        test = folds == fold
        index = NearestNeighbors(n_neighbors=1).fit(fractions[~test])
        distance, _ = index.kneighbors(fractions[test])
        near[test] = distance[:, 0] < NEAR_DUPLICATE_DISTANCE
    return near


def weighted_aucs(
    labels: np.ndarray, scores: np.ndarray, weights: np.ndarray
) -> tuple[float, float]:
    """(ROC-AUC, PR-AUC) with ``weights`` per row; PR-AUC is the average precision of the
    superconductor class. NaN without both classes."""
    if len(np.unique(labels)) < 2:
        return float("nan"), float("nan")
    return (
        float(roc_auc_score(labels, scores, sample_weight=weights)),
        float(average_precision_score(labels, scores, sample_weight=weights)),
    )


@dataclass
class GroupedScores:
    """Out-of-fold figures of one grouping and grouping seed, each composition weighted once
    (``roc_auc`` and ``pr_auc`` per family and for :data:`ALL_ROWS`)."""

    grouping: str
    seed: int
    roc_auc: dict[str, float]
    pr_auc: dict[str, float]
    roc_auc_rows_pooled: float
    near_duplicate_share: float  # composition-weighted
    near_duplicate_share_rows: float
    superconductor_share: dict[str, float]  # composition-weighted: a random ranking's PR-AUC
    probabilities: np.ndarray = field(repr=False)  # out of fold, uncalibrated

    def as_dict(self) -> dict:
        """The figures as plain numbers (no per-row probabilities)."""
        return {k: v for k, v in self.__dict__.items() if k != "probabilities"}


def grouped_evaluation(
    table: pd.DataFrame,
    features: np.ndarray,
    n_jobs: int = 2,
    progress: Callable[[int], None] | None = None,
    seeds: Sequence[int] = (0,),
    weight_training: bool = False,
    groupings: Sequence[str] = tuple(GROUPINGS),
    grouping_seeds: Sequence[int] = GROUPING_SEEDS,
) -> list[GroupedScores]:
    """Out-of-fold ROC-AUC and PR-AUC of the ensemble with the classifier seeds ``seeds``,
    overall and per family, each composition (``label_key``) weighted once
    (:func:`composition_weights`), for every grouping of :data:`GROUPINGS` named in
    ``groupings`` and every seed of ``grouping_seeds``; also the share of test rows with a
    near-duplicate in another fold. ``weight_training`` fits with the same weights."""
    labels = table["label"].to_numpy(dtype=int)
    weights = composition_weights(table["label_key"])
    families = table["family"].to_numpy()
    compositions = list(table["composition"])
    fractions = element_fractions(compositions)
    scores = []
    for grouping in groupings:
        groups = [GROUPINGS[grouping](c) for c in compositions]
        for seed in grouping_seeds:
            folds = grouped_folds(groups, CLASSIFIER_FOLDS, seed)
            predicted = out_of_fold_probabilities(
                features, labels, folds, n_jobs, progress, seeds,
                weights if weight_training else None,
            )  # fmt: skip
            subsets = {ALL_ROWS: np.ones(len(labels), dtype=bool)}
            subsets.update({family: families == family for family in sorted(set(families))})
            aucs = {
                name: weighted_aucs(labels[rows], predicted[rows], weights[rows])
                for name, rows in subsets.items()
            }
            near = near_duplicates(fractions, folds)
            scores.append(
                GroupedScores(
                    grouping=grouping,
                    seed=seed,
                    roc_auc={name: roc for name, (roc, _) in aucs.items()},
                    pr_auc={name: pr for name, (_, pr) in aucs.items()},
                    roc_auc_rows_pooled=_auc(labels, predicted),
                    near_duplicate_share=float(np.average(near, weights=weights)),
                    near_duplicate_share_rows=float(near.mean()),
                    superconductor_share={
                        name: float(np.average(labels[rows], weights=weights[rows]))
                        for name, rows in subsets.items()
                    },
                    probabilities=predicted,
                )
            )
    return scores


@dataclass
class ClassifierEvaluation:
    """Out-of-fold figures of the classifier (AUCs are ROC-AUC; Brier on probabilities)."""

    n_rows: dict[str, dict[str, int]]
    auc_grouped: float
    auc_grouped_structures: float
    auc_random: float
    auc_random_structures: float
    auc_grouped_composition_only: float
    auc_grouped_structures_composition_only: float
    auc_grouped_by_family: dict[str, float]
    brier: dict[str, float]  # class-balanced, cross-fitted, per calibration method
    calibration: str
    grouped_probabilities: np.ndarray = field(repr=False)
    grouped: list[GroupedScores] = field(default_factory=list)  # composition-weighted

    def as_dict(self) -> dict:
        """The figures as plain numbers (no per-row probabilities)."""
        figures = {k: v for k, v in self.__dict__.items() if k != "grouped_probabilities"}
        return {**figures, "grouped": [scores.as_dict() for scores in self.grouped]}


def evaluate_classifier(
    table: pd.DataFrame,
    features: np.ndarray,
    n_jobs: int = 2,
    progress: Callable[[int], None] | None = None,
    seeds: Sequence[int] = (0,),
    n_structure_columns: int = len(STRUCTURE_FEATURES),
    weight_compositions: bool = False,
    ablations: bool = True,
) -> ClassifierEvaluation:
    """Grouped and random out-of-fold AUCs, the composition-only ablation (the last
    ``n_structure_columns`` hidden), and the Brier score of each calibration, of the ensemble
    with the classifier seeds ``seeds`` (``progress`` is called once per fitted model), fitted
    with :func:`training_weights`. Without ``ablations`` the random-fold and composition-only
    AUCs are NaN, not fitted (a third of the fits: what shipping needs)."""
    labels = table["label"].to_numpy(dtype=int)
    weight = training_weights(table, weight_compositions)
    structures = (table["source"] == "3dsc").to_numpy()
    grouped = chemical_system_folds(list(table["composition"]), CLASSIFIER_FOLDS)
    p_grouped = out_of_fold_probabilities(
        features, labels, grouped, n_jobs, progress, seeds, weight
    )
    p_random = p_composition = np.full(len(labels), np.nan)
    if ablations:
        p_random = out_of_fold_probabilities(
            features, labels, random_folds(len(labels)), n_jobs, progress, seeds, weight
        )
        composition_only = features.copy()
        composition_only[:, -n_structure_columns:] = np.nan
        p_composition = out_of_fold_probabilities(
            composition_only, labels, grouped, n_jobs, progress, seeds, weight
        )
    brier = calibration_scores(p_grouped, labels, grouped)
    families = table["family"].to_numpy()
    return ClassifierEvaluation(
        n_rows={
            source: {
                "superconductors": int(((table["source"] == source) & (labels == 1)).sum()),
                "non_superconductors": int(((table["source"] == source) & (labels == 0)).sum()),
            }
            for source in table["source"].unique()
        },
        auc_grouped=_auc(labels, p_grouped),
        auc_grouped_structures=_auc(labels[structures], p_grouped[structures]),
        auc_random=_auc(labels, p_random),
        auc_random_structures=_auc(labels[structures], p_random[structures]),
        auc_grouped_composition_only=_auc(labels, p_composition),
        auc_grouped_structures_composition_only=_auc(labels[structures], p_composition[structures]),
        auc_grouped_by_family={
            family: _auc(labels[families == family], p_grouped[families == family])
            for family in sorted(set(families))
        },
        brier=brier,
        calibration=min(brier, key=brier.get),
        grouped_probabilities=p_grouped,
    )


def fit_shipped_classifier(
    table: pd.DataFrame,
    features: np.ndarray,
    evaluation: ClassifierEvaluation,
    n_jobs: int = 2,
    element_embedding: str | None = None,
    doping_level: bool = False,
    seeds: Sequence[int] = (0,),
    plane_doping: bool = False,
    weight_compositions: bool = False,
) -> SuperconductorClassifier:
    """The ensemble (one fit per classifier seed in ``seeds``, rows weighted by
    :func:`training_weights`) fitted on every row of ``features`` (made with
    ``element_embedding``, ``doping_level`` and ``plane_doping``), with the evaluation's chosen
    calibration fitted on the grouped out-of-fold probabilities, and the evaluation's figures,
    the seeds, the weighting and the versions of :data:`FITTING_PACKAGES` as metadata."""
    labels = table["label"].to_numpy(dtype=int)
    weight = training_weights(table, weight_compositions)
    boosters = [
        make_classifier(seed, n_jobs).fit(features, labels, sample_weight=weight).booster_
        for seed in seeds
    ]
    calibration = ProbabilityCalibration.fit(
        evaluation.calibration,
        evaluation.grouped_probabilities,
        labels,
        balanced_weights(labels),
    )
    featurizer = MagpieFeaturizer(element_embedding=element_embedding)
    metadata = {
        "evaluation": evaluation.as_dict(),
        "seeds": list(seeds),
        "composition_weighted_training": weight_compositions,
        "fitted_with": package_versions(FITTING_PACKAGES),
    }
    return SuperconductorClassifier(
        boosters, calibration, metadata, featurizer, doping_level, plane_doping
    )


def structure_columns(plane_doping: bool = False) -> int:
    """How many of the classifier's last feature columns describe the structure."""
    return len(STRUCTURE_FEATURES) + (len(CUPRATE_PLANE_FEATURES) if plane_doping else 0)


def prepare_training(
    data: str | os.PathLike | None = None,
    n_jobs: int = 2,
    progress: Callable[[int], None] | None = None,
    element_embedding: str | None = None,
    doping_level: bool = False,
    plane_doping: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The training table and its feature matrix (Magpie descriptors, ``element_embedding``'s
    statistics, the doping level with ``doping_level``, the structure descriptors and the CuO2
    planes' hole counts with ``plane_doping``; ``progress`` is called once per CIF read)."""
    table = build_training_table(data, n_jobs, progress, plane_doping)
    featurizer = MagpieFeaturizer(cache_dir(), element_embedding=element_embedding)
    return table, training_features(table, featurizer, doping_level, plane_doping)


def train_superconductor_classifier(
    data: str | os.PathLike | None = None,
    n_jobs: int = 2,
    progress: Callable[[int], None] | None = None,
    element_embedding: str | None = None,
    doping_level: bool = False,
    seed: int = 0,
    n_seeds: int = N_SEEDS,
    plane_doping: bool = False,
    grouped: bool = False,
    weight_compositions: bool = False,
    ablations: bool = True,
) -> tuple[SuperconductorClassifier, ClassifierEvaluation]:
    """Build the table, evaluate (with ``grouped`` also :func:`grouped_evaluation`), and fit
    the classifier to ship (``n_seeds`` LightGBM fits with the seeds from ``seed`` on) on the
    features of :func:`prepare_training`, every fit weighted by :func:`training_weights`
    (``progress`` is called once per CIF read and per fitted model; ``ablations`` as in
    :func:`evaluate_classifier`)."""
    seeds = classifier_seeds(seed, n_seeds)
    table, features = prepare_training(
        data, n_jobs, progress, element_embedding, doping_level, plane_doping
    )
    evaluation = evaluate_classifier(
        table, features, n_jobs, progress, seeds, structure_columns(plane_doping),
        weight_compositions, ablations,
    )  # fmt: skip
    if grouped:
        evaluation.grouped = grouped_evaluation(
            table, features, n_jobs, progress, seeds, weight_training=weight_compositions
        )
    classifier = fit_shipped_classifier(
        table, features, evaluation, n_jobs, element_embedding, doping_level, seeds,
        plane_doping, weight_compositions,
    )  # fmt: skip
    return classifier, evaluation

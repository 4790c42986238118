"""The figures ``supercon3d evaluate`` reports beside MAE and R²: the coverage of a run's
conformal Tc intervals on its test folds, and the ROC-AUC of P(superconductor).

Interval coverage: each fold model predicts its validation fold (the calibration set) and its
test fold; :func:`~supercon3d.evaluation.intervals.coverage_by_fold` calibrates the
family-wise half-widths (rule families) for each test fold on the validation errors of the
entries outside it and counts the test entries inside their interval.

P(superconductor) AUC: the shipped classifier was fitted on every row of its table (which
includes the SuperCon3D materials), so scoring it on SuperCon3D folds would be in-sample. The
figure is therefore the out-of-fold ROC-AUC its own benchmark recorded in its metadata for the
same kind of split: random folds for ``random``, chemical-system-grouped folds for
``chemical-system``; its benchmark has no leave-one-family-out folds, so ``family`` reports the
chemical-system-grouped AUC and says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supercon3d.data.family import chemical_family
from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.evaluation.ensemble import cross_validate_ensemble
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.evaluation.intervals import INTERVAL_LEVEL, coverage_by_fold
from supercon3d.graphs import CrystalGraph
from supercon3d.models.sodnet.ensemble import SODNetEnsemble

INTERVAL_GROUP = "rule_family"
"""The calibration groups of the intervals: :func:`chemical_family` of the composition."""
AUC_KEY_OF_SPLIT = {
    "random": "auc_random",
    "chemical-system": "auc_grouped",
    "family": "auc_grouped",
}
"""Which out-of-fold AUC of the classifier's recorded evaluation stands for each split."""
AUC_SOURCE = {
    "auc_random": "classifier benchmark: random {n}-fold out-of-fold ROC-AUC",
    "auc_grouped": "classifier benchmark: chemical-system-grouped {n}-fold out-of-fold ROC-AUC",
}


def interval_coverage(
    ensemble: SODNetEnsemble,
    graphs: dict[str, CrystalGraph],
    dataset: SuperCon3D,
    folds: FoldAssignment,
    test_predictions: pd.DataFrame,
) -> dict:
    """``interval_coverage`` (mean over test folds), ``interval_coverage_std`` (sample std),
    ``interval_level`` (the run's ``intervals.json`` level, else the default 0.9) and the
    per-fold records ``interval_coverage_folds`` (coverage, mean half-width in ln K, n_test);
    ``interval_coverage_by_split``: per split scored (the folds' split), its coverage, sample
    std and mean half-width (ln K) (``benchmarks/interval_coverage.py`` scores all three
    splits, with the novelty calibration beside this family-wise one).

    ``test_predictions``: the ensemble's :func:`cross_validate_ensemble` test predictions."""
    level = ensemble.intervals.level if ensemble.intervals is not None else INTERVAL_LEVEL
    _, val_predictions = cross_validate_ensemble(
        ensemble, graphs, dataset, folds, "calibration", part="val"
    )
    family = {entry.id: chemical_family(entry.structure.composition) for entry in dataset.entries}
    val, test = (
        predictions.assign(**{INTERVAL_GROUP: predictions["id"].map(family)})
        for predictions in (val_predictions, test_predictions)
    )
    coverage = coverage_by_fold(val, test, level, INTERVAL_GROUP)
    ddof = 1 if len(coverage) > 1 else 0
    return {
        "interval_coverage": float(coverage["coverage"].mean()),
        "interval_coverage_std": float(np.std(coverage["coverage"], ddof=ddof)),
        "interval_level": level,
        "interval_coverage_folds": coverage.to_dict(orient="records"),
        "interval_coverage_by_split": {
            folds.split_name: {
                "coverage": float(coverage["coverage"].mean()),
                "coverage_std": float(np.std(coverage["coverage"], ddof=ddof)),
                "mean_half_width": float(coverage["mean_half_width"].mean()),
            }
        },
    }


def superconductor_auc(split: str) -> tuple[float | None, str]:
    """The ROC-AUC of the shipped P(superconductor) classifier standing for ``split`` and a
    line saying where it comes from; None when no classifier ships or it records none."""
    from supercon3d.evaluation.splits import CLASSIFIER_FOLDS
    from supercon3d.models.superconductor import SuperconductorClassifier

    try:
        classifier = SuperconductorClassifier.shipped()
    except ValueError as error:
        return None, f"no shipped superconductor classifier ({error})"
    key = AUC_KEY_OF_SPLIT[split]
    value = classifier.metadata.get("evaluation", {}).get(key)
    if value is None:
        return None, f"the shipped classifier's metadata records no {key}"
    source = AUC_SOURCE[key].format(n=CLASSIFIER_FOLDS)
    if split == "family":
        source += " (the benchmark has no leave-one-family-out folds)"
    return float(value), source

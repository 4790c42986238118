"""The composition-weighted, multi-seed grouped evaluation of the P(SC) classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Composition

from supercon3d.evaluation.splits import host_system, host_system_folds
from supercon3d.training.superconductor import (
    ALL_ROWS,
    composition_weights,
    element_fractions,
    evaluate_classifier,
    grouped_evaluation,
    near_duplicates,
    training_weights,
    weighted_aucs,
)


def test_host_system_drops_dopants_below_five_percent():
    assert host_system(Composition("La1.85Sr0.15CuO4")) == "Cu-La-O"
    assert host_system(Composition("La2CuO4")) == "Cu-La-O"
    assert host_system(Composition("LaSrCuO4")) == "Cu-La-O-Sr"
    folds = host_system_folds([Composition(f) for f in ("La2CuO4", "La1.9Sr0.1CuO4", "MgB2")], 2)
    assert folds[0] == folds[1]


def test_composition_weights_give_each_composition_one_in_all():
    weights = composition_weights(["a", "a", "a", "b"])
    assert weights.tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0])


def test_training_weights_count_each_composition_once_only_when_asked():
    table = pd.DataFrame({"label_key": ["a", "a", "b"]})
    assert training_weights(table, weight_compositions=False) is None
    assert training_weights(table, weight_compositions=True).tolist() == [0.5, 0.5, 1.0]


def test_weighted_aucs_count_a_composition_once():
    labels = np.array([1, 1, 1, 0, 0])
    scores = np.array([0.1, 0.1, 0.1, 0.2, 0.05])  # one badly ranked composition, three rows
    pooled = weighted_aucs(labels, scores, np.ones(5))[0]
    weighted = weighted_aucs(labels, scores, np.array([1 / 3, 1 / 3, 1 / 3, 1, 1]))[0]
    assert pooled == pytest.approx(0.5)
    assert weighted == pytest.approx(0.5)
    assert np.isnan(weighted_aucs(np.ones(3, dtype=int), np.ones(3), np.ones(3))[0])


def test_near_duplicates_look_in_other_folds_only():
    fractions = element_fractions([Composition(f) for f in ("MgB2", "Mg1.001B2", "NbN", "Nb3Sn")])
    assert near_duplicates(fractions, np.array([0, 1, 0, 1])).tolist() == [1, 1, 0, 0]
    assert near_duplicates(fractions, np.array([0, 0, 1, 1])).tolist() == [0, 0, 0, 0]


def separable_table() -> tuple[pd.DataFrame, np.ndarray]:
    """Ten hosts (five superconducting) of five compositions each, and two features: the
    label with noise and pure noise."""
    rng = np.random.default_rng(0)
    hosts = {"Nb{}Sn": 1, "Mg{}B2": 1, "V{}Si": 1, "Pb{}Bi": 1, "Nb{}N": 1}
    hosts |= {"Na{}Cl": 0, "K{}Br": 0, "Li{}F": 0, "Mg{}O": 0, "Ca{}F2": 0}
    formulas = [host.format(x) for host in hosts for x in range(1, 6)]
    labels = np.repeat(list(hosts.values()), 5)
    table = pd.DataFrame(
        {
            "label": labels,
            "label_key": formulas,
            "composition": [Composition(f) for f in formulas],
            "family": ["other"] * 50,
            "source": ["3dsc"] * 50,
        }
    )
    features = np.column_stack([labels + rng.normal(0, 0.3, 50), rng.normal(size=50)])
    return table, features


def test_grouped_evaluation_scores_every_grouping_and_seed():
    table, features = separable_table()
    scores = grouped_evaluation(table, features, n_jobs=1, grouping_seeds=(1, 2))
    assert [(s.grouping, s.seed) for s in scores] == [
        ("element set", 1), ("element set", 2), ("host system", 1), ("host system", 2)
    ]  # fmt: skip
    for s in scores:
        assert set(s.roc_auc) == {ALL_ROWS, "other"}
        assert s.roc_auc[ALL_ROWS] > 0.5
        assert s.superconductor_share[ALL_ROWS] == pytest.approx(0.5)
        assert 0.0 <= s.near_duplicate_share <= 1.0


def test_evaluation_without_ablations_fits_only_the_grouped_folds():
    table, features = separable_table()
    fits = []
    evaluation = evaluate_classifier(
        table, features, n_jobs=1, progress=fits.append, n_structure_columns=1, ablations=False
    )
    assert len(fits) == 5  # one per grouped fold
    assert evaluation.auc_grouped > 0.5
    assert np.isnan(evaluation.auc_random) and np.isnan(evaluation.auc_grouped_composition_only)

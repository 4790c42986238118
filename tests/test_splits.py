"""Chemical-system-grouped folds and leave-one-family-out folds."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from supercon3d.data.composition import parse_formula
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.evaluation.splits import (
    chemical_system,
    chemical_system_folds,
    family_folds,
    grouped_folds,
)

N_FOLDS = 5


@pytest.fixture(scope="module")
def compositions() -> list:
    return [parse_formula(f) for f in read_tc_table()["cf"]]


def test_chemical_system_is_the_sorted_element_set():
    assert chemical_system(parse_formula("MgB2")) == "B-Mg"
    assert chemical_system(parse_formula("Mg0.9Al0.1B2")) == "Al-B-Mg"
    assert chemical_system(parse_formula("D2S")) == "H-S"


@pytest.mark.data
def test_no_chemical_system_in_two_folds(compositions):
    folds = chemical_system_folds(compositions, N_FOLDS)
    systems = [chemical_system(c) for c in compositions]
    folds_of_system: dict[str, set[int]] = {}
    for system, fold in zip(systems, folds):
        folds_of_system.setdefault(system, set()).add(int(fold))
    assert all(len(f) == 1 for f in folds_of_system.values())
    assert set(folds) == set(range(N_FOLDS))


@pytest.mark.data
def test_grouped_folds_are_deterministic_and_seeded(compositions):
    first = chemical_system_folds(compositions, N_FOLDS)
    assert np.array_equal(first, chemical_system_folds(compositions, N_FOLDS))
    assert not np.array_equal(first, chemical_system_folds(compositions, N_FOLDS, seed=1))


@pytest.mark.data
def test_grouped_fold_sizes_differ_by_at_most_the_largest_group(compositions):
    systems = [chemical_system(c) for c in compositions]
    sizes = np.bincount(chemical_system_folds(compositions, N_FOLDS), minlength=N_FOLDS)
    largest_group = max(Counter(systems).values())
    print(f"\nfold sizes {sizes.tolist()}, largest chemical system {largest_group}")
    assert sizes.max() - sizes.min() <= largest_group
    assert sizes.min() >= 0.8 * len(systems) / N_FOLDS


def test_grouped_folds_balance_small_groups_exactly():
    groups = [f"g{i}" for i in range(10) for _ in range(3)]  # 10 groups of 3 entries
    assert np.bincount(grouped_folds(groups, 5)).tolist() == [6] * 5


def test_grouped_folds_refuse_too_few_groups():
    with pytest.raises(ValueError, match="groups"):
        grouped_folds(["a", "a", "b"], 3)


def test_family_folds_leave_one_family_out():
    names, folds = family_folds(["other", "cuprate", "other", "hydride"])
    assert names == ["cuprate", "hydride", "other"]
    assert folds.tolist() == [2, 0, 2, 1]

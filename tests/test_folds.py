from collections import Counter
from types import SimpleNamespace

import pandas as pd
import pytest

from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.family import FAMILIES, chemical_family
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.evaluation.folds import (
    FAMILY_VALIDATION_SHARE,
    SPLITS,
    FoldAssignment,
    SplitError,
    fold_count,
    held_out_keys,
    split_folds,
)
from supercon3d.evaluation.metrics import summarize
from supercon3d.evaluation.splits import chemical_system


@pytest.mark.data
def test_shipped_folds_follow_the_recipe():
    ids = list(read_tc_table().index)
    assert FoldAssignment.shipped().fold_of == FoldAssignment.make(ids).fold_of


def test_folds_are_near_equal_and_splits_partition():
    folds = FoldAssignment.shipped()
    sizes = Counter(folds.fold_of.values())
    assert len(sizes) == 10 and max(sizes.values()) - min(sizes.values()) <= 1
    for k in range(10):
        split = folds.split(k)
        assert set(split.test) == set(folds.members(k))
        assert set(split.val) == set(folds.members((k + 1) % 10))
        parts = [set(split.train), set(split.val), set(split.test)]
        assert sum(map(len, parts)) == len(folds.fold_of)
        assert set().union(*parts) == set(folds.fold_of)


def test_write_read_roundtrip(tmp_path):
    folds = FoldAssignment.make([f"{i}.cif" for i in range(25)], n_folds=5)
    assert FoldAssignment.read(folds.write(tmp_path / "folds.csv")) == folds


def test_summary_metrics():
    predictions = pd.DataFrame(
        {
            "id": list("abcdef"),
            "fold": [0, 0, 0, 1, 1, 1],
            "ln_tc": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
            "ln_tc_pred": [1.0, 2.0, 3.0, 2.0, 2.0, 2.0],
            "family": ["cuprate"] * 3 + ["others"] * 3,
            "disorder": ["O", "SD", "O", "O", "SD", "O"],
        }
    )
    summary = summarize(predictions, "toy")
    assert [f["mae"] for f in summary["folds"]] == pytest.approx([0.0, 2 / 3])
    assert summary["mae_mean"] == pytest.approx(1 / 3)
    assert [f["r2"] for f in summary["folds"]] == pytest.approx([1.0, 0.0])
    by_family = {row["family"]: row["mae"] for row in summary["by_family"]}
    assert by_family == pytest.approx({"cuprate": 0.0, "others": 2 / 3})


@pytest.fixture(scope="module")
def tc_table_dataset() -> SimpleNamespace:
    """SuperCon3D's ids with the compositions of their formula column (no CIF is read): what
    :func:`split_folds` reads of a dataset."""
    table = read_tc_table()
    entries = [
        SimpleNamespace(id=i, structure=SimpleNamespace(composition=parse_formula(formula)))
        for i, formula in zip(table.index, table["cf"])
    ]
    return SimpleNamespace(entries=entries)


def assert_partitions(folds: FoldAssignment) -> None:
    for k in range(folds.n_folds):
        split = folds.split(k)
        parts = [set(split.train), set(split.val), set(split.test)]
        assert sum(map(len, parts)) == len(folds.fold_of)
        assert set().union(*parts) == set(folds.fold_of)


@pytest.mark.data
def test_the_random_split_is_the_shipped_assignment(tc_table_dataset):
    assert split_folds("random", tc_table_dataset) == FoldAssignment.shipped()
    assert SPLITS == ("random", "chemical-system", "family")


@pytest.mark.data
def test_chemical_system_split_keeps_each_element_set_in_one_fold(tc_table_dataset):
    folds = split_folds("chemical-system", tc_table_dataset)
    assert folds.split_name == "chemical-system" and folds.n_folds == fold_count("chemical-system")
    system = {e.id: chemical_system(e.structure.composition) for e in tc_table_dataset.entries}
    folds_of_system: dict[str, set[int]] = {}
    for i, fold in folds.fold_of.items():
        folds_of_system.setdefault(system[i], set()).add(fold)
    assert all(len(f) == 1 for f in folds_of_system.values())
    assert len(folds_of_system) < len(folds.fold_of)  # groups of several entries exist
    for k in range(10):
        split = folds.split(k)
        assert set(split.test) == set(folds.members(k))
        assert set(split.val) == set(folds.members((k + 1) % 10))
    assert_partitions(folds)
    assert split_folds("chemical-system", tc_table_dataset) == folds


@pytest.mark.data
def test_family_split_tests_on_one_family_and_validates_on_a_fixed_share(tc_table_dataset):
    folds = split_folds("family", tc_table_dataset)
    assert folds.n_folds == fold_count("family") == len(FAMILIES)
    family = {e.id: chemical_family(e.structure.composition) for e in tc_table_dataset.entries}
    validation = folds.validation
    assert len(validation) == round(FAMILY_VALIDATION_SHARE * len(folds.fold_of))
    for k, name in enumerate(FAMILIES):
        split = folds.split(k)
        assert folds.fold_name(k) == name
        assert split.test and set(split.test) == {i for i, f in family.items() if f == name}
        assert name not in {family[i] for i in split.train + split.val}
        assert set(split.val) == validation - set(split.test)
        assert len(split.val) == pytest.approx(
            FAMILY_VALIDATION_SHARE * (len(split.train) + len(split.val)), rel=0.2
        )
    assert_partitions(folds)
    assert split_folds("family", tc_table_dataset) == folds


def test_the_split_decides_what_counts_as_the_same_material():
    doped, parent = parse_formula("La1.85Sr0.15CuO4"), parse_formula("La1.9Sr0.1CuO4")
    assert [key(doped) == key(parent) for key in held_out_keys("random")] == [False, False]
    assert [key(doped) == key(parent) for key in held_out_keys("chemical-system")] == [True, True]
    other_cuprate = parse_formula("YBa2Cu3O7")
    validation_key, test_key = held_out_keys("family")
    assert validation_key is composition_key
    assert test_key(doped) == test_key(other_cuprate) == "cuprate"


def test_an_unknown_split_is_named():
    with pytest.raises(SplitError, match="leave-out"):
        fold_count("leave-out")

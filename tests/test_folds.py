from collections import Counter

import pandas as pd
import pytest

from supercon3d.data.supercon3d import read_tc_table
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.evaluation.metrics import summarize


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

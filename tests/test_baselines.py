"""Composition baselines: Magpie descriptors, the extra-formula leakage rule, the CLI's JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from matminer.featurizers.composition import ElementProperty
from typer.testing import CliRunner

import supercon3d.models.composition as composition_module
import supercon3d.training.baseline as baseline_module
from supercon3d.cli.baseline import baseline
from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.supercon3d import load_supercon3d, read_tc_table
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment, held_out_keys, split_folds
from supercon3d.evaluation.splits import chemical_system
from supercon3d.models.composition import (
    BaselineConfig,
    MagpieFeaturizer,
    MagpieRegressor,
    make_regressor,
)
from supercon3d.settings import dataset_path
from supercon3d.training import cross_validate_baseline, extra_training_rows
from supercon3d.training.baseline import rows_without_keys

SUBSET_FOLDS = (0, 1, 2)  # test folds 0 and 1 need folds 0-2 (test, validation, training)


@pytest.fixture(scope="module")
def folds() -> FoldAssignment:
    return FoldAssignment.shipped()


@pytest.fixture(scope="module")
def subset(folds):
    """SuperCon3D restricted to folds 0-2 (about 470 entries)."""
    return load_supercon3d(ids=[i for i, f in folds.fold_of.items() if f in SUBSET_FOLDS])


@pytest.fixture(scope="module")
def formulas() -> pd.DataFrame:
    return load_supercon_formulas()


def keys_of(entries) -> set:
    """The test's own statement of the rule: structure keys and formula-column keys."""
    return {composition_key(e.structure.composition) for e in entries} | {
        composition_key(parse_formula(e.formula)) for e in entries
    }


def test_extra_training_rows_drop_excluded_keys_and_zero_tc():
    table = pd.DataFrame(
        {"formula": ["Nb3Sn", "Sn2Nb6", "MgB2", "Pb", "Au"], "tc": [18, 17, 39, 7.2, 0.0]}
    )
    table["composition"] = [parse_formula(f) for f in table["formula"]]
    rows = extra_training_rows(table, {composition_key(parse_formula("Nb0.75Sn0.25"))})
    assert list(rows["formula"]) == ["MgB2", "Pb"]
    rows = extra_training_rows(table, {"Nb-Sn", "Pb"}, chemical_system)
    assert list(rows["formula"]) == ["MgB2"]


def test_rows_without_keys_keep_non_superconductors():
    table = pd.DataFrame({"formula": ["Nb3Sn", "MgB2", "Au", "NaCl"], "tc": [18, 39, 0.0, 0.0]})
    table["composition"] = [parse_formula(f) for f in table["formula"]]
    excluded = {composition_key(parse_formula(f)) for f in ("Sn2Nb6", "Au")}
    assert list(rows_without_keys(table, excluded)["formula"]) == ["MgB2", "NaCl"]
    assert list(extra_training_rows(table, excluded)["formula"]) == ["MgB2"]


@pytest.fixture
def recorded_fits(monkeypatch) -> list:
    """Replace the regressor by a mean predictor that records what each fold trains on."""
    fits = []

    class Recording(MagpieRegressor):
        def fit(self, compositions, y):
            fits.append((list(compositions), list(y)))
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, compositions):
            return np.full(len(compositions), self.mean_)

    monkeypatch.setattr(baseline_module, "MagpieRegressor", Recording)
    return fits


@pytest.mark.data
def test_training_on_validation_adds_exactly_the_validation_fold(subset, folds, recorded_fits):
    config = BaselineConfig(train_on_validation=True, test_folds=(0, 1), disk_cache=False)
    summary, _ = cross_validate_baseline(subset, folds, config=config)
    assert summary["model"] == "magpie-lgbm+val"
    ids = {e.id for e in subset.entries}
    for (compositions, _), record in zip(recorded_fits, summary["folds"]):
        split = folds.split(record["fold"])
        expected = sum(i in ids for i in split.train + split.val)
        assert record["n_train"] == len(compositions) == expected


@pytest.mark.data
def test_no_formula_sharing_a_val_or_test_key_enters_training(
    subset, folds, formulas, recorded_fits
):
    fits = recorded_fits
    config = BaselineConfig(extra_formulas=True, test_folds=(0, 1), disk_cache=False)
    summary, predictions = cross_validate_baseline(subset, folds, config=config)

    by_id = {e.id: e for e in subset.entries}
    table_keys = set(formulas["key"])
    assert summary["model"] == "magpie-lgbm+formulas"
    for (compositions, targets), record in zip(fits, summary["folds"]):
        split = folds.split(record["fold"])
        held_out = [by_id[i] for i in split.val + split.test]
        structure_only = {composition_key(e.structure.composition) for e in held_out}
        excluded = keys_of(held_out)
        # The formula column matters: some held-out keys exist only there, and in the table.
        assert (excluded - structure_only) & table_keys
        extras = compositions[record["n_train"] :]
        assert len(extras) == record["n_extra"] > 11000
        assert not {composition_key(c) for c in extras} & excluded
        assert record["n_extra_excluded"] == len(formulas) - record["n_extra"] > 0
        assert len(targets) == len(compositions)
        assert record["n_train"] == sum(i in by_id for i in split.train)
    assert set(predictions["fold"]) == {0, 1}
    assert len(predictions) == sum(r["n_test"] for r in summary["folds"])


@pytest.mark.parametrize(
    ("split_name", "test_folds"), [("chemical-system", (0, 1)), ("family", (0, 3))]
)
@pytest.mark.data
def test_on_each_split_no_extra_formula_is_the_same_material_as_a_held_out_entry(
    subset, formulas, recorded_fits, split_name, test_folds
):
    """Chemical-system split: no extra formula shares a chemical system with a validation or
    test entry; family split (folds cuprate and hydride): none shares the test family, nor
    a composition with a validation entry."""
    folds = split_folds(split_name, subset)
    config = BaselineConfig(extra_formulas=True, test_folds=test_folds, disk_cache=False)
    summary, _ = cross_validate_baseline(subset, folds, config=config)
    assert summary["split"] == split_name
    by_id = {e.id: e for e in subset.entries}
    val_key, test_key = held_out_keys(split_name)
    n_random_excluded = []
    for (compositions, _), record in zip(recorded_fits, summary["folds"]):
        split = folds.split(record["fold"])
        val, test = ([by_id[i] for i in ids if i in by_id] for ids in (split.val, split.test))
        extras = compositions[record["n_train"] :]
        assert len(extras) == record["n_extra"] > 0
        for entries, key in ((val, val_key), (test, test_key)):
            held_out = {key(e.structure.composition) for e in entries} | {
                key(parse_formula(e.formula)) for e in entries
            }
            assert held_out and not {key(c) for c in extras} & held_out
        same_composition = keys_of(val + test)
        n_random_excluded.append(sum(key in same_composition for key in formulas["key"]))
        assert record["n_extra_excluded"] > n_random_excluded[-1]
    assert [r["fold_name"] for r in summary["folds"]] == [folds.fold_name(f) for f in test_folds]


@pytest.mark.parametrize("name", ["lgbm", "rf", "svr"])
def test_fit_predict_shapes(name, formulas):
    train = formulas.iloc[:60]
    test = formulas.iloc[60:75]
    model = MagpieRegressor(name, n_jobs=1).fit(list(train["composition"]), np.log(train["tc"]))
    predicted = model.predict(list(test["composition"]))
    assert predicted.shape == (15,) and np.isfinite(predicted).all()


def test_unknown_regressor_is_named():
    with pytest.raises(ValueError, match="xgb"):
        make_regressor("xgb")


def test_magpie_features_are_cached_on_disk(tmp_path, formulas, monkeypatch):
    compositions = list(formulas["composition"].iloc[:5])
    monkeypatch.setattr(composition_module, "_MEMORY", {})
    first = MagpieFeaturizer(tmp_path).transform(compositions)
    assert first.shape == (5, 132)
    cached = pd.read_csv(next(tmp_path.glob("magpie-*.csv")), index_col=0)
    assert cached.shape == (5, 132)
    monkeypatch.setattr(composition_module, "_MEMORY", {})
    monkeypatch.setattr(
        ElementProperty, "featurize", lambda self, c: pytest.fail("featurized again")
    )
    np.testing.assert_array_equal(MagpieFeaturizer(tmp_path).transform(compositions), first)


@pytest.fixture(scope="module")
def subset_data(tmp_path_factory, folds) -> str:
    """A data folder whose tc.csv lists folds 0-2 only; CIFs and formula tables are links."""
    root = tmp_path_factory.mktemp("data")
    (root / "supercon3d").mkdir()
    ids = [i for i, f in folds.fold_of.items() if f in SUBSET_FOLDS]
    table = read_tc_table().loc[ids]
    table.index.name = None
    table.to_csv(root / "supercon3d" / "tc.csv")
    (root / "supercon3d" / "cif").symlink_to(dataset_path("supercon3d/cif"))
    (root / "supercon_formulas").symlink_to(dataset_path("supercon_formulas"))
    return str(root)


@pytest.mark.data
def test_cli_json_is_one_object_on_stdout(subset_data, tmp_path):
    app = typer.Typer()
    app.command()(baseline)
    result = CliRunner().invoke(
        app,
        ["--json", "--folds", "0,1", "--model", "svr"]
        + ["--data", subset_data, "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["model"] == "magpie-svr"
    assert [f["fold"] for f in summary["folds"]] == [0, 1]
    for record in summary["folds"]:
        assert {"mae", "r2", "n_test"} <= set(record) and record["n_test"] > 100
        assert 0 < record["mae"] < 2
    for key in ("mae_mean", "mae_std", "r2_mean", "r2_std"):
        assert isinstance(summary[key], float)
    assert (tmp_path / "magpie-svr_folds0-1.json").is_file()
    assert (tmp_path / "magpie-svr_folds0-1_predictions.csv").is_file()


@pytest.mark.data
def test_cli_seed_is_recorded_and_named_in_the_files(subset_data, tmp_path):
    app = typer.Typer()
    app.command()(baseline)
    result = CliRunner().invoke(
        app,
        ["--json", "--folds", "0", "--seed", "3"] + ["--data", subset_data, "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["config"]["seed"] == 3
    assert (tmp_path / "magpie-lgbm_folds0_seed3.json").is_file()


@pytest.mark.data
def test_cli_rejects_folds_outside_the_protocol(subset_data, tmp_path):
    app = typer.Typer()
    app.command()(baseline)
    result = CliRunner().invoke(
        app, ["--folds", "3,10", "--data", subset_data, "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "0..9" in result.output

"""Training and evaluation on the chemical-system and family splits: refusals, the prior per
split, and the keys and values of ``supercon3d evaluate --json``."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

import supercon3d.training.baseline as baseline_module
import supercon3d.training.blend as blend_module
from supercon3d import api
from supercon3d.cli.main import app
from supercon3d.data.family import chemical_family
from supercon3d.data.supercon3d import load_supercon3d, read_tc_table
from supercon3d.evaluation.ensemble import cross_validate_ensemble
from supercon3d.evaluation.folds import SplitError, split_folds
from supercon3d.evaluation.intervals import INTERVAL_LEVEL, coverage_by_fold
from supercon3d.evaluation.splits import chemical_system
from supercon3d.models.composition import BaselineConfig, MagpieRegressor
from supercon3d.models.sodnet import SODNetConfig
from supercon3d.models.sodnet.ensemble import SODNetEnsemble
from supercon3d.settings import dataset_path
from supercon3d.training.baseline import cross_validate_baseline, entry_keys
from supercon3d.training.config import RUN_CONFIG_FILE, RunConfig, TrainConfig
from supercon3d.training.prior import fit_composition_prior
from supercon3d.training.sodnet import RunFolderError, training_set

TINY_MODEL = SODNetConfig(
    lmax=1, scalars=8, vectors=4, blocks=1, heads=2, radial_basis=8, radial_hidden=8,
    readout_hidden=8, k=8, cutoff=6.0,
)  # fmt: skip
TINY_RUN = RunConfig(name="tiny", model=TINY_MODEL, train=TrainConfig(epochs=1, batch_size=8))
SMALL_ENTRIES = 30
TRAINED_FOLDS = (0, 1)
JSON_KEYS = {"mae_mean", "mae_std", "r2_mean", "r2_std", "folds", "split"} | {
    "auc_superconductor", "auc_superconductor_source", "interval_coverage",
    "interval_coverage_std", "interval_level", "baseline_mae_mean",
}  # fmt: skip


def one_line_error(result) -> str:
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    return lines[0]


@pytest.mark.parametrize("split", ["chemical-system", "family"])
def test_the_shipped_model_is_scored_only_on_the_random_split(split):
    line = one_line_error(
        CliRunner().invoke(app, ["evaluate", "--shipped", "--json", "--split", split])
    )
    assert "trained on the random split" in line
    ablation = " --ablation no-prior" if split == "family" else ""
    assert f"supercon3d train --config cpu{ablation} --split {split} --fold all" in line
    assert "supercon3d blend RUN" in line and f"supercon3d evaluate RUN --split {split}" in line


def test_a_prior_configuration_refuses_the_family_split(tmp_path):
    line = one_line_error(
        CliRunner().invoke(app, ["train", "--split", "family", "--out", str(tmp_path / "run")])
    )
    assert "--ablation no-prior" in line
    with pytest.raises(SplitError, match="no-prior"):
        api.train(tmp_path / "run", "cpu", split="family")


def test_a_run_folder_refuses_another_split(tmp_path):
    (tmp_path / RUN_CONFIG_FILE).write_text(json.dumps(TINY_RUN.to_dict()))
    with pytest.raises(RunFolderError, match="random split, not chemical-system"):
        api.train(tmp_path, TINY_RUN, split="chemical-system")
    line = one_line_error(CliRunner().invoke(app, ["evaluate", str(tmp_path), "--split", "family"]))
    assert f"{tmp_path} was trained on the random split" in line


@pytest.fixture(scope="module")
def small_ids() -> list[str]:
    """The SuperCon3D entries with the smallest CIFs (fast graphs)."""
    table = read_tc_table()
    cifs = dataset_path("supercon3d/cif")
    return sorted(
        sorted(table.index, key=lambda name: (cifs / name).stat().st_size)[:SMALL_ENTRIES]
    )


@pytest.fixture(scope="module")
def small_dataset(small_ids):
    return load_supercon3d(ids=small_ids, workers=1)


@pytest.mark.data
def test_the_prior_of_the_chemical_system_split_sees_no_entry_s_chemical_system(
    small_dataset, monkeypatch
):
    seen = {}

    def record(self, compositions, y):
        seen["systems"] = {chemical_system(c) for c in compositions}
        raise StopIteration

    monkeypatch.setattr(MagpieRegressor, "fit", record)
    with pytest.raises(StopIteration):
        fit_composition_prior(small_dataset, split="chemical-system")
    held_out = entry_keys(small_dataset.entries, chemical_system)
    assert seen["systems"] and not seen["systems"] & held_out
    with pytest.raises(SplitError, match="family split"):
        fit_composition_prior(small_dataset, split="family")


@pytest.fixture
def mean_predictor(monkeypatch):
    """The composition baselines predict the mean of their training targets (no featurizing
    of the 12k formulas)."""

    class MeanPredictor(MagpieRegressor):
        def fit(self, compositions, y):
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, compositions):
            return np.full(len(compositions), self.mean_)

    monkeypatch.setattr(baseline_module, "MagpieRegressor", MeanPredictor)


@pytest.fixture(scope="module")
def chemical_system_run(small_ids, tmp_path_factory):
    """A data folder of the small entries and a tiny run trained on two chemical-system
    folds by the command."""
    data = tmp_path_factory.mktemp("datasets")
    (data / "supercon3d/cif").mkdir(parents=True)
    read_tc_table().loc[small_ids].to_csv(data / "supercon3d/tc.csv")
    for name in small_ids:
        shutil.copy(dataset_path("supercon3d/cif") / name, data / "supercon3d/cif" / name)
    (data / "supercon_formulas").symlink_to(dataset_path("supercon_formulas"))
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    settings = [f"--set={key}={value}" for key, value in TINY_MODEL.to_dict().items()]
    result = CliRunner().invoke(
        app,
        ["train", "--split", "chemical-system", "--fold", ",".join(map(str, TRAINED_FOLDS)),
         "--workers", "1", "--out", str(run_dir), "--data", str(data), "--set", "epochs=1",
         *settings],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return data, run_dir


@pytest.mark.data
def test_evaluate_json_on_the_chemical_system_split(
    chemical_system_run, small_dataset, mean_predictor
):
    data, run_dir = chemical_system_run
    assert json.loads((run_dir / RUN_CONFIG_FILE).read_text())["split"] == "chemical-system"
    result = CliRunner().invoke(app, ["evaluate", str(run_dir), "--json", "--data", str(data)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert JSON_KEYS <= set(summary) and summary["split"] == "chemical-system"
    assert [f["fold"] for f in summary["folds"]] == list(TRAINED_FOLDS)

    folds = split_folds("chemical-system", small_dataset)
    config = BaselineConfig(model="lgbm", extra_formulas=True, test_folds=TRAINED_FOLDS)
    baseline, _ = cross_validate_baseline(small_dataset, folds, config=config, data=data)
    assert summary["baseline_mae_mean"] == pytest.approx(baseline["mae_mean"], abs=1e-9)
    compared = summary["compared"][-1]
    assert [f["mae"] for f in compared["folds"]] == pytest.approx(
        [f["mae"] for f in baseline["folds"]], abs=1e-9
    )

    ensemble = SODNetEnsemble.from_dir(run_dir)
    graphs, _ = training_set(small_dataset, ensemble.graph_settings)
    family = {e.id: chemical_family(e.structure.composition) for e in small_dataset.entries}
    parts = [
        cross_validate_ensemble(ensemble, graphs.graphs, small_dataset, folds, "run", part)[1]
        for part in ("val", "test")
    ]
    val, test = (p.assign(rule_family=p["id"].map(family)) for p in parts)
    coverage = coverage_by_fold(val, test, INTERVAL_LEVEL, "rule_family")["coverage"]
    assert summary["interval_level"] == INTERVAL_LEVEL
    assert summary["interval_coverage"] == pytest.approx(coverage.mean(), abs=1e-12)
    assert summary["interval_coverage_std"] == pytest.approx(coverage.std(), abs=1e-12)
    if summary["auc_superconductor"] is None:
        assert "no shipped superconductor classifier" in summary["auc_superconductor_source"]
    else:
        assert 0.5 < summary["auc_superconductor"] <= 1
        assert "chemical-system-grouped" in summary["auc_superconductor_source"]

    line = one_line_error(
        CliRunner().invoke(
            app, ["evaluate", str(run_dir), "--split", "random", "--data", str(data)]
        )
    )
    assert "trained on the chemical-system split" in line


@pytest.mark.data
def test_blend_uses_the_run_s_split(chemical_system_run, monkeypatch):
    data, run_dir = chemical_system_run
    seen = {}

    def record(run_dir, dataset, graphs, folds, *, datasets_folder, progress, ambient,
               element_embedding):  # fmt: skip
        seen.update(split=folds.split_name, ambient=ambient, embedding=element_embedding)
        return {"composition_model": "recorded", "split": folds.split_name, "folds": {}}

    monkeypatch.setattr(blend_module, "fit_blend", record)
    assert api.blend(run_dir, data).result["split"] == seen["split"] == "chemical-system"
    assert seen["ambient"] is False and seen["embedding"] is None
    api.blend(run_dir, data, element_embedding="chgnet")
    assert seen["embedding"] == "chgnet"

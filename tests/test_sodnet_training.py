"""Training, checkpoints, evaluation and prediction with tiny SODNets on a few structures; the
3DSC structures as extra training graphs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.data.supercon3d import load_supercon3d, read_tc_table
from supercon3d.data.tables import load_3dsc_index, parse_3dsc_name
from supercon3d.evaluation.ensemble import cross_validate_ensemble
from supercon3d.evaluation.folds import FoldAssignment, split_folds
from supercon3d.evaluation.splits import chemical_system
from supercon3d.graphs import GraphSettings
from supercon3d.models.composition import MagpieBooster, MagpieRegressor
from supercon3d.models.sodnet import SODNetConfig
from supercon3d.models.sodnet.checkpoint import load_checkpoint
from supercon3d.models.sodnet.ensemble import (
    PRIOR_FILE,
    SODNetEnsemble,
    bounded_batches,
    predict_ln_tc,
)
from supercon3d.models.weights import CheckpointError
from supercon3d.screening import predict_inputs
from supercon3d.screening.predict import prepare_files
from supercon3d.settings import dataset_path
from supercon3d.training.baseline import entry_keys
from supercon3d.training.blend import best_weight, fit_blend
from supercon3d.training.config import RunConfig, TrainConfig
from supercon3d.training.extra_structures import ExtraStructures
from supercon3d.training.prior import fit_composition_prior
from supercon3d.training.sodnet import RunFolderError, train_fold, train_folds, training_set

pytestmark = pytest.mark.data  # all tests here but one or two read the data folder

TINY_MODEL = SODNetConfig(
    lmax=1, scalars=8, vectors=4, blocks=1, heads=2, radial_basis=8, radial_hidden=8,
    readout_hidden=8, k=8, cutoff=6.0,
)  # fmt: skip
TINY_RUN = RunConfig(name="tiny", model=TINY_MODEL, train=TrainConfig(epochs=2, batch_size=8))
N_ENTRIES = 30


@pytest.fixture(scope="module")
def small_ids() -> list[str]:
    """The 30 SuperCon3D entries with the fewest sites (fast graphs)."""
    table = read_tc_table()
    sizes = {name: (dataset_path("supercon3d/cif") / name).stat().st_size for name in table.index}
    return sorted(sorted(sizes, key=sizes.get)[:N_ENTRIES])


@pytest.fixture(scope="module")
def small(small_ids):
    dataset = load_supercon3d(ids=small_ids, workers=1)
    folds = FoldAssignment.make(dataset.ids, n_folds=3)
    settings = GraphSettings(k=TINY_MODEL.k, cutoff=TINY_MODEL.cutoff)
    data, failures = training_set(dataset, settings)
    assert not failures
    return dataset, folds, data


def weights(path) -> dict:
    return load_file(path)


def test_train_fold_writes_a_loadable_deterministic_checkpoint(small, tmp_path):
    dataset, folds, data = small
    first = train_fold(TINY_RUN, 0, data, folds, tmp_path / "a")
    train_fold(TINY_RUN, 0, data, folds, tmp_path / "b")
    assert len(first["history"]) == 2 and first["n_train"] == len(folds.split(0).train)
    a, b = weights(tmp_path / "a/fold0.safetensors"), weights(tmp_path / "b/fold0.safetensors")
    assert all(torch.equal(a[key], b[key]) for key in a)
    model, normalization, info = load_checkpoint(tmp_path / "a/fold0.safetensors")
    assert model.config == TINY_MODEL and info["fold"] == 0
    train_ln_tc = [e.ln_tc for e in dataset.entries if e.id in folds.split(0).train]
    assert normalization.mean == pytest.approx(sum(train_ln_tc) / len(train_ln_tc), abs=1e-5)
    assert not (tmp_path / "a/fold0.state.pt").exists()


def test_interrupted_training_resumes_to_the_same_weights(small, tmp_path):
    _, folds, data = small

    def stop_after_first_epoch(message):
        if message["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_fold(TINY_RUN, 1, data, folds, tmp_path / "resumed", report=stop_after_first_epoch)
    assert (tmp_path / "resumed/fold1.state.pt").exists()
    summary = train_fold(TINY_RUN, 1, data, folds, tmp_path / "resumed")
    train_fold(TINY_RUN, 1, data, folds, tmp_path / "straight")
    a = weights(tmp_path / "resumed/fold1.safetensors")
    b = weights(tmp_path / "straight/fold1.safetensors")
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert [h["epoch"] for h in summary["history"]] == [0, 1]


def test_training_subset_keeps_only_the_given_disorder_classes(small, tmp_path):
    dataset, folds, data = small
    run = RunConfig(name="ordered", model=TINY_MODEL, train=TrainConfig(epochs=1, batch_size=8),
                    train_disorder=("O",))  # fmt: skip
    summary = train_fold(run, 0, data, folds, tmp_path)
    ordered = [i for i in folds.split(0).train if data.disorder[i] == "O"]
    assert summary["n_train"] == len(ordered) < len(folds.split(0).train)


@pytest.fixture(scope="module")
def tiny_run(small, tmp_path_factory):
    """Three fold models of the tiny configuration."""
    _, folds, data = small
    run_dir = tmp_path_factory.mktemp("tiny_run")
    for fold in range(3):
        train_fold(TINY_RUN, fold, data, folds, run_dir)
    return run_dir


def test_cross_validation_scores_each_fold_model_on_its_test_fold(small, tiny_run):
    dataset, folds, data = small
    ensemble = SODNetEnsemble.from_dir(tiny_run)
    summary, predictions = cross_validate_ensemble(ensemble, data.graphs, dataset, folds, "tiny")
    assert sorted(predictions["id"]) == sorted(dataset.ids)
    for fold in range(3):
        assert set(predictions[predictions["fold"] == fold]["id"]) == set(folds.members(fold))
    per_fold = (predictions["ln_tc"] - predictions["ln_tc_pred"]).abs().groupby(predictions["fold"])
    assert len(summary["folds"]) == 3
    assert summary["mae_mean"] == pytest.approx(per_fold.mean().mean(), rel=1e-12)
    member = ensemble.member(1)
    ids = folds.members(1)
    expected = member.predict([data.graphs[i] for i in ids])
    got = predictions.set_index("id").loc[ids, "ln_tc_pred"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_corrupt_or_mismatched_checkpoints_fail_with_the_file_name(tiny_run, tmp_path):
    broken = tmp_path / "fold0.safetensors"
    broken.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="fold0.safetensors"):
        load_checkpoint(broken)
    state = weights(tiny_run / "fold0.safetensors")
    from safetensors.torch import save_file

    save_file(state, tmp_path / "plain.safetensors")  # weights without our metadata
    with pytest.raises(CheckpointError, match="not a supercon3d-sodnet-1 checkpoint"):
        load_checkpoint(tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match="no fold"):
        SODNetEnsemble.from_dir(tmp_path / "empty")


def test_predict_inputs_reports_bad_files_and_scores_the_rest(tiny_run, small_ids, tmp_path):
    folder = tmp_path / "cifs"
    folder.mkdir()
    for name in small_ids[:3]:
        shutil.copy(dataset_path("supercon3d/cif") / name, folder / name)
    (folder / "broken.cif").write_text("data_broken\n_cell_length_a 3\n")
    text = (dataset_path("supercon3d/cif") / small_ids[0]).read_text()
    ensemble = SODNetEnsemble.from_dir(tiny_run)
    results = predict_inputs(sorted(folder.glob("*.cif")), checkpoints=tiny_run, workers=1)
    by_file = {r.file.split("/")[-1]: r for r in results}
    assert by_file["broken.cif"].error.startswith(str(folder / "broken.cif"))
    good = [r for r in results if r.error is None]
    assert len(good) == 3
    assert all(r.graph is None for r in good)  # the records come back without inputs
    prepared = prepare_files([r.file for r in good], ensemble.graph_settings, workers=1)
    mean, spread = ensemble.predict([r.graph for r in prepared])
    np.testing.assert_allclose([r.ln_tc for r in good], mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose([r.ln_tc_std for r in good], spread, rtol=0, atol=1e-12)
    assert [r.tc_kelvin for r in good] == pytest.approx(np.exp(mean), rel=1e-12)
    assert (folder / small_ids[0]).read_text() == text  # the input file is untouched


def test_predict_command_writes_json_and_explains(tiny_run, small_ids, tmp_path):
    cif = dataset_path("supercon3d/cif") / small_ids[0]
    out = tmp_path / "pred.json"
    result = CliRunner().invoke(
        app, ["predict", str(cif), str(tmp_path / "missing.cif"), "--checkpoints", str(tiny_run),
              "--out", str(out), "--explain", "--explain-png", str(tmp_path / "png")],
    )  # fmt: skip
    assert result.exit_code == 3, result.output  # some files failed (missing.cif)
    records = json.loads(out.read_text())
    assert set(records[0]) >= {
        "file",
        "formula",
        "disorder_class",
        "tc_kelvin",
        "ln_tc",
        "ln_tc_std",
    }
    assert sum(s["importance_percent"] for s in records[0]["sites"]) == pytest.approx(100)
    assert records[1]["file"].endswith("missing.cif") and "error" in records[1]
    assert list((tmp_path / "png").glob("*.png"))
    csv_out = tmp_path / "pred.csv"
    result = CliRunner().invoke(
        app, ["predict", str(cif), "--checkpoints", str(tiny_run), "--out", str(csv_out)]
    )
    assert result.exit_code == 0 and len(pd.read_csv(csv_out)) == 1


def data_folder(ids: list[str], folder) -> Path:
    """A data folder holding only the SuperCon3D entries ``ids`` (and an empty formula
    folder)."""
    data = folder / "datasets"
    (data / "supercon3d/cif").mkdir(parents=True)
    read_tc_table().loc[ids].to_csv(data / "supercon3d/tc.csv")
    for name in ids:
        shutil.copy(dataset_path("supercon3d/cif") / name, data / "supercon3d/cif" / name)
    (data / "supercon").mkdir()
    return data


def test_train_and_evaluate_commands_on_a_small_data_folder(small_ids, tmp_path):
    data = data_folder(small_ids, tmp_path)
    fold_of = FoldAssignment.shipped().fold_of
    present = {fold_of[i] for i in small_ids}
    chosen = [f for f in sorted(present) if (f + 1) % 10 in present][:2]
    run_dir = tmp_path / "run"
    overrides = [f"--set={key}={value}" for key, value in TINY_MODEL.to_dict().items()]
    result = CliRunner().invoke(
        app,
        ["train", "--fold", ",".join(map(str, chosen)), "--workers", "1", "--out", str(run_dir),
         "--data", str(data), "--set", "epochs=1", *overrides],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert all((run_dir / f"fold{f}.safetensors").exists() for f in chosen)
    result = CliRunner().invoke(
        app, ["evaluate", str(run_dir), "--json", "--no-baselines", "--data", str(data)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"mae_mean", "mae_std", "r2_mean", "r2_std", "folds"} <= set(summary)
    assert [f["fold"] for f in summary["folds"]] == chosen


def test_an_ambient_run_never_trains_or_scores_on_a_superhydride(small_ids, supercon3d, tmp_path):
    hydrides = [e for e in supercon3d.entries if is_high_pressure_hydride(e.structure.composition)]
    hydrides = sorted(hydrides, key=lambda e: len(e.structure))[:6]
    data = data_folder(sorted(small_ids + [e.id for e in hydrides]), tmp_path)
    fold_of = FoldAssignment.shipped().fold_of
    present = {fold_of[i] for i in small_ids}  # each chosen fold needs validation entries
    chosen = sorted({fold_of[e.id] for e in hydrides if (fold_of[e.id] + 1) % 10 in present})[:2]
    run_dir = tmp_path / "run"
    overrides = [f"--set={key}={value}" for key, value in TINY_MODEL.to_dict().items()]
    result = CliRunner().invoke(
        app,
        ["train", "--ambient", "--fold", ",".join(map(str, chosen)), "--workers", "1",
         "--out", str(run_dir), "--data", str(data), "--set", "epochs=1", *overrides],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((run_dir / "config.json").read_text())["ambient"] is True
    result = CliRunner().invoke(
        app,
        ["evaluate", str(run_dir), "--json", "--no-baselines", "--data", str(data),
         "--out", str(tmp_path / "evaluation")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ambient"] is True
    scored = set(pd.read_csv(tmp_path / "evaluation/evaluation_predictions.csv")["id"])
    hydride_ids = {e.id for e in hydrides}
    in_test_folds = {i for i in hydride_ids if fold_of[i] in chosen}
    assert in_test_folds, "the chosen test folds hold superhydrides"
    assert scored and not scored & hydride_ids


def test_blend_weights_come_from_validation_and_are_used_in_prediction(small, tiny_run, tmp_path):
    dataset, folds, data = small
    run_dir = tmp_path / "one_fold"
    run_dir.mkdir()
    shutil.copy(tiny_run / "fold0.safetensors", run_dir)
    blend = fit_blend(run_dir, dataset, data, folds)
    record = blend["folds"]["0"]
    assert 0.0 <= record["sodnet_weight"] <= 1.0
    assert record["val_mae_blend"] <= min(record["val_mae_sodnet"], record["val_mae_composition"])
    blended = SODNetEnsemble.from_dir(run_dir)
    plain = SODNetEnsemble.from_dir(run_dir, blend=False)
    assert blended.blended and not plain.blended
    graphs = [data.graphs[i] for i in folds.split(0).test]
    member = blended.members[0]
    composition = member.composition.predict([g.composition() for g in graphs])
    expected = (
        member.sodnet_weight * plain.predict(graphs)[0] + (1 - member.sodnet_weight) * composition
    )
    assert blended.predict(graphs)[0] == pytest.approx(expected, abs=1e-9)
    (run_dir / "composition/fold0.txt.xz").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="fold0.txt.xz"):
        SODNetEnsemble.from_dir(run_dir)


def test_best_weight_picks_the_better_predictor():
    target = np.array([1.0, 2.0, 3.0])
    assert best_weight(target, target + 1, target) == 1.0
    assert best_weight(target + 1, target, target) == 0.0


def test_predict_with_a_corrupt_checkpoint_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "fold0.safetensors").write_bytes(b"\x00" * 64)
    cif = dataset_path("supercon3d/cif") / "671985.cif"
    result = CliRunner().invoke(app, ["predict", str(cif), "--checkpoints", str(tmp_path)])
    assert result.exit_code == 1
    assert "fold0.safetensors" in result.output and "Traceback" not in result.output


def test_residual_model_over_a_composition_prior(small, tmp_path):
    dataset, folds, _ = small
    regressor = MagpieRegressor("lgbm").fit(
        [e.structure.composition for e in dataset.entries], [e.ln_tc for e in dataset.entries]
    )
    prior = MagpieBooster.from_regressor(regressor)
    settings = GraphSettings(k=TINY_MODEL.k, cutoff=TINY_MODEL.cutoff)
    data, _ = training_set(dataset, settings, prior=prior)
    graph = next(iter(data.graphs.values()))
    assert float(graph.prior) == pytest.approx(prior.predict([graph.composition()])[0], abs=1e-5)
    run = TINY_RUN.replace(composition_prior=True)
    summary = train_fold(run, 0, data, folds, tmp_path)
    with pytest.raises(CheckpointError, match="prior"):
        SODNetEnsemble.from_dir(tmp_path)
    prior.save(tmp_path / PRIOR_FILE)
    member = SODNetEnsemble.from_dir(tmp_path).members[0]
    val = [data.graphs[i] for i in folds.split(0).val]
    target = np.array([float(g.y) for g in val])
    assert np.abs(member.predict(val) - target).mean() == pytest.approx(
        summary["val_mae"], abs=1e-4
    )
    with pytest.raises(ValueError, match="prior"):
        predict_ln_tc(member.model, member.normalization, val, weights=member.weights)
    priors = prior.predict([g.composition() for g in val])
    whole = predict_ln_tc(
        member.model, member.normalization, val, prior=priors, weights=member.weights
    )
    one_by_one = predict_ln_tc(
        member.model, member.normalization, val, prior=priors, weights=member.weights, max_edges=1
    )
    np.testing.assert_allclose(one_by_one, whole, atol=1e-5)


def test_batches_are_bounded_by_graphs_and_edges(small):
    dataset, _, _ = small
    settings = GraphSettings(k=TINY_MODEL.k, cutoff=TINY_MODEL.cutoff)
    data, _ = training_set(dataset, settings)
    graphs = list(data.graphs.values())[:12]
    budget = sum(g.num_edges for g in graphs[:3])
    batches = list(bounded_batches(graphs, max_graphs=5, max_edges=budget))
    assert [g for batch in batches for g in batch] == graphs
    for batch in batches:
        assert len(batch) <= 5
        assert len(batch) == 1 or sum(g.num_edges for g in batch) <= budget
    assert [len(b) for b in bounded_batches(graphs, 64, max_edges=1)] == [1] * len(graphs)


def test_the_prior_never_sees_a_supercon3d_composition(supercon3d, monkeypatch):
    seen = {}

    def record(self, compositions, y):
        seen["keys"] = {composition_key(c) for c in compositions}
        raise StopIteration

    monkeypatch.setattr(MagpieRegressor, "fit", record)
    with pytest.raises(StopIteration):
        fit_composition_prior(supercon3d)
    assert seen["keys"] and not seen["keys"] & entry_keys(supercon3d.entries)


def test_a_run_folder_refuses_another_configuration(small, tmp_path):
    _, folds, data = small
    train_folds(TINY_RUN, [0], data, folds, tmp_path, workers=1)
    with pytest.raises(RunFolderError, match="different configuration"):
        train_folds(TINY_RUN.replace(epochs=3), [0], data, folds, tmp_path, workers=1)


# The 3DSC structures as extra training graphs

N_EXTRA = 4


@pytest.fixture(scope="module")
def named_3dsc() -> ExtraStructures:
    """Every 3DSC file with its file name's composition (no CIF is read)."""
    index = load_3dsc_index(tc_table=pd.DataFrame(columns=["tc", "key"]))
    compositions = {}
    for file, formula in zip(index["file"], index["formula"]):
        composition = parse_formula(formula)
        if composition is not None:
            compositions[file] = (composition,)
    return ExtraStructures(compositions=compositions)


@pytest.mark.parametrize(
    ("split", "key"),
    [("random", composition_key), ("chemical-system", chemical_system)],
)
def test_a_fold_never_takes_a_structure_of_a_held_out_material(supercon3d, named_3dsc, split, key):
    folds = split_folds(split, supercon3d)
    by_id = {entry.id: entry for entry in supercon3d.entries}
    fold = folds.split(0)
    val, test = ([by_id[i] for i in ids if i in by_id] for ids in (fold.val, fold.test))
    allowed = named_3dsc.allowed(val, test, split)
    held_out = entry_keys(val + test, key)
    taken = {key(named_3dsc.compositions[name][0]) for name in allowed}
    refused = set(named_3dsc.compositions) - set(allowed)
    assert allowed and refused, "fold 0 both takes and refuses 3DSC structures"
    assert not taken & held_out
    assert all(key(named_3dsc.compositions[name][0]) in held_out for name in refused)


def test_a_fold_trains_on_the_extra_graphs_it_is_given(small, tmp_path):
    dataset, folds, data = small
    donors = data.select(folds.split(0).train)[:3]
    extra = {f"extra{i}.cif": graph for i, graph in enumerate(donors)}
    with_extra = type(data)(data.graphs, data.disorder, extra, {0: ["extra0.cif", "extra2.cif"]})
    summary = train_fold(TINY_RUN.replace(epochs=1), 0, with_extra, folds, tmp_path / "run")
    assert summary["n_extra"] == 2
    assert summary["n_train"] == len(folds.split(0).train) + 2
    with pytest.raises(ValueError, match="fold 1"):
        train_fold(TINY_RUN.replace(epochs=1), 1, with_extra, folds, tmp_path / "other")


def test_a_run_folder_from_before_extra_structures_is_resumed(small, tmp_path):
    _, folds, data = small
    run = TINY_RUN.replace(epochs=1)
    older = run.to_dict()
    del older["extra_structures"]
    (tmp_path / "config.json").write_text(json.dumps(older))
    (summary,) = train_folds(run, [0], data, folds, tmp_path, workers=1)
    assert summary["fold"] == 0


def smallest_3dsc_files(excluded_keys: set, count: int) -> list:
    """The ``count`` smallest 3DSC files of compounds (two or more elements) whose name's
    composition key is not in ``excluded_keys``."""
    files = sorted(dataset_path("3dsc_mp/cifs").glob("*.cif"), key=lambda p: p.stat().st_size)
    chosen = []
    for path in files:
        composition = parse_formula(parse_3dsc_name(path.name)[0])
        if composition is None or len(composition.elements) < 2:
            continue
        if composition_key(composition) not in excluded_keys:
            chosen.append(path)
        if len(chosen) == count:
            return chosen
    raise AssertionError("not enough small 3DSC files")


def test_train_with_extra_structures_from_the_command_line(small_ids, supercon3d, tmp_path):
    data = data_folder(small_ids, tmp_path)
    entries = [e for e in supercon3d.entries if e.id in small_ids]
    fold_of = FoldAssignment.shipped().fold_of
    present = {fold_of[i] for i in small_ids}
    chosen = [f for f in sorted(present) if (f + 1) % 10 in present][:2]
    (data / "3dsc_mp/cifs").mkdir(parents=True)
    tc_rows = []
    for path in smallest_3dsc_files(entry_keys(entries), N_EXTRA):
        shutil.copy(path, data / "3dsc_mp/cifs" / path.name)
        tc_rows.append((parse_3dsc_name(path.name)[0], 5.0))
    # a structure named after a test entry of the first fold, and one of a non-superconductor
    tested = next(e for e in entries if fold_of[e.id] == chosen[0])
    donor = next((data / "3dsc_mp/cifs").iterdir())
    shutil.copy(donor, data / f"3dsc_mp/cifs/{tested.formula}-MP-mp-1.cif")
    shutil.copy(donor, data / "3dsc_mp/cifs/Nb1Se2-MP-mp-2.cif")
    tc_rows += [(tested.formula, 5.0), ("Nb1Se2", 0.0)]
    formulas = pd.DataFrame(tc_rows, columns=["name", "Tc"])
    (data / "supercon_formulas").mkdir()
    formulas.to_csv(data / "supercon_formulas/supercon_stanev2018.csv", index=False)
    formulas.rename(columns={"name": "Formula"}).assign(Materials_family="others").to_csv(
        data / "supercon_formulas/supercon_11949.csv", index=False
    )
    overrides = [f"--set={key}={value}" for key, value in TINY_MODEL.to_dict().items()]
    folds = ",".join(map(str, chosen))
    arguments = ["train", "--extra-structures", "--fold", folds, "--workers", "1",
                 "--data", str(data), "--set", "epochs=1", *overrides]  # fmt: skip
    with_prior = [*arguments, "--set", "composition_prior=true", "--out", str(tmp_path / "prior")]
    refused = CliRunner().invoke(app, with_prior)
    assert refused.exit_code != 0 and "--ablation no-prior" in refused.output
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, [*arguments, "--out", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert RunConfig.from_dict(json.loads((run_dir / "config.json").read_text())).extra_structures
    for fold in chosen:
        summary = json.loads((run_dir / f"fold{fold}.json").read_text())
        held_out = fold_of[tested.id] in (fold, (fold + 1) % 10)
        assert summary["n_extra"] == N_EXTRA + (0 if held_out else 1)


def test_fine_tuning_starts_from_the_same_fold_of_another_run(small, tmp_path):
    _, folds, data = small
    train_fold(TINY_RUN.replace(epochs=1), 0, data, folds, tmp_path / "pre")
    frozen = TINY_RUN.replace(epochs=1, learning_rate=0.0, init_from=str(tmp_path / "pre"))
    train_fold(frozen, 0, data, folds, tmp_path / "tuned")
    start, tuned = (
        weights(tmp_path / "pre/fold0.safetensors"),
        weights(tmp_path / "tuned/fold0.safetensors"),
    )
    assert all(torch.equal(start[key], tuned[key]) for key in start)
    scratch = TINY_RUN.replace(epochs=1, learning_rate=0.0, seed=1)
    train_fold(scratch, 0, data, folds, tmp_path / "scratch")
    fresh = weights(tmp_path / "scratch/fold0.safetensors")
    assert not all(torch.equal(start[key], fresh[key]) for key in start)
    with pytest.raises(CheckpointError, match="another architecture"):
        train_fold(frozen.replace(heads=1), 0, data, folds, tmp_path / "other")
    (tmp_path / "pre/config.json").write_text(
        json.dumps(TINY_RUN.replace(split="chemical-system").to_dict())
    )
    with pytest.raises(RunFolderError, match="chemical-system split, not random"):
        train_fold(frozen, 0, data, folds, tmp_path / "split")


def test_a_blend_on_chgnet_statistics_is_read_back_with_them(small, tiny_run, tmp_path):
    dataset, folds, data = small
    run_dir = tmp_path / "one_fold"
    run_dir.mkdir()
    shutil.copy(tiny_run / "fold0.safetensors", run_dir)
    blend = fit_blend(run_dir, dataset, data, folds, element_embedding="chgnet")
    assert blend["composition_model"] == "magpie+chgnet-lgbm+formulas"
    assert json.loads((run_dir / "blend.json").read_text())["element_embedding"] == "chgnet"
    ensemble = SODNetEnsemble.from_dir(run_dir)
    assert ensemble.composition_embedding == "chgnet"
    booster = ensemble.members[0].composition
    assert booster.booster.num_feature() == len(booster.featurizer.labels) == 132 + 128
    # the same fold model read as a Magpie-only blend is refused, naming the file
    record = json.loads((run_dir / "blend.json").read_text())
    (run_dir / "blend.json").write_text(json.dumps({**record, "element_embedding": None}))
    with pytest.raises(CheckpointError, match=r"fold0\.txt\.xz.*260 features.*132"):
        SODNetEnsemble.from_dir(run_dir)
    (run_dir / "blend.json").write_text(json.dumps({**record, "element_embedding": "word2vec"}))
    with pytest.raises(CheckpointError, match="blend.json.*word2vec"):
        SODNetEnsemble.from_dir(run_dir)

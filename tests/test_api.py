"""``supercon3d.api``: the library under the commands, with models loaded once per process."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from pymatgen.core import Lattice, Structure
from safetensors.torch import load_file
from typer.testing import CliRunner

from supercon3d import api
from supercon3d.cli.main import app
from supercon3d.data.cif import read_cif
from supercon3d.data.supercon3d import read_tc_table
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.file_state import folder_state
from supercon3d.generation.generator import CrystalGenerator, load_checkpoints
from supercon3d.models.sodnet import SODNetConfig
from supercon3d.models.sodnet.ensemble import SODNetEnsemble
from supercon3d.settings import dataset_path

CIFS = ("671985.cif", "97102.cif")  # MgB2 (ordered), Hg-1223 (partial oxygen)
LN_TC_TOLERANCE = 1e-5
"""ln K: float32 sums in a batch differ in the last bits with the batch's other graphs."""
TINY_MODEL = SODNetConfig(
    lmax=1, scalars=8, vectors=4, blocks=1, heads=2, radial_basis=8, radial_hidden=8,
    readout_hidden=8, k=8, cutoff=6.0,
)  # fmt: skip
SMALL_ENTRIES = 30
HEAVY_MODULES = ("torch", "e3nn", "lightgbm", "matminer", "smact", "pymatgen", "matplotlib")


@pytest.fixture(scope="module")
def cif_paths():
    folder = dataset_path("supercon3d/cif")
    return [folder / name for name in CIFS]


@pytest.fixture(scope="module")
def mixed(cif_paths):
    """Predictions for MgB2 as a file, MgB2 as a Structure and Hg-1223 as a file."""
    return api.predict([cif_paths[0], read_cif(cif_paths[0]).structure, cif_paths[1]])


@pytest.fixture
def rocksalt():
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


@pytest.mark.data
def test_predict_matches_the_command_for_files_and_structures(cif_paths, mixed, tmp_path):
    out = tmp_path / "predictions.json"
    result = CliRunner().invoke(app, ["predict", *map(str, cif_paths), "--out", str(out)])
    assert result.exit_code == 0, result.output
    from_command = {record["file"]: record["ln_tc"] for record in json.loads(out.read_text())}
    predictions = mixed
    assert [p.file for p in predictions] == [str(cif_paths[0]), "structure[1]", str(cif_paths[1])]
    for prediction in predictions:
        assert prediction.error is None
    for index, path in ((0, cif_paths[0]), (2, cif_paths[1])):
        assert predictions[index].ln_tc == pytest.approx(
            from_command[str(path)], abs=LN_TC_TOLERANCE
        )
    assert predictions[1].ln_tc == pytest.approx(predictions[0].ln_tc, abs=LN_TC_TOLERANCE)
    assert predictions[1].formula == "MgB2" and predictions[1].disorder_class == "O"


@pytest.mark.data
def test_files_predicted_in_two_workers_equal_those_predicted_here():
    from supercon3d.screening.files import MIN_FILES_PER_PREDICT_WORKER

    folder = dataset_path("supercon3d/cif")
    files = sorted(folder.glob("*.cif"))[: 2 * MIN_FILES_PER_PREDICT_WORKER]
    spread = api.predict(files, workers=2)
    here = api.predict(files, workers=1)
    assert [p.file for p in spread] == [str(f) for f in files]
    for a, b in zip(spread, here):
        assert a.error == b.error and a.p_superconductor == b.p_superconductor
        assert a.ln_tc == pytest.approx(b.ln_tc, abs=LN_TC_TOLERANCE)
        assert a.n_sites == b.n_sites and a.formula == b.formula
        assert a.graph is None and a.composition is None  # only results travel back


def test_the_second_call_reuses_the_loaded_ensemble(rocksalt, monkeypatch):
    api.predict(rocksalt)
    loads = []
    from_dir = SODNetEnsemble.from_dir.__func__

    def counting(cls, *args, **kwargs):
        loads.append(args)
        return from_dir(cls, *args, **kwargs)

    monkeypatch.setattr(SODNetEnsemble, "from_dir", classmethod(counting))
    (again,) = api.predict(rocksalt)
    assert loads == [] and again.error is None
    assert api.ensemble() is SODNetEnsemble.shipped()


def test_the_shared_ensemble_is_read_only():
    shared = api.ensemble()
    assert isinstance(shared.members, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        shared.members[0].sodnet_weight = 0.5


def test_named_structures_and_a_structure_without_neighbours(rocksalt):
    lonely = Structure(Lattice.cubic(17.0), ["Nb"], [[0, 0, 0]])  # 4,913 Å³: the contract warns
    isolated, salt = api.predict([lonely, rocksalt], names=["isolated Nb", "NaCl"])
    assert isolated.file == "isolated Nb" and "no neighbour" in isolated.error
    assert isolated.ln_tc is None
    assert salt.file == "NaCl" and salt.error is None and salt.n_sites == 8
    with pytest.raises(ValueError, match="1 names for 2 structures"):
        api.predict([lonely, rocksalt], names=["one"])


@pytest.mark.data
def test_explain_gives_each_site_a_share(mixed):
    prediction = mixed[0]
    sites = api.explain(prediction)
    assert [site.site for site in sites] == list(range(prediction.n_sites))
    assert sum(site.importance_percent for site in sites) == pytest.approx(100.0)
    assert {site.label for site in sites} == {"Mg", "B"}
    from_structure = api.explain(mixed[1])  # carries its graph; the file is read again
    assert [s.importance_percent for s in from_structure] == pytest.approx(
        [s.importance_percent for s in sites]
    )


def test_generator_checkpoints_load_once_and_are_shared():
    first = CrystalGenerator.shipped(steps=3)
    second = CrystalGenerator.shipped(steps=5, charge_balance=0.0)
    assert first.denoiser is second.denoiser and first.guidance is second.guidance
    assert load_checkpoints() == (first.denoiser, first.guidance)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.denoiser.num_atoms = []
    elsewhere, _ = load_checkpoints(device="meta")  # another device: its own copy
    assert next(elsewhere.model.parameters()).is_meta
    assert next(first.denoiser.model.parameters()).device.type == "cpu"


def test_folder_state_changes_when_a_file_changes(tmp_path):
    (tmp_path / "fold0.safetensors").write_bytes(b"first")
    before = folder_state(tmp_path)
    (tmp_path / "fold0.safetensors").write_bytes(b"second, longer")
    assert folder_state(tmp_path) != before
    assert folder_state(tmp_path / "missing") == ()


def test_importing_the_api_loads_no_heavy_module():
    code = (
        "import sys, supercon3d.api, supercon3d.cli.predict, supercon3d.cli.generate; "
        f"print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert result.stdout.strip() == "[]"


def test_the_process_that_sends_work_to_workers_loads_no_model():
    """``predict`` on files and ``screen`` start their workers at once: the sending side
    (task functions, records, model identity) imports no heavy module."""
    code = (
        "import sys\n"
        "from supercon3d.models.shipped import ensemble_source\n"
        "from supercon3d.screening.files import predict_cif_files\n"
        "from supercon3d.screening.funnel import run_identity, run_screen\n"
        "from supercon3d.screening.prediction import TcPrediction\n"
        "from supercon3d.screening.tasks import rescore_shard, score_shard\n"
        "ensemble_source(None), run_identity(None), TcPrediction('x.cif').to_dict()\n"
        f"print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert result.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """A data folder of the 30 SuperCon3D entries with the smallest CIFs, and two folds whose
    test and validation folds both hold some of them."""
    table = read_tc_table()
    cifs = dataset_path("supercon3d/cif")
    ids = sorted(sorted(table.index, key=lambda name: (cifs / name).stat().st_size)[:SMALL_ENTRIES])
    data = tmp_path_factory.mktemp("datasets")
    (data / "supercon3d/cif").mkdir(parents=True)
    (data / "supercon").mkdir()
    table.loc[ids].to_csv(data / "supercon3d/tc.csv")
    for name in ids:
        shutil.copy(cifs / name, data / "supercon3d/cif" / name)
    fold_of = FoldAssignment.shipped().fold_of
    present = {fold_of[i] for i in ids}
    return data, [f for f in sorted(present) if (f + 1) % 10 in present][:2]


@pytest.mark.data
def test_train_and_evaluate_match_the_commands(small_data, tmp_path):
    data, folds = small_data
    settings = [f"--set={key}={value}" for key, value in TINY_MODEL.to_dict().items()]
    by_command = tmp_path / "command"
    result = CliRunner().invoke(
        app,
        ["train", "--fold", ",".join(map(str, folds)), "--workers", "1", "--out", str(by_command),
         "--data", str(data), "--set", "epochs=1", *settings],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    trained = api.train(
        tmp_path / "api", "cpu", folds=folds, overrides={**TINY_MODEL.to_dict(), "epochs": 1},
        workers=1, data=data,
    )  # fmt: skip
    assert [summary["fold"] for summary in trained.folds] == folds and trained.skipped == []
    for fold in folds:
        name = f"fold{fold}.safetensors"
        ours, theirs = load_file(trained.run_dir / name), load_file(by_command / name)
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[key], theirs[key]) for key in ours)

    result = CliRunner().invoke(
        app, ["evaluate", str(by_command), "--json", "--no-baselines", "--data", str(data)]
    )
    assert result.exit_code == 0, result.output
    from_command = json.loads(result.stdout)
    evaluation = api.evaluate(trained.run_dir, baselines=False, data=data)
    assert evaluation.files == {} and len(evaluation.predictions) > 0
    assert [f["fold"] for f in evaluation.summary["folds"]] == folds
    # the same weights (asserted above) give the same MAE up to float32 rounding, which the
    # CPU's kernels may do differently from one call to the next (seen: 7e-9 on an AMD EPYC)
    assert evaluation.summary["mae_mean"] == pytest.approx(from_command["mae_mean"], abs=1e-6)


@pytest.mark.data
def test_inspect_and_data_sources_match_their_commands(cif_paths, tmp_path):
    broken = tmp_path / "broken.cif"
    broken.write_text("data_x\n_cell_length_a 3\n")
    rows, failures = api.inspect([*cif_paths, broken])
    result = CliRunner().invoke(
        app, ["data", "inspect", *map(str, cif_paths), str(broken), "--json"]
    )
    printed = json.loads(result.stdout)
    assert [row["file"] for row in printed] == [row["file"] for row in rows] + [str(broken)]
    assert [row["disorder_class"] for row in rows] == ["O", "PD"]  # MgB2, Hg-1223's oxygen
    assert len(failures) == 1 and str(broken) in str(failures[0])
    sources = CliRunner().invoke(app, ["data", "sources", "--json"])
    assert json.loads(sources.stdout) == api.data_sources()


def test_discover_and_its_command_pass_the_chemists_gates_to_the_run(monkeypatch, tmp_path):
    from supercon3d.discovery import pipeline
    from supercon3d.discovery.run_record import DiscoveryFolderError
    from supercon3d.discovery.settings import DEFAULT, QUICK

    runs = []

    def recorded(out, settings, **options):  # stands in for the pipeline: no run
        runs.append(settings)
        raise DiscoveryFolderError(out, "recorded")

    monkeypatch.setattr(pipeline, "run_discovery", recorded)
    with pytest.raises(DiscoveryFolderError):
        api.discover(tmp_path, quick=True, max_elements=3, allow_actinides=True, relax_top=7)
    with pytest.raises(DiscoveryFolderError):
        api.discover(tmp_path)
    arguments = ["discover", "--out", str(tmp_path), "--max-elements", "2", "--relax-top", "5"]
    result = CliRunner().invoke(app, [*arguments, "--allow-actinides"])
    assert result.exit_code == 2 and "recorded" in result.output
    given, preset, command = runs
    assert (given.max_elements, given.allow_actinides, given.relax_top) == (3, True, 7)
    assert given.generate == QUICK.generate
    assert (preset.max_elements, preset.allow_actinides, preset.relax_top) == (
        DEFAULT.max_elements, DEFAULT.allow_actinides, DEFAULT.relax_top
    )  # fmt: skip
    assert (command.max_elements, command.allow_actinides, command.relax_top) == (2, True, 5)

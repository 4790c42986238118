"""``supercon3d generate``: train tiny models on a fake data folder, generate, evaluate."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from fake_datasets import write_fake_datasets
from supercon3d.cli.generate import DEFAULT_GUIDANCE_SCALE
from supercon3d.cli.main import app
from supercon3d.generation.candidates import CSV_COLUMNS
from supercon3d.generation.checkpoint import GeneratorCheckpoint

runner = CliRunner()
TINY = [
    "network.hidden=8", "network.layers=1", "network.frequencies=2", "network.time_features=4",
    "guidance_network.hidden=8", "guidance_network.layers=1", "guidance_network.frequencies=2",
    "guidance_network.time_features=4", "diffusion.timesteps=20", "pretrain.epochs=2",
    "pretrain.batch_size=2", "guidance.epochs=2", "guidance.batch_size=2",
    "corpus.holdout_fraction=0.5",
]  # fmt: skip


def invoke(*arguments: str):
    result = runner.invoke(app, [str(a) for a in arguments])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    data = write_fake_datasets(tmp_path_factory.mktemp("datasets"))
    run = tmp_path_factory.mktemp("generator")
    settings = [part for pair in TINY for part in ("--set", pair)]
    for stage in ("pretrain", "guidance"):
        invoke("generate", "train", stage, "--out", run, "--data", data, *settings)
    return data, run


def test_training_writes_both_checkpoints_and_no_state(trained):
    _, run = trained
    denoiser = GeneratorCheckpoint.load(run / "denoiser.safetensors", "denoiser")
    guidance = GeneratorCheckpoint.load(run / "guidance.safetensors", "guidance")
    assert denoiser.network.hidden == 8 and denoiser.diffusion.timesteps == 20
    assert sum(denoiser.num_atoms) > 0 and guidance.normalization is not None
    assert len(json.loads((run / "pretrain.json").read_text())["history"]) == 2
    assert not list(run.glob("*.state.pt"))


def test_generate_from_noise_writes_cifs_and_the_candidates_table(trained, tmp_path):
    data, run = trained
    out = tmp_path / "noise"
    invoke("generate", "--n", 3, "--steps", 4, "--checkpoints", run, "--out", out, "--data", data)
    for folder in (out, out / "unguided"):
        table = pd.read_csv(folder / "candidates.csv")
        assert list(table.columns) == CSV_COLUMNS and len(table) == 3
        assert all((folder / name).is_file() for name in table["file"])
    assert json.loads((out / "run.json").read_text())["guidance_scale"] == DEFAULT_GUIDANCE_SCALE
    assert json.loads((out / "unguided/run.json").read_text())["guidance_scale"] == 0.0


def test_seed_optimisation_and_evaluate_json(trained, tmp_path):
    data, run = trained
    out = tmp_path / "seeds"
    invoke("generate", "--from-seeds", "--n", 2, "--steps", 4, "--guidance-scale", 2.0,
           "--charge-balance", 50, "--checkpoints", run, "--out", out, "--data", data)  # fmt: skip
    for folder in (out, out / "unguided"):
        assert json.loads((folder / "run.json").read_text())["charge_balance"] == 50.0
    table = pd.read_csv(out / "candidates.csv")
    assert len(table) == 2 * 10 and sorted(table["seed"].unique()) == [0, 1]
    assert sorted(table["level"].unique()) == pytest.approx([0.1 * k for k in range(1, 11)])
    result = invoke("generate", "evaluate", out, "--json", "--data", data)
    scores = json.loads(result.stdout)
    assert set(scores) == {"guided", "unguided"}
    for run_scores in scores.values():
        for key in ("sr10", "sr30", "sr50", "novel_sr10", "compound_sr10", "validity_structure",
                    "validity_composition", "uniqueness", "novelty"):  # fmt: skip
            assert 0.0 <= run_scores[key] <= 1.0


def test_a_corrupt_checkpoint_is_one_line_naming_the_file(trained, tmp_path):
    data, run = trained
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "denoiser.safetensors").write_bytes(b"not a checkpoint")
    result = runner.invoke(
        app, ["generate", "--n", "1", "--checkpoints", str(broken), "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 1
    assert "denoiser.safetensors" in result.output and "Traceback" not in result.output

"""What ``supercon3d predict`` promises around the predictions: output files that never
overwrite what a user owns, strict JSON, damaged models refused, every unreadable path a failed
row, and documented exit codes."""

from __future__ import annotations

import json
import os
import shutil
from importlib import resources
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from supercon3d import api
from supercon3d.cli.main import app
from supercon3d.cli.results import (
    EXIT_ALL_DONE,
    EXIT_NONE_DONE,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    finite_or_none,
)
from supercon3d.generation.checkpoint import GeneratorCheckpoint
from supercon3d.models.shipped import shipped_generator_dir
from supercon3d.models.sodnet.checkpoint import Normalization, read_checkpoint, save_checkpoint
from supercon3d.models.sodnet.ensemble import SODNetEnsemble
from supercon3d.models.sodnet.model import SODNet
from supercon3d.models.weights import (
    MANIFEST_FILE,
    CheckpointError,
    stale_manifest_entries,
    write_manifest,
)
from supercon3d.settings import dataset_path
from tiny_model import TINY_CONFIG, write_tiny_run

MGB2 = "supercon3d/cif/671985.cif"
"""A CIF of the data folder (read by the tests marked ``data``)."""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return write_tiny_run(tmp_path_factory.mktemp("tiny"))


def run(*arguments: str, checkpoints: Path):
    return CliRunner().invoke(app, ["predict", *arguments, "--checkpoints", str(checkpoints)])


@pytest.fixture
def cif(tmp_path) -> Path:
    path = tmp_path / "mgb2.cif"
    shutil.copy(dataset_path(MGB2), path)
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Make any prediction fail the test: the checks must come before the work."""

    def forbidden(*args, **kwargs):
        raise AssertionError("predictions were computed")

    monkeypatch.setattr(api, "predict", forbidden)


@pytest.mark.data
def test_an_existing_output_is_refused_before_the_work_without_force(cif, tiny_run, no_work):
    out = cif.parent / "out.json"
    out.write_text("mine")
    result = run(str(cif), "--out", str(out), checkpoints=tiny_run)
    assert result.exit_code == EXIT_USAGE
    assert "exists; --force replaces it" in result.output and out.read_text() == "mine"


@pytest.mark.data
def test_an_input_is_never_overwritten_even_with_force(cif, tiny_run, no_work):
    text = cif.read_text()
    for target in (cif, cif.parent):  # the file itself, and the same file through its folder
        out = target if target.is_file() else target / cif.name
        result = run(str(target), "--out", str(out), "--force", checkpoints=tiny_run)
        assert result.exit_code == EXIT_USAGE and "is one of the inputs" in result.output
    assert cif.read_text() == text


@pytest.mark.data
def test_a_missing_output_folder_is_refused_before_the_work(cif, tiny_run, no_work):
    result = run(str(cif), "--out", str(cif.parent / "nowhere" / "p.json"), checkpoints=tiny_run)
    assert result.exit_code == EXIT_USAGE and "does not exist" in result.output


@pytest.mark.data
def test_force_replaces_the_output_atomically_and_says_so(cif, tiny_run):
    out = cif.parent / "out.json"
    out.write_text("old")
    result = run(str(cif), "--out", str(out), "--force", checkpoints=tiny_run)
    assert result.exit_code == EXIT_ALL_DONE, result.output
    assert f"replaced {out}" in result.output.replace("\n", "")
    assert json.loads(out.read_text())[0]["formula"] == "MgB2"
    assert sorted(p.name for p in cif.parent.iterdir()) == ["mgb2.cif", "out.json"]


@pytest.mark.data
def test_json_is_strict_and_a_non_finite_prediction_is_that_rows_error(cif, tmp_path):
    folder = tmp_path / "overflowing"
    folder.mkdir()
    overflowing = Normalization(mean=1e6, std=1.0)
    save_checkpoint(SODNet(TINY_CONFIG), overflowing, folder / "fold0.safetensors")
    out = tmp_path / "p.json"
    result = run(str(cif), "--out", str(out), checkpoints=folder)
    assert result.exit_code == EXIT_NONE_DONE, result.output
    (record,) = json.loads(out.read_text())  # json.loads accepts NaN; the text must not hold it
    assert "no finite Tc" in record["error"] and "NaN" not in out.read_text()
    assert finite_or_none({"a": [float("nan"), 1.0, float("inf")]}) == {"a": [None, 1.0, None]}


def test_csv_keeps_every_warning(tiny_run, tmp_path):
    cif = Path(__file__).parent / "cifs" / "bad" / "five_blocks.cif"
    out = tmp_path / "p.csv"
    result = run(str(cif), "--out", str(out), checkpoints=tiny_run)
    assert result.exit_code == EXIT_ALL_DONE, result.output
    import pandas as pd

    row = pd.read_csv(out).iloc[0]
    assert row["n_warnings"] >= 1 and "5 data blocks" in row["warnings"]


@pytest.mark.data
def test_every_unreadable_path_is_a_failed_row(cif, tiny_run, tmp_path):
    folder = tmp_path / "links"
    folder.mkdir()
    (folder / "broken.cif").symlink_to(tmp_path / "gone.cif")
    (folder / "loop.cif").symlink_to(folder / "loop.cif")
    os.mkfifo(folder / "pipe.cif")
    (folder / "sub.cif").mkdir()  # a folder named like a CIF is not a CIF
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "p.json"
    inputs = [str(cif), str(folder), str(empty), str(tmp_path / "missing.cif")]
    result = run(*inputs, "--out", str(out), checkpoints=tiny_run)
    assert result.exit_code == EXIT_SOME_FAILED and "Traceback" not in result.output
    errors = {Path(r["file"]).name: r.get("error") for r in json.loads(out.read_text())}
    gone = tmp_path / "gone.cif"
    assert errors == {
        "mgb2.cif": None,
        "broken.cif": f"{folder / 'broken.cif'}: a broken symbolic link (to {gone})",
        "loop.cif": f"{folder / 'loop.cif'}: a symbolic link loop",
        "pipe.cif": f"{folder / 'pipe.cif'}: a FIFO (named pipe), not a regular file: not read "
        "[rule: file]",
        "empty": f"{empty}: no .cif files in this folder",
        "missing.cif": f"{tmp_path / 'missing.cif'}: no such file",
    }


def test_exit_status_is_one_when_nothing_could_run(tiny_run, tmp_path):
    result = run(str(tmp_path / "missing.cif"), checkpoints=tiny_run)
    assert result.exit_code == EXIT_NONE_DONE


@pytest.mark.data
@pytest.mark.parametrize("workers", ["0", "-1"])
def test_workers_below_one_is_a_usage_error(cif, tiny_run, workers):
    result = run(str(cif), "--workers", workers, checkpoints=tiny_run)
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output


SHIPPED = Path(str(resources.files("supercon3d") / "resources" / "models"))


@pytest.mark.parametrize("folder", sorted(p for p in SHIPPED.iterdir() if p.is_dir()), ids=str)
def test_shipped_manifests_list_every_file_with_its_hash(folder):
    assert (folder / MANIFEST_FILE).is_file()
    assert stale_manifest_entries(folder) == []


def copy_with_manifest(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    write_manifest(target)
    return target


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))


def test_a_changed_file_fails_its_manifest_naming_it(tiny_run, tmp_path):
    folder = copy_with_manifest(tiny_run, tmp_path / "run")
    assert len(SODNetEnsemble.from_dir(folder).members) == 2
    flip_a_byte(folder / "fold1.safetensors")
    with pytest.raises(CheckpointError, match=r"fold1.safetensors: SHA-256 differs"):
        SODNetEnsemble.from_dir(folder)
    (folder / MANIFEST_FILE).unlink()  # without a manifest, a user run is not checked
    assert len(SODNetEnsemble.from_dir(folder).members) == 2


def test_a_file_missing_from_the_manifest_is_refused(tiny_run, tmp_path):
    folder = copy_with_manifest(tiny_run, tmp_path / "run")
    shutil.copy(folder / "fold0.safetensors", folder / "fold2.safetensors")
    with pytest.raises(CheckpointError, match=f"fold2.safetensors: not listed in {MANIFEST_FILE}"):
        SODNetEnsemble.from_dir(folder)


@pytest.mark.data
def test_non_finite_weights_are_refused_with_or_without_a_manifest(tiny_run, tmp_path):
    folder = tmp_path / "nan"
    folder.mkdir()
    model = SODNet(TINY_CONFIG)
    with torch.no_grad():
        next(model.parameters())[0] = float("nan")
    save_checkpoint(model, Normalization(2.0, 1.0), folder / "fold0.safetensors")
    with pytest.raises(CheckpointError, match="fold0.safetensors: non-finite weights"):
        read_checkpoint(folder / "fold0.safetensors")
    write_manifest(folder)
    result = run(str(dataset_path(MGB2)), checkpoints=folder)
    assert result.exit_code == EXIT_NONE_DONE and "non-finite weights" in result.output


def test_a_bad_normalization_is_refused(tmp_path):
    path = tmp_path / "fold0.safetensors"
    save_checkpoint(SODNet(TINY_CONFIG), Normalization(2.0, 0.0), path)
    with pytest.raises(CheckpointError, match="bad normalization"):
        read_checkpoint(path)


def test_a_damaged_shipped_generator_file_is_refused(tmp_path):
    folder = tmp_path / "generator"
    shutil.copytree(shipped_generator_dir(), folder)
    flip_a_byte(folder / "guidance.safetensors")
    with pytest.raises(CheckpointError, match="guidance.safetensors: SHA-256 differs"):
        GeneratorCheckpoint.load(folder / "guidance.safetensors", "guidance")

"""The one training loop: data-parallel training over 2 CPU processes (gloo) matches one
process, and a crash while saving the training state leaves a run that resumes."""

from __future__ import annotations

import json
import os
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing
from pymatgen.core import Lattice, Structure
from safetensors.torch import load_file, save_file

from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.generation.diffusion import DiffusionConfig
from supercon3d.generation.network import NetworkConfig
from supercon3d.generation.training import (
    GeneratorConfig,
    OptimizerConfig,
    crystal_dataset,
    train_denoiser,
)
from supercon3d.graphs import GraphSettings, structure_to_graph
from supercon3d.models.sodnet import SODNetConfig
from supercon3d.training.config import RunConfig, TrainConfig
from supercon3d.training.loop import TrainingStateError, World, load_state, rank_share
from supercon3d.training.sodnet import TrainingSet, train_fold

TINY_MODEL = SODNetConfig(
    lmax=1, scalars=8, vectors=4, blocks=1, heads=2, radial_basis=8, radial_hidden=8,
    readout_hidden=8, k=8, cutoff=6.0,
)  # fmt: skip
# 21 entries in 4 folds: fold 0 trains on 10 graphs, in global batches of 3, 3, 3 and 1, so
# two ranks get unequal halves (1 and 2 graphs) and, in the last batch, one rank none.
TINY_RUN = RunConfig(name="tiny", model=TINY_MODEL, train=TrainConfig(epochs=2, batch_size=3))
N_ENTRIES, N_FOLDS = 21, 4
# Two processes average the gradients of two half batches where one process takes the mean
# over the whole batch: the same up to float rounding. Measured after 2 epochs (8 AdamW steps
# of lr <= 2e-3, so a diverging run moves weights by up to ~1e-2): on an Intel Xeon the
# largest weight difference was 4.3e-6, loss and validation MAE differences below 3e-8. AdamW
# divides each step by the root of the squared gradients, so a weight whose gradient is near
# zero moves by up to lr per step whatever the gradient's rounding: on an AMD EPYC 6 of 5,295
# weights (all in one attention vector) differed by up to 2.8e-4, the others by <= 1.7e-5.
WEIGHT_TOLERANCE = 5e-5
NOISE_AMPLIFIED_SHARE = 0.005
"""Largest share of the weights allowed beyond WEIGHT_TOLERANCE (see above)."""
HALF_ADAMW_STEP = 1e-3
"""No weight may differ by more than half of one AdamW step (lr 2e-3)."""
METRIC_TOLERANCE = 1e-5  # training loss (standardized ln Tc) and validation MAE (ln K)
TINY_GENERATOR = GeneratorConfig(
    network=NetworkConfig(hidden=16, layers=2, frequencies=4, time_features=8),
    diffusion=DiffusionConfig(timesteps=50),
    pretrain=OptimizerConfig(epochs=2, batch_size=4),
)


class SimulatedKill(BaseException):
    """A kill -9 between writing the temporary state file and renaming it."""


def salts(n: int) -> list[Structure]:
    """``n`` CsCl-type cells (2 atoms) of various ions and edges (Å)."""
    ions = [("Na", "Cl"), ("K", "Br"), ("Mg", "O"), ("Li", "F"), ("Ca", "S"), ("Rb", "I")]
    return [
        Structure(Lattice.cubic(3.0 + 0.1 * i), ions[i % len(ions)], [[0, 0, 0], [0.5] * 3])
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def synthetic() -> tuple[TrainingSet, FoldAssignment]:
    """Graphs of 21 salts with random ln Tc (ln K), in 4 folds."""
    settings = GraphSettings(k=TINY_MODEL.k, cutoff=TINY_MODEL.cutoff)
    ln_tc = np.random.default_rng(0).uniform(0, 4, N_ENTRIES)
    graphs = {}
    for i, structure in enumerate(salts(N_ENTRIES)):
        graph = structure_to_graph(structure, settings, name=f"{i:02d}")
        graph.y = torch.tensor([ln_tc[i]], dtype=torch.float32)
        graphs[graph.name] = graph
    folds = FoldAssignment.make(list(graphs), n_folds=N_FOLDS)
    return TrainingSet(graphs, {name: "O" for name in graphs}), folds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _train_on_rank(rank: int, size: int, data, folds, out: str) -> None:
    """One of ``size`` processes: a SODNet fold and the tiny denoiser, data-parallel."""
    torch.set_num_threads(1)
    world = World(rank=rank, size=size, local_rank=rank)
    train_fold(TINY_RUN, 0, data, folds, f"{out}/sodnet", world=world)
    graphs = crystal_dataset(salts(10))
    denoiser, _ = train_denoiser(
        TINY_GENERATOR, graphs, graphs[:3], f"{out}/pretrain{rank}.state.pt", world=world
    )
    weights = {key: value.contiguous() for key, value in denoiser.state_dict().items()}
    save_file(weights, f"{out}/denoiser{rank}.safetensors")


def test_rank_shares_weight_the_global_batch_mean():
    losses = np.random.default_rng(1).random(10)
    for size in (1, 2, 3):
        for n in range(1, 8):
            indices = list(range(n))
            shares = [rank_share(indices, World(rank, size)) for rank in range(size)]
            covered = [i for share, weight in shares if weight for i in share]
            assert covered == indices
            averaged = sum(weight * losses[share].mean() for share, weight in shares) / size
            assert averaged == pytest.approx(losses[:n].mean(), rel=1e-12)


def test_two_processes_train_a_fold_like_one(synthetic, tmp_path, monkeypatch):
    data, folds = synthetic
    one = train_fold(TINY_RUN, 0, data, folds, tmp_path / "one", world=World())
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    torch.multiprocessing.spawn(_train_on_rank, args=(2, data, folds, str(tmp_path)), nprocs=2)

    two = json.loads((tmp_path / "sodnet/fold0.json").read_text())
    assert [h["epoch"] for h in two["history"]] == [0, 1] and two["n_train"] == 10
    for single, parallel in zip(one["history"], two["history"]):
        assert parallel["val_mae"] == pytest.approx(single["val_mae"], abs=METRIC_TOLERANCE)
        assert parallel["loss"] == pytest.approx(single["loss"], abs=METRIC_TOLERANCE)
    a = load_file(tmp_path / "one/fold0.safetensors")
    b = load_file(tmp_path / "sodnet/fold0.safetensors")
    assert a.keys() == b.keys()
    floats = [key for key in a if a[key].is_floating_point() and a[key].numel()]
    differences = torch.cat([(b[key] - a[key]).abs().flatten() for key in floats])
    assert float(differences.max()) <= HALF_ADAMW_STEP
    assert float((differences > WEIGHT_TOLERANCE).float().mean()) <= NOISE_AMPLIFIED_SHARE
    assert not list((tmp_path / "sodnet").glob("*.state.pt*"))

    ranks = [load_file(tmp_path / f"denoiser{rank}.safetensors") for rank in (0, 1)]
    assert all(torch.equal(ranks[0][key], ranks[1][key]) for key in ranks[0])
    state = load_state(tmp_path / "pretrain0.state.pt", torch.device("cpu"))
    assert state["epoch"] == 2 and state["noise"].shape[0] == 2
    assert not torch.equal(state["noise"][0], state["noise"][1])  # each rank its own noise
    assert not (tmp_path / "pretrain1.state.pt").exists()  # only rank 0 writes


def test_a_kill_while_saving_the_state_leaves_a_resumable_run(synthetic, tmp_path, monkeypatch):
    data, folds = synthetic
    straight = train_fold(TINY_RUN, 0, data, folds, tmp_path / "straight", world=World())
    state_path = tmp_path / "killed/fold0.state.pt"
    replace, saves = os.replace, []

    def killed_at_the_second_save(source, target):
        if str(target) == str(state_path):
            saves.append(target)
            if len(saves) == 2:
                raise SimulatedKill
        replace(source, target)

    monkeypatch.setattr(os, "replace", killed_at_the_second_save)
    with pytest.raises(SimulatedKill):
        train_fold(TINY_RUN, 0, data, folds, tmp_path / "killed", world=World())
    monkeypatch.undo()
    partial = state_path.with_name(state_path.name + ".tmp")
    partial.write_bytes(partial.read_bytes()[:1000])  # killed while writing, too
    assert load_state(state_path, torch.device("cpu"))["epoch"] == 1

    resumed = train_fold(TINY_RUN, 0, data, folds, tmp_path / "killed", world=World())
    assert resumed["history"] == straight["history"]
    a = load_file(tmp_path / "straight/fold0.safetensors")
    b = load_file(tmp_path / "killed/fold0.safetensors")
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert not list((tmp_path / "killed").glob("*.state.pt*"))


def test_an_unreadable_state_file_is_named(tmp_path):
    broken = tmp_path / "fold0.state.pt"
    broken.write_bytes(b"\x00" * 64)
    with pytest.raises(TrainingStateError, match="fold0.state.pt: unreadable training state"):
        load_state(broken, torch.device("cpu"))

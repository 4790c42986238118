"""Training SODNet on the shared 10-fold protocol, one fold at a time or several in parallel.

Per fold: the target ln Tc is standardized on the training ids, the epoch with the lowest
validation MAE is kept, and ``fold<k>.safetensors`` (weights, config, normalization) plus
``fold<k>.json`` (history, timings) are written to the run folder. Training state is saved
atomically after every epoch to ``fold<k>.state.pt``, so an interrupted fold resumes where it
stopped; a fold whose checkpoint exists is not trained again. One fold trains on one process
or data-parallel under torchrun (:mod:`supercon3d.training.loop`).
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.errors import SuperCon3DError
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.executor import make_executor, send_report, shared_object
from supercon3d.graphs import CrystalGraph, GraphSettings, graphs_from_cifs
from supercon3d.models.composition import MagpieBooster
from supercon3d.models.sodnet import SODNet
from supercon3d.models.sodnet.checkpoint import Normalization, read_checkpoint, save_checkpoint
from supercon3d.models.sodnet.ensemble import predict_ln_tc
from supercon3d.models.weights import CheckpointError
from supercon3d.settings import dataset_path
from supercon3d.training.config import RunConfig, run_split
from supercon3d.training.loop import (
    TrainingSpec,
    World,
    batches_per_epoch,
    fit,
    write_text_atomically,
)

EpochReport = dict  # {"fold", "epoch", "epochs", "loss", "val_mae", "best_val_mae"}


class RunFolderError(SuperCon3DError, ValueError):
    """A run folder already holds training of another configuration; names the folder."""

    def __init__(self, folder: str | os.PathLike, reason: str):
        self.folder = str(folder)
        self.reason = reason
        super().__init__(f"{folder}: {reason}")

    def __reduce__(self) -> tuple:
        return type(self), (self.folder, self.reason)


def _as_json(run: RunConfig) -> object:
    """A configuration as its ``config.json`` reads back (fields a folder's older
    ``config.json`` lacks take their defaults)."""
    return json.loads(json.dumps(run.to_dict()))


def check_run_folder(run: RunConfig, run_dir: Path) -> None:
    """Write ``config.json`` into a new run folder; refuse one trained with another config.

    Of data-parallel processes only rank 0 writes (atomically: the others may be reading)."""
    path = run_dir / "config.json"
    if path.is_file() and _as_json(RunConfig.from_dict(json.loads(path.read_text()))) != _as_json(
        run
    ):
        raise RunFolderError(
            run_dir, "holds a run of a different configuration; choose another --out"
        )
    if World.from_environment().is_main:
        write_text_atomically(path, json.dumps(run.to_dict(), indent=1))


@dataclass
class TrainingSet:
    """Graphs by SuperCon3D id, each with ``y`` = ln Tc (ln K), and each id's disorder class;
    ``extra``: graphs (by name) that may join a fold's training, and which of them each fold
    takes (``extra_by_fold``; :mod:`supercon3d.training.extra_structures`)."""

    graphs: dict[str, CrystalGraph]
    disorder: dict[str, str]
    extra: dict[str, CrystalGraph] = field(default_factory=dict)
    extra_by_fold: dict[int, list[str]] = field(default_factory=dict)

    def select(self, ids: Sequence[str], disorder: Sequence[str] = ()) -> list[CrystalGraph]:
        """The graphs of ``ids`` that exist (in order), optionally only these disorder classes."""
        keep = [
            i for i in ids if i in self.graphs and (not disorder or self.disorder[i] in disorder)
        ]
        return [self.graphs[i] for i in keep]

    def extra_for(self, fold: int) -> list[CrystalGraph]:
        """The extra graphs fold ``fold`` trains on (none when the set has no extra graphs)."""
        if self.extra and fold not in self.extra_by_fold:
            raise ValueError(
                f"fold {fold}: the training set does not say which extra graphs it takes"
            )
        return [self.extra[name] for name in self.extra_by_fold.get(fold, ())]


def training_set(
    dataset: SuperCon3D,
    settings: GraphSettings,
    data: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
    prior: MagpieBooster | None = None,
) -> tuple[TrainingSet, list[ValueError]]:
    """Graphs of every dataset entry (cached on disk) and the entries that failed to build.

    With a composition ``prior`` each graph also gets ``prior``, its prediction (ln K).
    """
    cif_dir = dataset_path("supercon3d/cif", data)
    result = graphs_from_cifs([cif_dir / i for i in dataset.ids], settings, progress=progress)
    by_id = {entry.id: entry for entry in dataset.entries}
    graphs = {}
    for graph in result.graphs:
        graph.y = torch.tensor([by_id[graph.name].ln_tc], dtype=torch.float32)
        graphs[graph.name] = graph
    if prior is not None and graphs:
        values = prior.predict([graph.composition() for graph in graphs.values()])
        for graph, value in zip(graphs.values(), values):
            graph.prior = torch.tensor([value], dtype=torch.float32)
    disorder = {entry.id: entry.disorder_class.value for entry in dataset.entries}
    return TrainingSet(graphs, disorder), result.failures


def load_initial_weights(model: SODNet, run: RunConfig, fold: int) -> None:
    """Copy fold ``fold``'s weights from the run folder ``run.train.init_from`` into
    ``model``: a run of the same architecture on the same split, so that the starting model
    of a fold has never trained on that fold's validation or test entries."""
    source = Path(run.train.init_from)
    if run_split(source) != run.split:
        raise RunFolderError(
            source, f"was trained on the {run_split(source)} split, not {run.split}"
        )
    checkpoint = read_checkpoint(fold_paths(source, fold)["checkpoint"])
    if checkpoint.config != run.model:
        raise CheckpointError(checkpoint.path, "another architecture than the run it would start")
    checkpoint.load_into(model)


def learning_rate_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """Linear warm-up to 1, then cosine decay to 0 at ``total_steps``."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def fold_paths(run_dir: Path, fold: int) -> dict[str, Path]:
    return {
        "checkpoint": run_dir / f"fold{fold}.safetensors",
        "summary": run_dir / f"fold{fold}.json",
        "state": run_dir / f"fold{fold}.state.pt",
    }


def train_fold(
    run: RunConfig,
    fold: int,
    data: TrainingSet,
    folds: FoldAssignment,
    run_dir: str | os.PathLike,
    report: Callable[[EpochReport], None] | None = None,
    world: World | None = None,
) -> dict:
    """Train (or resume) one fold; returns the fold summary (also written to ``fold<k>.json``).

    ``world``: the data-parallel processes training this fold together (default: torchrun's
    environment, else this process alone); rank 0 writes the files."""
    world = world or World.from_environment()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = fold_paths(run_dir, fold)
    if paths["checkpoint"].exists() and paths["summary"].exists():
        return json.loads(paths["summary"].read_text())

    split = folds.split(fold)
    extra = data.extra_for(fold)
    train = data.select(split.train, run.train_disorder) + extra
    val = data.select(split.val)
    if not train or not val:
        raise ValueError(f"fold {fold}: no training or validation graphs")
    uses_prior = run.model.composition_prior
    if uses_prior and not all("prior" in g for g in train + val):
        raise ValueError(f"fold {fold}: the configuration needs graphs with a composition prior")

    def target_of(batch) -> torch.Tensor:
        """ln Tc, minus the prior for a residual model (ln K)."""
        return batch.y - batch.prior if uses_prior else batch.y

    targets = torch.cat([target_of(g) for g in train])
    normalization = Normalization(float(targets.mean()), float(targets.std()))

    settings = run.train
    torch.manual_seed(settings.seed + fold)
    model = SODNet(run.model)
    if settings.init_from:
        load_initial_weights(model, run, fold)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    steps = batches_per_epoch(len(train), settings.batch_size)
    total_steps, warmup_steps = settings.epochs * steps, settings.warmup_epochs * steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, warmup_steps, total_steps)
    )

    def loss(network: torch.nn.Module, batch, _noise) -> torch.Tensor:
        """L1 loss on the standardized target."""
        target = (target_of(batch) - normalization.mean) / normalization.std
        return torch.nn.functional.l1_loss(network(batch), target)

    val_targets = torch.cat([g.y for g in val]).numpy()
    val_prior = torch.cat([g.prior for g in val]).double().numpy() if uses_prior else None

    def validation_mae(network: SODNet, device: torch.device) -> tuple[float, dict]:
        """MAE of ln Tc (ln K) on the validation fold, predicted on the CPU."""
        on_cpu = network if device.type == "cpu" else copy.deepcopy(network).cpu()
        val_pred = predict_ln_tc(on_cpu, normalization, val, prior=val_prior)
        return float(np.abs(val_pred - val_targets).mean()), {}

    spec = TrainingSpec(
        model, optimizer, scheduler, loss, validation_mae, metric="val_mae",
        epochs=settings.epochs, batch_size=settings.batch_size,
        gradient_clip=settings.gradient_clip, shuffle_seed=settings.seed + fold,
    )  # fmt: skip
    outcome = fit(spec, train, paths["state"], report, {"fold": fold}, world)
    summary = {
        "fold": fold,
        "config": run.to_dict(),
        "best_epoch": outcome.best_epoch,
        "val_mae": outcome.best_metric,
        "n_train": len(train),
        "n_extra": len(extra),
        "n_val": len(val),
        "train_seconds": round(outcome.seconds, 1),
        "history": outcome.history,
    }
    if world.is_main:
        save_checkpoint(model, normalization, paths["checkpoint"], info={
            "fold": fold, "run": run.name, "best_epoch": outcome.best_epoch,
            "val_mae": outcome.best_metric,
        })  # fmt: skip
        write_text_atomically(paths["summary"], json.dumps(summary, indent=1))
        paths["state"].unlink(missing_ok=True)
    world.barrier()
    return summary


def _train_in_worker(job: tuple[RunConfig, int, FoldAssignment, str]) -> dict:
    """Train one fold on the executor's shared training set, epoch reports sent to the caller."""
    run, fold, folds, run_dir = job
    return train_fold(run, fold, shared_object(), folds, run_dir, report=send_report)


def train_folds(
    run: RunConfig,
    fold_ids: Sequence[int],
    data: TrainingSet,
    folds: FoldAssignment,
    run_dir: str | os.PathLike,
    *,
    workers: int = 2,
    report: Callable[[EpochReport], None] | None = None,
) -> list[dict]:
    """Train several folds, ``workers`` at a time (each on one thread); summaries by fold.

    With one worker (or one fold) the folds run in this process on all of torch's threads.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    check_run_folder(run, run_dir)
    jobs = [(run, fold, folds, str(run_dir)) for fold in fold_ids]
    # a fold trains for minutes: one is worth a worker
    with make_executor(workers, len(jobs), min_items_per_worker=1, shared=data) as executor:
        summaries = list(executor.map_unordered(_train_in_worker, jobs, report))
    return sorted(summaries, key=lambda s: s["fold"])

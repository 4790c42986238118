"""Training SODNet on the shared 10-fold protocol, one fold at a time or several in parallel.

Per fold: the target ln Tc is standardized on the training ids, the epoch with the lowest
validation MAE is kept, and ``fold<k>.safetensors`` (weights, config, normalization) plus
``fold<k>.json`` (history, timings) are written to the run folder. Training state is saved
after every epoch to ``fold<k>.state.pt``, so an interrupted fold resumes where it stopped;
a fold whose checkpoint exists is not trained again.
"""

from __future__ import annotations

import copy
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.graphs import CrystalGraph, GraphSettings, graphs_from_cifs
from supercon3d.models.composition import MagpieBooster
from supercon3d.models.sodnet import SODNet
from supercon3d.models.sodnet.checkpoint import Normalization, save_checkpoint
from supercon3d.models.sodnet.ensemble import predict_ln_tc
from supercon3d.settings import dataset_path
from supercon3d.training.config import RunConfig

EpochReport = dict  # {"fold", "epoch", "epochs", "loss", "val_mae", "best_val_mae"}


class RunFolderError(ValueError):
    """A run folder already holds training of another configuration; names the folder."""

    def __init__(self, folder: str | os.PathLike, reason: str):
        super().__init__(f"{folder}: {reason}")


def check_run_folder(run: RunConfig, run_dir: Path) -> None:
    """Write ``config.json`` into a new run folder; refuse one trained with another config."""
    path = run_dir / "config.json"
    if path.is_file() and json.loads(path.read_text()) != json.loads(json.dumps(run.to_dict())):
        raise RunFolderError(
            run_dir, "holds a run of a different configuration; choose another --out"
        )
    path.write_text(json.dumps(run.to_dict(), indent=1))


@dataclass
class TrainingSet:
    """Graphs by SuperCon3D id, each with ``y`` = ln Tc (ln K), and each id's disorder class."""

    graphs: dict[str, CrystalGraph]
    disorder: dict[str, str]

    def select(self, ids: Sequence[str], disorder: Sequence[str] = ()) -> list[CrystalGraph]:
        """The graphs of ``ids`` that exist (in order), optionally only these disorder classes."""
        keep = [
            i for i in ids if i in self.graphs and (not disorder or self.disorder[i] in disorder)
        ]
        return [self.graphs[i] for i in keep]


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
) -> dict:
    """Train (or resume) one fold; returns the fold summary (also written to ``fold<k>.json``)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = fold_paths(run_dir, fold)
    if paths["checkpoint"].exists() and paths["summary"].exists():
        return json.loads(paths["summary"].read_text())

    split = folds.split(fold)
    train = data.select(split.train, run.train_disorder)
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
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    shuffle = torch.Generator().manual_seed(settings.seed + fold)
    loader = DataLoader(train, batch_size=settings.batch_size, shuffle=True, generator=shuffle)
    total_steps = settings.epochs * len(loader)
    warmup_steps = settings.warmup_epochs * len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, warmup_steps, total_steps)
    )
    start_epoch, history, seconds = 0, [], 0.0
    best = {"val_mae": math.inf, "epoch": -1, "state": copy.deepcopy(model.state_dict())}
    if paths["state"].exists():
        state = torch.load(paths["state"], weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        shuffle.set_state(state["shuffle"])
        torch.set_rng_state(state["rng"])
        best = state["best"]
        start_epoch, history, seconds = state["epoch"], state["history"], state["seconds"]

    val_targets = torch.cat([g.y for g in val]).numpy()
    val_prior = torch.cat([g.prior for g in val]).double().numpy() if uses_prior else None
    for epoch in range(start_epoch, settings.epochs):
        started = time.perf_counter()
        model.train()
        losses = []
        for batch in loader:
            target = (target_of(batch) - normalization.mean) / normalization.std
            loss = torch.nn.functional.l1_loss(model(batch), target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.gradient_clip)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        model.eval()
        val_pred = predict_ln_tc(model, normalization, val, prior=val_prior)
        val_mae = float(np.abs(val_pred - val_targets).mean())
        if val_mae < best["val_mae"]:
            best = {"val_mae": val_mae, "epoch": epoch, "state": copy.deepcopy(model.state_dict())}
        seconds += time.perf_counter() - started
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "val_mae": val_mae})
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "shuffle": shuffle.get_state(),
                "rng": torch.get_rng_state(),
                "best": best,
                "epoch": epoch + 1,
                "history": history,
                "seconds": seconds,
            },  # fmt: skip
            paths["state"],
        )
        if report:
            report(
                {
                    "fold": fold,
                    "epoch": epoch + 1,
                    "epochs": settings.epochs,
                    "loss": history[-1]["loss"],
                    "val_mae": val_mae,
                    "best_val_mae": best["val_mae"],
                }  # fmt: skip
            )

    model.load_state_dict(best["state"])
    summary = {
        "fold": fold,
        "config": run.to_dict(),
        "best_epoch": best["epoch"],
        "val_mae": best["val_mae"],
        "n_train": len(train),
        "n_val": len(val),
        "train_seconds": round(seconds, 1),
        "history": history,
    }
    save_checkpoint(model, normalization, paths["checkpoint"], info={
        "fold": fold, "run": run.name, "best_epoch": best["epoch"], "val_mae": best["val_mae"],
    })  # fmt: skip
    paths["summary"].write_text(json.dumps(summary, indent=1))
    paths["state"].unlink(missing_ok=True)
    return summary


_worker_data: TrainingSet | None = None
_worker_queue = None


def _init_worker(data: TrainingSet, queue, threads: int) -> None:
    global _worker_data, _worker_queue
    torch.set_num_threads(threads)
    _worker_data, _worker_queue = data, queue


def _train_in_worker(run: RunConfig, fold: int, folds: FoldAssignment, run_dir: str) -> dict:
    return train_fold(run, fold, _worker_data, folds, run_dir, report=_worker_queue.put)


def train_folds(
    run: RunConfig,
    fold_ids: Sequence[int],
    data: TrainingSet,
    folds: FoldAssignment,
    run_dir: str | os.PathLike,
    workers: int = 2,
    report: Callable[[EpochReport], None] | None = None,
) -> list[dict]:
    """Train several folds, ``workers`` at a time (each on one thread); summaries by fold.

    With one worker the folds run in this process on all of torch's threads.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    check_run_folder(run, run_dir)
    if workers <= 1 or len(fold_ids) == 1:
        return [train_fold(run, f, data, folds, run_dir, report) for f in fold_ids]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        queue = manager.Queue()
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(data, queue, 1)
        ) as pool:
            futures = [pool.submit(_train_in_worker, run, f, folds, str(run_dir)) for f in fold_ids]

            def forward_reports() -> None:
                while not queue.empty():
                    message = queue.get()
                    if report:
                        report(message)

            while not all(future.done() for future in futures):
                forward_reports()
                time.sleep(0.2)
            forward_reports()
            summaries = [future.result() for future in as_completed(futures)]
    return sorted(summaries, key=lambda s: s["fold"])

"""The one training loop of the package's networks (SODNet, the generator's denoiser and
guidance model), on one process or data-parallel over processes, devices and machines.

What a network's trainer hands the loop (:class:`TrainingSpec`): the model, its optimiser and
scheduler, the loss of a batch, the validation metric (lower is better) and optionally an
exponential moving average (EMA) of the weights, which is then what is validated and kept.
The loop keeps the weights of the best validation epoch, reports every epoch through a
callback and saves its whole state after every epoch to one file, atomically (temporary
file, fsync, rename), so a run killed at any moment resumes from its last complete epoch;
resuming on one process is bit-identical to a run that was never interrupted.

Data-parallel: started by ``torchrun`` (``WORLD_SIZE`` > 1) or given a :class:`World`, each
process joins the ``torch.distributed`` group (NCCL on CUDA, gloo on the CPU), trains a
``DistributedDataParallel`` copy of the model on ``cuda:{LOCAL_RANK}`` (the CPU without CUDA)
and takes its slice of every global batch; all processes draw the same global batches as a
one-process run, and each weights its mean loss by its share, so the gradient DDP averages
is the global batch's mean gradient up to float rounding. Validation runs on rank 0 and is
broadcast; only rank 0 writes files, the others wait at a barrier.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader
from torch_geometric.data import Batch, Data

from supercon3d.errors import SuperCon3DError
from supercon3d.models.weights import CheckpointError

BatchLoss = Callable[[nn.Module, Batch, torch.Generator | None], torch.Tensor]
Validation = Callable[[nn.Module, torch.device], tuple[float, dict[str, float]]]


class TrainingStateError(CheckpointError):
    """A training state file that cannot be resumed; names the file and the reason."""


class DataParallelError(SuperCon3DError, ValueError):
    """A process that cannot take part in data-parallel training; says why."""


@dataclass(frozen=True)
class World:
    """The processes training one model together: this one's ``rank`` among ``size``, and
    ``local_rank``, its rank on its machine (the GPU it drives)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @classmethod
    def from_environment(cls) -> World:
        """The world ``torchrun`` describes in RANK, WORLD_SIZE and LOCAL_RANK; one process
        when they are not set."""
        size = int(os.environ.get("WORLD_SIZE", "1"))
        if size > 1 and multiprocessing.parent_process() is not None:
            raise DataParallelError(
                f"WORLD_SIZE={size}: a worker process of a torchrun process cannot join its "
                "data-parallel group; under torchrun train one fold at a time (--workers 1)"
            )
        rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
        return cls(rank, size, local_rank)

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that validates and writes files."""
        return self.rank == 0

    def device(self, requested: torch.device | str | None = None) -> torch.device:
        """This process's device: ``requested`` when it names one ('cpu', 'cuda:1'); for
        'cuda' the GPU LOCAL_RANK; for None that GPU when CUDA is available, else the CPU."""
        if requested is None:
            requested = "cuda" if torch.cuda.is_available() else "cpu"
        device = torch.device(requested)
        if device.type == "cuda" and device.index is None:
            return torch.device("cuda", self.local_rank)
        return device

    def join(self, device: torch.device) -> None:
        """Join the process group once per process (NCCL for a CUDA ``device``, gloo
        otherwise), at the address in MASTER_ADDR and MASTER_PORT; nothing on one process."""
        if not self.distributed or dist.is_initialized():
            return
        if device.type == "cuda":
            torch.cuda.set_device(device)
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=self.rank, world_size=self.size)
        atexit.register(dist.destroy_process_group)

    def barrier(self) -> None:
        """Wait until every process arrives here (rank 0 has written its files)."""
        if self.distributed:
            dist.barrier()


@dataclass
class TrainingSpec:
    """What is particular to one network's training.

    ``loss``: mean loss over a batch's graphs, given the (possibly DDP-wrapped) model, the
    batch on the device and the noise generator (None without ``noise_seed``).
    ``validate``: (metric, extra history entries) of the validated module on a device;
    lower is better; ``metric`` names it in history, reports and the best epoch.
    ``noise_seed``: seed of a per-process noise generator (``noise_seed + rank``).
    ``ema_decay``: keep an EMA of the weights; it is validated, kept and returned instead.
    The loop moves ``model`` to the process's device (the optimiser keeps its parameters).
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    loss: BatchLoss
    validate: Validation
    metric: str
    epochs: int
    batch_size: int
    gradient_clip: float
    shuffle_seed: int
    noise_seed: int | None = None
    ema_decay: float | None = None


@dataclass
class TrainingOutcome:
    """The best epoch (0-based) and its metric, each epoch's history, the training seconds
    (validation included, over all sessions of a resumed run) and the device trained on."""

    best_epoch: int
    best_metric: float
    history: list[dict]
    seconds: float
    device: torch.device


def batches_per_epoch(n_graphs: int, batch_size: int) -> int:
    """Optimiser steps per epoch: global batches, the last one possibly smaller."""
    return math.ceil(n_graphs / batch_size)


def rank_share(indices: Sequence[int], world: World) -> tuple[list[int], float]:
    """This rank's contiguous slice of one global batch and the weight of its mean loss.

    Slices differ by at most one graph; the weight (slice size x ranks / batch size) makes
    the DDP average of the weighted means the batch mean. A rank left without a graph (a last
    batch smaller than the world) runs the batch's first graph at weight 0.
    """
    n = len(indices)
    start, stop = world.rank * n // world.size, (world.rank + 1) * n // world.size
    if start == stop:
        return list(indices[:1]), 0.0
    return list(indices[start:stop]), (stop - start) * world.size / n


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Write a file through a temporary one in the same folder, fsynced, then renamed over
    ``path``: an interruption leaves the previous file whole."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as file:
        write(file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write a UTF-8 text file as :func:`write_atomically` does."""
    write_atomically(path, lambda file: file.write(text.encode()))


def load_state(path: Path, device: torch.device) -> dict | None:
    """A training state saved by :func:`fit` (tensors and plain values only), None if absent."""
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise TrainingStateError(
            path, f"unreadable training state ({reason}); delete it to start over"
        ) from error


def _weights(module: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in module.state_dict().items()}


def _per_rank(state: torch.Tensor, world: World, device: torch.device) -> torch.Tensor:
    """``state`` of every rank stacked in rank order (rows, on the CPU)."""
    if not world.distributed:
        return state[None]
    local = state.to(device)
    rows = [torch.empty_like(local) for _ in range(world.size)]
    dist.all_gather(rows, local)
    return torch.stack(rows).cpu()


def _validated(
    spec: TrainingSpec, module: nn.Module, device: torch.device, world: World
) -> tuple[float, dict[str, float]]:
    """The validation result, computed on rank 0 and broadcast to every rank."""
    result = [spec.validate(module, device) if world.is_main else None]
    if world.distributed:
        dist.broadcast_object_list(result, src=0)
    return result[0]


def _epoch_loss(contributions: list[float], world: World, device: torch.device) -> float:
    """Mean over the epoch's global batches of their mean loss, from this rank's weighted
    mean losses (their average over ranks is the batch mean)."""
    values = torch.tensor(contributions, dtype=torch.float64, device=device)
    if world.distributed:
        dist.all_reduce(values)
    return float(np.mean(values.cpu().numpy() / world.size))


def fit(
    spec: TrainingSpec,
    graphs: Sequence[Data],
    state_path: str | os.PathLike,
    report: Callable[[dict], None] | None = None,
    label: dict | None = None,
    world: World | None = None,
    device: torch.device | str | None = None,
) -> TrainingOutcome:
    """Train ``spec.model`` on ``graphs``, resuming from ``state_path`` when it exists (on any
    device); the model ends on the CPU in eval mode with the weights of the best epoch (of
    the EMA with ``ema_decay``). ``report`` gets, on rank 0 after each epoch, ``label``'s
    entries then epoch, epochs, loss and the metric and its best so far. ``world``: the
    data-parallel processes (default: torchrun's environment); ``device``: see
    :meth:`World.device`.
    """
    world = world or World.from_environment()
    device = world.device(device)
    world.join(device)
    state_path = Path(state_path)
    model = spec.model.to(device)
    wrapped = (
        DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
        if world.distributed
        else model
    )
    ema = (
        AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(spec.ema_decay))
        if spec.ema_decay is not None
        else None
    )
    validated = ema.module if ema is not None else model
    shuffle = torch.Generator().manual_seed(spec.shuffle_seed)
    noise = None
    if spec.noise_seed is not None:
        noise = torch.Generator().manual_seed(spec.noise_seed + world.rank)
    best = {spec.metric: math.inf, "epoch": -1, "state": _weights(validated)}
    start, history, seconds = 0, [], 0.0
    state = load_state(state_path, device)
    if state is not None:
        model.load_state_dict(state["model"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        spec.optimizer.load_state_dict(state["optimizer"])
        spec.scheduler.load_state_dict(state["scheduler"])
        shuffle.set_state(state["shuffle"].cpu())
        torch.set_rng_state(state["rng"].cpu())
        if noise is not None:
            rows = torch.atleast_2d(state["noise"].cpu())
            if len(rows) != world.size:
                raise TrainingStateError(
                    state_path, f"written by {len(rows)} processes; resume it with as many"
                )
            noise.set_state(rows[world.rank].contiguous())
        best, start, history, seconds = (
            state["best"], state["epoch"], state["history"], state["seconds"]
        )  # fmt: skip

    global_batches = DataLoader(
        range(len(graphs)), batch_size=spec.batch_size, shuffle=True, generator=shuffle
    )
    for epoch in range(start, spec.epochs):
        started = time.perf_counter()
        wrapped.train()
        contributions = []
        for indices in global_batches:
            share, weight = rank_share(indices.tolist(), world)
            batch = Batch.from_data_list([graphs[i] for i in share]).to(device)
            loss = spec.loss(wrapped, batch, noise) * weight
            spec.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), spec.gradient_clip)
            spec.optimizer.step()
            spec.scheduler.step()
            if ema is not None:
                ema.update_parameters(model)
            contributions.append(loss.item())
        epoch_loss = _epoch_loss(contributions, world, device)
        validated.eval()
        metric, parts = _validated(spec, validated, device, world)
        if metric < best[spec.metric]:
            best = {spec.metric: metric, "epoch": epoch, "state": _weights(validated)}
        seconds += time.perf_counter() - started
        history.append({"epoch": epoch, "loss": epoch_loss, spec.metric: metric, **parts})
        noise_rows = None if noise is None else _per_rank(noise.get_state(), world, device)
        if world.is_main:
            state = {
                "model": model.state_dict(),
                "optimizer": spec.optimizer.state_dict(),
                "scheduler": spec.scheduler.state_dict(),
                "shuffle": shuffle.get_state(),
                "rng": torch.get_rng_state(),
                "best": best,
                "epoch": epoch + 1,
                "history": history,
                "seconds": seconds,
            }
            if ema is not None:
                state["ema"] = ema.state_dict()
            if noise_rows is not None:
                state["noise"] = noise_rows
            write_atomically(state_path, lambda file, state=state: torch.save(state, file))
        world.barrier()
        if report and world.is_main:
            report(
                {
                    **(label or {}),
                    "epoch": epoch + 1,
                    "epochs": spec.epochs,
                    "loss": epoch_loss,
                    spec.metric: metric,
                    "best_" + spec.metric: best[spec.metric],
                }
            )
    model.load_state_dict(best["state"])
    model.cpu().eval()
    return TrainingOutcome(best["epoch"], best[spec.metric], history, seconds, device)

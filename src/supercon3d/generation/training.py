"""Training the denoiser (pre-training on the structure corpus) and the time-dependent Tc
predictor (guidance, on the SuperCon3D ordered training split).

Both train in the package's one loop (:mod:`supercon3d.training.loop`): Adam with cosine
decay, gradient clipping, an exponential moving average (EMA) of the weights, and a validation
loss under fixed noise after every epoch; the EMA weights of the best validation epoch are
kept. The full training state is saved atomically after every epoch to ``<name>.state.pt``
(tensors only, loaded with ``weights_only=True``), so an interrupted run resumes where it
stopped; under torchrun the network trains data-parallel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as functional
from pymatgen.core import Structure
from torch import nn
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from supercon3d.generation.corpus import CorpusSettings
from supercon3d.generation.crystal import crystal_data
from supercon3d.generation.diffusion import (
    DiffusionConfig,
    NoiseSchedule,
    add_noise,
    denoising_loss,
)
from supercon3d.generation.network import Denoiser, NetworkConfig, TimeDependentTcPredictor
from supercon3d.machine import device_name
from supercon3d.models.sodnet.checkpoint import Normalization
from supercon3d.training.loop import TrainingSpec, World, batches_per_epoch, fit

LossFunction = Callable[[nn.Module, Batch, torch.Generator | None], tuple[torch.Tensor, dict]]
EpochReport = dict  # {"name", "epoch", "epochs", "loss", "val_loss", "best_val_loss"}
VALIDATION_SEED = 12345


@dataclass(frozen=True)
class OptimizerConfig:
    """Epochs, batch size and optimiser settings of one training run."""

    epochs: int = 100
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    gradient_clip: float = 1.0
    ema_decay: float = 0.999
    seed: int = 0


@dataclass(frozen=True)
class GuidanceData:
    """Which entries of the SuperCon3D ordered splits the guidance model learns from.

    ``exclude_elements``: comma-separated element symbols whose structures are left out, e.g.
    "H" for the hydrides (most are superhydrides whose Tc was measured under megabar pressure,
    and guidance toward them produces compositions that fail SMACT)."""

    exclude_elements: str = ""

    @property
    def excluded(self) -> list[str]:
        return [symbol.strip() for symbol in self.exclude_elements.split(",") if symbol.strip()]


@dataclass(frozen=True)
class GeneratorConfig:
    """The generator: its corpus, denoiser and guidance networks, the diffusion, and how each
    trains. Defaults are sized for a 2-core CPU (see ``benchmarks/generator_speed.py``)."""

    corpus: CorpusSettings = field(default_factory=CorpusSettings)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    pretrain: OptimizerConfig = field(default_factory=lambda: OptimizerConfig(epochs=500))
    guidance_network: NetworkConfig = field(
        default_factory=lambda: NetworkConfig(hidden=64, layers=3)
    )
    guidance: OptimizerConfig = field(
        default_factory=lambda: OptimizerConfig(epochs=300, batch_size=32, weight_decay=1e-4)
    )
    guidance_data: GuidanceData = field(default_factory=GuidanceData)

    def to_dict(self) -> dict:
        return asdict(self)


def training_info(
    settings: OptimizerConfig, summary: dict, train: Sequence[Data], val: Sequence[Data]
) -> dict:
    """What a checkpoint records of how it trained (its ``info``)."""
    return {
        "epochs": settings.epochs, "batch_size": settings.batch_size,
        "learning_rate": settings.learning_rate, "best_epoch": summary["best_epoch"],
        "val_loss": summary["val_loss"], "train_seconds": summary["train_seconds"],
        "n_train": len(train), "n_val": len(val),
        "val_mae_by_step": summary.get("val_mae_by_step"), "device": summary.get("device"),
    }  # fmt: skip


def crystal_dataset(structures: Sequence[Structure], ln_tc: Sequence[float] | None = None):
    """Graphs of ordered structures, with ``y`` = ln Tc (ln K) when given."""
    graphs = []
    for index, structure in enumerate(structures):
        data = crystal_data(structure)
        if ln_tc is not None:
            data.y = torch.tensor([float(ln_tc[index])])
        graphs.append(data)
    return graphs


def atom_count_histogram(graphs: Sequence[Data]) -> list[int]:
    """How many graphs have N atoms, for N = 0..max."""
    counts = np.bincount([g.num_nodes for g in graphs])
    return [int(c) for c in counts]


def guidance_loss(
    schedule: NoiseSchedule, normalization: Normalization
) -> Callable[[nn.Module, Batch, torch.Generator | None], tuple[torch.Tensor, dict]]:
    """L1 loss of a Tc predictor on crystals noised to uniformly drawn steps; its part
    ``mae`` is in ln K."""

    def loss(predictor: nn.Module, batch: Batch, generator: torch.Generator | None):
        T = schedule.timesteps
        t = torch.randint(1, T + 1, (batch.num_graphs,), generator=generator)
        noisy = add_noise(batch, t, schedule, generator)
        prediction = predictor(noisy.types, noisy.frac, noisy.lattice, noisy.t / T, batch.batch)
        target = (batch.y - normalization.mean) / normalization.std
        value = functional.l1_loss(prediction, target)
        return value, {"mae": value.item() * normalization.std}

    return loss


def guidance_mae_by_level(
    predictor: TimeDependentTcPredictor,
    normalization: Normalization,
    graphs: Sequence[Data],
    schedule: NoiseSchedule,
    levels: Sequence[float] = (0.0, 0.1, 0.3, 0.5, 1.0),
) -> dict[int, float]:
    """Validation MAE (ln K) of the guidance model on ``graphs`` noised to the step
    max(1, round(level x T)) for each of ``levels`` (fixed noise), by step."""
    generator = torch.Generator().manual_seed(VALIDATION_SEED)
    batch = Batch.from_data_list(list(graphs))
    steps = sorted({max(1, round(level * schedule.timesteps)) for level in levels})
    maes = {}
    with torch.no_grad():
        for level in steps:
            t = torch.full((batch.num_graphs,), level)
            noisy = add_noise(batch, t, schedule, generator)
            standardized = predictor(
                noisy.types, noisy.frac, noisy.lattice, t / schedule.timesteps, batch.batch
            )
            prediction = normalization.to_ln_tc(standardized)
            maes[level] = float((prediction - batch.y).abs().mean())
    return maes


def _denoiser_loss(schedule: NoiseSchedule) -> LossFunction:
    def loss(model: nn.Module, batch: Batch, generator: torch.Generator | None):
        return denoising_loss(model, batch, schedule, generator)

    return loss


def validation_loss(
    model: nn.Module,
    loss: LossFunction,
    graphs: Sequence[Data],
    size: int,
    device: torch.device | str = "cpu",
):
    """Mean loss (and parts) over ``graphs`` under fixed noise."""
    generator = torch.Generator().manual_seed(VALIDATION_SEED)
    totals, parts_sum, n = 0.0, {}, 0
    with torch.no_grad():
        for batch in DataLoader(list(graphs), batch_size=size):
            value, parts = loss(model, batch.to(device), generator)
            totals += value.item() * batch.num_graphs
            for key, part in parts.items():
                parts_sum[key] = parts_sum.get(key, 0.0) + part * batch.num_graphs
            n += batch.num_graphs
    return totals / n, {key: value / n for key, value in parts_sum.items()}


def train_network(
    model: nn.Module,
    loss: LossFunction,
    train: Sequence[Data],
    val: Sequence[Data],
    settings: OptimizerConfig,
    state_path: str | Path,
    name: str,
    report: Callable[[EpochReport], None] | None = None,
    device: torch.device | str = "cpu",
    world: World | None = None,
) -> dict:
    """Train ``model`` in place on ``device`` (it ends on the CPU with the best EMA weights);
    returns the summary (history, best epoch, seconds). Resumes from ``state_path`` when it
    exists, on any device. ``world``: the data-parallel processes (default: torchrun's
    environment); each trains on ``device``, 'cuda' meaning its GPU LOCAL_RANK."""
    if not train or not val:
        raise ValueError(f"{name}: needs training and validation structures")
    torch.manual_seed(settings.seed)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    total_steps = max(1, settings.epochs * batches_per_epoch(len(train), settings.batch_size))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
    )

    def batch_loss(network: nn.Module, batch: Batch, noise: torch.Generator | None):
        return loss(network, batch, noise)[0]

    def validate(network: nn.Module, on: torch.device) -> tuple[float, dict]:
        return validation_loss(network, loss, val, settings.batch_size, on)

    spec = TrainingSpec(
        model, optimizer, scheduler, batch_loss, validate, metric="val_loss",
        epochs=settings.epochs, batch_size=settings.batch_size,
        gradient_clip=settings.gradient_clip, shuffle_seed=settings.seed,
        noise_seed=settings.seed + 1, ema_decay=settings.ema_decay,
    )  # fmt: skip
    outcome = fit(spec, list(train), state_path, report, {"name": name}, world, device)
    return {
        "best_epoch": outcome.best_epoch,
        "val_loss": outcome.best_metric,
        "train_seconds": round(outcome.seconds, 1),
        "device": device_name(outcome.device),
        "history": outcome.history,
    }


def train_denoiser(
    config: GeneratorConfig,
    train: Sequence[Data],
    val: Sequence[Data],
    state_path: str | Path,
    report: Callable[[EpochReport], None] | None = None,
    device: torch.device | str = "cpu",
    initial: Denoiser | None = None,
    world: World | None = None,
) -> tuple[Denoiser, dict]:
    """Pre-train the denoiser on corpus graphs on ``device``, from random weights or on from
    ``initial``'s (a longer pre-training); returns it (best EMA weights, on the CPU) and a
    summary. ``world``: see :func:`train_network`."""
    schedule = NoiseSchedule(config.diffusion)
    torch.manual_seed(config.pretrain.seed)
    model = Denoiser(config.network)
    if initial is not None:
        model.load_state_dict(initial.state_dict())
    summary = train_network(
        model, _denoiser_loss(schedule), train, val, config.pretrain, state_path, "pretrain",
        report, device, world,
    )  # fmt: skip
    return model, summary


def train_guidance(
    config: GeneratorConfig,
    train: Sequence[Data],
    val: Sequence[Data],
    state_path: str | Path,
    report: Callable[[EpochReport], None] | None = None,
    device: torch.device | str = "cpu",
    world: World | None = None,
) -> tuple[TimeDependentTcPredictor, Normalization, dict]:
    """Train the time-dependent Tc predictor on graphs with ``y`` = ln Tc on ``device``;
    returns it (on the CPU), the target normalization and a summary (val ``mae`` in ln K,
    averaged over noise levels). ``world``: see :func:`train_network`."""
    targets = torch.cat([g.y for g in train])
    normalization = Normalization(float(targets.mean()), float(targets.std()))
    schedule = NoiseSchedule(config.diffusion)
    torch.manual_seed(config.guidance.seed)
    model = TimeDependentTcPredictor(config.guidance_network)
    summary = train_network(
        model, guidance_loss(schedule, normalization), train, val, config.guidance, state_path,
        "guidance", report, device, world,
    )  # fmt: skip
    return model, normalization, summary

"""SODNet checkpoints: weights in safetensors, config and target normalization in its metadata.

Nothing is unpickled when loading, so a checkpoint from anywhere is safe to open.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from supercon3d.models.sodnet.model import SODNet, SODNetConfig
from supercon3d.models.weights import CheckpointError, load_weights, read_weights, write_weights

FORMAT = "supercon3d-sodnet-1"


@dataclass(frozen=True)
class Normalization:
    """The training fold's ln Tc mean and standard deviation (ln K)."""

    mean: float
    std: float

    def to_ln_tc(self, standardized: torch.Tensor) -> torch.Tensor:
        return standardized * self.std + self.mean


def save_checkpoint(
    model: SODNet, normalization: Normalization, path: str | os.PathLike, info: dict | None = None
) -> Path:
    """Write ``model``'s weights with its config, normalization and ``info`` (JSON-able)."""
    metadata = {
        "format": FORMAT,
        "config": json.dumps(model.config.to_dict()),
        "normalization": json.dumps({"mean": normalization.mean, "std": normalization.std}),
        "info": json.dumps(info or {}),
    }
    return write_weights(model, metadata, path)


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file holds: the config, the weights (a state dict), the target
    normalization and the training ``info``."""

    path: Path
    config: SODNetConfig
    weights: dict[str, torch.Tensor]
    normalization: Normalization
    info: dict

    def load_into(self, model: SODNet) -> SODNet:
        """Copy the weights into ``model`` (built from the same config); eval mode."""
        return load_weights(model, self.weights, self.path)


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint without building its model; :class:`CheckpointError` if the file
    cannot be used."""
    path = Path(path)
    metadata, weights = read_weights(path, FORMAT)
    try:
        config = SODNetConfig.from_dict(json.loads(metadata["config"]))
        normalization = Normalization(**json.loads(metadata["normalization"]))
        info = json.loads(metadata.get("info", "{}"))
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(path, f"bad checkpoint metadata ({error})") from None
    check_normalization(normalization, path)
    return Checkpoint(path, config, weights, normalization, info)


def check_normalization(normalization: Normalization, path: str | os.PathLike) -> None:
    """:class:`CheckpointError` naming ``path`` unless the mean is finite and the standard
    deviation finite and positive (ln K)."""
    mean, std = normalization.mean, normalization.std
    if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
        raise CheckpointError(path, f"bad normalization (mean {mean}, std {std} ln K)")


def load_checkpoint(path: str | os.PathLike) -> tuple[SODNet, Normalization, dict]:
    """The model (eval mode), its normalization and info dict; :class:`CheckpointError` if the
    file cannot be used."""
    checkpoint = read_checkpoint(path)
    model = checkpoint.load_into(SODNet(checkpoint.config))
    return model, checkpoint.normalization, checkpoint.info

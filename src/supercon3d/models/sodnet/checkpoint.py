"""SODNet checkpoints: weights in safetensors, config and target normalization in its metadata.

Nothing is unpickled when loading, so a checkpoint from anywhere is safe to open.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from supercon3d.models.sodnet.model import SODNet, SODNetConfig

FORMAT = "supercon3d-sodnet-1"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt or does not match SODNet; one line naming the file."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        super().__init__(f"{path}: {reason}")


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
    path = Path(path)
    metadata = {
        "format": FORMAT,
        "config": json.dumps(model.config.to_dict()),
        "normalization": json.dumps({"mean": normalization.mean, "std": normalization.std}),
        "info": json.dumps(info or {}),
    }
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(state, tmp, metadata=metadata)
    os.replace(tmp, path)
    return path


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
        try:
            model.load_state_dict(self.weights)
        except RuntimeError as error:
            reason = str(error).splitlines()[0]
            raise CheckpointError(
                self.path, f"weights do not match the config ({reason})"
            ) from None
        return model.eval()


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint without building its model; :class:`CheckpointError` if the file
    cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    try:
        with safe_open(path, framework="pt") as handle:
            metadata = handle.metadata() or {}
        weights = load_file(path)
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(path, f"not a readable safetensors file ({error})") from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(path, f"not a SODNet checkpoint (format {metadata.get('format')!r})")
    try:
        config = SODNetConfig.from_dict(json.loads(metadata["config"]))
        normalization = Normalization(**json.loads(metadata["normalization"]))
        info = json.loads(metadata.get("info", "{}"))
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(path, f"bad checkpoint metadata ({error})") from None
    return Checkpoint(path, config, weights, normalization, info)


def load_checkpoint(path: str | os.PathLike) -> tuple[SODNet, Normalization, dict]:
    """The model (eval mode), its normalization and info dict; :class:`CheckpointError` if the
    file cannot be used."""
    checkpoint = read_checkpoint(path)
    model = checkpoint.load_into(SODNet(checkpoint.config))
    return model, checkpoint.normalization, checkpoint.info

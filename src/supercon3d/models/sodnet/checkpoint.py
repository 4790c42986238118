"""SODNet checkpoints: weights in safetensors, config and target normalization in its metadata.

Nothing is unpickled when loading, so a checkpoint from anywhere is safe to open.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from supercon3d.models.sodnet.model import SODNet, SODNetConfig

FORMAT = "supercon3d-sodnet-1"
_BUILT: dict[SODNetConfig, SODNet] = {}


def empty_model(config: SODNetConfig) -> SODNet:
    """A SODNet of ``config`` whose weights are about to be loaded. Building one compiles the
    e3nn tensor-product code (most of a checkpoint's load time), so later models of the same
    config are copies of the first."""
    if config not in _BUILT:
        _BUILT[config] = SODNet(config)
    return copy.deepcopy(_BUILT[config])


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


def load_checkpoint(path: str | os.PathLike) -> tuple[SODNet, Normalization, dict]:
    """The model (eval mode), its normalization and info dict; :class:`CheckpointError` if the
    file cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    try:
        with safe_open(path, framework="pt") as handle:
            metadata = handle.metadata() or {}
        state = load_file(path)
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
    model = empty_model(config)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise CheckpointError(path, f"weights do not match the config ({reason})") from None
    model.eval()
    return model, normalization, info

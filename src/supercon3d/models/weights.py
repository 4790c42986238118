"""Model weights on disk: safetensors files with string metadata. Nothing is unpickled when
loading, so a checkpoint from anywhere is safe to open."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt or does not match its model; one line naming the file."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        super().__init__(f"{path}: {reason}")


def write_weights(model: nn.Module, metadata: dict[str, str], path: str | os.PathLike) -> Path:
    """Write ``model``'s state dict and ``metadata`` to ``path`` atomically."""
    path = Path(path)
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file(state, tmp, metadata=metadata)
    os.replace(tmp, path)
    return path


def read_weights(
    path: str | os.PathLike, expected_format: str
) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The metadata and state dict of a checkpoint whose metadata ``format`` is
    ``expected_format``; :class:`CheckpointError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    try:
        with safe_open(path, framework="pt") as handle:
            metadata = handle.metadata() or {}
        state = load_file(path)
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(path, f"not a readable safetensors file ({error})") from None
    if metadata.get("format") != expected_format:
        raise CheckpointError(
            path, f"not a {expected_format} checkpoint (format {metadata.get('format')!r})"
        )
    return metadata, state


def load_weights(
    model: nn.Module, state: dict[str, torch.Tensor], path: str | os.PathLike
) -> nn.Module:
    """Copy ``state`` into ``model`` (eval mode); :class:`CheckpointError` naming ``path`` if
    they do not match."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise CheckpointError(path, f"weights do not match the config ({reason})") from None
    return model.eval()

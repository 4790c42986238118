"""An untrained tiny SODNet run folder: fast predictions for tests that check what happens to
each file, not the numbers."""

from __future__ import annotations

from pathlib import Path

import torch

from supercon3d.models.sodnet import SODNetConfig
from supercon3d.models.sodnet.checkpoint import Normalization, save_checkpoint
from supercon3d.models.sodnet.model import SODNet

TINY_CONFIG = SODNetConfig(
    lmax=1, scalars=8, vectors=4, blocks=1, heads=2, radial_basis=8, radial_hidden=8,
    readout_hidden=8,
)  # fmt: skip
"""The shipped model's graph settings (k = 16, 8 Å), so graph errors read the same."""
TINY_NORMALIZATION = Normalization(mean=2.0, std=1.0)


def write_tiny_run(folder: Path, folds: int = 2, seed: int = 0) -> Path:
    """``folds`` fold checkpoints of :data:`TINY_CONFIG` with random weights in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for fold in range(folds):
        torch.manual_seed(seed + fold)
        save_checkpoint(SODNet(TINY_CONFIG), TINY_NORMALIZATION, folder / f"fold{fold}.safetensors")
    return folder

"""Generator checkpoints: weights in safetensors, configs and statistics as JSON metadata.

Two kinds share the format: the ``denoiser`` (with the distribution of atoms per cell it was
trained on, from which sampling draws N) and the ``guidance`` Tc predictor (with the ln Tc
normalization of its training split). Nothing is unpickled when loading.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from supercon3d.generation.diffusion import DiffusionConfig
from supercon3d.generation.network import Denoiser, NetworkConfig, TimeDependentTcPredictor
from supercon3d.models.shipped import shipped_generator_dir
from supercon3d.models.sodnet.checkpoint import Normalization, check_normalization
from supercon3d.models.weights import (
    CheckpointError,
    load_weights,
    read_weights,
    verify_files,
    write_weights,
)

FORMAT = "supercon3d-diffcsp-1"
Kind = Literal["denoiser", "guidance"]
NETWORKS: dict[str, type[nn.Module]] = {"denoiser": Denoiser, "guidance": TimeDependentTcPredictor}


@dataclass(frozen=True)
class GeneratorCheckpoint:
    """A trained denoiser or guidance model with what sampling needs besides the weights.

    ``num_atoms``: for a denoiser, how many training cells had N atoms (index N);
    ``normalization``: for a guidance model, the ln Tc mean and std (ln K)."""

    kind: Kind
    model: nn.Module
    diffusion: DiffusionConfig
    num_atoms: list[int] = field(default_factory=list)
    normalization: Normalization | None = None
    info: dict = field(default_factory=dict)

    @property
    def network(self) -> NetworkConfig:
        return self.model.config

    def save(self, path: str | os.PathLike) -> Path:
        """Write the checkpoint atomically to ``path``."""
        metadata = {
            "format": FORMAT,
            "kind": self.kind,
            "network": json.dumps(self.network.to_dict()),
            "diffusion": json.dumps(self.diffusion.to_dict()),
            "num_atoms": json.dumps(self.num_atoms),
            "normalization": json.dumps(
                None if self.normalization is None else vars(self.normalization)
            ),
            "info": json.dumps(self.info),
        }
        return write_weights(self.model, metadata, path)

    @classmethod
    def load(cls, path: str | os.PathLike, kind: Kind | None = None) -> GeneratorCheckpoint:
        """Read a checkpoint (eval mode); :class:`CheckpointError` naming the file if it is
        missing, corrupt (or differs from its folder's manifest, which a shipped generator
        must have), of another kind than ``kind``, or does not match its config."""
        path = Path(path)
        shipped = path.parent.resolve() == shipped_generator_dir().resolve()
        verify_files(path.parent, [], required=shipped)
        metadata, state = read_weights(path, FORMAT)
        found = metadata.get("kind")
        if found not in NETWORKS or (kind is not None and found != kind):
            raise CheckpointError(path, f"a {found!r} checkpoint where {kind!r} was expected")
        try:
            network = NetworkConfig(**json.loads(metadata["network"]))
            diffusion = DiffusionConfig(**json.loads(metadata["diffusion"]))
            num_atoms = json.loads(metadata["num_atoms"])
            normalization = json.loads(metadata["normalization"])
            normalization = None if normalization is None else Normalization(**normalization)
            info = json.loads(metadata["info"])
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(path, f"bad checkpoint metadata ({error})") from None
        if normalization is not None:
            check_normalization(normalization, path)
        return cls(
            kind=found,
            model=load_weights(NETWORKS[found](network), state, path),
            diffusion=diffusion,
            num_atoms=num_atoms,
            normalization=normalization,
            info=info,
        )

    def sample_num_atoms(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` atom counts drawn from the training distribution (denoiser only)."""
        if not any(self.num_atoms):
            raise ValueError("this checkpoint has no atom-count distribution")
        weights = torch.tensor(self.num_atoms, dtype=torch.float64)
        return torch.multinomial(weights, n, replacement=True, generator=generator)

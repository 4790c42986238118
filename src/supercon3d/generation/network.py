"""The periodic E(3)-invariant message-passing network of DiffCSP (CSPNet) and its two heads:
the denoiser and the time-dependent Tc predictor used for guidance.

Every atom pair of a cell exchanges a message built from both atoms' states, the lattice's
inner-product matrix L Lᵀ (invariant to rotating the frame) and Fourier features of the
fractional-coordinate difference (periodic, so invariant to shifting all atoms mod 1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch_geometric.utils import scatter

from supercon3d.generation.crystal import MAX_ATOMIC_NUMBER, all_pairs
from supercon3d.graphs.elements import element_table


@dataclass(frozen=True)
class NetworkConfig:
    """Width, depth and input features of the network.

    ``frequencies``: Fourier features sin/cos(2πk Δf), k = 1..frequencies, per axis;
    ``lattice_scale`` (Å): inner products enter divided by its square.
    """

    hidden: int = 128
    layers: int = 4
    frequencies: int = 16
    time_features: int = 64
    lattice_scale: float = 10.0

    def to_dict(self) -> dict:
        return asdict(self)


def fourier_features(delta: torch.Tensor, frequencies: int) -> torch.Tensor:
    """sin and cos of 2πk·Δf for k = 1..frequencies: (E, 3) -> (E, 6 x frequencies)."""
    k = 2.0 * math.pi * torch.arange(1, frequencies + 1, dtype=delta.dtype, device=delta.device)
    angles = delta[..., None] * k
    return torch.cat([angles.sin(), angles.cos()], dim=-1).flatten(1)


def time_features(t: torch.Tensor, size: int) -> torch.Tensor:
    """Sinusoidal embedding of diffusion times t in [0, 1]: (B,) -> (B, size)."""
    half = size // 2
    rates = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device) / half)
    angles = 1000.0 * t[:, None].float() * rates
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class PeriodicMessageLayer(nn.Module):
    """One CSPNet layer: h_i <- h_i + φ_h(h_i, mean_j φ_m(h_i, h_j, L Lᵀ, ψ(f_j - f_i))).

    The first linear map of φ_m is split by input, so the node and lattice parts are computed
    once per atom and per crystal rather than once per pair."""

    def __init__(self, hidden: int, pair_features: int, lattice_features: int = 9):
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.receiver = nn.Linear(hidden, hidden)
        self.sender = nn.Linear(hidden, hidden, bias=False)
        self.lattice = nn.Linear(lattice_features, hidden, bias=False)
        self.pair = nn.Linear(pair_features, hidden, bias=False)
        self.message = nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.update = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU()
        )

    def forward(
        self,
        h: torch.Tensor,
        edge_index: torch.Tensor,
        pair: torch.Tensor,
        lattice: torch.Tensor,
        batch: torch.Tensor,
    ) -> torch.Tensor:
        i, j = edge_index
        x = self.norm(h)
        per_atom = self.receiver(x) + self.lattice(lattice)[batch]
        messages = self.message(per_atom[i] + self.sender(x)[j] + self.pair(pair))
        received = scatter(messages, i, dim=0, dim_size=h.shape[0], reduce="mean")
        return h + self.update(torch.cat([x, received], dim=-1))


class CrystalEncoder(nn.Module):
    """Atom states of a noisy crystal: types (N, 100) as continuous vectors, frac (N, 3),
    lattice (B, 3, 3) Å, diffusion time t (B,) in [0, 1].

    An atom enters as its type vector, the same vector times the table of 22 standardized
    Magpie element properties (element knowledge shared between neighbouring elements) and
    the time embedding."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        hidden = config.hidden
        table = torch.as_tensor(element_table("magpie")[:MAX_ATOMIC_NUMBER])
        self.register_buffer("element_properties", table)
        self.embed = nn.Linear(MAX_ATOMIC_NUMBER + table.shape[1] + config.time_features, hidden)
        self.layers = nn.ModuleList(
            PeriodicMessageLayer(hidden, 6 * config.frequencies) for _ in range(config.layers)
        )
        self.norm = nn.LayerNorm(hidden)

    def forward(
        self,
        types: torch.Tensor,
        frac: torch.Tensor,
        lattice: torch.Tensor,
        t: torch.Tensor,
        batch: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Atom states (N, hidden) and their mean per crystal (B, hidden)."""
        edge_index = all_pairs(batch)
        i, j = edge_index
        pair = fourier_features(frac[j] - frac[i], self.config.frequencies)
        inner = (lattice @ lattice.transpose(1, 2)).flatten(1) / self.config.lattice_scale**2
        time = time_features(t, self.config.time_features)[batch]
        properties = types @ self.element_properties
        h = self.embed(torch.cat([types, properties, time], dim=-1))
        for layer in self.layers:
            h = layer(h, edge_index, pair, inner, batch)
        h = self.norm(h)
        return h, scatter(h, batch, dim=0, dim_size=lattice.shape[0], reduce="mean")


class Denoiser(nn.Module):
    """Predicts, from a noisy crystal, the clean lattice (B, 3, 3) Å, the score of the
    fractional coordinates (N, 3; standardized by the noise level) and the logits of the clean
    atom types (N, 100); :mod:`~supercon3d.generation.diffusion` turns the clean-lattice and
    clean-type predictions into the noise that each reverse step removes.

    The lattice output is M L with M from the crystal's pooled invariant state, so it rotates
    with L; the other outputs are invariant."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        self.encoder = CrystalEncoder(config)
        self.lattice_head = nn.Linear(config.hidden, 9)
        self.frac_head = nn.Linear(config.hidden, 3, bias=False)
        self.type_head = nn.Linear(config.hidden, MAX_ATOMIC_NUMBER)

    def forward(
        self,
        types: torch.Tensor,
        frac: torch.Tensor,
        lattice: torch.Tensor,
        t: torch.Tensor,
        batch: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h, pooled = self.encoder(types, frac, lattice, t, batch)
        mix = self.lattice_head(pooled).view(-1, 3, 3)
        return mix @ lattice, self.frac_head(h), self.type_head(h)


class TimeDependentTcPredictor(nn.Module):
    """ln Tc (standardized) of a noisy crystal at diffusion time t: the guidance model."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        self.encoder = CrystalEncoder(config)
        self.head = nn.Sequential(
            nn.Linear(config.hidden, config.hidden), nn.SiLU(), nn.Linear(config.hidden, 1)
        )

    def forward(
        self,
        types: torch.Tensor,
        frac: torch.Tensor,
        lattice: torch.Tensor,
        t: torch.Tensor,
        batch: torch.Tensor,
    ) -> torch.Tensor:
        _, pooled = self.encoder(types, frac, lattice, t, batch)
        return self.head(pooled).squeeze(-1)

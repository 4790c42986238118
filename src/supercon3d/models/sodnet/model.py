"""SODNet: an equivariant graph attention transformer predicting standardized ln Tc.

A site's input is the occupancy-weighted sum of its species' element vectors (fixed Magpie
properties and a learned embedding) plus its total occupancy. Edges carry a Bessel radial
basis of their length (Å, smooth cutoff) multiplied by the product of the two sites' total
occupancies, and spherical harmonics of their direction up to ``lmax``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from e3nn import o3
from e3nn.math import soft_one_hot_linspace
from torch import nn
from torch_geometric.utils import scatter

from supercon3d.graphs.elements import MAX_Z, element_table
from supercon3d.models.sodnet.layers import EquivariantLayerNorm, TransformerBlock


@dataclass(frozen=True)
class SODNetConfig:
    """Architecture and graph settings of a SODNet.

    ``scalars``/``vectors``/``tensors`` are the channel counts of the l = 0, 1, 2 node irreps
    (l > ``lmax`` are dropped). The ablation switches: ``occupancy_nodes`` False embeds each
    site as its majority species with occupancy 1; ``occupancy_edges`` False sets every edge
    weight to 1; ``lmax`` 0 gives the invariant-only network.
    """

    lmax: int = 2
    scalars: int = 64
    vectors: int = 16
    tensors: int = 8
    blocks: int = 3
    heads: int = 4
    radial_basis: int = 16
    radial_hidden: int = 64
    readout_hidden: int = 64
    k: int = 16
    cutoff: float = 8.0
    embedding: str = "magpie"
    occupancy_nodes: bool = True
    occupancy_edges: bool = True
    composition_prior: bool = False

    @property
    def irreps_node(self) -> o3.Irreps:
        channels = (self.scalars, self.vectors, self.tensors)
        parts = [(channels[deg], (deg, (-1) ** deg)) for deg in range(min(self.lmax, 2) + 1)]
        return o3.Irreps([(mul, ir) for mul, ir in parts if mul > 0])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> SODNetConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown SODNet config keys: {', '.join(unknown)}")
        return cls(**values)


class SODNet(nn.Module):
    """Predicts standardized ln Tc from a batch of :class:`~supercon3d.graphs.CrystalGraph`."""

    def __init__(self, config: SODNetConfig = SODNetConfig()):
        super().__init__()
        self.config = config
        irreps_node = config.irreps_node
        self.irreps_sh = o3.Irreps.spherical_harmonics(config.lmax)
        table = torch.as_tensor(element_table(config.embedding), dtype=torch.float32)
        self.register_buffer("element_properties", table)
        self.species_embedding = nn.Linear(MAX_Z, config.scalars, bias=False)
        self.property_embedding = nn.Linear(table.shape[1] + 1, config.scalars)
        self.to_irreps = o3.Linear(o3.Irreps(f"{config.scalars}x0e"), irreps_node)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                irreps_node,
                self.irreps_sh,
                config.radial_basis,
                config.radial_hidden,
                config.heads,
            )  # fmt: skip
            for _ in range(config.blocks)
        )
        self.norm = EquivariantLayerNorm(irreps_node)
        self.readout = nn.Sequential(
            nn.Linear(config.scalars, config.readout_hidden),
            nn.SiLU(),
            nn.Linear(config.readout_hidden, 1),
        )

    def site_inputs(self, species: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Species occupancies (n, 103) as the network sees them, and site occupancies (n,)."""
        if not self.config.occupancy_nodes:
            species = nn.functional.one_hot(species.argmax(dim=1), MAX_Z).to(species.dtype)
        return species, species.sum(dim=1)

    def edge_features(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Spherical harmonics of the edge directions and occupancy-weighted radial basis."""
        length = batch.edge_len.clamp_min(1e-4)  # coincident atoms: no direction, finite radial
        unit = batch.edge_vec / length[:, None]
        sh = o3.spherical_harmonics(
            self.irreps_sh, unit, normalize=False, normalization="component"
        )
        radial = (
            soft_one_hot_linspace(
                length,
                0.0,
                self.config.cutoff,
                self.config.radial_basis,
                basis="bessel",
                cutoff=True,
            )
            * self.config.radial_basis**0.5
        )
        if self.config.occupancy_edges:
            source, target = batch.edge_index
            radial = radial * (batch.occupancy[source] * batch.occupancy[target])[:, None]
        return sh, radial

    def forward(self, batch, return_attention: bool = False):
        """Standardized ln Tc per graph of a torch_geometric ``Batch`` (B,); with
        ``return_attention`` also the last block's attention weights (E, heads)."""
        species, occupancy = self.site_inputs(batch.species)
        properties = torch.cat([species @ self.element_properties, occupancy[:, None]], dim=1)
        x = self.to_irreps(self.species_embedding(species) + self.property_embedding(properties))
        sh, radial = self.edge_features(batch)
        alpha = None
        for block in self.blocks:
            x, alpha = block(x, batch.edge_index, sh, radial)
        scalars = self.norm(x)[:, : self.config.scalars]
        pooled = scatter(scalars, batch.batch, dim=0, dim_size=batch.num_graphs, reduce="mean")
        prediction = self.readout(pooled).squeeze(-1)
        return (prediction, alpha) if return_attention else prediction

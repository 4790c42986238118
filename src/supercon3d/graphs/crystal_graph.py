"""Disorder-aware periodic crystal graphs.

Nodes are sites. A node's features are the occupancy-weighted sum of its species' element
vectors (:mod:`supercon3d.graphs.elements`) followed by the site's total occupancy. Edges join
every site to its k nearest neighbours within the cutoff under periodic boundaries; each edge
carries the vector from the centre to the neighbour's image (Å), its length (Å) and a weight,
the product of the two sites' total occupancies.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from pymatgen.core import Composition, Element, Structure
from torch_geometric.data import Data

from supercon3d.defaults import GRAPH_CUTOFF_ANGSTROM, GRAPH_NEIGHBOURS
from supercon3d.errors import SuperCon3DError
from supercon3d.graphs.elements import EMBEDDINGS, element_table, occupancy_row
from supercon3d.graphs.neighbors import MAX_SEARCH_CUBES, knn_edges, search_cubes

GRAPH_FORMAT_VERSION = 2  # 2: ties in the k-th neighbour shell broken by index, then image
MAX_NEIGHBOUR_PAIRS = 2_000_000
"""Most site pairs within the cutoff that a graph's neighbour search may list, estimated before
it runs (:func:`expected_neighbour_pairs`): pymatgen holds about 100 bytes per pair, so about
200 MB at the limit. SuperCon3D's densest cell (Li1P2H14) has 1.5 million at 8 Å; one Nb atom in
a 0.1 Å cell would have 2.1 million and took 1.2 GB."""


@dataclass(frozen=True)
class GraphSettings:
    """How graphs are built: ``k`` neighbours per site within ``cutoff`` (Å)."""

    k: int = GRAPH_NEIGHBOURS
    cutoff: float = GRAPH_CUTOFF_ANGSTROM
    embedding: str = "magpie"

    def __post_init__(self) -> None:
        if self.k < 1 or self.cutoff <= 0:
            raise ValueError(f"k must be >= 1 and cutoff > 0, got k={self.k}, cutoff={self.cutoff}")
        if self.embedding not in EMBEDDINGS:
            raise ValueError(f"embedding must be one of {EMBEDDINGS}, got {self.embedding!r}")

    def digest(self) -> str:
        """A short hash of these settings and the graph format (names the cache folder)."""
        payload = json.dumps({**asdict(self), "format": GRAPH_FORMAT_VERSION}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class GraphBuildError(SuperCon3DError, ValueError):
    """A structure could not be turned into a graph; the message names it in one line."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self) -> tuple:
        return type(self), (self.source, self.reason)


class CrystalGraph(Data):
    """A periodic crystal graph (torch_geometric ``Data``); batches with ``Batch``.

    Attributes: ``x`` (n, d+1) node features; ``species`` (n, 103) occupancy of each element
    on each site; ``occupancy`` (n,) total site occupancy; ``pos`` (n, 3) Cartesian positions
    (Å); ``lattice`` (1, 3, 3) lattice vectors as rows (Å); ``edge_index`` (2, E) as
    (neighbour, centre), so messages flow to the centre; ``edge_shift`` (E, 3) the lattice
    translation of the neighbour's image; ``edge_vec`` (E, 3) = pos[neighbour] +
    edge_shift @ lattice - pos[centre] (Å); ``edge_len`` (E,) (Å); ``edge_weight`` (E,)
    product of the two sites' occupancies; ``name`` the source.
    """

    TENSOR_KEYS = (
        "x", "species", "occupancy", "pos", "lattice",
        "edge_index", "edge_shift", "edge_vec", "edge_len", "edge_weight",
    )  # fmt: skip

    def to_arrays(self) -> dict:
        """Plain tensors and the name, for saving with ``torch.save`` (loads with weights_only)."""
        return {"name": self.name, **{key: self[key] for key in self.TENSOR_KEYS}}

    def composition(self) -> Composition:
        """The cell's composition: the occupancies of each element summed over sites."""
        totals = self.species.sum(dim=0).double()
        return Composition(
            {Element.from_Z(int(z) + 1): float(totals[z]) for z in totals.nonzero().flatten()}
        )

    @classmethod
    def from_arrays(cls, arrays: dict) -> CrystalGraph:
        tensors = {key: torch.as_tensor(arrays[key]) for key in cls.TENSOR_KEYS}
        return cls(name=arrays["name"], num_nodes=tensors["pos"].shape[0], **tensors)


def expected_neighbour_pairs(structure: Structure, cutoff: float) -> float:
    """Site pairs within ``cutoff`` (Å) if the sites were spread evenly over the cell: each site
    sees the site density times the sphere's volume, n² (4/3 π cutoff³) / V."""
    return len(structure) ** 2 * (4 / 3) * math.pi * cutoff**3 / structure.volume


def graph_arrays(structure: Structure, settings: GraphSettings, name: str) -> dict:
    """The arrays of a structure's graph (numpy), see :class:`CrystalGraph`."""
    try:
        species = np.stack([occupancy_row(site.species) for site in structure])
    except ValueError as error:
        raise GraphBuildError(name, str(error)) from None
    occupancy = species.sum(axis=1)
    x = np.concatenate([species @ element_table(settings.embedding), occupancy[:, None]], axis=1)

    if not np.isfinite(structure.lattice.matrix).all() or not structure.volume > 0:
        raise GraphBuildError(name, "the lattice is not finite or has no volume")
    pairs = expected_neighbour_pairs(structure, settings.cutoff)
    if pairs > MAX_NEIGHBOUR_PAIRS:
        raise GraphBuildError(
            name, f"too dense for a neighbour search: about {pairs:.2g} site pairs within "
            f"{settings.cutoff:g} Å ({len(structure)} sites in {structure.volume:.3g} Å³), at most "
            f"{MAX_NEIGHBOUR_PAIRS:,}",
        )  # fmt: skip
    cubes = search_cubes(structure, settings.cutoff)
    if cubes > MAX_SEARCH_CUBES:
        raise GraphBuildError(
            name, f"cell too large or too skewed for a neighbour search ({cubes:.2g} cubes of "
            f"{settings.cutoff:g} Å in its bounding box, at most {MAX_SEARCH_CUBES:,})",
        )  # fmt: skip
    center, neighbor, image, distance = knn_edges(structure, settings.k, settings.cutoff)
    lonely = np.setdiff1d(np.arange(len(structure)), center)
    if len(lonely):
        raise GraphBuildError(
            name, f"site {lonely[0]} has no neighbour within the {settings.cutoff:g} Å cutoff"
        )
    lattice = structure.lattice.matrix
    frac = structure.frac_coords
    edge_vec = (frac[neighbor] + image - frac[center]) @ lattice
    return {
        "name": name,
        "x": x.astype(np.float32),
        "species": species.astype(np.float32),
        "occupancy": occupancy.astype(np.float32),
        "pos": structure.cart_coords.astype(np.float32),
        "lattice": lattice[None].astype(np.float32),
        "edge_index": np.stack([neighbor, center]),
        "edge_shift": image.astype(np.float32),
        "edge_vec": edge_vec.astype(np.float32),
        "edge_len": distance.astype(np.float32),
        "edge_weight": (occupancy[neighbor] * occupancy[center]).astype(np.float32),
    }


def structure_to_graph(
    structure: Structure, settings: GraphSettings = GraphSettings(), name: str = "structure"
) -> CrystalGraph:
    """The disorder-aware crystal graph of ``structure``; :class:`GraphBuildError` if impossible."""
    return CrystalGraph.from_arrays(graph_arrays(structure, settings, name))

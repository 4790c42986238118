"""Ordered crystals as tensors for the generator: lattice L (Å), fractional coordinates F and
atomic numbers A, batched as torch_geometric graphs.

A lattice is a 3 x 3 matrix whose rows are the cell vectors (pymatgen's convention), so a
rotation R of the frame acts as L -> L Rᵀ and leaves F and the inner products L Lᵀ unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from pymatgen.core import Lattice, Structure
from torch_geometric.data import Batch, Data

MAX_ATOMIC_NUMBER = 100
"""Atom types are one-hot vectors over Z = 1..100."""


def crystal_data(structure: Structure) -> Data:
    """One ordered structure as a graph in its Niggli-reduced cell: ``lattice`` (1, 3, 3) Å,
    ``frac`` (N, 3) in [0, 1), ``z`` (N,) atomic numbers. Raises ValueError for a disordered
    site or Z > 100."""
    if not structure.is_ordered:
        raise ValueError("the generator handles ordered structures only")
    structure = structure.get_reduced_structure()
    z = torch.tensor([site.species.elements[0].Z for site in structure], dtype=torch.long)
    if int(z.max()) > MAX_ATOMIC_NUMBER:
        raise ValueError(f"element with Z > {MAX_ATOMIC_NUMBER} in {structure.formula}")
    frac = torch.tensor(np.mod(structure.frac_coords, 1.0), dtype=torch.float32)
    lattice = torch.tensor(structure.lattice.matrix, dtype=torch.float32)[None]
    return Data(lattice=lattice, frac=frac, z=z, num_nodes=len(structure))


def batch_crystals(structures: Sequence[Structure]) -> Batch:
    """Several structures as one ``Batch`` (``batch`` maps atoms to crystals)."""
    return Batch.from_data_list([crystal_data(s) for s in structures])


def to_structure(lattice: torch.Tensor, frac: torch.Tensor, z: torch.Tensor) -> Structure:
    """A pymatgen structure from one crystal's lattice (3, 3) Å, frac (N, 3) and Z (N,)."""
    return Structure(
        Lattice(lattice.detach().double().numpy()),
        z.tolist(),
        np.mod(frac.detach().double().numpy(), 1.0),
    )


def to_structures(
    lattice: torch.Tensor, frac: torch.Tensor, z: torch.Tensor, batch: torch.Tensor
) -> list[Structure]:
    """Split batched tensors (lattice (B, 3, 3), per-atom frac and Z) into structures."""
    counts = torch.bincount(batch, minlength=lattice.shape[0]).tolist()
    fracs, zs = frac.split(counts), z.split(counts)
    return [to_structure(lattice[i], fracs[i], zs[i]) for i in range(lattice.shape[0])]


def all_pairs(batch: torch.Tensor) -> torch.Tensor:
    """Edge index (2, sum N_b²) of every ordered atom pair (i, j) inside each crystal,
    self-pairs included; ``batch`` must be sorted, as torch_geometric makes it."""
    counts = torch.bincount(batch)
    starts = torch.cumsum(counts, 0) - counts
    per_pair = counts.repeat_interleave(counts)  # for every atom i: N of its crystal
    source = torch.arange(batch.numel(), device=batch.device).repeat_interleave(per_pair)
    pair_start = torch.cumsum(per_pair, 0) - per_pair
    pair_offset = pair_start.repeat_interleave(per_pair)
    offset = torch.arange(source.numel(), device=batch.device) - pair_offset
    target = starts[batch].repeat_interleave(per_pair) + offset
    return torch.stack([source, target])

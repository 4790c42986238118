"""Per-element feature vectors used to embed a site's species.

Three embeddings, each indexed by atomic number Z = 1..103 (row Z - 1):

- ``magpie`` (default): the 22 elemental properties of matminer's Magpie preset (atomic
  number, Mendeleev number, weight, melting point, column, row, covalent radius,
  electronegativity, s/p/d/f valence and unfilled-shell counts, DFT volume per atom, band gap,
  magnetic moment and ground-state space group), each standardized to zero mean and unit
  variance over the 103 elements. Generated from the element data matminer ships; nothing is
  downloaded.
- ``onehot``: the 103 × 103 identity.
- ``chgnet``: the 64-dimensional atom embedding of the pretrained CHGNet (version
  :data:`~supercon3d.pretrained.CHGNET_MODEL`, weights inside the ``chgnet`` wheel, a core
  dependency, read as tensors only: :func:`~supercon3d.pretrained.chgnet_checkpoint`),
  learnt from 1.5 million DFT calculations of the Materials Project trajectories; each
  column standardized over its 94 elements (H to Pu); Am to Lr, outside CHGNet, get zeros
  here, and the input contract refuses them at every door
  (:data:`~supercon3d.data.contract.MAX_MODELLED_ATOMIC_NUMBER`).

A site's embedding is the occupancy-weighted sum of its species' vectors, so a 50/50 site
gets the mean of two elements and a half-occupied site half of one.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from pymatgen.core import Composition

from supercon3d.errors import SuperCon3DError
from supercon3d.pretrained import CHGNET_MODEL, chgnet_checkpoint

MAX_Z = 103
MAGPIE_PROPERTIES: tuple[str, ...] = (
    "Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row",
    "CovalentRadius", "Electronegativity", "NsValence", "NpValence", "NdValence",
    "NfValence", "NValence", "NsUnfilled", "NpUnfilled", "NdUnfilled", "NfUnfilled",
    "NUnfilled", "GSvolume_pa", "GSbandgap", "GSmagmom", "SpaceGroupNumber",
)  # fmt: skip
EMBEDDINGS: tuple[str, ...] = ("magpie", "onehot", "chgnet")
CHGNET_EMBEDDING = "atom_embedding.embedding.weight"
"""The checkpoint tensor holding CHGNet's (94, 64) atom embedding."""


class UnknownElementError(SuperCon3DError, ValueError):
    """A species outside the embedding's elements (Z > 103, or a dummy species)."""


@cache
def element_table(embedding: str = "magpie") -> np.ndarray:
    """The (103, d) float32 table of element feature vectors; row Z - 1 is element Z."""
    if embedding == "onehot":
        return np.eye(MAX_Z, dtype=np.float32)
    if embedding == "chgnet":
        return _chgnet_table()
    if embedding != "magpie":
        raise ValueError(f"unknown element embedding {embedding!r}; choose from {EMBEDDINGS}")
    from matminer.utils.data import MagpieData

    properties = MagpieData().all_elemental_props
    table = np.array(
        [[float(v) for v in list(properties[name].values())[:MAX_Z]] for name in MAGPIE_PROPERTIES],
        dtype=np.float64,
    ).T
    table = (table - table.mean(axis=0)) / table.std(axis=0)
    return table.astype(np.float32)


def _chgnet_table() -> np.ndarray:
    """CHGNet's pretrained atom embedding, standardized per column, zero-padded to Z = 103."""
    weights = chgnet_checkpoint(CHGNET_MODEL)["state_dict"][CHGNET_EMBEDDING]
    learnt = weights.detach().double().numpy()
    table = np.zeros((MAX_Z, learnt.shape[1]))
    table[: len(learnt)] = (learnt - learnt.mean(axis=0)) / learnt.std(axis=0)
    return table.astype(np.float32)


def occupancy_row(species: Composition) -> np.ndarray:
    """A site's occupancies as a length-103 vector over Z (oxidation states dropped)."""
    row = np.zeros(MAX_Z, dtype=np.float32)
    for element, amount in species.element_composition.items():
        z = getattr(element, "Z", None)
        if z is None or not 1 <= z <= MAX_Z:
            raise UnknownElementError(f"element {element} is outside the embedding (Z 1..{MAX_Z})")
        row[z - 1] += amount
    return row

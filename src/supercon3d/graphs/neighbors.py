"""k-nearest-neighbour edges of a periodic structure, vectorised."""

from __future__ import annotations

import itertools

import numpy as np
from pymatgen.core import Structure

MAX_SEARCH_CUBES = 1_000_000
"""Most cubes :func:`search_cubes` may count: pymatgen's neighbour search allocates memory for
each (about 80 bytes), so a degenerate cell thousands of Å long would ask for hundreds of GB;
the largest SuperCon3D cell needs 160 at an 8 Å cutoff."""

TIE_TOLERANCE = 1e-6
"""Distances (Å) that round to the same multiple of this are one shell when ranking neighbours:
symmetry-equivalent neighbours differ by rounding noise (about 1e-15 Å) that depends on the
library versions, and a high-symmetry site (YH9's Y: 20 neighbours at 3.096 Å) has its k-th
neighbour inside such a shell."""


def search_cubes(structure: Structure, cutoff: float) -> float:
    """Cubes of edge ``cutoff`` (Å) that tile the cell's bounding box grown by ``cutoff`` on
    every side: the grid that pymatgen's neighbour search builds."""
    corners = np.array(list(itertools.product((0, 1), repeat=3))) @ structure.lattice.matrix
    extent = corners.max(axis=0) - corners.min(axis=0) + 2 * cutoff
    return float(np.prod(np.ceil(extent / cutoff)))


def knn_edges(
    structure: Structure, k: int, cutoff: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The k nearest neighbours of every site within ``cutoff`` (Å) under periodic boundaries.

    Returns ``(center, neighbor, image, distance)``: index arrays, the integer lattice
    translation (E, 3) of the neighbour's image, and the distance (Å). Periodic images of
    a site itself are neighbours like any other; the site itself at zero distance is not.
    Rows are sorted by center, then distance; distances that round to the same multiple of
    :data:`TIE_TOLERANCE` are ties, broken by neighbour index and then image, so that which
    members of a shell cut by ``k`` are kept does not depend on pymatgen's search order or on
    rounding noise.
    """
    center, neighbor, image, distance = structure.get_neighbor_list(r=cutoff, exclude_self=True)
    image = np.rint(image).astype(np.int64)
    shell = np.round(distance / TIE_TOLERANCE)
    order = np.lexsort((image[:, 2], image[:, 1], image[:, 0], neighbor, shell, center))
    center, neighbor, image, distance = (
        center[order],
        neighbor[order],
        image[order],
        distance[order],
    )
    counts = np.bincount(center, minlength=len(structure))
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(len(center)) - first[center]
    keep = rank < k
    return (
        center[keep].astype(np.int64),
        neighbor[keep].astype(np.int64),
        image[keep],
        distance[keep].astype(np.float64),
    )

"""Disorder-aware periodic crystal graphs, batched with torch_geometric."""

from supercon3d.graphs.cache import GraphSet, graphs_from_cifs
from supercon3d.graphs.crystal_graph import (
    CrystalGraph,
    GraphBuildError,
    GraphSettings,
    structure_to_graph,
)
from supercon3d.graphs.elements import UnknownElementError, element_table

__all__ = [
    "CrystalGraph",
    "GraphBuildError",
    "GraphSet",
    "GraphSettings",
    "UnknownElementError",
    "element_table",
    "graphs_from_cifs",
    "structure_to_graph",
]

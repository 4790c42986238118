"""SuperCon3D at a glance: the dataset's counts and Tc range with the sizes of its graphs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from supercon3d.data.taxonomy import DisorderTolerances
from supercon3d.defaults import GRAPH_CUTOFF_ANGSTROM, GRAPH_NEIGHBOURS
from supercon3d.progress import ProgressFactory, no_progress

HISTOGRAM_FILE = "tc_histogram.png"


@dataclass
class DatasetSummary:
    """``summary``: the counts per family and disorder class, Tc range (K), sites per cell,
    the graphs' sizes and the Tc histogram's path; one line per CIF that could not be read
    (``unreadable``) or turned into a graph (``no_graph``)."""

    summary: dict
    unreadable: list[str]
    no_graph: list[str]


def supercon3d_summary(
    data: str | os.PathLike | None = None,
    *,
    k: int = GRAPH_NEIGHBOURS,
    cutoff: float = GRAPH_CUTOFF_ANGSTROM,
    tolerances: DisorderTolerances = DisorderTolerances(),
    out: str | os.PathLike = Path("runs/data"),
    progress: ProgressFactory = no_progress,
) -> DatasetSummary:
    """SuperCon3D's statistics (:func:`supercon3d.data.stats.dataset_stats`, disorder
    classes with ``tolerances``), the sizes of its graphs (``k`` neighbours within ``cutoff``
    Å: nodes and edges, total, mean, max) and the Tc histogram per family written to
    ``out``."""
    import numpy as np

    from supercon3d.data.stats import dataset_stats, tc_histogram
    from supercon3d.data.supercon3d import load_dataset
    from supercon3d.graphs import GraphSettings, graphs_from_cifs
    from supercon3d.settings import dataset_path

    dataset = load_dataset(data, progress=progress, tolerances=tolerances)
    cif_dir = dataset_path("supercon3d/cif", data)
    with progress("graphs", len(dataset)) as advance:
        graph_set = graphs_from_cifs(
            [cif_dir / e.id for e in dataset.entries], GraphSettings(k=k, cutoff=cutoff),
            progress=advance,
        )  # fmt: skip
    summary = dataset_stats(dataset)
    nodes = np.array([g.num_nodes for g in graph_set.graphs])
    edges = np.array([g.num_edges for g in graph_set.graphs])
    summary["graphs"] = {
        "k": k,
        "cutoff_angstrom": cutoff,
        "built": len(graph_set.graphs),
        "nodes_total": int(nodes.sum()),
        "nodes_mean": float(nodes.mean()),
        "nodes_max": int(nodes.max()),
        "edges_total": int(edges.sum()),
        "edges_mean": float(edges.mean()),
        "edges_max": int(edges.max()),
    }
    summary["histogram_png"] = str(tc_histogram(dataset, Path(out) / HISTOGRAM_FILE))
    return DatasetSummary(
        summary, [str(f) for f in dataset.failures], [str(f) for f in graph_set.failures]
    )

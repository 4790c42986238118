"""Loading SuperCon3D and its graphs for a command, with progress bars and skipped files."""

from __future__ import annotations

import os

from supercon3d.cli.progress import progress_bar, report_failures
from supercon3d.data.supercon3d import SuperCon3D, load_supercon3d, read_tc_table
from supercon3d.data.taxonomy import DisorderTolerances
from supercon3d.graphs import GraphSettings
from supercon3d.models.composition import MagpieBooster
from supercon3d.training.sodnet import TrainingSet, training_set


def load_dataset(
    data: str | os.PathLike | None, tolerances: DisorderTolerances = DisorderTolerances()
) -> SuperCon3D:
    """All SuperCon3D entries; unreadable CIFs are listed on stderr and skipped."""
    with progress_bar("reading CIFs", len(read_tc_table(data))) as advance:
        dataset = load_supercon3d(data, progress=advance, tolerances=tolerances)
    report_failures(dataset.failures, "CIFs")
    return dataset


def load_training_set(
    dataset: SuperCon3D,
    settings: GraphSettings,
    data: str | os.PathLike | None,
    prior: MagpieBooster | None = None,
) -> TrainingSet:
    """The entries' graphs (from the cache when built before); failures listed and skipped."""
    with progress_bar("building graphs", len(dataset)) as advance:
        graphs, failures = training_set(dataset, settings, data, advance, prior)
    report_failures(failures, "graphs")
    return graphs

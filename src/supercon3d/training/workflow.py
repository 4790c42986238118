"""Training SODNet fold models into a run folder and blending them with composition models:
the dataset and its graphs loaded, the folds trained (resumable), the wall time recorded."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    from supercon3d.data.supercon3d import SuperCon3D
    from supercon3d.evaluation.folds import FoldAssignment
    from supercon3d.graphs import GraphSettings
    from supercon3d.models.composition import MagpieBooster
    from supercon3d.training.config import RunConfig
    from supercon3d.training.sodnet import TrainingSet

DEFAULT_TRAIN_CONFIG = "cpu"
DEFAULT_TRAIN_WORKERS = 2
WALL_TIMES_FILE = "wall_times.jsonl"
"""One line per training call in a run folder: folds, workers and wall time (s)."""


def load_graphs(
    dataset: SuperCon3D,
    settings: GraphSettings,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
    prior: MagpieBooster | None = None,
) -> tuple[TrainingSet, list[ValueError]]:
    """The entries' graphs (cached on disk) and the entries that failed."""
    from supercon3d.training.sodnet import training_set

    with progress("building graphs", len(dataset)) as advance:
        return training_set(dataset, settings, data, advance, prior)


def _add_extra_structures(
    graphs: TrainingSet,
    dataset: SuperCon3D,
    assignment: FoldAssignment,
    fold_ids: Sequence[int],
    settings: GraphSettings,
    run: RunConfig,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
) -> list[ValueError]:
    """Put the 3DSC graphs into ``graphs`` with the names each of ``fold_ids`` may train on;
    returns the files that failed to build."""
    from supercon3d.training.extra_structures import labelled_3dsc_index, load_extra_structures

    index = labelled_3dsc_index(data, run.ambient)
    with progress("building 3DSC graphs", len(index)) as advance:
        extra, failures = load_extra_structures(index, settings, advance)
    by_id = {entry.id: entry for entry in dataset.entries}
    graphs.extra = extra.graphs
    for fold in fold_ids:
        split = assignment.split(fold)
        val, test = ([by_id[i] for i in ids if i in by_id] for ids in (split.val, split.test))
        graphs.extra_by_fold[fold] = extra.allowed(val, test, run.split)
    return failures


def train_command(split: str) -> str:
    """The command that trains the ``cpu`` configuration's fold models on ``split``."""
    from supercon3d.training.prior import PRIOR_SPLITS

    ablation = "" if split in PRIOR_SPLITS else " --ablation no-prior"
    return f"supercon3d train --config cpu{ablation} --split {split} --fold all"


@dataclass
class Training:
    """Trained fold models in ``run_dir``: one summary per fold (best epoch, validation MAE
    in ln K, seconds), the wall time (s) and the entries ``skipped`` (one line each)."""

    run_dir: Path
    folds: list[dict]
    wall_seconds: float
    skipped: list[str]


def train_run(
    run_dir: str | os.PathLike,
    *,
    config: str | RunConfig = DEFAULT_TRAIN_CONFIG,
    folds: Sequence[int] | None = None,
    overrides: Mapping[str, object] | None = None,
    workers: int = DEFAULT_TRAIN_WORKERS,
    data: str | os.PathLike | None = None,
    report: Callable[[dict], None] | None = None,
    progress: ProgressFactory = no_progress,
    split: str | None = None,
) -> Training:
    """Train SODNet fold models into ``run_dir`` (resumable: a run started again goes on).

    ``config``: a named configuration (``cpu``, ``paper``; the run is named after its folder)
    or a RunConfig; ``overrides``: fields of the model, the schedule or the run; ``split``:
    the cross-validation split whose folds are trained (default: the configuration's),
    recorded in the run's ``config.json``; a folder trained on another split is refused
    (``RunFolderError``); ``folds``: default all of the split's; ``workers``: folds trained
    at once; ``report``: called with each epoch's report."""
    from supercon3d.data.supercon3d import load_dataset
    from supercon3d.evaluation.folds import check_split, split_folds
    from supercon3d.graphs import GraphSettings
    from supercon3d.models.sodnet.ensemble import PRIOR_FILE
    from supercon3d.training.config import CONFIGS, RUN_CONFIG_FILE, run_split
    from supercon3d.training.extra_structures import check_extra_structures
    from supercon3d.training.loop import World
    from supercon3d.training.prior import check_prior_split, load_or_fit_prior
    from supercon3d.training.sodnet import RunFolderError, train_folds

    run_dir = Path(run_dir)
    run = CONFIGS[config].replace(name=run_dir.name) if isinstance(config, str) else config
    run = run.replace(**(overrides or {}))
    run = run.replace(split=check_split(split if split is not None else run.split))
    model = run.model
    if model.composition_prior:
        check_prior_split(run.split)
    if run.extra_structures:
        check_extra_structures(model.composition_prior)
    trained_on = run_split(run_dir)
    if (run_dir / RUN_CONFIG_FILE).is_file() and trained_on != run.split:
        raise RunFolderError(
            run_dir, f"holds a run on the {trained_on} split, not {run.split}; choose another --out"
        )
    started = time.perf_counter()
    dataset = load_dataset(data, progress=progress, ambient=run.ambient)
    assignment = split_folds(run.split, dataset)
    fold_ids = tuple(folds) if folds is not None else tuple(range(assignment.n_folds))
    settings = GraphSettings(k=model.k, cutoff=model.cutoff, embedding=model.embedding)
    prior = None
    if model.composition_prior:
        run_dir.mkdir(parents=True, exist_ok=True)
        with progress("composition prior", 1) as advance:
            prior = load_or_fit_prior(run_dir / PRIOR_FILE, dataset, data, run.split, run.ambient)
            advance(1)
    graphs, failures = load_graphs(dataset, settings, data, progress, prior)
    if run.extra_structures:
        failures += _add_extra_structures(
            graphs, dataset, assignment, fold_ids, settings, run, data, progress
        )
    summaries = train_folds(
        run, fold_ids, graphs, assignment, run_dir, workers=workers, report=report
    )
    wall = time.perf_counter() - started
    if World.from_environment().is_main:
        with open(run_dir / WALL_TIMES_FILE, "a") as log:
            record = {"folds": list(fold_ids), "workers": workers, "wall_s": wall}
            log.write(json.dumps(record) + "\n")
    skipped = [str(failure) for failure in [*dataset.failures, *failures]]
    return Training(run_dir, summaries, wall, skipped)


@dataclass
class Blend:
    """A run's blend with its folds' composition models: ``result`` (what ``blend.json``
    holds: per fold the SODNet weight and the validation MAEs in ln K) and the entries
    ``skipped`` (one line each)."""

    result: dict
    skipped: list[str]


def blend_run(
    run_dir: str | os.PathLike,
    *,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    element_embedding: str | None = None,
) -> Blend:
    """Blend each fold model of ``run_dir`` with its fold's composition model (Magpie, plus
    ``element_embedding``'s statistics if given, + LightGBM with the extra formulas allowed
    on the run's split); the weight is chosen on the validation fold. Writes
    ``composition/fold<k>.txt.xz`` and ``blend.json``."""
    from supercon3d.data.supercon3d import load_dataset
    from supercon3d.evaluation.folds import split_folds
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.training.blend import fit_blend
    from supercon3d.training.config import run_is_ambient, run_split

    split = run_split(run_dir)
    sodnet = SODNetEnsemble.from_dir(run_dir, blend=False)
    ambient = run_is_ambient(run_dir)
    dataset = load_dataset(data, progress=progress, ambient=ambient)
    graphs, failures = load_graphs(dataset, sodnet.graph_settings, data, progress)
    assignment = split_folds(split, dataset)
    with progress("composition models", len(sodnet.members)) as advance:
        result = fit_blend(
            run_dir, dataset, graphs, assignment, datasets_folder=data, progress=advance,
            ambient=ambient, element_embedding=element_embedding,
        )  # fmt: skip
    return Blend(result, [str(failure) for failure in [*dataset.failures, *failures]])

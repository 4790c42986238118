"""Cross-validation of a run's fold models on their own test folds, with the composition
baselines trained on the same folds for comparison."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supercon3d.progress import ProgressFactory, no_progress

if TYPE_CHECKING:
    import pandas as pd

    from supercon3d.data.supercon3d import SuperCon3D
    from supercon3d.evaluation.folds import FoldAssignment
    from supercon3d.models.composition import BaselineConfig
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble

COMPARED_KEYS = ("model", "mae_mean", "mae_std", "r2_mean", "r2_std", "folds")
"""What the summary's ``compared`` list keeps of each model's cross-validation."""


def check_evaluation_split(folder: Path, shipped: bool, trained_on: str, split: str) -> None:
    """Refuse to score a run on a split it was not trained on (``SplitError``): its fold
    models saw the other split's test folds in training."""
    from supercon3d.evaluation.folds import SplitError
    from supercon3d.models.shipped import DEFAULT_MODEL
    from supercon3d.training.workflow import train_command

    if split == trained_on:
        return
    what = f"the shipped model ({DEFAULT_MODEL})" if shipped else str(folder)
    raise SplitError(
        f"{what} was trained on the {trained_on} split, so its fold models saw the {split} "
        f"split's test folds; train fold models on that split (`{train_command(split)}`, then "
        f"`supercon3d blend RUN`), then `supercon3d evaluate RUN --split {split}`"
    )


@dataclass
class Evaluation:
    """Cross-validation of an ensemble on its own test folds: ``summary`` (per fold, by family
    and by disorder class, MAE and R² in ln K, the ``split``, interval coverage, the
    superconductor classifier's AUC, the models ``compared`` on the same folds and
    ``baseline_mae_mean``, ``wall_s``), the per-entry ``predictions``, the ``files`` written
    (empty without ``out``) and the entries ``skipped`` (one line each: unreadable CIF or
    graph)."""

    summary: dict
    predictions: pd.DataFrame
    files: dict[str, Path]
    skipped: list[str]


def evaluate_run(
    run_dir: str | os.PathLike | None = None,
    *,
    baselines: bool = True,
    out: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
    split: str | None = None,
) -> Evaluation:
    """Score every fold model of ``run_dir`` (default: the shipped model) on its held-out test
    fold of ``split`` (default: the split the run was trained on; another split is refused,
    :func:`check_evaluation_split`). A blended ensemble is also scored without its blend;
    with ``baselines`` the LightGBM composition baselines run on the same folds
    (:func:`supercon3d.api.evaluate` describes the summary). With ``out`` the JSON, CSV and
    parity plot are written there."""
    from supercon3d.data.supercon3d import load_dataset
    from supercon3d.evaluation.ensemble import cross_validate_ensemble
    from supercon3d.evaluation.folds import check_split, split_folds
    from supercon3d.evaluation.report import save_results
    from supercon3d.evaluation.run_figures import interval_coverage, superconductor_auc
    from supercon3d.models.shipped import DEFAULT_MODEL, shipped_model_dir
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.training.config import run_is_ambient, run_split
    from supercon3d.training.workflow import load_graphs

    started = time.perf_counter()
    folder = Path(run_dir) if run_dir is not None else shipped_model_dir()
    trained_on = run_split(folder)
    split = trained_on if split is None else check_split(split)
    check_evaluation_split(folder, run_dir is None, trained_on, split)
    model = SODNetEnsemble.from_dir(folder)
    name = folder.name if run_dir is not None else DEFAULT_MODEL
    ambient = run_is_ambient(folder)
    dataset = load_dataset(data, progress=progress, ambient=ambient)
    assignment = split_folds(split, dataset)
    graphs, failures = load_graphs(dataset, model.graph_settings, data, progress)
    compared = []
    if model.blended:
        sodnet_only = SODNetEnsemble.from_dir(folder, blend=False)
        result, _ = cross_validate_ensemble(sodnet_only, graphs.graphs, dataset, assignment, name)
        compared.append({k: result[k] for k in COMPARED_KEYS})
        name += "+composition-blend"
    summary, predictions = cross_validate_ensemble(model, graphs.graphs, dataset, assignment, name)
    for record in summary["folds"]:
        record["fold_name"] = assignment.fold_name(record["fold"])
    summary["split"] = split
    summary["ambient"] = ambient
    summary.update(interval_coverage(model, graphs.graphs, dataset, assignment, predictions))
    summary["auc_superconductor"], summary["auc_superconductor_source"] = superconductor_auc(split)
    summary["baseline_mae_mean"] = None
    if baselines:
        baseline_results = _baselines(model, dataset, assignment, ambient, data, progress)
        compared += [{k: result[k] for k in COMPARED_KEYS} for _, result in baseline_results]
        summary["baseline_mae_mean"] = next(
            result["mae_mean"]
            for config, result in baseline_results
            if config.extra_formulas and config.element_embedding is None
        )
    summary["compared"] = compared
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    files = save_results(summary, predictions, out, "evaluation") if out is not None else {}
    skipped = [str(failure) for failure in [*dataset.failures, *failures]]
    return Evaluation(summary, predictions, files, skipped)


def _baselines(
    model: SODNetEnsemble,
    dataset: SuperCon3D,
    assignment: FoldAssignment,
    ambient: bool,
    data: str | os.PathLike | None,
    progress: ProgressFactory,
) -> list[tuple[BaselineConfig, dict]]:
    """(config, cross-validation summary) of the composition baselines on ``model``'s test
    folds: Magpie + LightGBM without and with the extra formulas, and with the formulas and
    the blend's element embedding when it has one."""
    from supercon3d.models.composition import BaselineConfig
    from supercon3d.training.baseline import cross_validate_baseline

    test_folds = tuple(sorted(m.fold for m in model.members))
    magpie = BaselineConfig(model="lgbm", test_folds=test_folds, ambient=ambient)
    configs = [magpie, dataclasses.replace(magpie, extra_formulas=True)]
    if model.composition_embedding is not None:
        configs.append(
            dataclasses.replace(configs[-1], element_embedding=model.composition_embedding)
        )
    results = []
    for config in configs:
        with progress(f"{config.name} baseline", len(test_folds)) as advance:
            result, _ = cross_validate_baseline(
                dataset, assignment, config=config, data=data, progress=advance
            )
        results.append((config, result))
    return results

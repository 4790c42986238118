"""``supercon3d train``: SODNet on the shared 10-fold protocol, resumable, folds in parallel."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from supercon3d.cli.formatting import parse_folds, parse_overrides
from supercon3d.cli.loading import load_dataset, load_training_set
from supercon3d.cli.progress import (
    console,
    one_line_errors,
    output,
    progress_bar,
)
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.graphs import GraphSettings
from supercon3d.models.sodnet import SODNetConfig
from supercon3d.models.sodnet.ensemble import PRIOR_FILE, SODNetEnsemble
from supercon3d.training.blend import fit_blend
from supercon3d.training.config import ABLATIONS, CONFIGS, TRAIN_SUBSETS, TrainConfig
from supercon3d.training.prior import load_or_fit_prior
from supercon3d.training.sodnet import train_folds


def run_name(config: str, ablation: str | None, subset: str) -> str:
    """Default run folder name, e.g. ``sodnet-cpu``, ``sodnet-cpu-invariant``."""
    parts = ["sodnet", config]
    if ablation:
        parts.append(ablation)
    if subset != "all":
        parts.append("train-" + subset.replace("+", "-"))
    return "-".join(parts)


@one_line_errors
def train(
    config: str = typer.Option("cpu", help=f"Named configuration: {', '.join(CONFIGS)}."),
    fold: str = typer.Option("all", help="Fold(s) to train: 'all', '3' or '0,1,2'."),
    ablation: str | None = typer.Option(None, help=f"Ablation switch: {', '.join(ABLATIONS)}."),
    train_subset: str = typer.Option(
        "all", help=f"Disorder classes kept for training: {', '.join(TRAIN_SUBSETS)}."
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a config field, e.g. --set epochs=10 --set lmax=0."
    ),
    workers: int = typer.Option(2, help="Folds trained at once (one thread each)."),
    out: Path | None = typer.Option(None, help="Run folder (default runs/<run name>)."),
    data: Path | None = typer.Option(
        None, "--data", envvar="SUPERCON3D_DATA", help="Datasets folder."
    ),
) -> None:
    """Train SODNet fold models; an interrupted run resumes when started again."""
    if config not in CONFIGS:
        raise typer.BadParameter(f"unknown config {config!r}; choose from {', '.join(CONFIGS)}")
    if ablation is not None and ablation not in ABLATIONS:
        raise typer.BadParameter(
            f"unknown ablation {ablation!r}; choose from {', '.join(ABLATIONS)}"
        )
    if train_subset not in TRAIN_SUBSETS:
        raise typer.BadParameter(
            f"unknown subset {train_subset!r}; choose from {', '.join(TRAIN_SUBSETS)}"
        )
    name = run_name(config, ablation, train_subset)
    run = CONFIGS[config].replace(
        name=name,
        train_disorder=TRAIN_SUBSETS[train_subset],
        **ABLATIONS.get(ablation, {}),
        **parse_overrides(set_, SODNetConfig, TrainConfig),
    )
    run_dir = out or Path("runs") / name
    started = time.perf_counter()
    assignment = FoldAssignment.shipped()
    fold_ids = parse_folds(fold, assignment.n_folds) or tuple(range(assignment.n_folds))

    dataset = load_dataset(data)
    model = run.model
    settings = GraphSettings(k=model.k, cutoff=model.cutoff, embedding=model.embedding)
    prior = None
    if model.composition_prior:
        run_dir.mkdir(parents=True, exist_ok=True)
        with progress_bar("composition prior", 1) as advance:
            prior = load_or_fit_prior(run_dir / PRIOR_FILE, dataset, data)
            advance(1)
    data_set = load_training_set(dataset, settings, data, prior)

    columns = (
        TextColumn("[bold]fold {task.fields[fold]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "loss {task.fields[loss]}  val MAE {task.fields[val]} (best {task.fields[best]})"
        ),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        tasks = {
            f: progress.add_task("", total=run.train.epochs, fold=f, loss="-", val="-", best="-")
            for f in fold_ids
        }

        def report(message: dict) -> None:
            progress.update(
                tasks[message["fold"]],
                completed=message["epoch"],
                loss=f"{message['loss']:.3f}",
                val=f"{message['val_mae']:.3f}",
                best=f"{message['best_val_mae']:.3f}",
            )

        summaries = train_folds(run, fold_ids, data_set, assignment, run_dir, workers, report)
    wall = time.perf_counter() - started
    with open(run_dir / "wall_times.jsonl", "a") as log:
        log.write(json.dumps({"folds": list(fold_ids), "workers": workers, "wall_s": wall}) + "\n")
    for s in summaries:
        console.print(
            f"fold {s['fold']}: best epoch {s['best_epoch'] + 1}, val MAE {s['val_mae']:.3f} ln K, "
            f"{s['train_seconds']:.0f} s"
        )
    console.print(f"run folder {run_dir}; took {wall:.0f} s. Next: supercon3d evaluate {run_dir}")


@one_line_errors
def blend(
    run_dir: Path = typer.Argument(..., help="Run folder with fold<k>.safetensors."),
    data: Path | None = typer.Option(
        None, "--data", envvar="SUPERCON3D_DATA", help="Datasets folder."
    ),
) -> None:
    """Blend each fold model with its fold's composition model (Magpie + LightGBM trained with
    the extra SuperCon formulas); the weight is chosen on the validation fold."""
    ensemble = SODNetEnsemble.from_dir(run_dir, blend=False)
    dataset = load_dataset(data)
    data_set = load_training_set(dataset, ensemble.graph_settings, data)
    with progress_bar("composition models", len(ensemble.members)) as advance:
        result = fit_blend(run_dir, dataset, data_set, FoldAssignment.shipped(), data, advance)
    table = Table(title=f"blend with {result['composition_model']} (validation folds, ln K)")
    for column in ("fold", "SODNet weight", "MAE SODNet", "MAE composition", "MAE blend"):
        table.add_column(column, justify="right")
    for fold, r in result["folds"].items():
        table.add_row(fold, f"{r['sodnet_weight']:.2f}", f"{r['val_mae_sodnet']:.3f}",
                      f"{r['val_mae_composition']:.3f}", f"{r['val_mae_blend']:.3f}")  # fmt: skip
    output.print(table)
    console.print(f"wrote {run_dir}/blend.json. Next: supercon3d evaluate {run_dir}")

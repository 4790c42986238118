"""``supercon3d train`` and ``supercon3d blend``: SODNet on a split of the 10-fold protocol,
resumable, folds in parallel, and its blend with the folds' composition models.

The work is :func:`supercon3d.api.train` and :func:`supercon3d.api.blend`; this module parses
and prints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from supercon3d.cli.formatting import parse_folds, parse_overrides
from supercon3d.cli.options import CompositionEmbeddingOption, DataOption
from supercon3d.cli.progress import (
    console,
    one_line_errors,
    output,
    progress_bar,
    report_failures,
)
from supercon3d.defaults import (
    DEFAULT_SPLIT,
    AblationName,
    CompositionEmbeddingName,
    RunConfigName,
    SplitName,
    TrainSubsetName,
)


def run_name(
    config: str,
    ablation: str | None,
    subset: str,
    split: str = DEFAULT_SPLIT,
    ambient: bool = False,
    extra_structures: bool = False,
) -> str:
    """Default run folder name, e.g. ``sodnet-cpu``, ``sodnet-cpu-invariant``,
    ``sodnet-cpu-chemical-system``, ``sodnet-cpu-ambient``, ``sodnet-cpu-no-prior-3dsc``."""
    parts = ["sodnet", config] + (["ambient"] if ambient else [])
    if ablation:
        parts.append(ablation)
    if extra_structures:
        parts.append("3dsc")
    if subset != "all":
        parts.append("train-" + subset.replace("+", "-"))
    if split != DEFAULT_SPLIT:
        parts.append(split)
    return "-".join(parts)


@contextmanager
def fold_bars(epochs: int) -> Iterator[Callable[[dict], None]]:
    """Yields ``report(message)``, which draws one bar per fold (loss, validation MAE),
    started at the first epoch report so that the loading bars before it are done."""
    columns = (
        TextColumn("[bold]fold {task.fields[fold]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "loss {task.fields[loss]}  val MAE {task.fields[val]} (best {task.fields[best]})"
        ),
        TimeElapsedColumn(),
    )
    progress = Progress(*columns, console=console)
    tasks = {}

    def report(message: dict) -> None:
        if not tasks:
            progress.start()
        fold = message["fold"]
        if fold not in tasks:
            tasks[fold] = progress.add_task(
                "", total=epochs, fold=fold, loss="-", val="-", best="-"
            )
        progress.update(
            tasks[fold],
            completed=message["epoch"],
            loss=f"{message['loss']:.3f}",
            val=f"{message['val_mae']:.3f}",
            best=f"{message['best_val_mae']:.3f}",
        )

    try:
        yield report
    finally:
        progress.stop()


@one_line_errors
def train(
    config: RunConfigName = typer.Option("cpu", help="Named configuration."),
    fold: str = typer.Option("all", help="Fold(s) to train: 'all', '3' or '0,1,2'."),
    split: SplitName = typer.Option(
        DEFAULT_SPLIT,
        help="Folds: shared random, chemical-system-grouped or leave-one-family-out "
        "(family needs --ablation no-prior).",
    ),
    ablation: AblationName | None = typer.Option(None, help="Ablation switch."),
    train_subset: TrainSubsetName = typer.Option("all", help="Disorder classes kept for training."),
    ambient: bool = typer.Option(
        False,
        "--ambient",
        help="Leave the high-pressure superhydrides out of training, validation, test folds, "
        "prior and blend formulas (the model discovery uses).",
    ),
    extra_structures: bool = typer.Option(
        False,
        "--extra-structures",
        help="Also train on the 3DSC structures with a SuperCon Tc, minus those of the same "
        "material as a validation or test entry (needs --ablation no-prior).",
    ),
    init_from: Path | None = typer.Option(
        None,
        "--init-from",
        help="Start each fold from this run folder's model of the same fold (same "
        "architecture and split): fine-tuning, e.g. after --extra-structures.",
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a config field, e.g. --set epochs=10 --set lmax=0."
    ),
    workers: int = typer.Option(2, help="Folds trained at once (one thread each)."),
    out: Path | None = typer.Option(None, help="Run folder (default runs/<run name>)."),
    data: Path | None = DataOption,
) -> None:
    """Train SODNet fold models; an interrupted run resumes when started again."""
    from supercon3d import api
    from supercon3d.evaluation.folds import fold_count
    from supercon3d.models.sodnet import SODNetConfig
    from supercon3d.training.config import ABLATIONS, CONFIGS, TRAIN_SUBSETS, TrainConfig
    from supercon3d.training.loop import World

    name = run_name(config, ablation, train_subset, split, ambient, extra_structures)
    run = CONFIGS[config].replace(
        name=name,
        train_disorder=TRAIN_SUBSETS[train_subset],
        split=split,
        ambient=ambient,
        extra_structures=extra_structures,
        **({"init_from": str(init_from)} if init_from else {}),
        **ABLATIONS.get(ablation, {}),
        **parse_overrides(set_, SODNetConfig, TrainConfig),
    )
    run_dir = out or Path("runs") / name
    fold_ids = parse_folds(fold, fold_count(split))
    if not World.from_environment().is_main:  # under torchrun rank 0 alone shows progress
        api.train(run_dir, run, folds=fold_ids, workers=workers, data=data)
        return
    with fold_bars(run.train.epochs) as report:
        training = api.train(
            run_dir, run, folds=fold_ids, workers=workers, data=data, report=report,
            progress=progress_bar,
        )  # fmt: skip
    report_failures(training.skipped, "entries")
    for s in training.folds:
        console.print(
            f"fold {s['fold']}: best epoch {s['best_epoch'] + 1}, val MAE {s['val_mae']:.3f} ln K, "
            f"{s['train_seconds']:.0f} s"
        )
    console.print(
        f"run folder {run_dir}; took {training.wall_seconds:.0f} s. "
        f"Next: supercon3d evaluate {run_dir}"
    )


@one_line_errors
def blend(
    run_dir: Path = typer.Argument(..., help="Run folder with fold<k>.safetensors."),
    data: Path | None = DataOption,
    element_embedding: CompositionEmbeddingName | None = CompositionEmbeddingOption,
) -> None:
    """Blend each fold model with its fold's composition model (Magpie + LightGBM trained with
    the extra SuperCon formulas allowed on the run's split); the weight is chosen on the
    validation fold."""
    from supercon3d import api

    blended = api.blend(run_dir, data, progress_bar, element_embedding)
    report_failures(blended.skipped, "entries")
    result = blended.result
    table = Table(
        title=f"blend with {result['composition_model']} on the {result['split']} split "
        "(validation folds, ln K)"
    )
    for column in ("fold", "SODNet weight", "MAE SODNet", "MAE composition", "MAE blend"):
        table.add_column(column, justify="right")
    for fold, r in result["folds"].items():
        table.add_row(fold, f"{r['sodnet_weight']:.2f}", f"{r['val_mae_sodnet']:.3f}",
                      f"{r['val_mae_composition']:.3f}", f"{r['val_mae_blend']:.3f}")  # fmt: skip
    output.print(table)
    console.print(f"wrote {run_dir}/blend.json. Next: supercon3d evaluate {run_dir}")

"""``supercon3d baseline``: composition baselines (Magpie + a regressor) on the 10-fold protocol."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from supercon3d.cli.formatting import number, parse_folds, without_nan
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
    CompositionEmbeddingName,
    RegressorName,
    SplitName,
)


def print_summary(summary: dict, saved: dict[str, Path]) -> None:
    """Per-fold, family and disorder tables of a cross-validation summary, and saved files."""
    folds = Table(title=f"{summary['model']}: ln Tc (ln K), per test fold")
    extra = [
        (key, title)
        for key, title in (
            ("n_train", "n_train"),
            ("n_extra", "+formulas"),
            ("n_extra_excluded", "excluded"),
        )
        if key in summary["folds"][0]
    ]
    for column in ("fold", "n_test", "MAE", "R²", *(title for _, title in extra)):
        folds.add_column(column, justify="right")
    for r in summary["folds"]:
        folds.add_row(
            str(r.get("fold_name", r["fold"])),
            str(r["n_test"]),
            number(r["mae"]),
            number(r["r2"]),
            *(str(r[key]) for key, _ in extra),
        )
    folds.add_row(
        "mean",
        "",
        f"{summary['mae_mean']:.3f}±{number(summary['mae_std'])}",
        f"{number(summary['r2_mean'])}±{number(summary['r2_std'])}",
        style="bold",
    )
    output.print(folds)
    for key, title in (("by_family", "family"), ("by_disorder", "disorder")):
        groups = Table(title=f"by {title} (all test folds pooled)")
        for column in (title, "n", "MAE", "R²"):
            groups.add_column(column, justify="right" if column != title else "left")
        for r in summary[key]:
            groups.add_row(str(r[title]), str(r["n"]), number(r["mae"]), number(r["r2"]))
        output.print(groups)
    output.print("saved: " + ", ".join(str(p) for p in saved.values()), highlight=False)


@one_line_errors
def baseline(
    model: RegressorName = typer.Option("lgbm", help="Regressor on the Magpie descriptors."),
    extra_formulas: bool = typer.Option(
        False, help="Also train on supercon_11949.csv (minus the split's held-out materials)."
    ),
    train_on_validation: bool = typer.Option(
        False, help="Train on the validation fold too (nine folds instead of eight)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    data: Path | None = DataOption,
    out: Path = typer.Option(
        Path("runs/baselines"), help="Folder for the JSON, CSV and parity plot."
    ),
    folds: str | None = typer.Option(None, help="Test folds to run, e.g. '0,1' (default all)."),
    split: SplitName = typer.Option(
        DEFAULT_SPLIT, help="Folds: shared random, chemical-system-grouped or leave-one-family-out."
    ),
    element_embedding: CompositionEmbeddingName | None = CompositionEmbeddingOption,
    seed: int = typer.Option(0, help="The regressor's random seed (row and feature sampling)."),
) -> None:
    """Cross-validate a composition baseline (Magpie descriptors + LightGBM, RF or SVR)."""
    from supercon3d.evaluation.folds import fold_count
    from supercon3d.evaluation.report import save_results
    from supercon3d.models.composition import BaselineConfig
    from supercon3d.training.baseline import run_baseline

    test_folds = parse_folds(folds, fold_count(split))
    config = BaselineConfig(
        model=model,
        extra_formulas=extra_formulas,
        train_on_validation=train_on_validation,
        test_folds=test_folds,
        element_embedding=element_embedding,
        seed=seed,
    )
    result = run_baseline(config, split=split, data=data, progress=progress_bar)
    report_failures(result.skipped, "CIFs")
    summary, predictions = without_nan(result.summary), result.predictions
    stem = config.name if split == DEFAULT_SPLIT else f"{config.name}_{split}"
    if config.test_folds is not None:
        stem += "_folds" + "-".join(map(str, config.test_folds))
    if seed:
        stem += f"_seed{seed}"
    saved = save_results(summary, predictions, out, stem)
    summary["files"] = {kind: str(path) for kind, path in saved.items()}
    if json_output:
        typer.echo(json.dumps(summary))
        return
    print_summary(summary, saved)
    console.print(f"took {summary['wall_s']:.0f} s")

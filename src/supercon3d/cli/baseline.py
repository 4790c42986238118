"""``supercon3d baseline``: composition baselines (Magpie + a regressor) on the 10-fold protocol."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import typer
from rich.table import Table

from supercon3d.cli.progress import (
    console,
    one_line_errors,
    output,
    progress_bar,
    report_failures,
)
from supercon3d.data.supercon3d import load_supercon3d, read_tc_table
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.evaluation.report import save_results
from supercon3d.models.composition import BaselineConfig, RegressorName
from supercon3d.training.baseline import cross_validate_baseline


def _parse_folds(text: str | None, n_folds: int) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        folds = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected comma-separated fold numbers") from None
    if not folds or not all(0 <= f < n_folds for f in folds):
        raise typer.BadParameter(f"{text!r}: folds must be in 0..{n_folds - 1}")
    return folds


def _without_nan(value):
    """The value with NaN floats replaced by None, so that the JSON is standard."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nan(v) for v in value]
    return value


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print_summary(summary: dict, saved: dict[str, Path]) -> None:
    folds = Table(title=f"{summary['model']}: ln Tc (ln K), per test fold")
    for column in ("fold", "n_test", "MAE", "R²", "n_train", "+formulas", "excluded"):
        folds.add_column(column, justify="right")
    for r in summary["folds"]:
        folds.add_row(
            str(r["fold"]),
            str(r["n_test"]),
            _number(r["mae"]),
            _number(r["r2"]),
            str(r["n_train"]),
            str(r["n_extra"]),
            str(r["n_extra_excluded"]),
        )
    folds.add_row(
        "mean",
        "",
        f"{summary['mae_mean']:.3f}±{_number(summary['mae_std'])}",
        f"{_number(summary['r2_mean'])}±{_number(summary['r2_std'])}",
        style="bold",
    )
    output.print(folds)
    for key, title in (("by_family", "family"), ("by_disorder", "disorder")):
        groups = Table(title=f"by {title} (all test folds pooled)")
        for column in (title, "n", "MAE", "R²"):
            groups.add_column(column, justify="right" if column != title else "left")
        for r in summary[key]:
            groups.add_row(str(r[title]), str(r["n"]), _number(r["mae"]), _number(r["r2"]))
        output.print(groups)
    output.print("saved: " + ", ".join(str(p) for p in saved.values()), highlight=False)


@one_line_errors
def baseline(
    model: RegressorName = typer.Option("lgbm", help="Regressor on the Magpie descriptors."),
    extra_formulas: bool = typer.Option(
        False, help="Also train on supercon_11949.csv (minus val/test compositions)."
    ),
    train_on_validation: bool = typer.Option(
        False, help="Train on the validation fold too (nine folds instead of eight)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    data: Path | None = typer.Option(
        None,
        "--data",
        envvar="SUPERCON3D_DATA",
        help="Datasets folder (default ../shared/datasets).",
    ),
    out: Path = typer.Option(
        Path("runs/baselines"), help="Folder for the JSON, CSV and parity plot."
    ),
    folds: str | None = typer.Option(None, help="Test folds to run, e.g. '0,1' (default all 10)."),
) -> None:
    """Cross-validate a composition baseline (Magpie descriptors + LightGBM, RF or SVR)."""
    started = time.perf_counter()
    assignment = FoldAssignment.shipped()
    test_folds = _parse_folds(folds, assignment.n_folds)
    config = BaselineConfig(
        model=model,
        extra_formulas=extra_formulas,
        train_on_validation=train_on_validation,
        test_folds=test_folds,
    )
    with progress_bar("reading CIFs", len(read_tc_table(data))) as advance:
        dataset = load_supercon3d(data, progress=advance)
    report_failures(dataset.failures, "CIFs")
    n_runs = len(config.test_folds) if config.test_folds is not None else assignment.n_folds
    with progress_bar(f"{config.name} folds", n_runs) as advance:
        summary, predictions = cross_validate_baseline(dataset, assignment, config, data, advance)
    summary = _without_nan(summary)
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    stem = config.name
    if config.test_folds is not None:
        stem += "_folds" + "-".join(map(str, config.test_folds))
    saved = save_results(summary, predictions, out, stem)
    summary["files"] = {kind: str(path) for kind, path in saved.items()}
    if json_output:
        typer.echo(json.dumps(summary))
        return
    _print_summary(summary, saved)
    console.print(f"took {summary['wall_s']:.0f} s")

"""``supercon3d evaluate``: cross-validation figures of a SODNet run or of the shipped model."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from supercon3d.cli.baseline import print_summary
from supercon3d.cli.formatting import number, without_nan
from supercon3d.cli.loading import load_dataset, load_training_set
from supercon3d.cli.progress import console, one_line_errors, output, progress_bar
from supercon3d.evaluation.ensemble import cross_validate_ensemble
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.evaluation.report import save_results
from supercon3d.models.composition import BaselineConfig
from supercon3d.models.sodnet.ensemble import DEFAULT_MODEL, SODNetEnsemble, shipped_model_dir
from supercon3d.training.baseline import cross_validate_baseline

PAPER_SODNET = {"model": "SODNet, paper (GPU, `paper` config)", "mae_mean": 0.505, "mae_std": 0.055}
"""The published figure on SuperCon3D (10-fold, ln K), quoted for comparison."""


def _comparison(summary: dict, baselines: list[dict]) -> Table:
    table = Table(title="comparison on the same test folds (ln Tc, ln K)")
    for column in ("model", "MAE", "R²"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in [summary, *baselines]:
        mae = f"{row['mae_mean']:.3f}±{number(row.get('mae_std'))}"
        r2 = (
            f"{number(row.get('r2_mean'))}±{number(row.get('r2_std'))}" if "r2_mean" in row else "-"
        )
        table.add_row(row["model"], mae, r2)
    table.add_row(
        PAPER_SODNET["model"], f"{PAPER_SODNET['mae_mean']:.3f}±{PAPER_SODNET['mae_std']:.3f}", "-"
    )
    return table


@one_line_errors
def evaluate(
    run_dir: Path | None = typer.Argument(None, help="Run folder with fold<k>.safetensors."),
    shipped: bool = typer.Option(False, help=f"Evaluate the shipped model ({DEFAULT_MODEL})."),
    baselines: bool = typer.Option(
        True, help="Also cross-validate the LightGBM composition baselines on the same folds."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    out: Path | None = typer.Option(
        None, help="Folder for JSON, CSV and parity plot (default: the run folder)."
    ),
    data: Path | None = typer.Option(
        None, "--data", envvar="SUPERCON3D_DATA", help="Datasets folder."
    ),
) -> None:
    """Score every fold model on its own held-out test fold: MAE and R² per fold, mean ± std,
    by family and disorder class, a parity plot and the baselines on the same folds."""
    if shipped == (run_dir is not None):
        raise typer.BadParameter("give either RUN_DIR or --shipped")
    started = time.perf_counter()
    folder = shipped_model_dir() if shipped else run_dir
    ensemble = SODNetEnsemble.from_dir(folder)
    name = DEFAULT_MODEL if shipped else Path(run_dir).name
    assignment = FoldAssignment.shipped()

    dataset = load_dataset(data)
    graphs = load_training_set(dataset, ensemble.graph_settings, data)
    keys = ("model", "mae_mean", "mae_std", "r2_mean", "r2_std")
    compared = []
    if ensemble.blended:
        sodnet_only = SODNetEnsemble.from_dir(folder, blend=False)
        result, _ = cross_validate_ensemble(sodnet_only, graphs.graphs, dataset, assignment, name)
        compared.append({k: result[k] for k in keys})
        name += "+composition-blend"
    summary, predictions = cross_validate_ensemble(
        ensemble, graphs.graphs, dataset, assignment, name
    )
    summary = without_nan(summary)
    test_folds = tuple(sorted(m.fold for m in ensemble.members))

    if baselines:
        for extra in (False, True):
            config = BaselineConfig(model="lgbm", extra_formulas=extra, test_folds=test_folds)
            with progress_bar(f"{config.name} baseline", len(test_folds)) as advance:
                result, _ = cross_validate_baseline(dataset, assignment, config, data, advance)
            compared.append({k: result[k] for k in keys})
    summary["compared"] = compared
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    saved = save_results(
        summary, predictions, out or (Path("runs") / name if shipped else run_dir), "evaluation"
    )
    summary["files"] = {kind: str(path) for kind, path in saved.items()}
    if json_output:
        typer.echo(json.dumps(summary))
        return
    print_summary(summary, saved)
    output.print(_comparison(summary, compared))
    console.print(f"took {summary['wall_s']:.0f} s")

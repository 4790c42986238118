"""``supercon3d evaluate``: cross-validation figures of a SODNet run or of the shipped model.

The work is :func:`supercon3d.api.evaluate`; this module parses and prints."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from supercon3d.cli.baseline import print_summary
from supercon3d.cli.formatting import number, without_nan
from supercon3d.cli.options import DataOption
from supercon3d.cli.progress import (
    console,
    one_line_errors,
    output,
    progress_bar,
    report_failures,
)
from supercon3d.defaults import SplitName
from supercon3d.models.shipped import DEFAULT_MODEL

PAPER_SODNET = {"model": "SODNet, paper (GPU, `paper` config)", "mae_mean": 0.505, "mae_std": 0.055}
"""The published figure on SuperCon3D (random 10-fold, ln K), quoted on the random split."""


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
    if summary["split"] == "random":
        paper = f"{PAPER_SODNET['mae_mean']:.3f}±{PAPER_SODNET['mae_std']:.3f}"
        table.add_row(PAPER_SODNET["model"], paper, "-")
    return table


def _figures(summary: dict) -> str:
    """The split, interval coverage and superconductor AUC lines under the tables."""
    coverage = summary["interval_coverage"]
    lines = [
        f"split: {summary['split']}",
        f"{summary['interval_level']:.0%} interval coverage on the test folds: "
        f"{number(coverage)}±{number(summary['interval_coverage_std'])}",
        f"P(superconductor) ROC-AUC: {number(summary['auc_superconductor'])} "
        f"({summary['auc_superconductor_source']})",
    ]
    return "\n".join(lines)


@one_line_errors
def evaluate(
    run_dir: Path | None = typer.Argument(None, help="Run folder with fold<k>.safetensors."),
    shipped: bool = typer.Option(False, help=f"Evaluate the shipped model ({DEFAULT_MODEL})."),
    split: SplitName | None = typer.Option(
        None,
        help="Split to score on (default: the run's own; a run is scored only on the split "
        "it was trained on, the shipped model on random).",
    ),
    baselines: bool = typer.Option(
        True, help="Also cross-validate the LightGBM composition baselines on the same folds."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    out: Path | None = typer.Option(
        None, help="Folder for JSON, CSV and parity plot (default: the run folder)."
    ),
    data: Path | None = DataOption,
) -> None:
    """Score every fold model on its own held-out test fold: MAE and R² per fold, mean ± std,
    by family and disorder class, a parity plot, interval coverage, the superconductor
    classifier's AUC and the baselines on the same folds."""
    from supercon3d import api

    if shipped == (run_dir is not None):
        raise typer.BadParameter("give either RUN_DIR or --shipped")
    out = out or (Path("runs") / DEFAULT_MODEL if shipped else run_dir)
    evaluation = api.evaluate(
        run_dir, baselines=baselines, out=out, data=data, progress=progress_bar, split=split
    )
    report_failures(evaluation.skipped, "entries")
    summary = without_nan(evaluation.summary)
    summary["files"] = {kind: str(path) for kind, path in evaluation.files.items()}
    if json_output:
        typer.echo(json.dumps(summary))
        return
    print_summary(summary, evaluation.files)
    output.print(_comparison(summary, summary["compared"]))
    output.print(_figures(summary), highlight=False)
    console.print(f"took {summary['wall_s']:.0f} s")

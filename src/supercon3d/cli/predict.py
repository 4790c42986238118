"""``supercon3d predict``: Tc of CIF files or folders with the shipped (or a trained) ensemble."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import typer
from pymatgen.core.periodic_table import Element
from rich.table import Table

from supercon3d.cli.progress import console, one_line_errors, output, progress_bar
from supercon3d.data.cif import expand_cif_paths
from supercon3d.evaluation.report import site_importance_plot
from supercon3d.models.sodnet.ensemble import DEFAULT_MODEL, SODNetEnsemble
from supercon3d.screening.predict import TcPrediction, predict_files


def _site_label(species: dict[str, float]) -> str:
    return " ".join(
        f"{element}" if abs(amount - 1) < 1e-6 else f"{element}:{amount:.3g}"
        for element, amount in species.items()
    )


def _csv_row(record: dict) -> dict:
    """A prediction record flattened for CSV: the warnings as a count, no site table."""
    row = {k: v for k, v in record.items() if k not in ("sites", "warnings")}
    row["warnings"] = len(record.get("warnings", []))
    return row


def _print_predictions(predictions: list[TcPrediction]) -> None:
    table = Table(title=f"predicted Tc ({len(predictions)} files)")
    for column in ("file", "formula", "disorder", "Tc (K)", "±1σ range (K)", "σ (ln K)"):
        left = column in ("file", "formula", "disorder")
        table.add_column(column, justify="left" if left else "right", overflow="fold")
    for p in predictions:
        if p.error is not None:
            continue
        low, high = math.exp(p.ln_tc - p.ln_tc_std), math.exp(p.ln_tc + p.ln_tc_std)
        table.add_row(
            Path(p.file).name, p.formula, p.disorder_class, f"{p.tc_kelvin:.1f}",
            f"{low:.1f}–{high:.1f}", f"{p.ln_tc_std:.2f}",
        )  # fmt: skip
    output.print(table)
    for p in predictions:
        if p.warnings:
            first = p.warnings[0]
            console.print(
                f"[yellow]{len(p.warnings)} CIF warning(s)[/yellow] {p.file}: {first}",
                highlight=False,
                soft_wrap=True,
            )
        if p.error is not None:
            console.print(f"[red]failed[/red] {p.error}", highlight=False, soft_wrap=True)


def _explain(prediction: TcPrediction, ensemble: SODNetEnsemble, png_dir: Path | None) -> dict:
    importance = ensemble.site_importance(prediction.graph)
    elements = prediction.graph.species.numpy()
    sites = []
    for index, (row, share) in enumerate(zip(elements, importance)):
        species = {Element.from_Z(z + 1).symbol: float(row[z]) for z in row.nonzero()[0]}
        sites.append({"site": index, "species": species, "occupancy": float(row.sum()),
                      "importance_percent": float(share)})  # fmt: skip
    table = Table(title=f"site importance, {Path(prediction.file).name} ({prediction.formula})")
    for column in ("site", "species", "occupancy", "importance %"):
        table.add_column(column, justify="left" if column == "species" else "right")
    for site in sorted(sites, key=lambda s: -s["importance_percent"]):
        table.add_row(str(site["site"]), _site_label(site["species"]), f"{site['occupancy']:.3g}",
                      f"{site['importance_percent']:.1f}")  # fmt: skip
    output.print(table)
    if png_dir is not None:
        png_dir.mkdir(parents=True, exist_ok=True)
        path = png_dir / (Path(prediction.file).stem + "_sites.png")
        labels = [f"{s['site']} {_site_label(s['species'])}" for s in sites]
        site_importance_plot(labels, importance, path, f"{prediction.formula}: site importance")
        console.print(f"wrote {path}")
    return {"sites": sites}


@one_line_errors
def predict(
    paths: list[Path] = typer.Argument(..., help="CIF files and/or folders of CIFs."),
    checkpoints: Path | None = typer.Option(
        None, help=f"Run folder of fold<k>.safetensors (default: the shipped {DEFAULT_MODEL})."
    ),
    out: Path | None = typer.Option(None, help="Write the predictions to FILE.json or FILE.csv."),
    explain: bool = typer.Option(False, help="Per-site importance from last-block attention."),
    explain_png: Path | None = typer.Option(None, help="With --explain: folder for bar charts."),
    workers: int | None = typer.Option(None, help="Processes reading CIFs (default: all cores)."),
) -> None:
    """Predict Tc (K) for ordered or disordered crystals: ensemble mean of ln Tc and its spread."""
    files = expand_cif_paths(paths)
    ensemble = SODNetEnsemble.from_dir(checkpoints) if checkpoints else SODNetEnsemble.shipped()
    if len(files) > 20:
        with progress_bar("reading CIFs", len(files)) as advance:
            predictions = predict_files(files, ensemble, workers, advance)
    else:
        predictions = predict_files(files, ensemble, workers)
    records = [p.to_dict() for p in predictions]
    _print_predictions(predictions)
    if explain:
        for prediction, record in zip(predictions, records):
            if prediction.error is None:
                record.update(_explain(prediction, ensemble, explain_png))
    if out is not None:
        if out.suffix.lower() == ".csv":
            pd.DataFrame([_csv_row(r) for r in records]).to_csv(out, index=False)
        else:
            out.write_text(json.dumps(records, indent=1))
        console.print(f"wrote {out}")
    failed = sum(p.error is not None for p in predictions)
    if failed:
        console.print(f"[yellow]{failed} of {len(predictions)} files failed[/yellow]")
    if failed == len(predictions):
        raise typer.Exit(1)

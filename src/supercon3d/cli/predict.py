"""``supercon3d predict``: Tc of CIF files or folders with the shipped (or a trained) ensemble.

The work is :func:`supercon3d.api.predict` and :func:`supercon3d.api.explain`; heavy modules
are imported inside the command. Every input that cannot be read is a failed row; the exit
status and the ``--out`` file follow :mod:`supercon3d.cli.results`.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from supercon3d.cli.progress import console, one_line_errors, output, progress_bar
from supercon3d.cli.results import (
    EXIT_ALL_DONE,
    check_output,
    exit_status,
    interruptible,
    write_output,
)
from supercon3d.models.shipped import AMBIENT_MODEL, DEFAULT_MODEL, shipped_model_dir
from supercon3d.progress import no_progress
from supercon3d.screening.prediction import csv_row

PROGRESS_BAR_FILES = 20
"""Above this many files, reading them shows a progress bar."""
HIGH_PRESSURE_MARK = "HP"
NUMBER_COLUMNS = ("P(SC)", "Tc (K)", "90 % (K)", "warn")


def _kelvin(value: float) -> str:
    """A temperature (K) to a tenth of a kelvin, or to the kelvin from 100 K up."""
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _interval(p) -> str:
    """The calibrated interval (K), or the ±1σ range of the ensemble without a calibration."""
    if p.tc_low_kelvin is not None:
        return f"{_kelvin(p.tc_low_kelvin)}–{_kelvin(p.tc_high_kelvin)}"
    low, high = math.exp(p.ln_tc - p.ln_tc_std), math.exp(p.ln_tc + p.ln_tc_std)
    return f"±1σ {_kelvin(low)}–{_kelvin(high)}"


def _print_predictions(predictions: list, show_warnings: bool) -> None:
    """The table of predictions with each file's warning count, every warning
    (``show_warnings``) or how many files have some, and every failure."""
    from rich.table import Table

    table = Table(title=f"predicted Tc ({len(predictions)} files)")
    columns = ("file", "formula", "class", "family", "P(SC)", "Tc (K)", "90 % (K)", "warn")
    for column in columns:
        folds = column in ("formula", "class", "family")  # the rest stay whole
        table.add_column(
            column, justify="right" if column in NUMBER_COLUMNS else "left",
            overflow="fold", no_wrap=not folds,
        )  # fmt: skip
    for p in predictions:
        if p.error is not None:
            continue
        family = p.family + (f" ({HIGH_PRESSURE_MARK})" if p.high_pressure_hydride else "")
        chance = "–" if p.p_superconductor is None else f"{p.p_superconductor:.2f}"
        table.add_row(
            Path(p.file).name, p.formula, p.disorder_class, family, chance,
            _kelvin(p.tc_kelvin), _interval(p), str(len(p.warnings)),
        )  # fmt: skip
    if any(p.high_pressure_hydride for p in predictions if p.error is None):
        table.caption = f"{HIGH_PRESSURE_MARK}: looks like a superhydride measured at 100–250 GPa"
    output.print(table)
    warned = [p for p in predictions if p.warnings and p.error is None]
    if show_warnings:
        for p in warned:
            for warning in p.warnings:
                console.print(
                    f"[yellow]warning[/yellow] {p.file}: {warning}", highlight=False, soft_wrap=True
                )
    elif warned:
        console.print(
            f"[yellow]{len(warned)} file(s) with CIF warnings[/yellow] (see the warn column); "
            "--show-warnings lists them",
            soft_wrap=True,
        )
    for p in predictions:
        if p.error is not None:
            console.print(f"[red]failed[/red] {p.error}", highlight=False, soft_wrap=True)


def _print_sites(prediction, sites: list) -> None:
    from rich.table import Table

    table = Table(title=f"site importance, {Path(prediction.file).name} ({prediction.formula})")
    for column in ("site", "species", "occupancy", "importance %"):
        table.add_column(column, justify="left" if column == "species" else "right")
    for site in sorted(sites, key=lambda s: -s.importance_percent):
        table.add_row(str(site.site), site.label, f"{site.occupancy:.3g}",
                      f"{site.importance_percent:.1f}")  # fmt: skip
    output.print(table)


@interruptible
@one_line_errors
def predict(
    paths: list[Path] = typer.Argument(..., help="CIF files and/or folders of CIFs."),
    checkpoints: Path | None = typer.Option(
        None, help=f"Run folder of fold<k>.safetensors (default: the shipped {DEFAULT_MODEL})."
    ),
    ambient: bool = typer.Option(
        False,
        "--ambient",
        help=f"Use the shipped {AMBIENT_MODEL}, trained without the superhydrides measured "
        "at 100-250 GPa.",
    ),
    out: Path | None = typer.Option(
        None, help="Write the predictions to FILE.json (strict JSON) or FILE.csv."
    ),
    force: bool = typer.Option(False, "--force", help="Let --out replace an existing file."),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse a CIF with warnings (see docs/input_contract.md)."
    ),
    show_warnings: bool = typer.Option(
        False, "--show-warnings", help="Print every CIF warning, not only their count."
    ),
    explain: bool = typer.Option(False, help="Per-site importance from last-block attention."),
    explain_png: Path | None = typer.Option(None, help="With --explain: folder for bar charts."),
    workers: int | None = typer.Option(
        None, min=1, help="Processes reading and predicting CIFs (default: all cores)."
    ),
) -> None:
    """Predict Tc (K) for ordered or disordered crystals: ensemble mean of ln Tc and its spread.

    Every input that cannot be read (missing, unreadable, refused by the input contract, a
    folder without CIFs, a broken link) is a failed row and the others are still predicted.
    Exit status: 0 all predicted, 3 some failed, 1 none could run, 2 usage error (an --out
    that exists without --force, is an input, or is in a missing folder), 130 interrupted.
    """
    from supercon3d import api
    from supercon3d.data.cif import expand_cif_paths

    if ambient:
        if checkpoints is not None:
            raise typer.BadParameter("give --ambient or --checkpoints, not both")
        checkpoints = shipped_model_dir(AMBIENT_MODEL)
    files = expand_cif_paths(paths)
    if out is not None:
        check_output(out, files, force)
    progress = progress_bar if len(files) > PROGRESS_BAR_FILES else no_progress
    predictions = api.predict(
        files, checkpoints=checkpoints, workers=workers, progress=progress, strict=strict
    )
    records = [p.to_dict() for p in predictions]
    _print_predictions(predictions, show_warnings)
    if explain:
        from supercon3d.screening.explain import plot_site_importance

        for prediction, record in zip(predictions, records):
            if prediction.error is not None:
                continue
            sites = api.explain(prediction, checkpoints)
            _print_sites(prediction, sites)
            record["sites"] = [site.to_dict() for site in sites]
            if explain_png is not None:
                explain_png.mkdir(parents=True, exist_ok=True)
                path = explain_png / (Path(prediction.file).stem + "_sites.png")
                plot_site_importance(sites, path, f"{prediction.formula}: site importance")
                console.print(f"wrote {path}")
    if out is not None:
        write_output(out, records, csv_row)
    failed = sum(p.error is not None for p in predictions)
    if failed:
        console.print(f"[yellow]{failed} of {len(predictions)} files failed[/yellow]")
    status = exit_status(failed, len(predictions))
    if status != EXIT_ALL_DONE:
        raise typer.Exit(status)

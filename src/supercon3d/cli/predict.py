"""``supercon3d predict``: Tc of CIF files or folders with the shipped (or a trained) ensemble.

The work is :func:`supercon3d.api.predict` and :func:`supercon3d.api.explain`; heavy modules
are imported inside the command. Every input that cannot be read is a failed row; the exit
status and the ``--out`` file follow :mod:`supercon3d.cli.results`.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from supercon3d.cli.options import FormatOption, OutputFormat
from supercon3d.cli.progress import console, one_line_errors, print_warnings, progress_bar
from supercon3d.cli.results import (
    EXIT_ALL_DONE,
    check_output,
    exit_status,
    interruptible,
    write_output,
)
from supercon3d.cli.tables import (
    FOLD_NAMES_TO,
    TABLE,
    TSV,
    Column,
    print_records,
    print_table,
)
from supercon3d.models.shipped import AMBIENT_MODEL, DEFAULT_MODEL, shipped_model_dir
from supercon3d.progress import no_progress
from supercon3d.screening.prediction import csv_row

PROGRESS_BAR_FILES = 20
"""Above this many files, reading them shows a progress bar."""
HIGH_PRESSURE_MARK = "HP"
OUT_OF_DOMAIN_MARK = "*"
"""Beside the formula of a material the model's training data do not cover (``in_domain``
False)."""


def _kelvin(value: float) -> str:
    """A temperature (K) to a tenth of a kelvin, or to the kelvin from 100 K up."""
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _interval(p) -> str:
    """The calibrated interval (K), or the ±1σ range of the ensemble without a calibration."""
    if p.tc_low_kelvin is not None:
        return f"{_kelvin(p.tc_low_kelvin)}–{_kelvin(p.tc_high_kelvin)}"
    low, high = math.exp(p.ln_tc - p.ln_tc_std), math.exp(p.ln_tc + p.ln_tc_std)
    return f"±1σ {_kelvin(low)}–{_kelvin(high)}"


TABLE_COLUMNS = (
    Column("file", fold_to=FOLD_NAMES_TO),
    Column("formula", priority=1),
    Column("class", priority=3),
    Column("family", priority=3),
    Column("P(SC)", priority=1, numeric=True),
    Column("Tc (K)", numeric=True),
    Column("90 % (K)", priority=2, numeric=True),
    Column("warn", priority=4, numeric=True),
    Column("novelty", priority=5, numeric=True),
)
"""The columns of the table, each with its priority (0: always shown; the highest number is
left out first in a narrow terminal)."""
SITE_COLUMNS = (
    Column("site", numeric=True),
    Column("species"),
    Column("occupancy", priority=1, numeric=True),
    Column("importance %", numeric=True),
)


def _cells(p) -> list[str]:
    """One row of the table, in the order of :data:`TABLE_COLUMNS`."""
    family = p.family + (f" ({HIGH_PRESSURE_MARK})" if p.high_pressure_hydride else "")
    chance = "–" if p.p_superconductor is None else f"{p.p_superconductor:.2f}"
    formula = p.formula + (f" {OUT_OF_DOMAIN_MARK}" if p.in_domain is False else "")
    novelty = "–" if p.novelty is None else f"{p.novelty:.2f}"
    return [
        Path(p.file).name, formula, p.disorder_class, family, chance, _kelvin(p.tc_kelvin),
        _interval(p), str(len(p.warnings)), novelty,
    ]  # fmt: skip


def _print_predictions(predictions: list) -> None:
    """The table of the predictions that succeeded."""
    done = [p for p in predictions if p.error is None]
    notes = []
    if any(p.high_pressure_hydride for p in done):
        notes.append(f"{HIGH_PRESSURE_MARK}: looks like a superhydride measured at 100–250 GPa")
    if any(p.in_domain is False for p in done):
        notes.append(
            f"{OUT_OF_DOMAIN_MARK}: far from the training compositions (novelty above the "
            "in-domain threshold): expect larger errors"
        )
    caption = "; ".join(notes) or None
    print_table(
        TABLE_COLUMNS,
        [_cells(p) for p in done],
        title=f"predicted Tc ({len(predictions)} files)",
        caption=caption,
    )


def _print_warnings_and_failures(predictions: list, show_warnings: bool) -> None:
    """On stderr, below the table: every warning (``show_warnings``) or how many files have
    some, and every failure."""
    warned = [p for p in predictions if p.warnings and p.error is None]
    if show_warnings:
        print_warnings((p.file, warning) for p in warned for warning in p.warnings)
    elif warned:
        console.print(
            f"[yellow]{len(warned)} file(s) with CIF warnings[/yellow]; --show-warnings lists them",
            soft_wrap=True,
        )
    for p in predictions:
        if p.error is not None:
            console.print(f"[red]failed[/red] {p.error}", highlight=False, soft_wrap=True)


def _print_sites(prediction, sites: list) -> None:
    rows = [
        [str(site.site), site.label, f"{site.occupancy:.3g}", f"{site.importance_percent:.1f}"]
        for site in sorted(sites, key=lambda s: -s.importance_percent)
    ]
    title = f"site importance, {Path(prediction.file).name} ({prediction.formula})"
    print_table(SITE_COLUMNS, rows, title=title)


@interruptible
@one_line_errors
def predict(
    paths: list[Path] = typer.Argument(
        ...,
        help="Structure files (CIF, POSCAR, extxyz, archives, CSV of CIFs) and/or folders of CIFs.",
    ),
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
    output_format: OutputFormat = FormatOption,
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
        paths, checkpoints=checkpoints, workers=workers, progress=progress, strict=strict
    )
    records = [p.to_dict() for p in predictions]
    if output_format == TABLE:
        _print_predictions(predictions)
    if explain:
        from supercon3d.screening.explain import plot_site_importance

        for prediction, record in zip(predictions, records):
            if prediction.error is not None:
                continue
            sites = api.explain(prediction, checkpoints)
            if output_format == TABLE:
                _print_sites(prediction, sites)
            record["sites"] = [site.to_dict() for site in sites]
            if explain_png is not None:
                explain_png.mkdir(parents=True, exist_ok=True)
                path = explain_png / (Path(prediction.file).stem + "_sites.png")
                plot_site_importance(sites, path, f"{prediction.formula}: site importance")
                console.print(f"wrote {path}")
    if output_format != TABLE:
        print_records(
            output_format, [csv_row(r) for r in records] if output_format == TSV else records
        )
    _print_warnings_and_failures(predictions, show_warnings)
    if out is not None:
        write_output(out, records, csv_row)
    failed = sum(p.error is not None for p in predictions)
    if failed:
        console.print(f"[yellow]{failed} of {len(predictions)} files failed[/yellow]")
    status = exit_status(failed, len(predictions))
    if status != EXIT_ALL_DONE:
        raise typer.Exit(status)

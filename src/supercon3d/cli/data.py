"""``supercon3d data``: look at the datasets."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from supercon3d.cli.options import DataOption, FormatOption, OutputFormat
from supercon3d.cli.progress import (
    one_line_errors,
    output,
    print_warnings,
    progress_bar,
    report_failures,
)
from supercon3d.cli.results import EXIT_NONE_DONE, interruptible
from supercon3d.cli.tables import (
    FOLD_NAMES_TO,
    TABLE,
    Column,
    chosen_format,
    print_records,
    print_table,
)
from supercon3d.defaults import (
    CONTACT_FACTOR,
    GRAPH_CUTOFF_ANGSTROM,
    GRAPH_NEIGHBOURS,
    OVERFULL_TOLERANCE,
)

data_app = typer.Typer(help="Inspect the datasets.", no_args_is_help=True)
INSPECT_COLUMNS = (
    Column("file", fold_to=FOLD_NAMES_TO),
    Column("formula"),
    Column("sites", priority=2, numeric=True),
    Column("class", priority=1),
    Column("mixed", priority=3, numeric=True),
    Column("partial", priority=3, numeric=True),
    Column("warnings", priority=2, numeric=True),
)
"""The columns of ``data inspect``, each with its priority (0: always shown; the highest
number is left out first in a narrow terminal)."""


@data_app.command()
@one_line_errors
def stats(
    data: Path | None = DataOption,
    k: int = typer.Option(GRAPH_NEIGHBOURS, help="Neighbours per site in the graphs."),
    cutoff: float = typer.Option(GRAPH_CUTOFF_ANGSTROM, help="Neighbour cutoff (Å)."),
    contact_factor: float = typer.Option(
        CONTACT_FACTOR, help="Sites closer than this x radii sum share a position."
    ),
    overfull_tol: float = typer.Option(
        OVERFULL_TOLERANCE, help="Occupancy above 1 + this at one position is interstitial."
    ),
    out: Path = typer.Option(Path("runs/data"), help="Folder for the Tc histogram PNG."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """SuperCon3D: entries per family and disorder class, Tc range, graph sizes, Tc histogram."""
    from supercon3d.data.taxonomy import DisorderTolerances
    from supercon3d.graphs.stats import supercon3d_summary

    tolerances = DisorderTolerances(contact_factor=contact_factor, overfull_tol=overfull_tol)
    result = supercon3d_summary(
        data, k=k, cutoff=cutoff, tolerances=tolerances, out=out, progress=progress_bar
    )
    report_failures(result.unreadable, "CIFs")
    report_failures(result.no_graph, "graphs")
    summary = result.summary
    if json_output:
        typer.echo(json.dumps(summary))
        return
    _print_stats(summary)


def _print_stats(summary: dict) -> None:
    from supercon3d.data.taxonomy import DISORDER_CLASSES

    table = Table(title=f"SuperCon3D: {summary['entries']} entries")
    table.add_column("family")
    for c in DISORDER_CLASSES:
        table.add_column(c, justify="right")
    table.add_column("total", justify="right")
    for family, counts in summary["family_by_disorder"].items():
        table.add_row(
            family, *(str(counts[c]) for c in DISORDER_CLASSES), str(summary["by_family"][family])
        )
    table.add_row(
        "all",
        *(str(summary["by_disorder"][c]) for c in DISORDER_CLASSES),
        str(summary["entries"]),
        style="bold",
    )
    output.print(table)
    tc, sites, graphs = summary["tc_kelvin"], summary["sites_per_cell"], summary["graphs"]
    output.print(f"Tc: {tc['min']:g} K to {tc['max']:g} K (median {tc['median']:g} K)")
    output.print(
        f"sites per cell: median {sites['median']:g}, "
        f"90th percentile {sites['p90']:g}, max {sites['max']}"
    )
    output.print(
        f"graphs (k = {graphs['k']}, cutoff {graphs['cutoff_angstrom']:g} Å): "
        f"{graphs['built']} built, {graphs['nodes_total']} nodes "
        f"(mean {graphs['nodes_mean']:.1f}, max {graphs['nodes_max']}), {graphs['edges_total']} "
        f"edges (mean {graphs['edges_mean']:.0f}, max {graphs['edges_max']})"
    )
    output.print(f"entries whose CIF parser gave warnings: {summary['entries_with_cif_warnings']}")
    overlapping = summary["ordered_with_overlapping_atoms"]
    if overlapping:
        output.print(
            f"ordered entries with overlapping atoms (< 0.5 x radii sum): {', '.join(overlapping)}"
        )
    output.print(f"Tc histogram per family: {summary['histogram_png']}")


@data_app.command()
@one_line_errors
def sources(
    data: Path | None = DataOption,
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Every dataset in the data folder: sizes, and how many 3DSC structures have a Tc."""
    from supercon3d.data.stats import sources_summary

    summary = sources_summary(data)
    if json_output:
        typer.echo(json.dumps(summary))
        return
    table = Table(title="datasets (3DSC Tc looked up by composition in supercon_stanev2018)")
    table.add_column("dataset")
    table.add_column("counts")
    for name, counts in summary.items():
        table.add_row(name, ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
    output.print(table)


@data_app.command()
@interruptible
@one_line_errors
def inspect(
    paths: list[Path] = typer.Argument(..., help="CIF files and/or folders of CIFs."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON list on stdout."),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse a CIF with warnings (see docs/input_contract.md)."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Any CIFs: formula, sites, disorder class and every warning of the reader, one row per
    file; a file that cannot be read or is refused by the input contract is listed with the
    reason. Exit status 1 when no file could be read."""
    from supercon3d.data.describe import describe_cifs

    rows, failures = describe_cifs(paths, strict=strict, progress=progress_bar)
    output_format = chosen_format(output_format, json_output)
    if output_format != TABLE:
        errors = [{"file": f.source, "error": f.reason} for f in failures]
        print_records(output_format, rows + errors)
        _exit_if_none_read(rows)
        return
    print_table(
        INSPECT_COLUMNS,
        [
            [
                Path(row["file"]).name,
                row["formula"],
                str(row["sites"]),
                row["disorder_class"],
                str(row["substitutional_sites"]),
                str(row["partial_sites"]),
                str(len(row["warnings"])),
            ]  # fmt: skip
            for row in rows
        ],
        title=f"{len(rows)} structures",
    )
    print_warnings((Path(row["file"]).name, warning) for row in rows for warning in row["warnings"])
    report_failures(failures, "CIFs")
    _exit_if_none_read(rows)


def _exit_if_none_read(rows: list[dict]) -> None:
    if not rows:
        raise typer.Exit(EXIT_NONE_DONE)

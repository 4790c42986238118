"""``supercon3d data``: look at the datasets."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from supercon3d.cli.options import DataOption
from supercon3d.cli.progress import one_line_errors, output, progress_bar, report_failures
from supercon3d.cli.results import EXIT_NONE_DONE, finite_or_none, interruptible
from supercon3d.defaults import (
    CONTACT_FACTOR,
    GRAPH_CUTOFF_ANGSTROM,
    GRAPH_NEIGHBOURS,
    OVERFULL_TOLERANCE,
)

data_app = typer.Typer(help="Inspect the datasets.", no_args_is_help=True)


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
    import numpy as np

    from supercon3d.cli.loading import load_dataset
    from supercon3d.data.stats import dataset_stats, tc_histogram
    from supercon3d.data.taxonomy import DisorderTolerances
    from supercon3d.graphs import GraphSettings, graphs_from_cifs
    from supercon3d.settings import dataset_path

    tolerances = DisorderTolerances(contact_factor=contact_factor, overfull_tol=overfull_tol)
    dataset = load_dataset(data, tolerances)
    settings = GraphSettings(k=k, cutoff=cutoff)
    cif_dir = dataset_path("supercon3d/cif", data)
    with progress_bar("graphs", len(dataset)) as advance:
        graph_set = graphs_from_cifs(
            [cif_dir / e.id for e in dataset.entries], settings, progress=advance
        )
    report_failures(graph_set.failures, "graphs")

    summary = dataset_stats(dataset)
    nodes = np.array([g.num_nodes for g in graph_set.graphs])
    edges = np.array([g.num_edges for g in graph_set.graphs])
    summary["graphs"] = {
        "k": k,
        "cutoff_angstrom": cutoff,
        "built": len(graph_set.graphs),
        "nodes_total": int(nodes.sum()),
        "nodes_mean": float(nodes.mean()),
        "nodes_max": int(nodes.max()),
        "edges_total": int(edges.sum()),
        "edges_mean": float(edges.mean()),
        "edges_max": int(edges.max()),
    }
    summary["histogram_png"] = str(tc_histogram(dataset, out / "tc_histogram.png"))

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
    from supercon3d.data.supercon3d import read_tc_table
    from supercon3d.data.tables import load_3dsc_index, load_mp_index, load_supercon_formulas

    tc_table = read_tc_table(data)
    formulas = load_supercon_formulas("supercon_11949", data)
    stanev = load_supercon_formulas("supercon_stanev2018", data)
    dsc = load_3dsc_index(data, stanev)
    matched = dsc["n_matches"] > 0
    summary = {
        "supercon3d": {
            "entries": len(tc_table),
            "order": int((tc_table["order"] == "order").sum()),
            "disorder": int((tc_table["order"] == "disorder").sum()),
        },
        "supercon_11949": {"formulas": len(formulas), "unparsed": formulas.attrs["unparsed"]},
        "supercon_stanev2018": {
            "formulas": len(stanev),
            "unparsed": stanev.attrs["unparsed"],
            "non_superconductors": int((stanev["tc"] == 0).sum()),
        },
        "3dsc_mp": {
            "files": len(dsc),
            "synth_doped": int(dsc["synth_doped"].sum()),
            "distinct_formulas": int(dsc["formula"].nunique()),
            "matched_tc": int(matched.sum()),
            "matched_superconductors": int((matched & (dsc["tc"] > 0)).sum()),
            "unmatched": int((~matched).sum()),
        },
        "mp_structures": {"files": len(load_mp_index(data))},
    }
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
) -> None:
    """Any CIFs: formula, sites, disorder class and every warning of the reader, one row per
    file; a file that cannot be read or is refused by the input contract is listed with the
    reason. Exit status 1 when no file could be read."""
    from supercon3d.data.cif import expand_cif_paths, read_cifs
    from supercon3d.data.taxonomy import classify_disorder

    files = expand_cif_paths(paths)
    with progress_bar("reading CIFs", len(files)) as advance:
        result = read_cifs(files, progress=advance, strict=strict)
    rows = []
    for record in result.records:
        report = classify_disorder(
            record.structure, overfull_occupancies=record.overfull_occupancies
        )
        rows.append(
            {
                "file": record.source,
                "formula": record.structure.composition.reduced_formula,
                "sites": len(record.structure),
                **asdict(report),
                "disorder_class": report.disorder_class.value,
                "warnings": record.warnings,
            }
        )
    if json_output:
        errors = [{"file": f.source, "error": f.reason} for f in result.failures]
        typer.echo(json.dumps(finite_or_none(rows + errors), allow_nan=False))
        _exit_if_none_read(result)
        return
    table = Table(title=f"{len(result.records)} structures")
    for column in ("file", "formula", "sites", "class", "mixed", "partial", "warnings"):
        table.add_column(
            column, justify="left" if column in ("file", "formula", "class") else "right"
        )
    for row in rows:
        table.add_row(
            Path(row["file"]).name,
            row["formula"],
            str(row["sites"]),
            row["disorder_class"],
            str(row["substitutional_sites"]),
            str(row["partial_sites"]),
            str(len(row["warnings"])),
        )
    output.print(table)
    for row in rows:
        for warning in row["warnings"]:
            output.print(f"{Path(row['file']).name}: {warning}", highlight=False)
    report_failures(result.failures, "CIFs")
    _exit_if_none_read(result)


def _exit_if_none_read(result) -> None:
    if not result.records:
        raise typer.Exit(EXIT_NONE_DONE)

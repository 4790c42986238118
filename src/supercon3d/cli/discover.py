"""``supercon3d discover``: the whole chain into one folder (candidate tables, run.json,
report.html). The work is :func:`supercon3d.api.discover`; this module parses and prints."""

from __future__ import annotations

from pathlib import Path

import typer

from supercon3d.cli.options import DataOption, FormatOption, OutputFormat
from supercon3d.cli.progress import console, one_line_errors, progress_bar
from supercon3d.cli.results import interruptible, usage_error
from supercon3d.cli.tables import FOLD_NAMES_TO, TABLE, Column, print_records, print_table
from supercon3d.discovery.settings import (
    DEFAULT_E_HULL,
    DEFAULT_GENERATE,
    DEFAULT_MAX_ELEMENTS,
    DEFAULT_RELAX_STEPS,
    DEFAULT_SEEDS,
    DEFAULT_TOP_DISORDERED,
    DEFAULT_TOP_ORDERED,
    QUICK,
    StructureSource,
)

SHOWN_ROWS = 10
"""Candidates printed per table (all are in the CSV files)."""


STAGE_COLUMNS = (
    Column("stage"),
    Column("in", numeric=True),
    Column("kept", numeric=True),
    Column("seconds", priority=1, numeric=True),
    Column("dropped", priority=2),
)


def _print_stages(record: dict) -> None:
    rows = [
        [
            stage["name"],
            str(stage["n_in"]),
            str(stage["n_out"]),
            f"{stage['seconds']:.0f}",
            ", ".join(f"{reason}: {n}" for reason, n in stage["dropped"].items()),
        ]
        for stage in record["stages"]
    ]
    print_table(STAGE_COLUMNS, rows, title="discovery funnel")


SHOWN_COLUMNS = {
    "rank": Column("#", numeric=True),
    "formula": Column("formula"),
    "space_group": Column("space group", priority=3),
    "disorder_class": Column("class", priority=2),
    "family": Column("family", priority=3),
    "tc_kelvin": Column("Tc (K)", numeric=True),
    "p_superconductor": Column("P(SC)", priority=1, numeric=True),
    "e_above_hull": Column("E_hull", priority=1, numeric=True),
    "novel": Column("novel", priority=2),
    "known_superconductor": Column("known", priority=2),
    "parent": Column("parent", priority=4, fold_to=FOLD_NAMES_TO),
}
"""The candidate table's fields printed (the CSV files hold all), each with its column: its
header and priority (0: always shown; the highest number is left out first in a narrow
terminal)."""
CANDIDATE_TABLES = ("ordered", "disordered")
"""The field saying which candidate table a row of ``--format tsv|json`` comes from."""


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:.3g}"
    return str(value)


def _print_candidates(title: str, candidates) -> None:
    rows = [
        [_cell(row.get(field)) for field in SHOWN_COLUMNS]
        for row in candidates.head(SHOWN_ROWS).to_dict("records")
    ]
    print_table(tuple(SHOWN_COLUMNS.values()), rows, title=f"{title} ({len(candidates)})")


def _candidate_records(run) -> list[dict]:
    """Every candidate of both tables, every field, with ``table`` naming its table."""
    return [
        {"table": name, **row}
        for name, candidates in zip(CANDIDATE_TABLES, (run.ordered, run.disordered))
        for row in candidates.to_dict("records")
    ]


@one_line_errors
@interruptible
def discover(
    cifs: list[Path] = typer.Argument(None, help="CIF files or folders to add as sources."),
    out: Path = typer.Option(..., "--out", help="Run folder (resumed when run again)."),
    generate: int | None = typer.Option(
        None,
        help=f"Structures generated from noise (default {DEFAULT_GENERATE}, "
        f"{QUICK.generate} with --quick, when no other source is given; else 0).",
    ),
    from_seeds: bool = typer.Option(
        False, "--from-seeds", help="Also optimise seeds from the ordered training split."
    ),
    seeds: int | None = typer.Option(
        None, help=f"Seeds for --from-seeds, 10 structures each (default {DEFAULT_SEEDS})."
    ),
    screen: Path | None = typer.Option(
        None, help="A `supercon3d screen` database: its best rows join the sources."
    ),
    e_hull: float | None = typer.Option(
        None, help=f"Stability window above the hull, eV/atom (default {DEFAULT_E_HULL})."
    ),
    top_ordered: int | None = typer.Option(
        None, help=f"Ordered candidates kept (default {DEFAULT_TOP_ORDERED})."
    ),
    top_disordered: int | None = typer.Option(
        None, help=f"Disordered (doped) candidates kept (default {DEFAULT_TOP_DISORDERED})."
    ),
    relax_steps: int | None = typer.Option(
        None, help=f"FIRE steps per relaxation (default {DEFAULT_RELAX_STEPS}, --quick too)."
    ),
    relax_top: int | None = typer.Option(
        None,
        min=1,
        help="Relax only the N best-ranked structures that pass the chemist's gates "
        f"(default: all; {QUICK.relax_top} with --quick).",
    ),
    max_elements: int | None = typer.Option(
        None,
        min=1,
        help=f"Chemist's gate: most elements in a candidate (default {DEFAULT_MAX_ELEMENTS}).",
    ),
    allow_actinides: bool = typer.Option(
        False,
        "--allow-actinides",
        help="Chemist's gate: let Th and U through (other radioactive elements never pass).",
    ),
    potential: str | None = typer.Option(
        None, help="Interatomic potential: chgnet or sevennet (default: the stability default)."
    ),
    include_known: bool = typer.Option(
        False, "--include-known", help="Keep structures that match a known one (not novel)."
    ),
    seed: int | None = typer.Option(None, help="Random seed of the generator (default 0)."),
    source: StructureSource | None = typer.Option(
        None,
        help="What makes the new structures: generator, substitution (known structures with "
        "substituted elements) or both, which give substitution 70 % of --generate "
        "(default both).",
    ),
    quick: bool = typer.Option(False, "--quick", help="A small run: a few minutes on 2 cores."),
    force: bool = typer.Option(
        False, "--force", help="Start again in a folder that holds another run or other files."
    ),
    data: Path | None = DataOption,
    output_format: OutputFormat = FormatOption,
) -> None:
    """Generate and/or screen, predict Tc and P(SC), drop what fails a chemist's first checks
    (charge balance under common oxidation states, intermetallics passing; at most
    --max-elements elements; no radioactive element; not molecular), keep stable, unique,
    novel candidates, dope the best, and write the ordered and disordered candidate tables
    and report.html. --quick relaxes fewer structures (--relax-top), with the full number of
    steps; a relaxation stopped at the step limit above the window is dropped as "relaxation
    not converged", not as unstable."""
    from supercon3d import api
    from supercon3d.discovery.run_record import DiscoveryFolderError

    try:
        run = api.discover(
            out, generate=generate, from_seeds=from_seeds, seeds=seeds, screen=screen,
            cifs=cifs or [], e_hull=e_hull, top_ordered=top_ordered,
            top_disordered=top_disordered, relax_steps=relax_steps, potential=potential,
            include_known=include_known, seed=seed, quick=quick, force=force,
            max_elements=max_elements, allow_actinides=allow_actinides, relax_top=relax_top,
            source=source, data=data, progress=progress_bar, log=console.print,
        )  # fmt: skip
    except DiscoveryFolderError as error:
        raise usage_error(str(error)) from None
    if output_format != TABLE:
        print_records(output_format, _candidate_records(run))
    else:
        _print_stages(run.record)
        _print_candidates("ordered candidates", run.ordered)
        _print_candidates("disordered candidates", run.disordered)
    console.print(f"report: {run.folder / 'report.html'}", highlight=False)

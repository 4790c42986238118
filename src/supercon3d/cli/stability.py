"""``supercon3d stability``: relax CIFs with a machine-learned potential and report their
energy above the convex hull.

The work is :func:`supercon3d.api.stability`; heavy modules are imported inside the command.
Every input that fails is a row with its error; exit status and ``--out`` follow
:mod:`supercon3d.cli.results`.
"""

from __future__ import annotations

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
    Column,
    chosen_format,
    print_records,
    print_table,
)

POTENTIAL_NAMES = ("chgnet", "sevennet")
"""The choices of --potential (supercon3d.stability.POTENTIALS, named here so that the CLI
starts without importing the package)."""
TABLE_COLUMNS = (
    Column("file", fold_to=FOLD_NAMES_TO),
    Column("formula", priority=1),
    Column("space group", priority=3),
    Column("E (eV/atom)", priority=2, numeric=True),
    Column("E_hull (eV/atom)", numeric=True),
    Column("hull", priority=1),
    Column("converged", priority=2),
    Column("steps", priority=4, numeric=True),
    Column("ΔV", priority=3, numeric=True),
    Column("checks", priority=4),
)
"""The columns of the table, each with its priority (0: always shown; the highest number is
left out first in a narrow terminal)."""


def _csv_row(record: dict) -> dict:
    row = dict(record)
    row["warnings"] = " | ".join(record.get("warnings", []))
    return row


def _number(value: float | None, digits: int = 3) -> str:
    """``value`` to ``digits`` decimals (no "-0.000"), or a dash."""
    return "–" if value is None else f"{round(value, digits) + 0.0:.{digits}f}"


def _checks(record) -> str:
    """A chemist's checks in words: charge balance (or intermetallic), molecular."""
    words = [record.charge_kind or "–"]
    if record.molecular:
        words.append("molecular")
    return ", ".join(words)


def _cells(r) -> list[str]:
    """One row of the table, in the order of :data:`TABLE_COLUMNS`."""
    hull = "incomplete" if r.hull_incomplete else "complete"
    change = "–" if r.volume_change is None else f"{r.volume_change:+.0%}"
    group = "–" if r.space_group is None else f"{r.space_group} ({r.space_group_number})"
    return [
        Path(r.file).name, r.formula, group, _number(r.energy_per_atom), _number(r.e_above_hull),
        hull, "yes" if r.converged else "no", str(r.steps), change, _checks(r),
    ]  # fmt: skip


def _print_records(records: list) -> None:
    potential = records[0].potential if records else ""
    rows = [_cells(r) for r in records if r.error is None]
    print_table(TABLE_COLUMNS, rows, title=f"stability ({len(records)} files, {potential})")


def _print_notes(records: list) -> None:
    """On stderr, below the table: every file's notes and every failure."""
    print_warnings(((r.file, warning) for r in records for warning in r.warnings), "note")
    for r in records:
        if r.error is not None:
            console.print(f"[red]failed[/red] {r.error}", highlight=False, soft_wrap=True)


@interruptible
@one_line_errors
def stability(
    paths: list[Path] = typer.Argument(
        ...,
        help="Structure files (CIF, POSCAR, extxyz, archives, CSV of CIFs) and/or folders of CIFs.",
    ),
    potential: str = typer.Option(
        "chgnet", help=f"Machine-learned potential: {' or '.join(POTENTIAL_NAMES)}."
    ),
    max_steps: int | None = typer.Option(
        None, min=0, help="FIRE steps per relaxation (default 100; 0: static energy)."
    ),
    workers: int | None = typer.Option(
        None, min=1, help="Relaxations run at once, one process each (default: all cores)."
    ),
    complete_hull: bool = typer.Option(
        True,
        help="Relax prototype binaries for element pairs the reference hull lacks (cached).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON on stdout."),
    out: Path | None = typer.Option(None, help="Write the records to FILE.json or FILE.csv."),
    force: bool = typer.Option(False, "--force", help="Let --out replace an existing file."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Relax crystals with a machine-learned potential (CHGNet or SevenNet-0) and give their
    energy above the convex hull (eV/atom) against reference energies of the same potential.
    The relaxed structure is symmetrised (spglib, 0.1 Å) and given with its space group and a
    chemist's checks: charge balance under common oxidation states ("ionic"; "intermetallic"
    without an anion-forming element; "unbalanced"), the number of elements, and whether it
    is molecular (finite bonded clusters, e.g. NH3).

    A disordered CIF is scored through its lowest-energy ordered approximant. A pair of
    elements that meets in no reference compound first gets ten binary prototypes relaxed
    (about 10 s a pair, once per machine: they are cached). hull "incomplete": the chemical
    system lacks an elemental reference, or a pair of its elements meets in no reference
    compound (--no-complete-hull), or the candidate lies over 0.5 eV/atom below the hull; a
    low e_above_hull then does not mean stable. --workers relaxations run at once.
    --potential sevennet needs the optional extra: pip install "supercon3d\\[stability]". Exit
    status: 0 all done, 3 some failed, 1 none, 2 usage.
    """
    from supercon3d import api
    from supercon3d.data.cif import expand_cif_paths
    from supercon3d.progress import no_progress

    if potential not in POTENTIAL_NAMES:
        raise typer.BadParameter(
            f"choose one of {', '.join(POTENTIAL_NAMES)}", param_hint="--potential"
        )
    files = expand_cif_paths(paths)
    if out is not None:
        check_output(out, files, force)
    output_format = chosen_format(output_format, as_json)
    progress = no_progress if output_format != TABLE else progress_bar
    records = api.stability(
        paths, potential=potential, max_steps=max_steps, progress=progress, workers=workers,
        complete_hull=complete_hull,
    )  # fmt: skip
    rows = [record.to_json() for record in records]
    if output_format != TABLE:
        print_records(output_format, rows)
    else:
        _print_records(records)
    _print_notes(records)
    if out is not None:
        write_output(out, rows, _csv_row)
    failed = sum(record.error is not None for record in records)
    status = exit_status(failed, len(records))
    if status != EXIT_ALL_DONE:
        raise typer.Exit(status)

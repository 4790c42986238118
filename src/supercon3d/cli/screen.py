"""``supercon3d screen``: score structure databases into a resumable SQLite file, and
``supercon3d screen report``: the screening table of such a file.

``screen SOURCE... --db FILE`` runs :func:`supercon3d.api.screen` (the word ``run`` may be
given first: ``screen run SOURCE...``, needed only for a source named ``report``);
``screen report FILE`` reads :func:`supercon3d.api.screen_report`. Heavy modules are
imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from supercon3d.cli.options import DataOption, FormatOption, OutputFormat
from supercon3d.cli.progress import console, one_line_errors, stage_progress
from supercon3d.cli.results import (
    EXIT_ALL_DONE,
    check_output,
    exit_status,
    interruptible,
    usage_error,
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
from supercon3d.defaults import (
    DEFAULT_CIF_COLUMN,
    DEFAULT_LOCAL_SHARD_SIZE,
    DEFAULT_RESCORE_TOP,
    DEFAULT_SHARD_SIZE,
)

RUN_COMMAND = "run"
HELP_OPTIONS = ("--help", "-h")
DEFAULT_REPORT_ROWS = 20
PRINTED_ERRORS = 20
"""Failed rows listed at the end of a screen; the rest are counted."""
ENGINE_HELP = "local: a process pool here; dask: a Dask cluster (--scheduler or --dask-workers)."
TABLE_COLUMNS = (
    Column("name", fold_to=FOLD_NAMES_TO),
    Column("formula", priority=1),
    Column("class", priority=3),
    Column("family", priority=4),
    Column("stage", priority=5, numeric=True),
    Column("P(SC)", priority=1, numeric=True),
    Column("Tc (K)", numeric=True),
    Column("90 % (K)", priority=2, numeric=True),
    Column("known (K)", priority=2, numeric=True),
    Column("related", priority=3),
    Column("checks", priority=5),
)
"""The columns of the table, each with its priority (0: always shown; the highest number is
left out first in a narrow terminal); :func:`_cells` gives a row's cells in this order."""


class ScreenGroup(TyperGroup):
    """``screen`` with a default subcommand: arguments that do not start with a subcommand's
    name are those of ``screen run``."""

    def parse_args(self, context: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in HELP_OPTIONS:
            args = [RUN_COMMAND, *args]
        return super().parse_args(context, args)


screen_app = typer.Typer(
    cls=ScreenGroup,
    help="Screen structure databases for superconductors: `supercon3d screen SOURCE... --db "
    "FILE` scores (resumable; local or Dask), `supercon3d screen report FILE` tables.",
    no_args_is_help=True,
)


def _kelvin(value: float | None) -> str:
    """A temperature (K): two decimals below 1 K, one below 100 K, none above."""
    if value is None:
        return "–"
    if value < 1:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _checks(row: dict) -> str:
    """The chemist's checks in a few words: ``"3 el"``, then ``unbalanced`` and ``molecular``
    where they fail; ``"–"`` for a row without them (a database of an older schema)."""
    if row.get("n_elements") is None:
        return "–"
    words = [f"{row['n_elements']} el"]
    if row.get("charge_balanced") is False:
        words.append("unbalanced")
    if row.get("molecular"):
        words.append("molecular")
    return ", ".join(words)


def _cells(row: dict) -> list[str]:
    """One row of the printed table."""
    interval = (
        f"{_kelvin(row['tc_low_kelvin'])}–{_kelvin(row['tc_high_kelvin'])}"
        if row["tc_low_kelvin"] is not None
        else "–"
    )
    chance = "–" if row["p_superconductor"] is None else f"{row['p_superconductor']:.2f}"
    return [
        row["name"],
        row["reduced_formula"],
        row["disorder_class"],
        row["family"],
        str(row["stage"]),
        chance,
        _kelvin(row["tc_kelvin"]),
        interval,
        _kelvin(row["reported_tc_kelvin"]),
        row["related_superconductors"] or "–",
        _checks(row),
    ]


def _print_table(rows: list[dict], title: str) -> None:
    caption = (
        "stage 2: structural ensemble, with its 90 % interval; stage 1: composition models. "
        "known: reported Tc of the same composition; related: superconductors of the same "
        "elements (count, best Tc); checks: number of elements, and unbalanced (no charge-"
        "neutral common oxidation states) or molecular where so"
    )
    print_table(TABLE_COLUMNS, [_cells(row) for row in rows], title=title, caption=caption)


def _markdown(rows: list[dict]) -> str:
    lines = [
        "| " + " | ".join(column.header for column in TABLE_COLUMNS) + " |",
        "|" + "|".join("---:" if column.numeric else "---" for column in TABLE_COLUMNS) + "|",
    ]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in _cells(row)) + " |" for row in rows
    ]
    return "\n".join(lines) + "\n"


def _write_report(out: Path, rows: list[dict]) -> None:
    if out.suffix.lower() == ".md":
        out.write_text(_markdown(rows), encoding="utf-8")
        console.print(f"wrote {out}", highlight=False)
    else:
        write_output(out, rows, dict)


def _check_report_out(out: Path | None, db: Path, force: bool) -> None:
    if out is None:
        return
    if out.suffix.lower() not in (".csv", ".md", ".json"):
        raise usage_error(f"{out}: --out takes a .csv, .md or .json file")
    check_output(out, [db], force)


def _print_errors(db: Path, failed: int) -> None:
    """The first :data:`PRINTED_ERRORS` failed rows of the database, and their count."""
    from supercon3d.screening.database import open_readonly

    if not failed:
        return
    with open_readonly(db) as database:
        errors = database.errors(PRINTED_ERRORS)
    for error in errors:
        console.print(f"[red]failed[/red] {error}", highlight=False, soft_wrap=True)
    more = f" (the first {len(errors)} above)" if failed > len(errors) else ""
    console.print(f"[yellow]{failed:,} rows failed{more}: their error column says why[/yellow]")


@screen_app.command(RUN_COMMAND)
@interruptible
@one_line_errors
def run(
    sources: list[Path] = typer.Argument(
        ...,
        help="CIF files, folders (recursive), .zip/.tar(.gz) of CIFs, CSV with CIF text, "
        "or files ase.io reads (extxyz, ASE .db).",
    ),
    db: Path = typer.Option(
        ..., "--db", help="The results database (SQLite); resumed if it exists."
    ),
    rescore_top: float | None = typer.Option(
        None,
        min=0.0,
        max=1.0,
        help=f"Fraction of structures, by P(SC), rescored by the structural ensemble "
        f"[default: {DEFAULT_RESCORE_TOP}].",
    ),
    rescore_above: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Rescore every structure with P(SC) at least this instead."
    ),
    cif_column: str = typer.Option(DEFAULT_CIF_COLUMN, help="CSV sources: the column of CIF text."),
    id_column: str | None = typer.Option(
        None, help="CSV sources: the id column [default: material_id, id or name, else the row]."
    ),
    engine: str = typer.Option("local", help=ENGINE_HELP),
    workers: int | None = typer.Option(
        None, min=1, help="--engine local: processes [default: all cores]."
    ),
    scheduler: str | None = typer.Option(None, help="--engine dask: the scheduler's address."),
    dask_workers: int | None = typer.Option(
        None, min=1, help="--engine dask without --scheduler: workers of a LocalCluster."
    ),
    shard_size: int | None = typer.Option(
        None,
        min=1,
        help=f"Structures per task [default: {DEFAULT_SHARD_SIZE} on Dask, "
        f"{DEFAULT_LOCAL_SHARD_SIZE} locally].",
    ),
    checkpoints: Path | None = typer.Option(
        None, help="Run folder of the structural ensemble [default: the shipped model]."
    ),
    data: Path | None = DataOption,
    force_new: bool = typer.Option(
        False, "--force-new", help="Start the database anew if another version or model wrote it."
    ),
    top: int = typer.Option(
        DEFAULT_REPORT_ROWS, min=0, help="Rows of the table printed at the end."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Score every structure of SOURCES into --db (the default command).

    Stage 1 (composition models, P(SC), known superconductors) for all, stage 2 (the
    structural ensemble) for the top by P(SC). Started again, it skips what the database
    holds (by content hash) and finishes the rest; Ctrl-C keeps every finished batch.
    Exit status: 0 all read, 3 some failed (rows with an
    error), 1 none could be read, 2 usage error, 130 interrupted.
    """
    from supercon3d import api

    if rescore_top is not None and rescore_above is not None:
        raise usage_error("give --rescore-top or --rescore-above, not both")
    if engine == "local" and (scheduler is not None or dask_workers is not None):
        raise usage_error("--scheduler and --dask-workers need --engine dask")
    if engine == "dask" and workers is not None:
        raise usage_error("--engine dask takes --dask-workers, not --workers")
    if engine not in ("local", "dask"):
        raise usage_error(f"--engine {engine!r}: choose local or dask")

    from supercon3d.data.sources import count_items
    from supercon3d.screening.database import STAGE_COMPOSITION

    total = count_items(sources, cif_column)  # every input is a stage-1 row
    with stage_progress() as progress:

        def report_shard(done) -> None:
            stage_total = total if done.stage == STAGE_COMPOSITION else done.total
            progress.advance(f"stage {done.stage}", done.rows, stage_total)

        result = api.screen(
            sources,
            db,
            rescore_top=DEFAULT_RESCORE_TOP if rescore_top is None else rescore_top,
            rescore_above=rescore_above,
            cif_column=cif_column,
            id_column=id_column,
            engine=engine,
            scheduler=scheduler,
            workers=dask_workers if engine == "dask" else workers,
            shard_size=shard_size,
            checkpoints=checkpoints,
            data=data,
            force_new=force_new,
            on_shard=report_shard,
        )
    stage1, stage2 = result.composition, result.structure
    console.print(
        f"stage 1: {stage1.scored:,} scored ({stage1.failed:,} unreadable), {stage1.reused:,} "
        f"already in {db}, {stage1.wall_s:.1f} s; stage 2: {stage2.scored:,} rescored, "
        f"{stage2.wall_s:.1f} s; {result.rows:,} rows in all",
        highlight=False,
    )
    rows = api.screen_report(db, top)
    if output_format != TABLE:
        print_records(output_format, rows)
    elif rows:
        _print_table(rows, f"top {len(rows)} of {db}")
    _print_errors(db, result.failed_rows)
    status = exit_status(result.failed_rows, result.rows)
    if status != EXIT_ALL_DONE:
        raise typer.Exit(status)


@screen_app.command("report")
@one_line_errors
def report(
    db: Path = typer.Argument(..., help="A database written by `supercon3d screen`."),
    top: int = typer.Option(DEFAULT_REPORT_ROWS, min=0, help="Rows of the table."),
    disordered_only: bool = typer.Option(
        False, "--disordered-only", help="Leave out ordered structures."
    ),
    unreported: bool = typer.Option(
        False,
        "--unreported",
        help="Only compositions without a reported Tc or reported non-superconductivity.",
    ),
    out: Path | None = typer.Option(None, help="Also write the rows to FILE.csv, .md or .json."),
    force: bool = typer.Option(False, "--force", help="Let --out replace an existing file."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON list of row objects (every column) instead."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """The screening table of a database: its best rows.

    Rescored rows first, by predicted Tc then P(SC); each with its formula, disorder class,
    family, P(SC), Tc with interval and what is reported (a known superconductor's Tc, related
    superconductors). --unreported lists only what the literature tables do not report."""
    from supercon3d import api

    _check_report_out(out, db, force)
    rows = api.screen_report(db, top, disordered_only, unreported)
    output_format = chosen_format(output_format, as_json)
    if output_format != TABLE:
        print_records(output_format, rows)
    else:
        only = [("disordered", disordered_only), ("unreported", unreported)]
        kinds = ", ".join(name for name, chosen in only if chosen)
        _print_table(rows, f"top {len(rows)} of {db}" + (f" ({kinds})" if kinds else ""))
    if out is not None:
        _write_report(out, rows)

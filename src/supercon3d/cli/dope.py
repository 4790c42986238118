"""``supercon3d dope``: doped variants of CIFs ranked by predicted ΔTc.

The work is :func:`supercon3d.api.dope` (which keeps each CIF's reader warnings with its rows
and refuses a parent the stability step would refuse); this module parses, prints the
warnings and the table, and writes. Heavy modules are imported inside the command. With
``--out DIR`` each kept variant is written as a partially occupied CIF and the table as
``DIR/doping.json``; exit status follows :mod:`supercon3d.cli.results`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from supercon3d.cli.options import FormatOption, OutputFormat
from supercon3d.cli.progress import console, one_line_errors, print_warnings
from supercon3d.cli.results import (
    EXIT_ALL_DONE,
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

DEFAULT_TOP = 10
RESULTS_FILE = "doping.json"
TABLE_COLUMNS = (
    Column("parent", fold_to=FOLD_NAMES_TO),
    Column("variant"),
    Column("formula", priority=1),
    Column("carriers", priority=3),
    Column("class", priority=4),
    Column("x", priority=2, numeric=True),
    Column("P(SC)", priority=2, numeric=True),
    Column("Tc (K)", priority=1, numeric=True),
    Column("ΔTc (K)", numeric=True),
    Column("model ΔTc (K)", priority=5, numeric=True),
    Column("parent Tc (K)", priority=3, numeric=True),
)
"""The columns of the table, each with its priority (0: always shown; the highest number is
left out first in a narrow terminal). ΔTc: the predicted change (dilute-referenced model plus
the doping prior); model ΔTc: the model's variant − parent Tc, uncorrected
(:mod:`supercon3d.doping.calibration`)."""
STABILITY_COLUMN = Column("E_hull", priority=1, numeric=True)
"""With --stability: the variant's energy above the hull (eV/atom)."""


def _number(value: float | None, digits: int = 1, sign: str = "") -> str:
    return "–" if value is None else f"{value:{sign}.{digits}f}"


def _cells(r, with_stability: bool) -> list[str]:
    """One row of the table, in the order of :data:`TABLE_COLUMNS` (and
    :data:`STABILITY_COLUMN`)."""
    v, p = r.variant, r.prediction
    what = f"{v.dopant} for {v.host}" if v.kind == "substitution" else f"{v.host} vacancy"
    row = [
        v.parent, what, v.formula, v.carriers, p.disorder_class, f"{v.fraction:.2f}",
        _number(p.p_superconductor, 2), _number(p.tc_kelvin),
        _number(r.delta_tc_kelvin, sign="+"), _number(r.delta_tc_model_kelvin, sign="+"),
        _number(r.parent_prediction.tc_kelvin),
    ]  # fmt: skip
    if with_stability:
        row.append(_number(r.stability.e_above_hull if r.stability else None, 3))
    return row


def _print_results(results: list, with_stability: bool) -> None:
    columns = TABLE_COLUMNS + ((STABILITY_COLUMN,) if with_stability else ())
    rows = [
        _cells(r, with_stability) for r in results if r.error is None and r.prediction.error is None
    ]
    print_table(columns, rows, title="doped variants, ranked by predicted ΔTc per parent")


def _print_failures(results: list) -> None:
    for r in results:
        error = r.error or (r.prediction.error if r.prediction is not None else None)
        if error is not None:
            console.print(f"[red]failed[/red] {error}", highlight=False, soft_wrap=True)


def _print_warnings(results: list) -> None:
    """Each parent CIF's reader warnings, once per file."""
    by_parent = {}
    for result in results:
        by_parent.setdefault(result.parent_prediction.file, result.parent_warnings)
    print_warnings(
        (parent, warning) for parent, warnings in by_parent.items() for warning in warnings
    )


@interruptible
@one_line_errors
def dope(
    paths: list[Path] = typer.Argument(
        ...,
        help="Structure files (CIF, POSCAR, extxyz, archives, CSV of CIFs) and/or folders of CIFs.",
    ),
    top: int = typer.Option(DEFAULT_TOP, min=1, help="Variants kept per parent."),
    fractions: str = typer.Option(
        "0.05,0.1,0.2,0.3", help="Shares of the host sites doped (comma-separated)."
    ),
    out: Path | None = typer.Option(
        None, help=f"Folder for the kept variants' CIFs and {RESULTS_FILE}."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON on stdout."),
    with_stability: bool = typer.Option(
        False,
        "--stability",
        help="Relax the kept variants too (CHGNet) and give their energy above the hull.",
    ),
    force: bool = typer.Option(False, "--force", help="Let --out replace existing files."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Doped variants (dopants of compatible charge and size, anion vacancies within the
    redox window) of crystals, scored as partially occupied structures and ranked by
    predicted ΔTc (K) against the parent. Exit status: 0 all parents done, 3 some failed,
    1 none, 2 usage error."""
    from supercon3d import api
    from supercon3d.doping.cif import write_variant_cif
    from supercon3d.doping.variants import MIN_FRACTION

    try:
        shares = tuple(float(part) for part in fractions.split(","))
    except ValueError:
        raise usage_error(f"--fractions {fractions!r}: give numbers like 0.05,0.1") from None
    if any(not MIN_FRACTION <= share < 1 for share in shares):
        raise usage_error(
            f"--fractions {fractions!r}: each must lie between {MIN_FRACTION:g} and 1 (1 excluded)"
        )
    if out is not None:
        if out.exists() and not out.is_dir():
            raise usage_error(f"{out}: is a file; --out takes a folder")
        if (out / RESULTS_FILE).exists() and not force:
            raise usage_error(f"{out / RESULTS_FILE}: exists; --force replaces it")
    results = api.dope(paths, top=top, fractions=shares, with_stability=with_stability)
    rows = [result.to_json() for result in results]
    output_format = chosen_format(output_format, as_json)
    if output_format != TABLE:
        print_records(output_format, rows)
    else:
        _print_results(results, with_stability)
    _print_warnings(results)
    _print_failures(results)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for result in results:
            if result.variant is not None:
                write_variant_cif(result.variant, out, force)
        write_output(out / RESULTS_FILE, rows, dict)
    failed_parents = {r.parent_prediction.file for r in results if r.error is not None}
    parents = {r.parent_prediction.file for r in results}
    status = exit_status(len(failed_parents), len(parents))
    if status != EXIT_ALL_DONE:
        raise typer.Exit(status)

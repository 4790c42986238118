"""``supercon3d dope``: doped variants of CIFs ranked by predicted Tc.

The work is :func:`supercon3d.api.dope`; heavy modules are imported inside the command. With
``--out DIR`` each kept variant is written as a partially occupied CIF and the table as
``DIR/doping.json``; exit status follows :mod:`supercon3d.cli.results`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from supercon3d.cli.progress import console, one_line_errors, output
from supercon3d.cli.results import (
    EXIT_ALL_DONE,
    exit_status,
    finite_or_none,
    interruptible,
    usage_error,
    write_output,
)

DEFAULT_TOP = 10
RESULTS_FILE = "doping.json"
NUMBER_COLUMNS = ("x", "P(SC)", "Tc (K)", "ΔTc (K)", "parent Tc (K)", "E_hull")


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _print_results(results: list, with_stability: bool) -> None:
    from rich.table import Table

    table = Table(title="doped variants, ranked by predicted Tc per parent")
    columns = ["parent", "variant", "formula", "carriers", "class", *NUMBER_COLUMNS[:5]]
    columns += ["E_hull"] if with_stability else []
    for column in columns:
        table.add_column(column, justify="right" if column in NUMBER_COLUMNS else "left",
                         overflow="fold")  # fmt: skip
    for r in results:
        if r.error is not None or r.prediction.error is not None:
            continue
        v, p = r.variant, r.prediction
        what = f"{v.dopant} for {v.host}" if v.kind == "substitution" else f"{v.host} vacancy"
        row = [
            v.parent, what, v.formula, v.carriers, p.disorder_class, f"{v.fraction:.2f}",
            _number(p.p_superconductor, 2), _number(p.tc_kelvin), f"{r.delta_tc_kelvin:+.1f}",
            _number(r.parent_prediction.tc_kelvin),
        ]  # fmt: skip
        if with_stability:
            row.append(_number(r.stability.e_above_hull if r.stability else None, 3))
        table.add_row(*row)
    output.print(table)
    for r in results:
        error = r.error or (r.prediction.error if r.prediction is not None else None)
        if error is not None:
            console.print(f"[red]failed[/red] {error}", highlight=False, soft_wrap=True)


@interruptible
@one_line_errors
def dope(
    paths: list[Path] = typer.Argument(..., help="CIF files and/or folders of CIFs."),
    top: int = typer.Option(DEFAULT_TOP, min=1, help="Variants kept per parent."),
    fractions: str = typer.Option(
        "0.05,0.1,0.2,0.3", help="Shares of the host sites doped (comma-separated)."
    ),
    out: Path | None = typer.Option(
        None, help=f"Folder for the kept variants' CIFs and {RESULTS_FILE}."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON on stdout."),
    with_stability: bool = typer.Option(
        False, "--stability", help="Relax the kept variants too (needs the stability extra)."
    ),
    force: bool = typer.Option(False, "--force", help="Let --out replace existing files."),
) -> None:
    """Doped variants (ICSD-probable substitutions and anion vacancies) of crystals, scored
    as partially occupied structures and ranked by predicted Tc (K) with the change from the
    parent. Exit status: 0 all parents done, 3 some failed, 1 none, 2 usage error."""
    from supercon3d import api
    from supercon3d.data.cif import expand_cif_paths
    from supercon3d.doping.cif import write_variant_cif

    try:
        shares = tuple(float(part) for part in fractions.split(","))
    except ValueError:
        raise usage_error(f"--fractions {fractions!r}: give numbers like 0.05,0.1") from None
    if any(not 0 < share < 1 for share in shares):
        raise usage_error(f"--fractions {fractions!r}: each must lie strictly between 0 and 1")
    files = expand_cif_paths(paths)
    if out is not None:
        if out.exists() and not out.is_dir():
            raise usage_error(f"{out}: is a file; --out takes a folder")
        if (out / RESULTS_FILE).exists() and not force:
            raise usage_error(f"{out / RESULTS_FILE}: exists; --force replaces it")
    results = api.dope(files, top=top, fractions=shares, with_stability=with_stability)
    rows = [result.to_json() for result in results]
    if as_json:
        print(json.dumps(finite_or_none(rows), indent=1))
    else:
        _print_results(results, with_stability)
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

"""``supercon3d screen`` and ``supercon3d screen report``: parsing, exit status, JSON keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymatgen.core import Composition, Lattice, Structure
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.cli.results import EXIT_SOME_FAILED, EXIT_USAGE
from supercon3d.data.cif import write_cif
from supercon3d.screening.database import COLUMNS
from supercon3d.settings import dataset_path

BAD = Path(__file__).parent / "cifs" / "bad"
N_CIFS = 8
ROCKSALTS = {"NaCl": 5.64, "ScN": 4.5}
"""Rock-salt cells: NaCl is in none of the literature tables, ScN a reported
non-superconductor (SuperCon, Tc = 0)."""


@pytest.fixture(scope="module")
def screened(tmp_path_factory) -> Path:
    """A database of eight SuperCon3D CIFs (reported superconductors), the
    :data:`ROCKSALTS` and one garbage file, none rescored."""
    cifs = sorted(dataset_path("supercon3d").joinpath("cif").glob("*.cif"))[:N_CIFS]
    folder = tmp_path_factory.mktemp("cli")
    for formula, a in ROCKSALTS.items():
        cation, anion = Composition(formula).elements
        rocksalt = Structure.from_spacegroup(
            "Fm-3m", Lattice.cubic(a), [cation, anion], [[0, 0, 0], [0.5, 0.5, 0.5]]
        )
        write_cif(rocksalt, folder / f"{formula}.cif")
        cifs.append(folder / f"{formula}.cif")
    path = folder / "screen.sqlite"
    arguments = [
        "screen",
        *map(str, cifs),
        str(BAD / "garbage.cif"),
        "--db",
        str(path),
        "--workers",
        "1",
        "--rescore-top",
        "0",
    ]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == EXIT_SOME_FAILED, result.output
    assert "garbage.cif" in result.output
    return path


@pytest.mark.data
def test_report_json_is_a_list_of_rows_with_every_column(screened):
    result = CliRunner().invoke(app, ["screen", "report", str(screened), "--json", "--top", "3"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 3 and all(list(row) == list(COLUMNS) for row in rows)
    tcs = [row["tc_kelvin"] for row in rows]
    assert tcs == sorted(tcs, reverse=True)


@pytest.mark.data
def test_report_disordered_only_and_markdown_out(screened, tmp_path):
    out = tmp_path / "table.md"
    arguments = [
        "screen",
        "report",
        str(screened),
        "--disordered-only",
        "--json",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(row["disorder_class"] != "O" for row in rows)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("| name | formula") and len(lines) == 2 + len(rows)
    again = CliRunner().invoke(app, ["screen", "report", str(screened), "--out", str(out)])
    assert again.exit_code == EXIT_USAGE and "--force" in again.output


@pytest.mark.data
def test_report_unreported_lists_only_compositions_the_literature_does_not_report(screened):
    every = CliRunner().invoke(app, ["screen", "report", str(screened), "--json", "--top", "50"])
    unreported = CliRunner().invoke(
        app, ["screen", "report", str(screened), "--json", "--top", "50", "--unreported"]
    )
    assert every.exit_code == unreported.exit_code == 0, unreported.output
    everything = json.loads(every.stdout)
    by_formula = {row["reduced_formula"]: row for row in everything}
    assert by_formula["ScN"]["reported_non_superconductor"] is True
    assert sum(row["reported_tc_kelvin"] is not None for row in everything) >= N_CIFS // 2
    rows = json.loads(unreported.stdout)
    expected = [
        row for row in everything
        if row["reported_tc_kelvin"] is None and not row["reported_non_superconductor"]
    ]  # fmt: skip
    assert rows == expected and "NaCl" in [row["reduced_formula"] for row in rows]
    assert list(rows[0]) == list(COLUMNS)
    table = CliRunner().invoke(app, ["screen", "report", str(screened), "--unreported"])
    assert table.exit_code == 0 and "(unreported)" in table.output  # the title says so


@pytest.mark.data
def test_the_run_word_is_optional_and_conflicting_options_are_usage_errors(screened):
    explicit = CliRunner().invoke(app, ["screen", "run", "--help"])
    implicit = CliRunner().invoke(app, ["screen", "--db", str(screened), "--help"])
    assert explicit.exit_code == 0 and "--rescore-top" in explicit.output
    assert implicit.exit_code == 0 and "--rescore-top" in implicit.output
    arguments = [
        "screen",
        "x.cif",
        "--db",
        str(screened),
        "--rescore-top",
        "0.1",
        "--rescore-above",
        "0.5",
    ]
    both = CliRunner().invoke(app, arguments)
    assert both.exit_code == EXIT_USAGE and "not both" in both.output
    local = CliRunner().invoke(
        app, ["screen", "x.cif", "--db", str(screened), "--dask-workers", "2"]
    )
    assert local.exit_code == EXIT_USAGE


def test_report_reads_a_database_of_the_previous_schema(tmp_path):
    from test_screen import _schema_2_database

    path = tmp_path / "old.sqlite"
    _schema_2_database(path)
    table = CliRunner().invoke(app, ["screen", "report", str(path)])
    assert table.exit_code == 0, table.output  # the checks column shows "–"
    result = CliRunner().invoke(app, ["screen", "report", str(path), "--json"])
    (row,) = json.loads(result.stdout)
    assert row["reduced_formula"] == "Nb3Sn" and row["reported_tc_kelvin"] == 18.0


def test_the_checks_column_says_what_fails():
    from supercon3d.cli.screen import _checks

    assert _checks({"n_elements": 3, "charge_balanced": True, "molecular": False}) == "3 el"
    assert _checks({"n_elements": 2, "charge_balanced": False, "molecular": True}) == (
        "2 el, unbalanced, molecular"
    )
    assert _checks({"n_elements": None}) == _checks({}) == "–"


def test_a_missing_database_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["screen", "report", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 1
    assert "none.sqlite: no such database file" in result.output

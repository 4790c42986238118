"""The command line in an ordinary terminal: tables fitted to 80 columns (and to a pipe, which
CliRunner's output is) by column priority, ``--format tsv|json``, ``-h``, ``--version``,
progress lines with a total and the time left, and the one message for a missing extra."""

from __future__ import annotations

import importlib.metadata
import json
import math

import pytest
from typer.testing import CliRunner

from supercon3d.cli import progress as progress_module
from supercon3d.cli.main import app
from supercon3d.cli.progress import StageProgress, progress_line, time_left
from supercon3d.cli.tables import (
    PIPE_WIDTH,
    Column,
    fit_columns,
    print_table,
    table_width,
    tsv_text,
)
from supercon3d.errors import missing_extra
from supercon3d.screening.database import COLUMNS

NARROW = 80
COLUMNS_OF_TABLE = (
    Column("file", fold_to=16),
    Column("formula", priority=1),
    Column("class", priority=3),
    Column("family", priority=3),
    Column("P(SC)", priority=1, numeric=True),
    Column("Tc (K)", numeric=True),
    Column("90 % (K)", priority=2, numeric=True),
    Column("known (K)", priority=2, numeric=True),
    Column("related superconductors", priority=4),
    Column("warn", priority=5, numeric=True),
)
ROWS = [
    ["Ba2Ca2Cu3HgO8.cif", "Ba2Ca2Cu3Hg1O8.35", "PD", "cuprate", "0.95", "125",
     "77.4–203", "134", "12 (best 138 K)", "0"],
    ["H9Y1.cif", "YH9", "O", "hydride (HP)", "0.97", "204", "34.9–1193", "243",
     "3 (best 243 K)", "2"],
    ["a_very_long_file_name_of_a_structure.cif", "MgB2", "O", "other", "0.92", "31.5",
     "9.4–105", "39.0", "5 (best 39 K)", "1"],
]  # fmt: skip


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture
def narrow(monkeypatch):
    monkeypatch.setenv("COLUMNS", str(NARROW))


def test_a_narrow_table_leaves_out_columns_by_priority_and_cuts_no_number(narrow, capsys):
    print_table(COLUMNS_OF_TABLE, ROWS, title="predicted Tc (3 files)")
    printed = capsys.readouterr()
    lines = _table_lines(printed.out)
    assert max(map(len, lines)) <= NARROW
    shown = [c for c in COLUMNS_OF_TABLE if c.header in printed.out]
    left_out = [c for c in COLUMNS_OF_TABLE if c not in shown]
    assert left_out and all(c.header in printed.err for c in left_out)
    assert "--format tsv or json" in printed.err
    assert min(c.priority for c in left_out) >= max(c.priority for c in shown)
    assert {"file", "Tc (K)"} <= {c.header for c in shown}  # priority 0: always shown
    for i, column in enumerate(COLUMNS_OF_TABLE):
        if column.numeric and column in shown:
            assert all(row[i] in printed.out for row in ROWS), column.header


def test_every_column_fits_a_wide_terminal(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    print_table(COLUMNS_OF_TABLE, ROWS)
    printed = capsys.readouterr()
    assert all(column.header in printed.out for column in COLUMNS_OF_TABLE)
    assert "left out" not in printed.err
    assert all(cell in printed.out for row in ROWS for cell in row)


def test_columns_are_never_narrower_than_a_whole_word_or_number():
    widths = fit_columns(COLUMNS_OF_TABLE, ROWS, 60).widths
    for i, width in widths.items():
        column, cells = COLUMNS_OF_TABLE[i], [row[i] for row in ROWS]
        assert width >= len(column.header) > 0
        if column.numeric:
            assert width >= max(map(len, cells))
        elif column.fold_to is None:
            assert width >= max(len(word) for cell in cells for word in cell.split())
    assert widths[0] >= 16  # the file column folds names longer than its fold_to only


def test_a_pipe_gets_80_columns_unless_columns_says(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert table_width() == PIPE_WIDTH  # pytest's stdout is not a terminal
    monkeypatch.setenv("COLUMNS", "132")
    assert table_width() == 132


def test_tsv_holds_every_field_at_full_precision():
    records = [
        {"file": "a.cif", "tc_kelvin": 31.498765432, "warnings": ["one", "two\tthree"],
         "stability": {"e_above_hull": 0.0123}, "novel": True},
        {"file": "b.cif", "tc_kelvin": math.nan, "error": "b.cif: no data_ block"},
    ]  # fmt: skip
    lines = tsv_text(records).splitlines()
    header = lines[0].split("\t")
    assert header == [
        "file", "tc_kelvin", "warnings", "stability.e_above_hull", "novel", "error"
    ]  # fmt: skip
    first = dict(zip(header, lines[1].split("\t")))
    second = dict(zip(header, lines[2].split("\t")))
    assert float(first["tc_kelvin"]) == 31.498765432 and first["novel"] == "true"
    assert first["warnings"] == "one | two three" and first["stability.e_above_hull"] == "0.0123"
    assert second["tc_kelvin"] == "" and second["error"] == "b.cif: no data_ block"


def test_screen_report_is_readable_at_80_columns_and_as_tsv_and_json(tmp_path, monkeypatch):
    from test_screen import _schema_2_database

    path = tmp_path / "old.sqlite"
    _schema_2_database(path)
    monkeypatch.delenv("COLUMNS", raising=False)  # CliRunner's stdout is a pipe: 80 columns
    table = CliRunner().invoke(app, ["screen", "report", str(path)])
    assert table.exit_code == 0, table.output
    assert max(map(len, table.stdout.splitlines())) <= PIPE_WIDTH
    for header in ("name", "formula", "Tc (K)", "90 % (K)"):
        assert header in table.stdout
    assert "18.0" in table.stdout and "left out at 80 columns" in table.output
    as_json = CliRunner().invoke(app, ["screen", "report", str(path), "--format", "json"])
    (record,) = json.loads(as_json.stdout)
    assert json.loads(
        CliRunner().invoke(app, ["screen", "report", str(path), "--json"]).stdout
    ) == [record]
    tsv = CliRunner().invoke(app, ["screen", "report", str(path), "--format", "tsv"])
    header, row = tsv.stdout.splitlines()
    assert header.split("\t") == list(record) and set(record) <= set(COLUMNS)
    assert dict(zip(record, row.split("\t")))["reported_tc_kelvin"] == "18.0"


@pytest.mark.parametrize(
    "command",
    [[], ["predict"], ["screen"], ["screen", "report"], ["data", "inspect"], ["stability"],
     ["dope"], ["discover"], ["generate"], ["serve"]],
)  # fmt: skip
def test_h_is_help_on_the_app_and_every_command(command):
    short = CliRunner().invoke(app, [*command, "-h"])
    long = CliRunner().invoke(app, [*command, "--help"])
    assert short.exit_code == long.exit_code == 0, short.output
    assert short.output == long.output and "Usage:" in short.output


def test_version_is_the_installed_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"supercon3d {importlib.metadata.version('supercon3d')}"


def test_every_table_command_takes_format():
    for command in (["predict"], ["screen", "run"], ["screen", "report"], ["stability"],
                    ["dope"], ["discover"], ["data", "inspect"]):  # fmt: skip
        result = CliRunner().invoke(app, [*command, "--help"])
        assert "--format" in result.output, command


def test_progress_lines_say_the_total_and_the_time_left():
    assert (
        progress_line("stage 1", 300, 1200, 40.0) == "stage 1: wrote 300 of 1,200 rows · 2 min left"
    )
    assert progress_line("stage 2", 5, None, 3.0) == "stage 2: wrote 5 rows · 3 s so far"
    assert progress_line("stage 1", 12, 10, 1.0) == "stage 1: wrote 12 of 12 rows in 1 s"
    assert time_left(3 * 3600 + 600) == "3 h 10 min"


def test_progress_in_a_pipe_is_a_line_per_interval_and_each_stage_ends_with_its_count(
    monkeypatch, capsys
):
    monkeypatch.setattr(progress_module, "PLAIN_PROGRESS_INTERVAL_S", 3600.0)
    progress = StageProgress()
    for _ in range(3):
        progress.advance("stage 1", 100, 300)
    progress.advance("stage 2", 10, 30)
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("stage 1: wrote 300 of 300 rows")
    assert lines[1].startswith("stage 2: wrote 10 of 30 rows")


def test_a_missing_extra_is_one_message_naming_the_install_command():
    message = missing_extra("the Dask engine", "dask.distributed", "cluster")
    assert message == (
        "the Dask engine needs dask.distributed, from the optional extra 'cluster': "
        'pip install "supercon3d[cluster]"'
    )


def test_stability_prints_a_table_at_80_columns(tmp_path, monkeypatch):
    from pymatgen.core import Lattice, Structure

    monkeypatch.delenv("COLUMNS", raising=False)
    cif = tmp_path / "cu.cif"
    fcc = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
    Structure(Lattice.cubic(3.61), ["Cu"] * 4, fcc).to(filename=str(cif))
    arguments = ["stability", str(cif), "--max-steps", "0", "--no-complete-hull"]
    table = CliRunner().invoke(app, arguments)
    assert table.exit_code == 0, table.output
    assert max(map(len, table.stdout.splitlines())) <= PIPE_WIDTH
    assert "E_hull (eV/atom)" in table.stdout and "cu.cif" in table.stdout

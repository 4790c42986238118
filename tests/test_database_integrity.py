"""Screening databases examined before use: a damaged one is refused in one line by the report
and by a resumed run, another program's SQLite file is refused and never changed, a database
in a folder that cannot be written is still reported."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.screening import database as database_module
from supercon3d.screening.browse import BrowseIndex
from supercon3d.screening.database import (
    APPLICATION_ID,
    COLUMN_TYPES,
    ScreenDatabase,
    ScreenDatabaseError,
    open_readonly,
)
from supercon3d.screening.funnel import run_identity

BAD_CIF = Path(__file__).parent / "cifs" / "bad" / "garbage.cif"
N_ROWS = 400
DAMAGE_BYTES = 4096
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
"""Root ignores file permissions: the tests of read-only files and folders cannot run so."""


def _row(index: int) -> dict:
    """A stage-1 row with every column filled (text, numbers and flags as a screen writes)."""
    row = {}
    for column, kind in COLUMN_TYPES.items():
        if kind.startswith("TEXT"):
            row[column] = f"{column}-{index:05d}"
        elif kind == "REAL":
            row[column] = 0.001 * index
        else:
            row[column] = index % 2
    row.update(stage=1, sha256=hashlib.sha256(str(index).encode()).hexdigest(), error=None)
    return row


def _database(path: Path, rows: int = N_ROWS) -> Path:
    """A screening database of ``rows`` rows, written in batches as a run writes them."""
    with ScreenDatabase.open(path, run_identity()) as database:
        for start in range(0, rows, 100):
            database.write([_row(i) for i in range(start, min(start + 100, rows))])
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_error(result, path: Path) -> str:
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0], result.output
    return lines[0]


@pytest.fixture
def damaged(tmp_path) -> Path:
    """A database with 4 kB of garbage written over the middle of its file."""
    path = _database(tmp_path / "damaged.sqlite")
    size = path.stat().st_size
    assert size > 4 * DAMAGE_BYTES
    with path.open("r+b") as file:
        file.seek(size // 2)
        file.write(bytes(range(256)) * (DAMAGE_BYTES // 256))
    return path


def test_a_new_database_carries_the_format_tag(tmp_path):
    path = _database(tmp_path / "new.sqlite", rows=3)
    with path.open("rb") as file:
        header = file.read(72)
    assert header[68:72] == APPLICATION_ID.to_bytes(4, "big")
    with open_readonly(path) as database:
        assert database.count() == 3


def test_a_damaged_database_is_refused_by_the_library(damaged):
    with pytest.raises(ScreenDatabaseError, match="damaged: SQLite's integrity check fails"):
        open_readonly(damaged)
    with pytest.raises(ScreenDatabaseError, match="damaged.*--force-new"):
        ScreenDatabase.open(damaged, run_identity())
    with pytest.raises(ScreenDatabaseError, match="damaged"):
        BrowseIndex(damaged)


def test_a_damaged_database_is_one_line_for_the_report_and_a_resumed_run(damaged):
    report = CliRunner().invoke(app, ["screen", "report", str(damaged)])
    assert "damaged" in _one_line_error(report, damaged)
    as_json = CliRunner().invoke(app, ["screen", "report", str(damaged), "--json"])
    assert "damaged" in _one_line_error(as_json, damaged)
    before = _sha256(damaged)
    resumed = CliRunner().invoke(
        app, ["screen", str(BAD_CIF), "--db", str(damaged), "--workers", "1"]
    )
    assert "damaged" in _one_line_error(resumed, damaged)
    assert _sha256(damaged) == before


def test_a_damaged_database_is_started_anew_only_when_asked(damaged):
    with ScreenDatabase.open(damaged, run_identity(), force_new=True) as database:
        assert database.count() == 0
    with open_readonly(damaged) as database:
        assert database.count() == 0


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_another_programs_sqlite_file_is_refused_and_left_byte_for_byte(tmp_path, journal):
    path = tmp_path / "theirs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA journal_mode={journal}")
        connection.execute("CREATE TABLE users (name TEXT)")
        connection.execute("INSERT INTO users VALUES ('ada')")
    connection.close()
    before = _sha256(path)
    for force_new in (False, True):
        with pytest.raises(ScreenDatabaseError, match="not a screening database.*users"):
            ScreenDatabase.open(path, run_identity(), force_new=force_new)
    with pytest.raises(ScreenDatabaseError, match="not a screening database"):
        open_readonly(path)
    result = CliRunner().invoke(app, ["screen", str(BAD_CIF), "--db", str(path), "--workers", "1"])
    assert "not a screening database" in _one_line_error(result, path)
    assert _sha256(path) == before  # header bytes 18-19 (the journal mode) included


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_is(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("my notes\n" * 100)
    for force_new in (False, True):
        with pytest.raises(ScreenDatabaseError, match="not an SQLite file"):
            ScreenDatabase.open(path, run_identity(), force_new=force_new)
    assert path.read_text() == "my notes\n" * 100


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "pipe.sqlite"
    os.mkfifo(path)
    with pytest.raises(ScreenDatabaseError, match="not a regular file"):
        open_readonly(path)
    with pytest.raises(ScreenDatabaseError, match="not a regular file"):
        ScreenDatabase.open(path, run_identity())


def _companions(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_a_folder_that_cannot_be_written_is_read_immutable(tmp_path, monkeypatch):
    """Where SQLite could not make its -shm file, the report reads the file as immutable (no
    writer can be at work there) and leaves nothing beside it."""
    path = _database(tmp_path / "screen.sqlite", rows=20)
    assert _companions(path) == []  # the run's -wal and -shm files went with its connection
    real_access = os.access

    def no_writing_in_the_folder(target, mode):
        if Path(target) == tmp_path and mode & os.W_OK:
            return False
        return real_access(target, mode)

    monkeypatch.setattr(database_module.os, "access", no_writing_in_the_folder)
    with open_readonly(path) as database:
        assert database.count() == 20
    assert _companions(path) == []
    with pytest.raises(ScreenDatabaseError, match="cannot be written"):
        ScreenDatabase.open(path, run_identity())


def test_unfinished_writes_without_their_shm_file_are_refused_in_such_a_folder(
    tmp_path, monkeypatch
):
    path = _database(tmp_path / "screen.sqlite", rows=5)
    Path(f"{path}-wal").write_bytes(b"\0" * 1024)  # as a killed writer could leave it
    monkeypatch.setattr(database_module.os, "access", lambda target, mode: not mode & os.W_OK)
    with pytest.raises(ScreenDatabaseError, match="screen.sqlite-wal holds writes"):
        open_readonly(path)


@pytest.mark.skipif(AS_ROOT, reason="root ignores file permissions")
def test_a_database_in_a_read_only_folder_is_reported(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = _database(folder / "screen.sqlite", rows=30)
    folder.chmod(0o555)
    try:
        result = CliRunner().invoke(app, ["screen", "report", str(path), "--json", "--top", "3"])
        assert result.exit_code == 0, result.output
        assert result.stdout.count('"id"') == 3
        run = CliRunner().invoke(app, ["screen", str(BAD_CIF), "--db", str(path)])
        assert "cannot be written" in _one_line_error(run, path)
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(AS_ROOT, reason="root ignores file permissions")
def test_a_read_only_database_is_reported_and_refused_for_a_run(tmp_path):
    path = _database(tmp_path / "screen.sqlite", rows=10)
    path.chmod(0o444)
    with open_readonly(path) as database:
        assert len(database.top(5)) == 5
    with pytest.raises(ScreenDatabaseError, match="is read-only"):
        ScreenDatabase.open(path, run_identity())

"""The screening database: one SQLite file in WAL mode, written only by the coordinator.

Table ``results`` holds one row per structure (:data:`COLUMNS`), keyed by ``id``, with
``sha256`` indexed so that a structure already scored (under any id) is never scored again.
Every batch is written in one transaction: a process killed at any moment leaves the file
readable with every batch committed before it. Table ``metadata`` records the schema, the
package version and the identity of the models (:data:`IDENTITY_KEYS`): a database written
with another schema, version or model is refused for a run (:class:`ScreenDatabaseError`, one
line saying to start it anew with ``force_new`` or to use another file) rather than mixed;
the report reads a database of any schema, with the columns it has.

``stage`` is :data:`STAGE_FAILED` (``error`` says why), :data:`STAGE_COMPOSITION` (read,
classified, P(superconductor) and the composition models' ln Tc) or :data:`STAGE_STRUCTURE`
(ln Tc, spread and interval from the structural ensemble).
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from supercon3d.errors import SuperCon3DError

STAGE_FAILED, STAGE_COMPOSITION, STAGE_STRUCTURE = 0, 1, 2
COLUMN_TYPES: dict[str, str] = {
    "id": "TEXT PRIMARY KEY",
    "source": "TEXT",
    "name": "TEXT",
    "sha256": "TEXT",
    "formula": "TEXT",
    "reduced_formula": "TEXT",
    "disorder_class": "TEXT",
    "family": "TEXT",
    "high_pressure_hydride": "INTEGER",
    "n_sites": "INTEGER",
    "n_warnings": "INTEGER",
    "n_elements": "INTEGER",
    "charge_balanced": "INTEGER",
    "molecular": "INTEGER",
    "stage": "INTEGER",
    "p_superconductor": "REAL",
    "p_superconductor_composition": "REAL",
    "ln_tc": "REAL",
    "tc_kelvin": "REAL",
    "tc_low_kelvin": "REAL",
    "tc_high_kelvin": "REAL",
    "ln_tc_std": "REAL",
    "ln_tc_composition": "REAL",
    "ln_tc_composition_std": "REAL",
    "known_superconductor": "INTEGER",
    "reported_tc_kelvin": "REAL",
    "reported_non_superconductor": "INTEGER",
    "related_superconductors": "TEXT",
    "related_count": "INTEGER",
    "related_best_tc_kelvin": "REAL",
    "in_supercon3d": "INTEGER",
    "structure_error": "TEXT",
    "error": "TEXT",
}
"""The ``results`` columns. Temperatures in K, ln Tc in ln K. ``p_superconductor``, ``ln_tc``
and ``ln_tc_std`` are the best estimate the row reached: from the composition at stage 1, at
stage 2 the classifier with the structure descriptors and the structural ensemble's mean and
spread, which also fills the interval (what ``predict`` reports); the ``*_composition``
columns keep the stage-1 values, by which stage 2 is chosen. ``structure_error`` says why
stage 2 could not run for a row kept at stage 1 (e.g. a site with no neighbour within the
graph cutoff). The chemist's checks (:mod:`supercon3d.chemistry`): ``n_elements``,
``charge_balanced`` (some assignment of common oxidation states sums to zero; an
intermetallic counts as balanced) and ``molecular`` (every bonded cluster of the structure is
finite)."""
COLUMNS: tuple[str, ...] = tuple(COLUMN_TYPES)
BOOLEAN_COLUMNS = (
    "high_pressure_hydride",
    "charge_balanced",
    "molecular",
    "known_superconductor",
    "reported_non_superconductor",
    "in_supercon3d",
)
STRUCTURE_COLUMNS = (
    "stage",
    "ln_tc",
    "tc_kelvin",
    "tc_low_kelvin",
    "tc_high_kelvin",
    "ln_tc_std",
    "structure_error",
)
"""What stage 2 writes over a stage-1 row."""
UNREPORTED = "reported_tc_kelvin IS NULL AND NOT COALESCE(reported_non_superconductor, 0)"
"""The SQL condition of a row whose composition the literature tables report neither as a
superconductor (a Tc) nor as a measured non-superconductor."""
IDENTITY_KEYS = ("schema", "package_version", "model")
SCHEMA = "supercon3d-screen-3"
"""Changed with the ``results`` columns: 3 added n_elements, charge_balanced, molecular."""
BUSY_TIMEOUT_S = 60.0


class Selected(NamedTuple):
    """A row chosen for stage 2: its content's sha256 and its number of sites (what its
    stage-2 cost grows with)."""

    sha256: str
    n_sites: int


class ScreenDatabaseError(SuperCon3DError, ValueError):
    """A database that cannot be used for this run; one line naming the file and why."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self) -> tuple:
        return type(self), (self.path, self.reason)


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _stored(value: object) -> object:
    """A value as SQLite stores it: NaN and ±inf as NULL, booleans as 0/1."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool):
        return int(value)
    return value


class ScreenDatabase:
    """The results of a screen; open with :meth:`open`, use as a context manager."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self._db = connection

    @classmethod
    def open(
        cls, path: str | os.PathLike, identity: dict[str, str], force_new: bool = False
    ) -> ScreenDatabase:
        """The database at ``path`` (created if missing) for a run with ``identity`` (values
        of :data:`IDENTITY_KEYS`); one written with another identity raises
        :class:`ScreenDatabaseError`, or with ``force_new`` is deleted and started anew."""
        path = Path(path)
        if path.is_dir():
            raise ScreenDatabaseError(str(path), "is a folder; --db takes a file name")
        if not path.parent.is_dir():
            raise ScreenDatabaseError(str(path), f"the folder {path.parent} does not exist")
        if force_new:
            _remove_database(path)
        try:
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            database = cls(path, connection)
            database._check_identity(identity)
        except sqlite3.DatabaseError as error:
            raise ScreenDatabaseError(str(path), f"not a screening database ({error})") from None
        return database

    def _check_identity(self, identity: dict[str, str]) -> None:
        db = self._db
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "metadata" not in tables:
            if tables:
                raise ScreenDatabaseError(
                    str(self.path),
                    "an SQLite file that is not a screening database; choose another --db",
                )
            columns = ", ".join(f"{name} {kind}" for name, kind in COLUMN_TYPES.items())
            with self.transaction():
                db.execute("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT)")
                db.execute(f"CREATE TABLE results ({columns})")
                db.execute("CREATE INDEX results_sha256 ON results (sha256)")
                db.execute("CREATE INDEX results_p ON results (p_superconductor_composition)")
                db.executemany("INSERT INTO metadata VALUES (?, ?)", identity.items())
            return
        stored = self.metadata()
        for key in IDENTITY_KEYS:
            if stored.get(key) != identity.get(key):
                raise ScreenDatabaseError(
                    str(self.path),
                    f"written with {key} {stored.get(key)!r}, this run has "
                    f"{identity.get(key)!r}; results are not mixed: use another --db, or "
                    "--force-new to start this one anew",
                )

    def transaction(self) -> _Transaction:
        """A context manager committing on success, rolling back on an error."""
        return _Transaction(self._db)

    def metadata(self) -> dict[str, str]:
        """What the database records of the run that created it (:data:`IDENTITY_KEYS`)."""
        return dict(self._db.execute("SELECT key, value FROM metadata"))

    def finished(self, hashes: Iterable[str]) -> dict[str, dict]:
        """The stored row of each of ``hashes`` that the database holds (any one per hash)."""
        hashes = list(dict.fromkeys(h for h in hashes if h is not None))
        found = {}
        for start in range(0, len(hashes), _SQL_VARIABLES):
            part = hashes[start : start + _SQL_VARIABLES]
            marks = ",".join("?" * len(part))
            for row in self._rows(f"SELECT * FROM results WHERE sha256 IN ({marks})", part):
                found.setdefault(row["sha256"], row)
        return found

    def write(self, rows: Sequence[dict]) -> None:
        """Insert or replace ``rows`` (dicts of :data:`COLUMNS`) in one transaction."""
        marks = ",".join("?" * len(COLUMNS))
        values = [[_stored(row.get(column)) for column in COLUMNS] for row in rows]
        with self.transaction():
            self._db.executemany(f"INSERT OR REPLACE INTO results VALUES ({marks})", values)

    def write_structure_stage(self, rows: Sequence[dict]) -> None:
        """Write the :data:`STRUCTURE_COLUMNS` of ``rows`` over the rows with their ``id``
        (and the same content), in one transaction."""
        sets = ", ".join(f"{column} = ?" for column in STRUCTURE_COLUMNS)
        values = [
            [*(_stored(row.get(column)) for column in STRUCTURE_COLUMNS), row["id"], row["sha256"]]
            for row in rows
        ]
        with self.transaction():
            self._db.executemany(f"UPDATE results SET {sets} WHERE id = ? AND sha256 = ?", values)

    def count(self, where: str = "1", parameters: Sequence = ()) -> int:
        """Rows matching the SQL condition ``where`` (written by this package, never a user)."""
        return self._db.execute(
            f"SELECT COUNT(*) FROM results WHERE {where}", parameters
        ).fetchone()[0]

    def rescore_selection(
        self, top_fraction: float | None, above: float | None
    ) -> dict[str, Selected]:
        """id -> (sha256, number of sites) of the rows chosen for stage 2 that are still at
        stage 1 with no ``structure_error``: the ``top_fraction`` of the readable rows by
        P(superconductor) (ties by id), or those with P(superconductor) ≥ ``above``; both by
        the stage-1 (composition) P, so that the choice does not move as stage 2 fills rows
        in."""
        pending = f"stage = {STAGE_COMPOSITION} AND structure_error IS NULL"
        if above is not None:
            query = (
                f"SELECT id, sha256, n_sites FROM results WHERE {pending} "
                "AND p_superconductor_composition >= ?"
            )
            return {row[0]: Selected(row[1], row[2]) for row in self._db.execute(query, (above,))}
        readable = self.count(f"stage >= {STAGE_COMPOSITION}")
        wanted = math.ceil((top_fraction or 0.0) * readable)
        query = (
            "SELECT id, sha256, n_sites, stage, structure_error FROM results "
            f"WHERE stage >= {STAGE_COMPOSITION} "
            "ORDER BY p_superconductor_composition DESC, id LIMIT ?"
        )
        return {
            row[0]: Selected(row[1], row[2])
            for row in self._db.execute(query, (wanted,))
            if row[3] == STAGE_COMPOSITION and row[4] is None
        }

    def top(self, n: int, disordered_only: bool = False, unreported: bool = False) -> list[dict]:
        """The screening table: the ``n`` best rows, the furthest stage first, then by
        predicted Tc (K), then P(superconductor); ``disordered_only`` leaves out ordered ones,
        ``unreported`` the compositions with a reported Tc or reported as non-superconductors
        (:data:`UNREPORTED`)."""
        where = f"stage >= {STAGE_COMPOSITION}"
        if disordered_only:
            where += " AND disorder_class != 'O'"
        if unreported:
            where += f" AND {UNREPORTED}"
        query = (
            f"SELECT * FROM results WHERE {where} "
            "ORDER BY stage DESC, tc_kelvin DESC, p_superconductor DESC, id LIMIT ?"
        )
        return self._rows(query, (n,))

    def errors(self, limit: int) -> list[str]:
        """The ``error`` of at most ``limit`` failed rows, by id."""
        query = "SELECT error FROM results WHERE error IS NOT NULL ORDER BY id LIMIT ?"
        return [row[0] for row in self._db.execute(query, (limit,))]

    def all_rows(self) -> list[dict]:
        """Every row, ordered by id."""
        return self._rows("SELECT * FROM results ORDER BY id", ())

    def _rows(self, query: str, parameters: Sequence) -> list[dict]:
        cursor = self._db.execute(query, parameters)
        names = [description[0] for description in cursor.description]
        rows = [dict(zip(names, values)) for values in cursor]
        for row in rows:
            for column in BOOLEAN_COLUMNS:
                if row.get(column) is not None:
                    row[column] = bool(row[column])
        return rows

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ScreenDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_SQL_VARIABLES = 500
"""Hashes per ``IN (...)`` query (SQLite allows at least 999 variables)."""


class _Transaction:
    def __init__(self, connection: sqlite3.Connection):
        self._db = connection

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, kind, error, traceback) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def open_readonly(path: str | os.PathLike) -> ScreenDatabase:
    """An existing database for reading (the report); :class:`ScreenDatabaseError` if it is
    missing or not a screening database."""
    path = Path(path)
    if not path.is_file():
        raise ScreenDatabaseError(str(path), "no such database file")
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise ScreenDatabaseError(str(path), f"not a screening database ({error})") from None
    if "results" not in tables or "metadata" not in tables:
        raise ScreenDatabaseError(str(path), "not a screening database (no results table)")
    return ScreenDatabase(path, connection)

"""The screening database: one SQLite file in WAL mode, written only by the coordinator.

Table ``results`` holds one row per structure (:data:`COLUMNS`), keyed by ``id``, with
``sha256`` indexed so that a structure already scored (under any id) is never scored again.
Every batch is written in one transaction: a process killed at any moment leaves the file
readable with every batch committed before it. Table ``metadata`` records the schema, the
package version and the identity of the models (:data:`IDENTITY_KEYS`): a database written
with another schema, version or model is refused for a run (:class:`ScreenDatabaseError`, one
line saying to start it anew with ``force_new`` or to use another file) rather than mixed;
the report reads a database of any schema, with the columns it has.

An existing file is examined through a read-only connection before anything is written to
it: a file that is not SQLite, or another program's SQLite file (neither this format's
``application_id`` nor its tables), is refused and left byte for byte as it was, even with
``force_new``; a database that fails SQLite's ``PRAGMA quick_check`` (a damaged page, a
broken b-tree) is refused with one line, by the report as by a run, since reading on would
give a table with rows missing or a crash halfway through a run. ``quick_check`` reads every
page (1.6 s for 100,000 rows on a loaded 2-core machine: ``benchmarks/database_check.py``) but
skips the index-content comparison of ``integrity_check`` (six times slower). A run also
needs the file and its folder writable (SQLite's WAL mode keeps ``-wal`` and ``-shm`` files
beside it) and says so before it starts; the report only reads, with ``mode=ro``, or in a
folder this process cannot write, where SQLite cannot make the ``-shm`` file, with
``immutable=1`` when no ``-wal`` file is there (no writer is at work).

``stage`` is :data:`STAGE_FAILED` (``error`` says why), :data:`STAGE_COMPOSITION` (read,
classified, P(superconductor) and the composition models' ln Tc) or :data:`STAGE_STRUCTURE`
(ln Tc, spread and interval from the structural ensemble).
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
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
    "novelty": "REAL",
    "in_domain": "INTEGER",
    "nearest_known": "TEXT",
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
finite). ``novelty``, ``in_domain`` and ``nearest_known`` (JSON: [{formula, tc_kelvin}]) say
how far the composition lies from the model's training compositions
(:mod:`supercon3d.models.novelty`); NULL for a model without a novelty reference."""
COLUMNS: tuple[str, ...] = tuple(COLUMN_TYPES)
BOOLEAN_COLUMNS = (
    "high_pressure_hydride",
    "charge_balanced",
    "molecular",
    "known_superconductor",
    "reported_non_superconductor",
    "in_supercon3d",
    "in_domain",
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
SCHEMA = "supercon3d-screen-4"
"""Changed with the ``results`` columns: 3 added n_elements, charge_balanced, molecular; 4
added novelty, in_domain, nearest_known."""
BUSY_TIMEOUT_S = 60.0
SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""
APPLICATION_ID = 0x53433344
"""``PRAGMA application_id`` of a screening database (the bytes "SC3D"): SQLite's format tag,
in the file header, set when the database is created. Databases of earlier versions have 0
and are recognised by their tables and schema name."""
SCHEMA_PREFIX = "supercon3d-screen-"
"""What the ``schema`` of every version of the screening database starts with."""
TABLES = frozenset({"metadata", "results"})
REPORTED_PROBLEMS = 3
"""Problems ``PRAGMA quick_check`` lists at most (the first is printed)."""


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
        of :data:`IDENTITY_KEYS`). An existing file is examined read-only first (module
        docstring): one written with another identity, or damaged, raises
        :class:`ScreenDatabaseError`, or with ``force_new`` is deleted and started anew; a
        file that is not a screening database is refused even so, and left untouched."""
        path = Path(path)
        if path.is_dir():
            raise ScreenDatabaseError(str(path), "is a folder; --db takes a file name")
        if not path.parent.is_dir():
            raise ScreenDatabaseError(str(path), f"the folder {path.parent} does not exist")
        if path.exists():
            _check_existing(path, identity, force_new)
        _refuse_read_only(path)
        if force_new:
            _remove_database(path)
        try:
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            database = cls(path, connection)
            database._create_tables(identity)
        except sqlite3.DatabaseError as error:
            raise ScreenDatabaseError(str(path), f"cannot be written ({error})") from None
        return database

    def _create_tables(self, identity: dict[str, str]) -> None:
        """The tables, format tag and ``identity`` of a new (empty) database."""
        db = self._db
        if db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            return
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMN_TYPES.items())
        with self.transaction():
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT)")
            db.execute(f"CREATE TABLE results ({columns})")
            db.execute("CREATE INDEX results_sha256 ON results (sha256)")
            db.execute("CREATE INDEX results_p ON results (p_superconductor_composition)")
            db.executemany("INSERT INTO metadata VALUES (?, ?)", identity.items())

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A context manager committing on success, rolling back on an error; an SQLite
        error (a full disk, a file damaged while the run goes on) raises
        :class:`ScreenDatabaseError` naming the file (what was committed before is kept)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise ScreenDatabaseError(
                str(self.path), f"cannot be written ({error}); the rows written before are kept"
            ) from None

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


def open_readonly(path: str | os.PathLike, check_same_thread: bool = True) -> ScreenDatabase:
    """An existing database for reading (the report, the browser), through a read-only
    connection (:func:`_readonly_uri`); :class:`ScreenDatabaseError` if it is missing, not a
    screening database or damaged. ``check_same_thread=False`` lets threads share it."""
    path = Path(path)
    if not path.exists():
        raise ScreenDatabaseError(str(path), "no such database file")
    connection = _connect_readonly(path, check_same_thread)
    try:
        _examine(connection, path, empty_is_new=False)
        damage = _damage(connection)
        if damage is not None:
            raise _damaged(path, damage, "")
    except BaseException:
        connection.close()
        raise
    return ScreenDatabase(path, connection)


def _companion(path: Path, suffix: str) -> Path:
    """SQLite's ``-wal``, ``-shm`` or ``-journal`` file of the database at ``path``."""
    return Path(f"{path}{suffix}")


def _refuse_unreadable(path: Path) -> None:
    """Refuse, before SQLite opens it, what is not a regular file (a FIFO would block), a
    file this user cannot read, and a file that is not SQLite (an empty file passes: it is a
    new database to SQLite)."""
    if not path.is_file():
        raise ScreenDatabaseError(str(path), "not a regular file")
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise ScreenDatabaseError(str(path), f"cannot be read ({error.strerror})") from None
    if header and header != SQLITE_HEADER:
        raise ScreenDatabaseError(str(path), "not a screening database (not an SQLite file)")


def _readonly_uri(path: Path) -> str:
    """The URI SQLite reads ``path`` through without writing to it: ``mode=ro``; in a folder
    this process cannot write (where SQLite cannot make the ``-shm`` file it reads a WAL
    database with) and without a ``-wal`` or ``-journal`` file (without unfinished writes:
    no writer is at work), also ``immutable=1``. A ``-wal`` file there without its ``-shm``
    file cannot be read: refused."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if os.access(path.parent, os.W_OK | os.X_OK):
        return uri
    pending = [
        companion for companion in (_companion(path, "-wal"), _companion(path, "-journal"))
        if companion.is_file() and companion.stat().st_size > 0
    ]  # fmt: skip
    if not pending:
        return f"{uri}&immutable=1"
    shm = _companion(path, "-shm")
    if pending[0].name.endswith("-wal") and not shm.exists():
        raise ScreenDatabaseError(
            str(path),
            f"{pending[0].name} holds writes that SQLite cannot read without {shm.name} in "
            "a folder it cannot write; open it once where its folder is writable",
        )
    return uri


def _connect_readonly(path: Path, check_same_thread: bool = True) -> sqlite3.Connection:
    """A read-only connection to the existing file ``path`` (:func:`_readonly_uri`)."""
    _refuse_unreadable(path)
    uri = _readonly_uri(path)
    try:
        return sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
            check_same_thread=check_same_thread,
        )  # fmt: skip
    except sqlite3.DatabaseError as error:
        raise ScreenDatabaseError(str(path), f"cannot be opened ({error})") from None


def _examine(connection: sqlite3.Connection, path: Path, empty_is_new: bool) -> dict[str, str]:
    """The metadata of the screening database ``connection`` reads; refuses any other
    SQLite file: one without this format's tables, or with them but neither this format's
    ``application_id`` nor its schema name (databases of earlier versions have no tag). An
    SQLite file without tables is a new database where ``empty_is_new`` (empty metadata)."""
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        query = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        tables = [row[0] for row in connection.execute(query)]
        metadata = {}
        if TABLES <= set(tables):
            metadata = dict(connection.execute("SELECT key, value FROM metadata"))
    except sqlite3.DatabaseError as error:
        raise ScreenDatabaseError(
            str(path), f"not a screening database, or damaged beyond recognition ({error})"
        ) from None
    if not tables and application_id in (0, APPLICATION_ID) and empty_is_new:
        return {}
    tagged = application_id == APPLICATION_ID
    if TABLES <= set(tables) and (tagged or str(metadata.get("schema")).startswith(SCHEMA_PREFIX)):
        return metadata
    if tables:
        reason = f"an SQLite file of another program: tables {', '.join(tables[:5])}"
    else:
        reason = "an SQLite file without tables"
    raise ScreenDatabaseError(
        str(path), f"not a screening database ({reason}); it is left as it is"
    )


def _damage(connection: sqlite3.Connection) -> str | None:
    """What SQLite's ``PRAGMA quick_check`` finds wrong (its first problems, on one line),
    None when it finds nothing."""
    try:
        query = f"PRAGMA quick_check({REPORTED_PROBLEMS})"
        problems = [str(row[0]) for row in connection.execute(query)]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems == ["ok"]:
        return None
    return " ".join("; ".join(problems).split())


def _damaged(path: Path, damage: str, remedy: str) -> ScreenDatabaseError:
    return ScreenDatabaseError(
        str(path),
        f"damaged: SQLite's integrity check fails ({damage}); `sqlite3 {path} .recover` "
        f"saves the rows still readable{remedy}",
    )


def _check_existing(path: Path, identity: dict[str, str], force_new: bool) -> None:
    """Examine an existing file read-only before a run writes to it: another program's file
    is refused; a damaged database, or one of another identity, unless ``force_new``."""
    with contextlib.closing(_connect_readonly(path)) as connection:
        stored = _examine(connection, path, empty_is_new=True)
        if force_new or not stored:
            return
        damage = _damage(connection)
    if damage is not None:
        raise _damaged(path, damage, ", or --force-new starts it anew")
    for key in IDENTITY_KEYS:
        if stored.get(key) != identity.get(key):
            raise ScreenDatabaseError(
                str(path),
                f"written with {key} {stored.get(key)!r}, this run has "
                f"{identity.get(key)!r}; results are not mixed: use another --db, or "
                "--force-new to start this one anew",
            )


def _refuse_read_only(path: Path) -> None:
    """Refuse a run on a file, or in a folder, this process cannot write (SQLite's WAL mode
    writes ``-wal`` and ``-shm`` files beside the database)."""
    if path.exists() and not os.access(path, os.W_OK):
        raise ScreenDatabaseError(
            str(path), "is read-only: `supercon3d screen report` reads it; give --db another file"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ScreenDatabaseError(
            str(path),
            f"the folder {path.parent} cannot be written (SQLite keeps its -wal and -shm files "
            "beside the database); give --db a file in a folder you can write",
        )

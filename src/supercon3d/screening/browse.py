"""Pages of a screening database for a browser: filtered, sorted, counted, read-only.

The database is opened with SQLite's ``mode=ro`` (nothing is ever written, a run may be
writing it at the same time). Filters and sorting use only the ``results`` columns
(:data:`~supercon3d.screening.database.COLUMNS`, checked by name, values bound as
parameters); the element filters read each row's ``reduced_formula``.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from supercon3d.screening.database import (
    BUSY_TIMEOUT_S,
    COLUMNS,
    UNREPORTED,
    ScreenDatabase,
    ScreenDatabaseError,
)

MAX_PAGE_ROWS = 500
KNOWN, NOVEL = "known", "novel"
_ELEMENT = re.compile(r"[A-Z][a-z]?")


@dataclass(frozen=True)
class BrowseFilter:
    """Which rows to show: ``family``, ``disorder_class`` and ``stage`` keep rows with one of
    the listed values (empty: any); ``p_min``/``p_max`` bound P(superconductor),
    ``tc_min``/``tc_max`` the predicted Tc (K); ``elements`` must all be present and
    ``without`` all absent; ``known`` is ``known`` (a reported Tc), ``novel`` (the
    composition reported neither as a superconductor nor as a non-superconductor) or None."""

    family: tuple[str, ...] = ()
    disorder_class: tuple[str, ...] = ()
    stage: tuple[int, ...] = ()
    p_min: float | None = None
    p_max: float | None = None
    tc_min: float | None = None
    tc_max: float | None = None
    elements: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    known: str | None = None

    def where(self) -> tuple[str, list]:
        """The SQL condition and its parameters."""
        terms, values = ["1"], []
        for column in ("family", "disorder_class", "stage"):
            chosen = getattr(self, column)
            if chosen:
                terms.append(f"{column} IN ({','.join('?' * len(chosen))})")
                values += list(chosen)
        for column, low, high in (("p_superconductor", self.p_min, self.p_max),
                                  ("tc_kelvin", self.tc_min, self.tc_max)):  # fmt: skip
            if low is not None:
                terms.append(f"{column} >= ?")
                values.append(low)
            if high is not None:
                terms.append(f"{column} <= ?")
                values.append(high)
        for element in self.elements:
            terms.append("has_element(reduced_formula, ?)")
            values.append(element)
        for element in self.without:
            terms.append("NOT has_element(reduced_formula, ?)")
            values.append(element)
        if self.known == KNOWN:
            terms.append("reported_tc_kelvin IS NOT NULL")
        elif self.known == NOVEL:
            terms.append(UNREPORTED)
        elif self.known is not None:
            raise ValueError(f"known: {self.known!r} is neither {KNOWN!r} nor {NOVEL!r}")
        return " AND ".join(terms), values


@dataclass(frozen=True)
class BrowsePage:
    """One page: its rows (dicts of the ``results`` columns), the number of rows matching
    the filter, and where the page starts."""

    rows: list[dict]
    total: int
    offset: int


@functools.lru_cache(maxsize=4096)
def _elements(formula: str | None) -> frozenset[str]:
    return frozenset(_ELEMENT.findall(formula or ""))


def _has_element(formula: str | None, element: str) -> int:
    return int(element in _elements(formula))


def open_browse(path: str | os.PathLike) -> ScreenDatabase:
    """The database at ``path`` opened read-only (``mode=ro``), with the element function
    the filters use; :class:`ScreenDatabaseError` if it is not a screening database."""
    path = Path(path)
    if not path.is_file():
        raise ScreenDatabaseError(str(path), "no such database file")
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
            isolation_level=None, check_same_thread=False,
        )  # fmt: skip
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise ScreenDatabaseError(str(path), f"not a screening database ({error})") from None
    if "results" not in tables:
        raise ScreenDatabaseError(str(path), "not a screening database (no results table)")
    connection.create_function("has_element", 2, _has_element, deterministic=True)
    return ScreenDatabase(path, connection)


def browse(
    database: ScreenDatabase,
    where: BrowseFilter = BrowseFilter(),
    sort: str = "tc_kelvin",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> BrowsePage:
    """The page of ``limit`` rows (at most :data:`MAX_PAGE_ROWS`) from ``offset`` of the
    rows matching ``where``, sorted by the column ``sort`` (ties by id); ValueError for a
    column the table does not have."""
    if sort not in COLUMNS:
        raise ValueError(f"cannot sort by {sort!r}: not a column of the results table")
    condition, values = where.where()
    direction = "DESC" if descending else "ASC"
    nulls = f"{sort} IS NULL"  # missing values last whichever the direction
    query = (
        f"SELECT * FROM results WHERE {condition} ORDER BY {nulls}, {sort} {direction}, id "
        "LIMIT ? OFFSET ?"
    )
    limit = max(0, min(limit, MAX_PAGE_ROWS))
    rows = database._rows(query, [*values, limit, max(0, offset)])
    return BrowsePage(rows, database.count(condition, values), max(0, offset))


def row_by_id(database: ScreenDatabase, row_id: str) -> dict | None:
    """The row with ``id``, or None."""
    rows = database._rows("SELECT * FROM results WHERE id = ?", [row_id])
    return rows[0] if rows else None

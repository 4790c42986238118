"""Pages of a screening database for a browser: filtered, sorted, counted, read-only.

The database is opened read-only (:func:`~supercon3d.screening.database.open_readonly`:
checked, then never written; a run may be writing it at the same time).
:class:`BrowseIndex` keeps the columns the filters and the sorting use in memory (numpy),
read on first use and again whenever another connection has committed (``PRAGMA
data_version``), so that a page of a million rows is chosen without a scan of the table; the
page's rows are then read by rowid.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supercon3d.screening.database import COLUMN_TYPES, COLUMNS, open_readonly

MAX_PAGE_ROWS = 500
KNOWN, NOVEL = "known", "novel"
FILTER_COLUMNS = (
    "family", "disorder_class", "stage", "p_superconductor", "tc_kelvin",
    "reported_tc_kelvin", "reported_non_superconductor", "reduced_formula",
)  # fmt: skip
"""Read when the index is built; any other column when first sorted by."""
_ELEMENT = re.compile(r"[A-Z][a-z]?")


@dataclass(frozen=True)
class BrowseFilter:
    """Which rows to show: ``family``, ``disorder_class`` and ``stage`` keep rows with one of
    the listed values (empty: any); ``p_min``/``p_max`` bound P(superconductor),
    ``tc_min``/``tc_max`` the predicted Tc (K), a missing value failing the bound;
    ``elements`` must all be present and ``without`` all absent (from ``reduced_formula``);
    ``known`` is ``known`` (a reported Tc), ``novel`` (the composition reported neither as a
    superconductor nor as a non-superconductor) or None."""

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


@dataclass(frozen=True)
class BrowsePage:
    """One page: its rows (dicts of the ``results`` columns), the number of rows matching
    the filter, and where the page starts."""

    rows: list[dict]
    total: int
    offset: int


@dataclass(frozen=True)
class _Column:
    """A column in memory: numbers (NaN for NULL), or for text the rank of each value among
    the sorted distinct values (-1 for NULL) with those values."""

    values: np.ndarray
    labels: tuple[str, ...] | None = None

    def sort_key(self) -> np.ndarray:
        """Numbers to sort by, NaN for a missing value."""
        if self.labels is None:
            return self.values
        return np.where(self.values < 0, np.nan, self.values.astype(float))

    def one_of(self, chosen: tuple) -> np.ndarray:
        if self.labels is None:
            return np.isin(self.values, np.asarray(chosen, dtype=float))
        codes = [self.labels.index(value) for value in chosen if value in self.labels]
        return np.isin(self.values, codes)


@functools.lru_cache(maxsize=65536)
def _elements(formula: str) -> frozenset[str]:
    return frozenset(_ELEMENT.findall(formula))


def _ranked(key: np.ndarray, start: int, count: int) -> np.ndarray:
    """Positions of the values of ``key`` ranked ``start`` to ``start + count - 1`` from the
    smallest (NaN last; ties by position), in order. Exact without sorting everything: one
    partition finds the values bounding those ranks, and only the values between are sorted."""
    key = np.where(np.isnan(key), np.inf, key)
    stop = min(start + count, len(key))
    if start >= stop:
        return np.empty(0, dtype=np.int64)
    low, high = np.partition(key, [start, stop - 1])[[start, stop - 1]]
    between = np.flatnonzero((key >= low) & (key <= high))
    below = int(np.count_nonzero(key < low))
    ordered = between[np.lexsort((between, key[between]))]
    return ordered[start - below : stop - below]


class BrowseIndex:
    """One database, read-only, with its filter and sort columns in memory; safe to share
    between threads. :class:`ScreenDatabaseError` if it is not a screening database or
    is damaged."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.database = open_readonly(self.path, check_same_thread=False)
        self._lock = threading.Lock()
        self._version: int | None = None
        self._rowids = np.empty(0, dtype=np.int64)
        self._columns: dict[str, _Column] = {}

    def _read(self, names: tuple[str, ...]) -> None:
        """Read ``names`` into memory (with the rowids when nothing is held yet)."""
        import pandas as pd

        query = f"SELECT rowid, {', '.join(names)} FROM results ORDER BY rowid"
        frame = pd.read_sql_query(query, self.database._db)
        if len(frame) != len(self._rowids) or not self._columns:
            self._rowids = frame["rowid"].to_numpy(np.int64)
        for name in names:
            if COLUMN_TYPES[name] in ("REAL", "INTEGER"):
                values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
                self._columns[name] = _Column(values)
            else:
                codes, labels = pd.factorize(frame[name], sort=True)
                self._columns[name] = _Column(codes.astype(np.int32), tuple(labels))

    def _fresh(self) -> None:
        """Drop what memory holds when another connection has committed since it was read."""
        version = self.database._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version or not self._columns:
            self._columns = {}
            self._read(FILTER_COLUMNS)
            self._version = version

    def _column(self, name: str) -> _Column:
        if name not in self._columns:
            self._read((name,))
        return self._columns[name]

    def _mask(self, where: BrowseFilter) -> np.ndarray:
        mask = np.ones(len(self._rowids), dtype=bool)
        for name in ("family", "disorder_class", "stage"):
            if getattr(where, name):
                mask &= self._column(name).one_of(getattr(where, name))
        for name, low, high in (("p_superconductor", where.p_min, where.p_max),
                                ("tc_kelvin", where.tc_min, where.tc_max)):  # fmt: skip
            values = self._column(name).values
            if low is not None:
                mask &= values >= low
            if high is not None:
                mask &= values <= high
        if where.elements or where.without:
            formula = self._column("reduced_formula")
            wanted, unwanted = set(where.elements), set(where.without)
            fits = [wanted <= _elements(f) and not unwanted & _elements(f) for f in formula.labels]
            fits.append(not wanted)  # code -1 (no formula): has no element
            mask &= np.asarray(fits, dtype=bool)[formula.values]
        reported = ~np.isnan(self._column("reported_tc_kelvin").values)
        if where.known == KNOWN:
            mask &= reported
        elif where.known == NOVEL:
            mask &= ~reported & ~(self._column("reported_non_superconductor").values == 1)
        elif where.known is not None:
            raise ValueError(f"known: {where.known!r} is neither {KNOWN!r} nor {NOVEL!r}")
        return mask

    def page(
        self,
        where: BrowseFilter = BrowseFilter(),
        sort: str = "tc_kelvin",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> BrowsePage:
        """The page of ``limit`` rows (at most :data:`MAX_PAGE_ROWS`) from ``offset`` of
        the rows matching ``where``, sorted by the column ``sort`` (missing values last, ties
        in the table's order); ValueError for a column the table does not have."""
        if sort not in COLUMNS:
            raise ValueError(f"cannot sort by {sort!r}: not a column of the results table")
        offset, limit = max(0, offset), max(0, min(limit, MAX_PAGE_ROWS))
        with self._lock:
            self._fresh()
            matching = np.flatnonzero(self._mask(where))
            key = self._column(sort).sort_key()[matching]
            order = _ranked(-key if descending else key, offset, limit)
            rowids = [int(r) for r in self._rowids[matching[order]]]
            marks = ",".join("?" * len(rowids))
            found = self.database._rows(
                f"SELECT rowid AS _rowid, * FROM results WHERE rowid IN ({marks})", rowids
            )
        by_rowid = {row.pop("_rowid"): row for row in found}
        rows = [by_rowid[r] for r in rowids if r in by_rowid]
        return BrowsePage(rows, len(matching), offset)

    def row(self, row_id: str) -> dict | None:
        """The row with ``id``, or None."""
        with self._lock:
            rows = self.database._rows("SELECT * FROM results WHERE id = ?", [row_id])
        return rows[0] if rows else None

    def count(self) -> int:
        """Rows in the database."""
        with self._lock:
            return self.database.count()

    def metadata(self) -> dict[str, str]:
        with self._lock:
            return self.database.metadata()

    def close(self) -> None:
        self.database.close()

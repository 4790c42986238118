"""What the integrity check on opening a screening database costs: SQLite's ``quick_check``
(run on every open) and ``integrity_check`` (not run) against the report's own query, on a
database of ``--rows`` rows written as a run writes them.

    python benchmarks/database_check.py [--rows 100000] [--repeats 3]

The rows carry every column, about as long as a real row's; the database is written once in
a temporary folder, then each measurement is repeated and the fastest kept (the file is in the
page cache: the figures are CPU, not disk).
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import tempfile
import time
from pathlib import Path

from supercon3d.machine import describe_machine
from supercon3d.screening.database import COLUMN_TYPES, ScreenDatabase, open_readonly
from supercon3d.screening.funnel import run_identity

BATCH = 1000
"""Rows per transaction, as a local run's shards write them."""
REPORT_ROWS = 20


def _row(index: int) -> dict:
    """A stage-1 row about as long as a real one (about 350 bytes on disk with its index
    entries): a path-like id, source and name, short text elsewhere, every number filled."""
    row = {}
    for column, kind in COLUMN_TYPES.items():
        if kind.startswith("TEXT"):
            row[column] = f"{column[:4]}{index % 97}"
        elif kind == "REAL":
            row[column] = (index * 0.618) % 1.0
        else:
            row[column] = index % 2
    source = f"/data/alexandria/part-{index // 5000:03d}.zip"
    row.update(
        id=f"{source}::{index:08d}.cif", source=source, name=f"{index:08d}.cif", stage=1,
        sha256=hashlib.sha256(str(index).encode()).hexdigest(), error=None, structure_error=None,
    )  # fmt: skip
    return row


def _fastest(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "screen.sqlite"
        started = time.perf_counter()
        with ScreenDatabase.open(path, run_identity()) as database:
            for start in range(0, args.rows, BATCH):
                database.write([_row(i) for i in range(start, min(start + BATCH, args.rows))])
        written = time.perf_counter() - started
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)

        def pragma(name: str):
            return lambda: connection.execute(f"PRAGMA {name}").fetchall()

        def report():
            with open_readonly(path) as database:
                database.top(REPORT_ROWS)

        figures = {
            "quick_check": _fastest(pragma("quick_check"), args.repeats),
            "integrity_check": _fastest(pragma("integrity_check"), args.repeats),
            f"open_readonly + top({REPORT_ROWS}) (the report)": _fastest(report, args.repeats),
        }
        size = path.stat().st_size
    print(f"{args.rows:,} rows, {size / 1e6:.1f} MB, written in {written:.1f} s")
    for name, seconds in figures.items():
        print(f"{name}: {seconds:.2f} s")
    print(describe_machine())


if __name__ == "__main__":
    main()

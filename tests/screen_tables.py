"""Reading and comparing `supercon3d screen` databases in the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from supercon3d.screening.database import COLUMNS, open_readonly

NUMBER_TOLERANCE = 1e-6
"""Relative: ensemble outputs may differ in the last bits with the batch they ran in."""


def screen_table(path: Path) -> list[dict]:
    """Every row of the database at ``path``."""
    with open_readonly(path) as database:
        return database.all_rows()


def assert_same_tables(first: list[dict], second: list[dict]) -> None:
    """Same ids in the same order and equal columns (numbers to :data:`NUMBER_TOLERANCE`)."""
    assert [row["id"] for row in first] == [row["id"] for row in second]
    for a, b in zip(first, second):
        for column in COLUMNS:
            if isinstance(a[column], float):
                assert b[column] == pytest.approx(a[column], rel=NUMBER_TOLERANCE), column
            else:
                assert a[column] == b[column], (a["id"], column)

"""The Dask engine: a 2-worker LocalCluster writes the same database as the local engine."""

from __future__ import annotations

import pytest

from supercon3d.executor import DaskExecutor, SerialExecutor
from supercon3d.screening.database import COLUMNS, open_readonly
from supercon3d.screening.funnel import run_screen
from supercon3d.settings import dataset_path

N_CIFS = 20
SHARD = 5
RESCORE_TOP = 0.1
NUMBER_TOLERANCE = 1e-6
"""Relative: ensemble outputs may differ in the last bits with the batch they ran in."""


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _table(path) -> list[dict]:
    with open_readonly(path) as database:
        return database.all_rows()


def test_a_two_worker_local_cluster_writes_the_local_engines_database(tmp_path):
    cifs = sorted(dataset_path("supercon3d").joinpath("cif").glob("*.cif"))[-N_CIFS:]
    with DaskExecutor(workers=2) as executor:
        assert executor.workers == 2
        on_dask = run_screen(
            cifs, tmp_path / "dask.sqlite", RESCORE_TOP, executor=executor, shard_size=SHARD
        )
    local = run_screen(
        cifs, tmp_path / "local.sqlite", RESCORE_TOP, executor=SerialExecutor(), shard_size=SHARD
    )
    assert on_dask.composition.shards == N_CIFS // SHARD
    assert on_dask.structure.scored == local.structure.scored == N_CIFS * RESCORE_TOP
    first, second = _table(tmp_path / "dask.sqlite"), _table(tmp_path / "local.sqlite")
    assert [row["id"] for row in first] == [row["id"] for row in second]
    for a, b in zip(first, second):
        for column in COLUMNS:
            if isinstance(a[column], float):
                assert b[column] == pytest.approx(a[column], rel=NUMBER_TOLERANCE), column
            else:
                assert a[column] == b[column], (a["id"], column)

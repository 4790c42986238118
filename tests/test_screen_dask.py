"""The Dask engine: a 2-worker LocalCluster writes the same database as the local engine."""

from __future__ import annotations

import pytest

from screen_tables import assert_same_tables, screen_table
from supercon3d.executor import DaskExecutor, SerialExecutor
from supercon3d.screening.funnel import run_screen
from supercon3d.settings import dataset_path

N_CIFS = 20
SHARD = 5
RESCORE_TOP = 0.1


pytestmark = [pytest.mark.data, pytest.mark.usefixtures("one_torch_thread")]


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
    assert_same_tables(
        screen_table(tmp_path / "dask.sqlite"), screen_table(tmp_path / "local.sqlite")
    )

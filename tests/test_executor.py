"""The executor behind every parallel stage: order, the serial threshold, errors, reports.

Spawning a worker costs 1-2 s, so the tests that need processes share one pool of two.
The project's error types are imported inside the tests that need them: the workers import
this module, and should not pay for torch before the test that asks for it.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
from pathlib import Path

import pytest

from supercon3d import executor as executor_module
from supercon3d.executor import (
    MIN_ITEMS_PER_WORKER,
    EngineUnavailableError,
    LocalExecutor,
    SerialExecutor,
    WorkerError,
    make_executor,
    send_report,
    shared_object,
    worker_count,
    worker_resource,
)

SOURCE = Path(__file__).resolve().parents[1] / "src" / "supercon3d"
SMALL_CIFS = ("671985.cif", "97102.cif")
SHARED = {"offset": 100}
RESOURCE_KEY = "test-resource"
factory_calls = 0


class NeedsTwoArguments(ValueError):
    """Pickles as its message only, so it cannot be re-created (the issue-16 failure)."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")


def square(x: int) -> int:
    return x * x


def fail_unpicklably(x: int) -> int:
    raise NeedsTwoArguments(f"item{x}.cif", "an unreadable file\nwith a second line")


def torch_threads(_: int) -> int:
    import torch

    return torch.get_num_threads()


def count_resource_loads(_: int) -> tuple[int, int]:
    """This process's id and how often it has made the resource so far."""

    def load() -> object:
        global factory_calls
        factory_calls += 1
        return object()

    worker_resource(RESOURCE_KEY, load)
    return os.getpid(), factory_calls


def report_twice_then_offset(x: int) -> int:
    send_report((x, "started"))
    send_report((x, "finished"))
    return x + shared_object()["offset"]


@pytest.fixture(scope="module")
def pool():
    with LocalExecutor(2, shared=SHARED) as executor:
        yield executor


def project_errors() -> list[Exception]:
    from supercon3d.data.cif import CifReadError
    from supercon3d.discovery.run_record import DiscoveryFolderError
    from supercon3d.errors import SuperCon3DError
    from supercon3d.evaluation.folds import SplitError
    from supercon3d.generation.symmetry_template import TemplateError
    from supercon3d.graphs.crystal_graph import GraphBuildError
    from supercon3d.graphs.elements import UnknownElementError
    from supercon3d.models.weights import CheckpointError
    from supercon3d.pretrained import PretrainedWeightsError
    from supercon3d.screening.database import ScreenDatabaseError
    from supercon3d.settings import DataFolderError
    from supercon3d.stability.hull import HullUnavailableError, PotentialVersionError
    from supercon3d.stability.potentials import PotentialUnavailableError
    from supercon3d.stability.relax import RelaxationError
    from supercon3d.training.extra_structures import ExtraStructuresError
    from supercon3d.training.loop import DataParallelError, TrainingStateError
    from supercon3d.training.sodnet import RunFolderError
    from supercon3d.web.runs import RunNameError
    from supercon3d.web.serve import ServeError

    return [
        CifReadError("a.cif", "no atom sites"),
        GraphBuildError("b.cif", "site 0 has no neighbour within 8 Å"),
        UnknownElementError("element Xx is outside the embedding (Z 1..103)"),
        CheckpointError("fold0.safetensors", "no such checkpoint file"),
        DataFolderError("/data: data folder not found; set SUPERCON3D_DATA or pass --data"),
        RunFolderError("runs/x", "holds a run of a different configuration"),
        TrainingStateError("fold0.state.pt", "saved by another configuration"),
        DataParallelError("a pool worker cannot join data-parallel training; use --workers 1"),
        SplitError("runs/x was trained on the random split, not chemical-system"),
        ExtraStructuresError("extra structures need a run without the composition prior"),
        WorkerError("NeedsTwoArguments: a.cif: unreadable"),
        PotentialUnavailableError('chgnet missing: pip install -e ".[stability]"'),
        PretrainedWeightsError("chgnet/pretrained/0.3.0: expected one CHGNet 0.3.0 checkpoint"),
        HullUnavailableError("no elemental reference for Og"),
        RelaxationError("the chgnet energy diverged during relaxation"),
        ScreenDatabaseError("screen.sqlite", "written with model 'x', this run has 'y'"),
        EngineUnavailableError('dask.distributed missing: pip install -e ".[cluster]"'),
        DiscoveryFolderError("runs/discover", "e_hull: 0.2 → 0.1; --force reruns"),
        SuperCon3DError("a.cif: an expected failure"),
        PotentialVersionError("chgnet_reference.csv.gz: computed with chgnet 0.3.0, not 0.4.2"),
        RunNameError("../x: not a plain folder name"),
        ServeError("screen.sqlite: no such database"),
        TemplateError("x.cif: no Wyckoff orbit found at 0.1 Å"),
    ]


def test_every_project_error_type_pickles_with_its_message():
    errors = project_errors()
    declared = {
        name
        for path in SOURCE.rglob("*.py")
        for name in re.findall(r"^class (\w+Error)\(", path.read_text(), re.MULTILINE)
    }
    assert declared == {type(error).__name__ for error in errors}
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__


def test_serial_below_the_threshold_and_workers_checked():
    assert worker_count(2 * MIN_ITEMS_PER_WORKER - 1, 2) == 1
    assert worker_count(2 * MIN_ITEMS_PER_WORKER, 2) == 2
    assert worker_count(2, 4, min_items_per_worker=1) == 2
    assert worker_count(10**6, None) == (os.cpu_count() or 1)
    with make_executor(2, MIN_ITEMS_PER_WORKER) as executor:
        assert isinstance(executor, SerialExecutor)
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"):
        make_executor(0, 100)


def test_serial_executor_reports_and_shares_like_the_pool():
    reports = []
    with SerialExecutor(shared=SHARED) as executor:
        results = list(executor.map_unordered(report_twice_then_offset, [1, 2], reports.append))
        assert list(executor.map(square, range(5))) == [0, 1, 4, 9, 16]
    assert results == [101, 102]
    assert reports == [(1, "started"), (1, "finished"), (2, "started"), (2, "finished")]
    assert shared_object() is None


def test_pool_map_keeps_input_order(pool):
    items = list(range(101))
    assert list(pool.map(square, items, chunksize=3)) == list(map(square, items))


def test_an_unpicklable_worker_error_is_one_line_and_the_pool_survives(pool):
    with pytest.raises(WorkerError) as raised:
        list(pool.map(fail_unpicklably, [7]))
    assert str(raised.value) == "NeedsTwoArguments: item7.cif: an unreadable file"
    assert list(pool.map(square, [3, 4])) == [9, 16]


def test_workers_run_torch_on_one_thread_and_load_resources_once(pool):
    assert set(pool.map(torch_threads, range(4), chunksize=1)) == {1}
    loads = list(pool.map(count_resource_loads, range(16), chunksize=1))
    assert {count for _, count in loads} == {1}


def test_unordered_map_forwards_every_report_before_its_result(pool):
    events = []
    for result in pool.map_unordered(report_twice_then_offset, [1, 2, 3], events.append):
        events.append(result)
    assert sorted(e for e in events if isinstance(e, int)) == [101, 102, 103]
    for x in (1, 2, 3):
        assert events.index((x, "started")) < events.index((x, "finished")) < events.index(100 + x)


@pytest.mark.data
def test_read_cifs_in_workers_reports_an_empty_file_among_40(tmp_path, monkeypatch):
    from supercon3d.data.cif import CifReadError, read_cifs
    from supercon3d.settings import dataset_path

    cif_dir = dataset_path("supercon3d/cif")
    for i in range(39):
        shutil.copy(cif_dir / SMALL_CIFS[i % len(SMALL_CIFS)], tmp_path / f"{i:02d}.cif")
    (tmp_path / "empty.cif").write_text("")
    monkeypatch.setattr(executor_module, "MIN_ITEMS_PER_WORKER", 16)
    assert worker_count(40, 2) == 2
    result = read_cifs(sorted(tmp_path.glob("*.cif")), workers=2)
    assert len(result.records) == 39
    assert len(result.failures) == 1
    assert isinstance(result.failures[0], CifReadError)
    assert str(result.failures[0]).startswith(str(tmp_path / "empty.cif"))


ORPHAN_SCRIPT = """
import os, time
from supercon3d.executor import LocalExecutor

def own_pid(_):
    return os.getpid()

if __name__ == "__main__":
    pool = LocalExecutor(1)
    pid = pool.submit(own_pid, None).result()
    print(pid, flush=True)
    pool.submit(time.sleep, 120)
    time.sleep(120)
"""


def test_a_worker_leaves_when_its_parent_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10 * executor_module.PARENT_POLL_SECONDS
    while time.monotonic() < deadline and Path(f"/proc/{worker}").exists():
        time.sleep(0.1)
    status = Path(f"/proc/{worker}/stat")
    assert not status.exists() or status.read_text().split()[2] == "Z"  # gone (or a zombie)

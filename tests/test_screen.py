"""Screening: every source kind, error rows, resume after an interruption, refused databases."""

from __future__ import annotations

import csv
import tarfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ase.db
import pytest
from ase.io import write as ase_write
from pymatgen.core import Composition
from pymatgen.io.ase import AseAtomsAdaptor

from screen_tables import assert_same_tables, screen_table
from supercon3d.data.cif import read_cif
from supercon3d.executor import SerialExecutor
from supercon3d.screening.database import (
    COLUMN_TYPES,
    COLUMNS,
    STAGE_COMPOSITION,
    STAGE_FAILED,
    STAGE_STRUCTURE,
    ScreenDatabase,
    ScreenDatabaseError,
    Selected,
    open_readonly,
)
from supercon3d.screening.funnel import (
    STAGE_TWO_SHARDS_PER_WORKER,
    ShardDone,
    _bounded,
    _StopRequest,
    run_identity,
    run_screen,
    stage_two_shards,
    stage_two_site_budget,
)
from supercon3d.screening.sources import KIND_ERROR, StructureItem, iter_sources
from supercon3d.settings import dataset_path

BAD = Path(__file__).parent / "cifs" / "bad"
N_CIFS = 24
RESCORE_TOP = 0.25
SHARD = 5
REQUIRED_COLUMNS = (
    "id source name sha256 formula reduced_formula disorder_class family n_sites stage "
    "p_superconductor ln_tc tc_kelvin tc_low_kelvin tc_high_kelvin ln_tc_std "
    "known_superconductor reported_tc_kelvin related_superconductors in_supercon3d error "
    "n_elements charge_balanced molecular"
).split()
NEW_IN_SCHEMA_3 = ("n_elements", "charge_balanced", "molecular")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def cifs() -> list[Path]:
    return sorted(dataset_path("supercon3d").joinpath("cif").glob("*.cif"))[:N_CIFS]


@pytest.fixture(scope="module")
def sources(tmp_path_factory, cifs) -> list[str]:
    """A folder with a subfolder, a zip with a non-CIF member, a tar.gz, a CSV with a broken
    row, an extxyz, an ASE database, a missing file and an unreadable CIF."""
    root = tmp_path_factory.mktemp("sources")
    folder = root / "folder" / "deeper"
    folder.mkdir(parents=True)
    for path in cifs[:6]:
        (folder / path.name).write_bytes(path.read_bytes())
    with zipfile.ZipFile(root / "cifs.zip", "w") as archive:
        for path in cifs[6:10]:
            archive.write(path, f"zipped/{path.name}")
        archive.writestr("README.txt", "not a structure")
    with tarfile.open(root / "cifs.tar.gz", "w:gz") as archive:
        for path in cifs[10:14]:
            archive.add(path, f"tarred/{path.name}")
    with open(root / "table.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["material_id", "cif"])
        for path in cifs[14:18]:
            writer.writerow([path.stem, path.read_text()])
        writer.writerow(["broken-row", "data_broken\n_cell_length_a 3\n"])
        writer.writerow(["empty-row", ""])
    ordered = [s for s in (read_cif(path).structure for path in cifs[18:]) if s.is_ordered]
    atoms = [AseAtomsAdaptor.get_atoms(structure) for structure in ordered[:2]]
    ase_write(root / "frames.extxyz", atoms, format="extxyz")
    with ase.db.connect(root / "frames.db") as database:
        database.write(atoms[0])
    singles = [str(path) for path in cifs[20:]]
    return [
        str(root / "folder"),
        str(root / "cifs.zip"),
        str(root / "cifs.tar.gz"),
        str(root / "table.csv"),
        str(root / "frames.extxyz"),
        str(root / "frames.db"),
        *singles,
        str(root / "missing.cif"),
        str(BAD / "garbage.cif"),
        str(BAD / "element_beyond_lr.cif"),
    ]


@pytest.mark.data
def test_every_source_kind_streams_items_with_stable_ids_and_hashes(sources):
    items = list(iter_sources(sources))
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids))
    assert any(i.endswith("::deeper/" + Path(i).name) for i in ids)  # recursive folder
    assert any("cifs.zip::zipped/" in i for i in ids) and any("::tarred/" in i for i in ids)
    by_id = {item.id: item for item in items}
    readme = by_id[f"{sources[1]}::README.txt"]
    assert readme.kind == KIND_ERROR and "not a CIF" in readme.error
    assert "README.txt" in readme.error
    assert by_id[f"{sources[3]}::empty-row"].kind == KIND_ERROR
    assert by_id[f"{sources[3]}::broken-row"].sha256 is not None  # read, fails when parsed
    assert by_id[f"{sources[4]}::0"].kind == by_id[f"{sources[5]}::0"].kind == "atoms"
    assert "no such file" in by_id[f"{sources[-3]}"].error
    again = list(iter_sources(sources))
    assert [(i.id, i.sha256) for i in again] == [(i.id, i.sha256) for i in items]


@pytest.fixture(scope="module")
def shards_written() -> list[ShardDone]:
    return []


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, sources, shards_written) -> Path:
    path = tmp_path_factory.mktemp("db") / "screen.sqlite"
    run_screen(
        sources, path, RESCORE_TOP, executor=SerialExecutor(), shard_size=SHARD,
        on_shard=shards_written.append,
    )  # fmt: skip
    return path


@pytest.mark.data
def test_a_screen_writes_one_row_per_item_with_errors_and_stages(
    uninterrupted, sources, shards_written
):
    rows = {row["id"]: row for row in screen_table(uninterrupted)}
    assert set(rows) == {item.id for item in iter_sources(sources)}
    assert set(REQUIRED_COLUMNS) <= set(COLUMNS)
    failed = [row for row in rows.values() if row["stage"] == STAGE_FAILED]
    assert all(row["error"] and row["error"].startswith(row["id"]) for row in failed)
    for bad in ("README.txt", "broken-row", "empty-row", "missing.cif", "garbage.cif"):
        assert any(bad in row["id"] for row in failed), bad
    frames = [rows[f"{source}::0"] for source in sources[4:6]]  # extxyz and ASE .db
    assert frames[0]["reduced_formula"] == frames[1]["reduced_formula"]
    assert all(row["stage"] >= STAGE_COMPOSITION for row in frames)
    beyond = next(row for row in failed if "element_beyond_lr" in row["id"])
    assert "Z = 118" in beyond["error"]
    readable = [row for row in rows.values() if row["stage"] >= STAGE_COMPOSITION]
    rescored = [row for row in readable if row["stage"] == STAGE_STRUCTURE]
    assert len(rescored) == -(-len(readable) * RESCORE_TOP // 1)
    stage_two = [done.rows for done in shards_written if done.stage == STAGE_STRUCTURE]
    assert sum(stage_two) == len(rescored)
    assert 1 < len(stage_two) <= STAGE_TWO_SHARDS_PER_WORKER + 1  # one worker here
    lowest_rescored = min(row["p_superconductor_composition"] for row in rescored)
    assert all(
        row["p_superconductor_composition"] <= lowest_rescored
        for row in readable
        if row["stage"] == STAGE_COMPOSITION
    )
    for row in rescored:
        assert row["tc_low_kelvin"] < row["tc_kelvin"] < row["tc_high_kelvin"]
        assert row["ln_tc_composition"] is not None and row["ln_tc_std"] >= 0
    assert all(row["tc_low_kelvin"] is None for row in readable if row["stage"] == 1)
    assert any(row["known_superconductor"] for row in readable)  # SuperCon3D entries
    assert all(row["in_supercon3d"] is not None for row in readable)
    for row in readable:  # the chemist's checks
        assert row["n_elements"] == len(Composition(row["formula"]).elements)
        assert isinstance(row["charge_balanced"], bool) and row["molecular"] is False
    assert any(row["charge_balanced"] for row in readable)


def _items(sites: list[int]) -> tuple[list[StructureItem], dict[str, Selected]]:
    items = [
        StructureItem(f"s::{i}", "s", str(i), "cif", "", f"{i:064x}") for i in range(len(sites))
    ]
    return items, {item.id: Selected(item.sha256, n) for item, n in zip(items, sites)}


def test_stage_two_shards_hold_about_the_same_number_of_sites():
    sites = [200, 4, 4, 4, 4, 4, 4, 4, 4, 200, 4, 4, 100, 100] + [8] * 50
    items, selected = _items(sites)
    budget = stage_two_site_budget(selected, workers=2)
    assert budget == -(-sum(sites) // (STAGE_TWO_SHARDS_PER_WORKER * 2))
    shards = list(stage_two_shards(items, selected, 1000, budget, None))
    assert [i for shard in shards for i in shard.items] == items
    costs = [sum(selected[i.id].n_sites for i in shard.items) for shard in shards]
    assert all(cost - max(selected[i.id].n_sites for i in shard.items) < budget
               for cost, shard in zip(costs, shards))  # fmt: skip
    assert all(cost >= budget for cost in costs[:-1])
    assert [len(s.items) for s in stage_two_shards(items, selected, 5, 10**6, None)] == [5] * 12 + [
        4
    ]


def test_stage_two_takes_only_the_selected_content():
    items, selected = _items([10, 20, 30])
    selected.pop(items[0].id)
    selected[items[1].id] = Selected("another content", 20)
    shards = list(stage_two_shards(items, selected, 100, 1, None))
    assert [shard.items for shard in shards] == [(items[2],)]


@pytest.mark.data
def test_an_interrupted_screen_resumed_gives_the_samescreen_table(tmp_path, sources, uninterrupted):
    path = tmp_path / "resumed.sqlite"
    written = []

    def stop_after_two(done: ShardDone) -> None:
        written.append(done)
        if len(written) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_screen(
            sources,
            path,
            RESCORE_TOP,
            executor=SerialExecutor(),
            shard_size=SHARD,
            on_shard=stop_after_two,
        )
    kept = screen_table(path)
    assert 2 * SHARD <= len(kept) < len(list(iter_sources(sources)))  # + rows failed in a source
    resumed = run_screen(sources, path, RESCORE_TOP, executor=SerialExecutor(), shard_size=SHARD)
    assert resumed.composition.reused == sum(row["sha256"] is not None for row in kept)
    assert_same_tables(screen_table(uninterrupted), screen_table(path))
    again = run_screen(sources, path, RESCORE_TOP, executor=SerialExecutor(), shard_size=SHARD)
    assert again.structure.scored == 0
    assert again.composition.scored == sum(1 for row in screen_table(path) if row["sha256"] is None)


def test_a_database_of_another_model_or_version_is_refused_unless_started_anew(tmp_path):
    path = tmp_path / "other.sqlite"
    identity = run_identity()
    ScreenDatabase.open(path, {**identity, "model": "another-model"}).close()
    with pytest.raises(ScreenDatabaseError, match="another-model.*--force-new"):
        ScreenDatabase.open(path, identity)
    ScreenDatabase.open(path, {**identity, "package_version": "0.0.1"}, force_new=True).close()
    with pytest.raises(ScreenDatabaseError, match="package_version"):
        ScreenDatabase.open(path, identity)
    with ScreenDatabase.open(path, identity, force_new=True) as database:
        assert database.metadata()["model"] == identity["model"]


def test_an_sqlite_file_of_something_else_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "foreign.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
    with pytest.raises(ScreenDatabaseError, match="not a screening database"):
        ScreenDatabase.open(path, run_identity())
    (tmp_path / "text.sqlite").write_text("hello")
    with pytest.raises(ScreenDatabaseError):
        open_readonly(tmp_path / "text.sqlite")


def test_a_slow_shard_does_not_hold_back_the_ones_after_it():
    """Results come back as shards finish: shard 0 finishes only once shard 3 has run, which
    is sent out only after shards 1 and 2 came back (two in flight); waiting for shard 0
    first would never send shard 3 out."""
    third_ran = threading.Event()

    def score(shard: int) -> int:
        if shard == 0:
            assert third_ran.wait(timeout=10), "shard 3 was never sent out"
        if shard == 3:
            third_ran.set()
        return shard

    with ThreadPoolExecutor(max_workers=2) as pool:
        finished = list(_bounded(pool, score, range(4), in_flight=2, stop=_StopRequest()))
    assert finished[:2] == [1, 2] and sorted(finished) == [0, 1, 2, 3]


def test_the_unreported_table_leaves_out_reported_tc_and_reported_non_superconductors(tmp_path):
    rows = [
        {"id": "reported", "stage": 1, "tc_kelvin": 40.0, "reported_tc_kelvin": 39.0,
         "reported_non_superconductor": False},
        {"id": "non-superconductor", "stage": 1, "tc_kelvin": 30.0,
         "reported_non_superconductor": True},
        {"id": "new", "stage": 1, "tc_kelvin": 20.0, "reported_non_superconductor": False},
        {"id": "not looked up", "stage": 1, "tc_kelvin": 10.0},
        {"id": "failed", "stage": STAGE_FAILED, "error": "failed: unreadable"},
    ]  # fmt: skip
    with ScreenDatabase.open(tmp_path / "s.sqlite", run_identity()) as database:
        database.write(rows)
        assert [r["id"] for r in database.top(10)] == [r["id"] for r in rows[:4]]
        unreported = database.top(10, unreported=True)
        assert [r["id"] for r in unreported] == ["new", "not looked up"]
        assert database.top(1, unreported=True)[0]["id"] == "new"


def _schema_2_database(path: Path) -> None:
    """A database as the previous schema wrote it: no chemist's columns."""
    import sqlite3

    old = {name: kind for name, kind in COLUMN_TYPES.items() if name not in NEW_IN_SCHEMA_3}
    identity = {**run_identity(), "schema": "supercon3d-screen-2"}
    row = {
        "id": "old", "formula": "Nb3Sn1", "reduced_formula": "Nb3Sn", "stage": 1,
        "tc_kelvin": 18.0, "reported_tc_kelvin": 18.0, "reported_non_superconductor": 0,
    }  # fmt: skip
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT)")
        connection.executemany("INSERT INTO metadata VALUES (?, ?)", identity.items())
        columns = ", ".join(f"{name} {kind}" for name, kind in old.items())
        connection.execute(f"CREATE TABLE results ({columns})")
        marks = ", ".join("?" * len(row))
        connection.execute(
            f"INSERT INTO results ({', '.join(row)}) VALUES ({marks})", list(row.values())
        )


def test_a_database_of_the_previous_schema_is_read_but_not_resumed(tmp_path):
    path = tmp_path / "old.sqlite"
    _schema_2_database(path)
    with pytest.raises(ScreenDatabaseError, match="schema 'supercon3d-screen-2'.*--force-new"):
        ScreenDatabase.open(path, run_identity())
    with open_readonly(path) as database:
        (row,) = database.top(5)
        assert row["reduced_formula"] == "Nb3Sn" and "n_elements" not in row
        assert database.top(5, unreported=True) == []

"""``supercon3d discover``: the pipeline on three small SuperCon3D CIFs (two ordered, one
disordered) with tiny relaxations and top-k; tables, run record, resuming, refusal."""

from __future__ import annotations

import base64
import io
import json
import pickle
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.image import imread
from pymatgen.core import Lattice, Structure
from typer.testing import CliRunner

from discover_cache import discover_cache
from supercon3d import api
from supercon3d.cli.main import app
from supercon3d.cli.results import EXIT_USAGE
from supercon3d.data.cif import write_cif
from supercon3d.discovery.candidates import ranked
from supercon3d.discovery.pipeline import DISORDERED_FILE, DROPPED_FILE, ORDERED_FILE, REPORT_FILE
from supercon3d.discovery.report import PICTURED, SECTIONS, candidate_table, source_table
from supercon3d.discovery.run_record import RUN_FILE, DiscoveryFolderError
from supercon3d.discovery.settings import DEFAULT, QUICK, resolve_settings
from supercon3d.discovery.stages import (
    DROPPED_COLUMNS,
    REFUSED,
    STAGE_FILE,
    StageResult,
    StageStore,
    relaxed_path,
)
from supercon3d.discovery.steps import (
    ABOVE_HULL,
    MOLECULAR,
    NOT_BALANCED,
    NOT_CONVERGED,
    OUTSIDE_POTENTIAL,
    RADIOACTIVE,
    STAGES,
    TOO_MANY_ELEMENTS,
    gate_reasons,
    stability_reason,
)
from supercon3d.models.shipped import AMBIENT_MODEL, DEFAULT_MODEL, shipped_model_dir
from supercon3d.settings import dataset_path
from supercon3d.stability.assess import StabilityRecord

SOURCES = ("614648.cif", "169422.cif", "671446.cif")
"""LaB2Rh3 and InTe (ordered, SuperCon3D test split, so novel) and Mg0.5Al0.5B2 (SD)."""
SHEARED_CELL = Lattice.from_parameters(2.2419, 2.1363, 7.5155, 97.204, 92.545, 159.339)
"""A cell the generator made (seed 2 of the default run): a - b is 0.79 Å long, so every atom
overlaps its own periodic image; the input contract refuses it (lattice vectors ≥ 1 Å)."""
TINY = dict(relax_steps=2, e_hull=5.0, top_ordered=1, top_disordered=1, include_known=True)
PNG_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHEMIST_COLUMNS = ["space_group", "space_group_number", "charge_balanced", "n_elements",
                   "molecular", "converged"]  # fmt: skip
INTERFACE_COLUMNS = [
    "file", "formula", "disorder_class", "family", "p_superconductor", "tc_kelvin",
    "tc_low_kelvin", "tc_high_kelvin", "e_above_hull", "hull_incomplete", "novel",
    "known_superconductor", "related_superconductors", "parent",
]  # fmt: skip


@pytest.fixture(scope="module")
def sources() -> list[Path]:
    folder = dataset_path("supercon3d") / "cif"
    return [folder / name for name in SOURCES]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, sources):
    """One tiny run, with caches under the test's folder (as ``isolated_cache`` does for a
    test). The novelty reference (the generator's structure corpus) is copied from the
    user's cache when built there (minutes to build)."""
    cache = discover_cache(tmp_path_factory)
    out = tmp_path_factory.mktemp("discover") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SUPERCON3D_CACHE", str(cache))
        run = api.discover(out, cifs=sources, **TINY)
    return out, run


@pytest.mark.data
def test_candidate_tables_have_the_interface_columns(run_folder):
    out, run = run_folder
    for name, k in ((ORDERED_FILE, TINY["top_ordered"]), (DISORDERED_FILE, TINY["top_disordered"])):
        table = pd.read_csv(out / name)
        assert [c for c in table.columns if c in INTERFACE_COLUMNS] == INTERFACE_COLUMNS
        assert len(table) <= k
        assert all((out / file).is_file() for file in table["file"])
    ordered = pd.read_csv(out / ORDERED_FILE)
    assert (ordered["disorder_class"] == "O").all()
    disordered = pd.read_csv(out / DISORDERED_FILE)
    assert (disordered["disorder_class"] != "O").all()
    assert len(disordered), "the doped variants of the top ordered candidate fill the table"
    doped = disordered[disordered["parent"].notna()]
    assert set(doped["parent"]) <= set(ordered["id"])


@pytest.mark.data
def test_candidates_carry_the_chemists_checks_and_every_relaxed_structure_is_kept(run_folder):
    out, _ = run_folder
    ordered = pd.read_csv(out / ORDERED_FILE)
    assert set(CHEMIST_COLUMNS) <= set(ordered.columns)
    assert ordered["space_group_number"].between(1, 230).all()
    assert ordered["charge_balanced"].all() and (ordered["n_elements"] <= 5).all()
    assert not ordered["molecular"].any()
    assert set(CHEMIST_COLUMNS) <= set(pd.read_csv(out / DISORDERED_FILE).columns)
    stable = pd.read_csv(out / "stable" / "table.csv", dtype={"id": str})
    dropped = pd.read_csv(out / DROPPED_FILE, dtype={"id": str})
    assert list(dropped.columns) == DROPPED_COLUMNS
    relaxed = [*stable["id"], *dropped.loc[dropped["converged"].notna(), "id"]]
    assert relaxed and all((out / relaxed_path("stable", c)).is_file() for c in stable["id"])


@pytest.mark.data
def test_run_record_counts_every_candidate(run_folder):
    out, _ = run_folder
    record = json.loads((out / RUN_FILE).read_text())
    stages = record["stages"]
    assert [stage["name"] for stage in stages] == [name for name, _ in STAGES]
    assert stages[0]["n_in"] == len(SOURCES)
    for stage in stages:
        assert stage["seconds"] >= 0 and stage["n_out"] <= stage["n_in"] or stage["name"] == "doped"
    chain = [name for name, _ in STAGES].index("unique") + 1  # each takes the one before's
    for earlier, later in zip(stages[: chain - 1], stages[1:chain]):
        assert later["n_in"] == earlier["n_out"]
        assert later["n_out"] + sum(later["dropped"].values()) == later["n_in"]
    assert record["settings"]["relax_steps"] == TINY["relax_steps"]
    assert record["versions"]["supercon3d"] and record["models"]["potential"]
    dropped = pd.read_csv(out / DROPPED_FILE)
    assert len(dropped) == sum(sum(stage["dropped"].values()) for stage in stages)


@pytest.mark.data
def test_a_rerun_reads_finished_stages_back_and_reruns_from_a_missing_one(run_folder, sources):
    out, first = run_folder
    again = api.discover(out, cifs=sources, **TINY)
    assert all(stage["resumed"] for stage in again.record["stages"])
    pd.testing.assert_frame_equal(again.ordered, first.ordered)
    shutil.rmtree(out / "doped")
    before = (out / "stable" / STAGE_FILE).stat().st_mtime_ns
    third = api.discover(out, cifs=sources, **TINY)
    resumed = {stage["name"]: stage["resumed"] for stage in third.record["stages"]}
    assert resumed == {name: name not in ("doped", "disordered") for name, _ in STAGES}
    assert (out / "stable" / STAGE_FILE).stat().st_mtime_ns == before


@pytest.mark.data
def test_other_settings_are_refused_in_one_line(run_folder, sources):
    out, _ = run_folder
    with pytest.raises(DiscoveryFolderError, match="e_hull: 5.0 → 0.1"):
        api.discover(out, cifs=sources, **{**TINY, "e_hull": 0.1})
    arguments = ["discover", "--out", str(out), *map(str, sources), "--e-hull", "0.2"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == EXIT_USAGE
    assert "--force" in result.output and len(result.output.strip().splitlines()) <= 2


@pytest.mark.data
def test_the_generator_seed_is_a_setting_of_the_run(run_folder, sources):
    out, first = run_folder
    assert first.record["settings"]["seed"] == 0
    with pytest.raises(DiscoveryFolderError, match="seed: 0 → 3"):
        api.discover(out, cifs=sources, **{**TINY, "seed": 3})
    arguments = ["discover", "--out", str(out), *map(str, sources), "--seed", "3"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == EXIT_USAGE
    assert "seed: 0 → 3" in result.output


def _sheared() -> Structure:
    coords = [[0.6455, 0.9936, 0.7597], [0.1454, 0.4944, 0.0069], [0.6457, 0.9943, 0.2602]]
    return Structure(SHEARED_CELL, ["Cu", "Se", "Nb"], coords)


def test_a_structure_the_contract_refuses_is_dropped_as_its_stage_is_written(tmp_path):
    store = StageStore(tmp_path)
    cubic = Structure(Lattice.cubic(4.2), ["Nb", "Se"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    table = pd.DataFrame({"id": ["a", "b"], "formula": ["NbSe", "NbCuSe"]})
    result = StageResult("sources", table, {"a": cubic, "b": _sheared()}, [], n_in=2)
    written = store.write(result)
    assert list(written.table["id"]) == ["a"] and list(written.structures) == ["a"]
    [dropped] = written.dropped
    assert (dropped.id, dropped.formula, dropped.reason) == ("b", "NbCuSe", REFUSED)
    assert "a lattice vector 0.792 Å long, below 1 Å" in dropped.detail
    again = store.read("sources")
    assert list(again.table["id"]) == ["a"] and again.reasons() == {REFUSED: 1}
    assert not (tmp_path / "sources" / "cifs" / "b.cif").exists()


@pytest.mark.data
def test_a_finished_stage_that_cannot_be_read_back_is_computed_again(run_folder, sources, tmp_path):
    out, first = run_folder
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    victim = pd.read_csv(copy / "ordered" / "table.csv", dtype=str)["file"].iloc[0]
    write_cif(_sheared(), copy / victim)  # as an older version could have left it
    messages = []
    again = api.discover(copy, cifs=sources, **TINY, log=messages.append)
    assert any(m.startswith("ordered: finished earlier but unreadable") for m in messages)
    resumed = {stage["name"]: stage["resumed"] for stage in again.record["stages"]}
    assert resumed == {name: name not in ("ordered", "doped", "disordered") for name, _ in STAGES}
    columns = ["formula", "tc_kelvin", "e_above_hull"]
    pd.testing.assert_frame_equal(again.ordered[columns], first.ordered[columns])


@pytest.mark.data
def test_a_folder_of_other_files_is_refused(tmp_path, sources):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DiscoveryFolderError, match="holds no run.json"):
        api.discover(tmp_path, cifs=sources, **TINY)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def _profile(**changes) -> dict:
    row = {"radioactive": "", "n_elements": 3, "charge_balanced": True,
           "charge_kind": "ionic", "molecular": False}  # fmt: skip
    return {**row, **changes}


def test_the_chemists_gates_name_every_check_a_structure_fails_in_order():
    settings = DEFAULT
    assert gate_reasons(_profile(), settings) == []
    failed = gate_reasons(
        _profile(radioactive="Np Th", n_elements=6, charge_balanced=False,
                 charge_kind="unbalanced", molecular=True),
        settings,
    )  # fmt: skip
    reasons = [reason for reason, _ in failed]
    assert reasons == [RADIOACTIVE, TOO_MANY_ELEMENTS, NOT_BALANCED, MOLECULAR]
    assert failed[0][1] == "Np Th" and failed[1][1] == "6 > 5"
    allowed = settings.replace(allow_actinides=True, max_elements=6)
    assert gate_reasons(_profile(radioactive="Th U"), allowed) == []
    assert gate_reasons(_profile(radioactive="Np Th", n_elements=6), allowed) == [
        (RADIOACTIVE, "Np")
    ]


def test_doped_variants_pass_the_chemists_gates_before_they_are_scored(monkeypatch, tmp_path):
    from supercon3d.discovery import steps
    from supercon3d.progress import no_progress

    la2cuo4 = Structure.from_spacegroup(
        "I4/mmm", Lattice.tetragonal(3.78, 13.2), ["La", "Cu", "O", "O"],
        [[0, 0, 0.361], [0, 0, 0], [0, 0.5, 0], [0, 0, 0.182]],
    )  # fmt: skip
    monkeypatch.setattr(steps, "_predicted", lambda table, structures, model: (table, []))
    context = steps.RunContext(tmp_path, DEFAULT.replace(max_elements=3), None, no_progress,
                               lambda line: None)  # fmt: skip
    parent = pd.DataFrame([{"id": "p", "formula": "La2CuO4", "file": "p.cif"}])
    context.results["ordered"] = StageResult("ordered", parent, {"p": la2cuo4})
    context.results["unique"] = StageResult("unique", pd.DataFrame(columns=["id"]), {})
    result = steps.dope(context)
    assert len(result.table) and set(result.table["doping"]) == {"vacancy"}  # 3 elements
    gated = [d for d in result.dropped if d.reason == TOO_MANY_ELEMENTS]
    assert gated and all(d.detail == "4 > 3" for d in gated)
    assert "radius_mismatch" in result.table


def test_an_unconverged_relaxation_above_the_window_is_no_verdict():
    def record(**fields) -> StabilityRecord:
        return StabilityRecord("x", "NbSe2", energy_per_atom=-5.0, hull_incomplete=False,
                               relaxed=True, steps=100, **fields)  # fmt: skip

    assert stability_reason(record(e_above_hull=0.05, converged=False), 0.1) is None
    reason, detail = stability_reason(record(e_above_hull=0.374, converged=False), 0.1)
    assert reason == NOT_CONVERGED and detail.startswith("0.374 eV/atom") and "100 steps" in detail
    reason, _ = stability_reason(record(e_above_hull=0.374, converged=True), 0.1)
    assert reason.startswith(ABOVE_HULL)
    reason, _ = stability_reason(record(e_above_hull=0.0, converged=True, molecular=True), 0.1)
    assert reason == MOLECULAR
    failed = StabilityRecord("x", "Og", error="x: element Og outside the chgnet training set")
    assert stability_reason(failed, 0.1) == (OUTSIDE_POTENTIAL, failed.error)


def test_quick_relaxes_fewer_structures_not_fewer_steps():
    assert QUICK.relax_steps == DEFAULT.relax_steps
    assert QUICK.relax_top is not None and DEFAULT.relax_top is None
    assert QUICK.relax_top >= QUICK.top_ordered


def test_the_gates_options_are_in_the_help():
    result = CliRunner().invoke(app, ["discover", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--max-elements", "--allow-actinides", "--relax-top"):
        assert option in result.output


def test_ranking_puts_likely_superconductors_first_by_tc():
    table = pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        "p_superconductor": [0.9, 0.3, 0.6, 0.2],
        "tc_kelvin": [10.0, 100.0, 20.0, 30.0],
    })  # fmt: skip
    order = ranked(table)
    assert list(order["id"]) == ["c", "a", "b", "d"]  # likely by Tc, then P x Tc: 30 > 6
    assert list(order["rank"]) == [1, 2, 3, 4]


def test_settings_generate_only_without_other_sources():
    assert resolve_settings(quick=True).generate == QUICK.generate
    assert resolve_settings(quick=True, cifs=["a.cif"]).generate == 0
    assert resolve_settings(generate=5, cifs=["a.cif"]).generate == 5
    assert resolve_settings(from_seeds=True).generate == 0
    assert resolve_settings(e_hull=None).e_hull == QUICK.e_hull


class ReportParser(HTMLParser):
    """Section ids, images' sources, links and every tag name of a page."""

    def __init__(self):
        super().__init__()
        self.sections, self.images, self.links, self.tags = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "section":
            self.sections.append(attrs["id"])
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "a":
            self.links.append(attrs["href"])


@pytest.mark.data
def test_the_report_is_self_contained_with_every_section_and_decodable_images(run_folder):
    out, run = run_folder
    parser = ReportParser()
    parser.feed((out / REPORT_FILE).read_text(encoding="utf-8"))
    assert parser.sections == list(SECTIONS)
    assert not parser.tags & {"script", "link", "iframe"}
    pictured = min(len(run.ordered), PICTURED) + min(len(run.disordered), PICTURED)
    assert len(parser.images) == 3 + pictured  # funnel, two distributions, candidates
    for source in parser.images:
        assert source.startswith(PNG_PREFIX)
        data = base64.b64decode(source[len(PNG_PREFIX) :], validate=True)
        assert data.startswith(PNG_MAGIC)
        assert imread(io.BytesIO(data)).ndim == 3
    assert parser.links, "the candidates link to their CIFs"
    for link in parser.links:
        assert "://" not in link and not link.startswith("/")
        assert (out / link).is_file()


def test_the_report_tables_take_their_columns_from_the_data():
    assert source_table({}) is None
    comparison = [{"source": "generated", "sun_rate": 0.1667}, {"source": "mp", "n": 3}]
    table = source_table({"source_comparison": comparison})
    assert table.headers == ["source", "sun_rate", "n"]
    assert table.rows == [["generated", "0.167", ""], ["mp", "", "3"]]
    rows = pd.DataFrame([{"rank": 1, "formula": "MgB2", "file": "a.cif", "p_superconductor": 0.9}])
    ordered, doped = candidate_table(rows, doped=False), candidate_table(rows, doped=True)
    assert doped.headers[: len(ordered.headers)] == ordered.headers
    assert "doping" in doped.headers and "doping" not in ordered.headers
    assert ordered.rows[0][1].href == "a.cif" and ordered.row_classes == ["likely"]


def test_the_folder_error_pickles_with_its_folder_and_reason(tmp_path):
    error = DiscoveryFolderError(tmp_path, "holds a run with other settings")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.folder, copy.reason, str(copy)) == (error.folder, error.reason, str(error))


@pytest.mark.data
def test_candidates_are_scored_by_the_ambient_model(run_folder):
    out, _ = run_folder
    assert json.loads((out / RUN_FILE).read_text())["models"]["tc"] == AMBIENT_MODEL
    row = pd.read_csv(out / ORDERED_FILE).iloc[0]
    structure = Structure.from_file(out / row["file"])
    ambient, full = (
        api.predict([structure], checkpoints=shipped_model_dir(name))[0].tc_kelvin
        for name in (AMBIENT_MODEL, DEFAULT_MODEL)
    )
    assert row["tc_kelvin"] == pytest.approx(ambient, rel=1e-3)
    assert row["tc_kelvin"] != pytest.approx(full, rel=1e-2)

"""``discover --source``: the structure budget of each source, the substitution source in a
tiny run (its structures faked: two SuperCon3D CIFs tagged as substitutions), the stability
pre-filter and the comparison of the sources in ``run.json``."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure

from supercon3d import api
from supercon3d.discovery.comparison import COMPARISON_KEY, source_comparison
from supercon3d.discovery.pipeline import ORDERED_FILE
from supercon3d.discovery.run_record import RUN_FILE
from supercon3d.discovery.settings import DiscoverySettings
from supercon3d.discovery.sources import (
    GENERATION_FOLDER,
    MADE_FILE,
    SUBSTITUTED,
    SUBSTITUTIONS_FILE,
)
from supercon3d.discovery.stages import Dropped, StageResult
from supercon3d.discovery.steps import DUPLICATE, PREFILTERED, RunContext, prefiltered
from supercon3d.generation import substitution
from supercon3d.generation.corpus import corpus_cache_file
from supercon3d.progress import no_log, no_progress
from supercon3d.settings import dataset_path
from supercon3d.stability import prefilter
from supercon3d.stability.prefilter import Unrelaxed

PARENTS = ("614648.cif", "169422.cif")
"""LaB2Rh3 and InTe (ordered): the fake substitution source's structures."""
TINY = dict(relax_steps=2, e_hull=5.0, top_ordered=1, top_disordered=1, include_known=True)


def test_both_sources_share_the_budget_in_halves():
    assert DiscoverySettings(generate=5).structure_budget() == {
        "generator": 3,
        "substitution": 2,
    }
    assert DiscoverySettings(generate=5, source="substitution").structure_budget() == {
        "generator": 0,
        "substitution": 5,
    }
    with pytest.raises(ValueError, match="source 'diffusion'"):
        DiscoverySettings(source="diffusion")


def _fake_substitutions(count: int, *, seed: int, data=None, progress=no_progress, **_):
    folder = dataset_path("supercon3d") / "cif"
    made = []
    for name in PARENTS[:count]:
        structure = Structure.from_file(folder / name)
        structure.properties = {
            "parent": name.removesuffix(".cif"), "parent_source": "supercon3d",
            "parent_formula": structure.composition.reduced_formula,
            "substitution": "X->Y", "probability": 0.1,
        }  # fmt: skip
        made.append(structure)
    return made


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "supercon3d"


@pytest.fixture(scope="module")
def substitution_run(tmp_path_factory):
    """A tiny run with ``--source substitution`` (the corpus, the novelty reference, copied
    from the user's cache when built there)."""
    cache = tmp_path_factory.getbasetemp() / "cache"
    built = corpus_cache_file(cache_folder=_user_cache())
    if built.is_file():
        target = corpus_cache_file(cache_folder=cache)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(built, target)
    out = tmp_path_factory.mktemp("discover") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SUPERCON3D_CACHE", str(cache))
        patch.setattr(substitution, "substitute_structures", _fake_substitutions)
        run = api.discover(out, generate=len(PARENTS), source="substitution", **TINY)
    return out, run


@pytest.mark.data
def test_substituted_structures_are_tagged_with_their_source_and_parent(substitution_run):
    out, run = substitution_run
    assert run.record["settings"]["source"] == "substitution"
    made = pd.read_csv(out / GENERATION_FOLDER / SUBSTITUTED / SUBSTITUTIONS_FILE)
    assert list(made["id"]) == ["u00000", "u00001"]
    assert set(made["parent"].astype(str)) == {"614648", "169422"}
    sources = pd.read_csv(out / "sources" / "table.csv")
    assert set(sources["source"]) == {SUBSTITUTED}
    assert all(text.startswith("X->Y in ") for text in sources["substitution"])
    ordered = pd.read_csv(out / ORDERED_FILE)
    assert len(ordered) == 1
    assert ordered.loc[0, "source"] == SUBSTITUTED and "substitution" in ordered
    assert not (out / GENERATION_FOLDER / "noise").exists()


@pytest.mark.data
def test_the_run_record_compares_the_sources_that_made_structures(substitution_run):
    out, _ = substitution_run
    comparison = json.loads((out / RUN_FILE).read_text())[COMPARISON_KEY]
    assert [row["source"] for row in comparison] == ["substitution"]
    row = comparison[0]
    assert row["made"] == len(PARENTS) and row["valid"] == len(PARENTS)
    assert row["sun"] <= row["unique"] <= row["stable"] <= row["valid"]
    assert row["sun_rate"] == round(row["sun"] / row["made"], 3)
    assert row["seconds"] >= 0


def _context(tmp_path: Path, **settings) -> RunContext:
    return RunContext(tmp_path, DiscoverySettings(**settings), None, no_progress, no_log)


def test_the_prefilter_drops_only_what_lies_beyond_the_margin_above_the_window(
    tmp_path, monkeypatch
):
    cell = Structure(Lattice.cubic(4.2), ["Nb", "Se"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    disordered = Structure(Lattice.cubic(3.3), [{"Nb": 0.5, "Ti": 0.5}], [[0, 0, 0]])
    above = {"a": 0.5, "b": 1.2, "c": None}

    def positions(structures, names, potential, progress):
        assert "d" not in names, "a disordered structure is left to the relaxation"
        return [Unrelaxed(name, -5.0, above[name]) for name in names]

    monkeypatch.setattr(prefilter, "unrelaxed_positions", positions)
    table = pd.DataFrame({"id": list("abcd"), "formula": ["NbSe", "NbSe", "NbSe", "NbTi"]})
    structures = {"a": cell, "b": cell, "c": cell, "d": disordered}
    kept, dropped = prefiltered(_context(tmp_path, e_hull=0.1), table, structures)
    assert list(kept["id"]) == ["a", "c", "d"]
    assert kept["e_above_hull_unrelaxed"].iloc[0] == 0.5
    assert all(math.isnan(x) for x in kept["e_above_hull_unrelaxed"].iloc[1:])
    assert [item.id for item in dropped] == ["b"]
    assert dropped[0].reason == PREFILTERED.format(window=1.1)
    assert dropped[0].detail.startswith("1.200 eV/atom")
    unfiltered, none = prefiltered(_context(tmp_path, prefilter_margin=None), table, structures)
    assert len(unfiltered) == 4 and not none


def _stage(name: str, ids: list[str], seconds: float, dropped=(), **columns) -> StageResult:
    table = pd.DataFrame({"id": ids, **columns})
    return StageResult(name, table, {}, list(dropped), n_in=len(ids), seconds=seconds)


def test_the_comparison_counts_each_source_and_shares_out_every_second(tmp_path):
    made = tmp_path / GENERATION_FOLDER / SUBSTITUTED
    made.mkdir(parents=True)
    (made / MADE_FILE).write_text(json.dumps({"n": 2, "seconds": 3.0}))
    both = ["n00000", "n00001", "u00000", "u00001"]
    results = {
        "sources": _stage(
            "sources", both, 10.0, [Dropped("n00002", "Nb", "invalid")],
            formula=["MgB2", "NaCl2", "NaCl", "KBr"],
        ),
        "scored": _stage("scored", both, 4.0),
        "gates": _stage("gates", ["n00000", "u00000", "u00001"], 6.0),
        "stable": _stage("stable", ["n00000", "u00000", "u00001"], 30.0),
        "unique": _stage(
            "unique", ["n00000", "u00000"], 1.0, [Dropped("u00001", "KBr", DUPLICATE)],
            novel=[True, True], space_group_number=[1, 225], p_superconductor=[0.2, 0.7],
        ),
    }  # fmt: skip
    rows = {row["source"]: row for row in source_comparison(results, tmp_path)}
    generator, substituted = rows["generator"], rows["substitution"]
    assert (generator["made"], generator["valid"], generator["charge_balanced"]) == (3, 2, 1)
    assert (generator["stable"], generator["unique"], generator["sun"]) == (1, 1, 1)
    assert generator["above_p1_share"] == 0.0 and generator["likely_superconductor_share"] == 0.0
    assert (substituted["made"], substituted["stable"], substituted["unique"]) == (2, 2, 1)
    assert substituted["sun_rate"] == 0.5 and substituted["above_p1_share"] == 1.0
    assert generator["seconds"] + substituted["seconds"] == pytest.approx(51.0, abs=0.1)
    assert substituted["seconds_per_sun"] == substituted["seconds"]

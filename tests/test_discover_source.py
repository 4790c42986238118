"""``discover --source``: the structure budget of each source (``both`` favours substitution
by its measured SUN rate), the substitution source in a tiny run (its structures faked: two
SuperCon3D CIFs tagged as substitutions) and the comparison of the sources in ``run.json``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pymatgen.core import Structure

from discover_cache import discover_cache
from supercon3d import api
from supercon3d.discovery.comparison import COMPARISON_KEY, source_comparison
from supercon3d.discovery.pipeline import ORDERED_FILE
from supercon3d.discovery.run_record import RUN_FILE
from supercon3d.discovery.settings import (
    EQUAL_SHARE,
    SUBSTITUTION_SHARE,
    DiscoverySettings,
)
from supercon3d.discovery.sources import (
    GENERATION_FOLDER,
    MADE_FILE,
    SUBSTITUTED,
    SUBSTITUTIONS_FILE,
)
from supercon3d.discovery.stages import Dropped, StageResult
from supercon3d.discovery.steps import DUPLICATE
from supercon3d.generation import substitution
from supercon3d.progress import no_progress
from supercon3d.settings import dataset_path

PARENTS = ("614648.cif", "169422.cif")
"""LaB2Rh3 and InTe (ordered): the fake substitution source's structures."""
TINY = dict(relax_steps=2, e_hull=5.0, top_ordered=1, top_disordered=1, include_known=True)


def test_both_sources_give_substitution_its_share_and_the_generator_the_rest():
    for generate in (2, 3, 12, 200, 201):
        budget = DiscoverySettings(generate=generate).structure_budget()
        assert budget["generator"] + budget["substitution"] == generate
        assert 1 <= budget["generator"] <= budget["substitution"]
        assert abs(budget["substitution"] - generate * SUBSTITUTION_SHARE) <= 0.5
    assert DiscoverySettings(generate=1).structure_budget() == {"generator": 0, "substitution": 1}
    equal = DiscoverySettings(generate=5, substitution_share=EQUAL_SHARE).structure_budget()
    assert equal == {"generator": 2, "substitution": 3}
    assert DiscoverySettings(generate=5, source="substitution").structure_budget() == {
        "generator": 0,
        "substitution": 5,
    }
    with pytest.raises(ValueError, match="source 'diffusion'"):
        DiscoverySettings(source="diffusion")
    with pytest.raises(ValueError, match="substitution share 1"):
        DiscoverySettings(substitution_share=1.0)


def test_the_share_follows_the_measured_sun_rates_and_leaves_the_generator_a_part():
    measured = {"substitution": (0.50, 0.57), "generator": (0.19, 0.23)}
    rates = {source: sum(values) / len(values) for source, values in measured.items()}
    proportional = rates["substitution"] / sum(rates.values())
    assert EQUAL_SHARE < SUBSTITUTION_SHARE <= proportional < 1
    assert proportional - SUBSTITUTION_SHARE < 0.05


def test_a_run_recorded_before_the_share_was_a_setting_split_in_halves():
    old = DiscoverySettings(generate=10).to_dict()
    del old["substitution_share"]
    assert DiscoverySettings.from_dict(old).substitution_share == EQUAL_SHARE
    assert DiscoverySettings.from_dict(old).changes_from(DiscoverySettings(generate=10)) == [
        f"substitution_share: {SUBSTITUTION_SHARE} → {EQUAL_SHARE}"
    ]
    one_source = DiscoverySettings(generate=10, source="generator").to_dict()
    del one_source["substitution_share"]
    assert DiscoverySettings.from_dict(one_source) == DiscoverySettings(
        generate=10, source="generator"
    )


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


@pytest.fixture(scope="module")
def substitution_run(tmp_path_factory):
    """A tiny run with ``--source substitution`` (the corpus, the novelty reference, copied
    from the user's cache when built there)."""
    cache = discover_cache(tmp_path_factory)
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
    sources = pd.read_csv(out / "sources" / "table.csv")
    assert row["made"] == len(PARENTS) and row["valid"] == len(sources) >= 1
    assert row["sun"] <= row["unique"] <= row["stable"] <= row["valid"]
    assert row["sun_rate"] == round(row["sun"] / row["made"], 3)
    assert row["seconds"] >= 0


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

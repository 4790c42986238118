"""The SuperCon formula tables, the 3DSC and MP indexes, and reading their structures lazily."""

from __future__ import annotations

import pandas as pd
import pytest

from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.data.tables import (
    load_3dsc_index,
    load_mp_index,
    load_supercon_formulas,
    parse_3dsc_name,
    read_indexed,
    tc_by_key,
)


@pytest.fixture(scope="module")
def stanev() -> pd.DataFrame:
    return load_supercon_formulas("supercon_stanev2018")


@pytest.fixture(scope="module")
def index_3dsc(stanev) -> pd.DataFrame:
    return load_3dsc_index(tc_table=stanev)


def test_supercon_11949_parses_completely():
    table = load_supercon_formulas()
    assert len(table) == 11949
    assert table.attrs["unparsed"] == 0
    assert {"formula", "tc", "family", "composition", "key"} <= set(table.columns)
    assert (table["tc"] > 0).all()
    first = table.iloc[0]
    assert first["formula"] == "Hg0.66Pb0.34Ba2Ca1.98Cu2.9O8.4"
    assert first["tc"] == 143.0 and first["family"] == "cuprate"
    assert first["key"] == composition_key(parse_formula(first["formula"]))


def test_stanev_drops_and_counts_unparsed_formulas(stanev):
    assert stanev.attrs["unparsed"] == 8
    assert len(stanev) == 16414 - 8
    assert "Sm1Ba-1Cu3O6.94" not in set(stanev["formula"])
    assert "family" not in stanev.columns
    assert (stanev["tc"] == 0).sum() > 3000  # non-superconductors are kept with Tc = 0 K


def test_the_ambient_view_drops_only_the_superhydride_formulas(stanev):
    ambient = load_supercon_formulas("supercon_stanev2018", ambient=True)
    flagged = [is_high_pressure_hydride(c) for c in stanev["composition"]]
    assert sum(flagged) == ambient.attrs["high_pressure"] > 0
    assert len(ambient) == len(stanev) - sum(flagged)
    assert not any(is_high_pressure_hydride(c) for c in ambient["composition"])


def test_unknown_table_is_named():
    with pytest.raises(KeyError, match="nope"):
        load_supercon_formulas("nope")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Ag0.2Ba1Si1.8-MP-mp-7275-synth_doped.cif", ("Ag0.2Ba1Si1.8", "mp-7275", True)),
        ("Nb3Sn1-MP-mp-1326.cif", ("Nb3Sn1", "mp-1326", False)),
        ("Ca1Cu1O2-MP-mvc-2461.cif", ("Ca1Cu1O2", "mvc-2461", False)),
    ],
)
def test_3dsc_names(name, expected):
    assert parse_3dsc_name(name) == expected


def test_bad_3dsc_name_is_an_error():
    with pytest.raises(ValueError, match="Nb3Sn.cif"):
        parse_3dsc_name("Nb3Sn.cif")


def test_tc_lookup_takes_the_median_over_equal_compositions():
    table = pd.DataFrame(
        {"formula": ["Nb3Sn1", "Nb6Sn2", "Sn1Nb3", "Nb1"], "tc": [18.0, 17.0, 20.0, 9.2]}
    )
    table["key"] = [composition_key(parse_formula(f)) for f in table["formula"]]
    lookup = tc_by_key(table)
    assert lookup[composition_key(parse_formula("NbNb2Sn"))] == (18.0, 3)
    assert lookup[composition_key(parse_formula("Nb"))] == (9.2, 1)


def test_3dsc_index_counts_match_the_readme(index_3dsc):
    assert len(index_3dsc) == 10904
    assert int(index_3dsc["synth_doped"].sum()) == 6638
    assert index_3dsc["formula"].nunique() == 5824
    matched = index_3dsc["tc"].notna()
    assert (matched == (index_3dsc["n_matches"] > 0)).all()
    assert matched.sum() > 10800


def test_3dsc_tc_is_matched_by_composition_not_string(index_3dsc):
    # The file name writes As2Ba0.4Fe2K0.6, the table Ba0.4K0.6Fe2As2 (31.2 K).
    rows = index_3dsc[index_3dsc["formula"] == "As2Ba0.4Fe2K0.6"]
    assert len(rows) >= 3 and rows["synth_doped"].all()
    assert (rows["tc"] == 31.2).all() and (rows["n_matches"] == 1).all()
    # Al0.5Ga0.5Nb3 has three table rows (18.5, 18.75, 19 K, written three ways).
    several = index_3dsc[index_3dsc["formula"] == "Al0.5Ga0.5Nb3"].iloc[0]
    assert several["tc"] == 18.75 and several["n_matches"] == 3


def test_mp_index_and_lazy_reading(index_3dsc):
    mp = load_mp_index()
    assert len(mp) == 4704
    assert mp["mp_id"].iloc[0] == "mp-10003"
    subset = pd.concat([mp.head(2), index_3dsc.head(2)[["file"]]], ignore_index=True)
    result = read_indexed(subset, workers=1)
    assert len(result.records) == 4 and not result.failures
    assert [r.name for r in result.records[:2]] == ["mp-10003.cif", "mp-10004.cif"]
    doped = index_3dsc.iloc[0]
    assert doped["synth_doped"]
    assert composition_key(result.records[2].structure.composition) == composition_key(
        parse_formula(doped["formula"])
    )


def test_unreadable_files_are_counted_not_fatal(tmp_path):
    broken = tmp_path / "X1-MP-mp-1.cif"
    broken.write_text("data_broken\n_cell_length_a 1\n")
    mp = load_mp_index().head(1)
    result = read_indexed(pd.DataFrame({"file": [mp["file"].iloc[0], str(broken)]}), workers=1)
    assert len(result.records) == 1
    assert len(result.failures) == 1 and "X1-MP-mp-1.cif" in str(result.failures[0])

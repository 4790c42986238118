"""The known-superconductor look-up: reported Tc, measured non-superconductors, related ones."""

from __future__ import annotations

import pandas as pd
import pytest
from pymatgen.core import Composition

from supercon3d.data.known import KnownSuperconductors


@pytest.fixture
def known(tmp_path) -> KnownSuperconductors:
    (tmp_path / "supercon_formulas").mkdir()
    (tmp_path / "supercon3d").mkdir()
    pd.DataFrame(
        {"Formula": ["MgB2", "Mg0.9Al0.1B2", "Nb3Sn"], "Tc": [39.0, 30.0, 18.0],
         "Materials_family": ["others"] * 3}
    ).to_csv(tmp_path / "supercon_formulas/supercon_11949.csv", index=False)  # fmt: skip
    pd.DataFrame(
        {"name": ["Mg2B4", "NaCl", "Nb3Sn", "AlB2", "Mg0.8Al0.2B2"], "Tc": [37.0, 0, 0, 0, 12.0]}
    ).to_csv(tmp_path / "supercon_formulas/supercon_stanev2018.csv", index=False)
    pd.DataFrame(
        {"tc": [203.0], "family": ["h_based"], "cf": ["H3S1"], "order": ["order"]},
        index=["H3S.cif"],
    ).to_csv(tmp_path / "supercon3d/tc.csv")
    return KnownSuperconductors.load(tmp_path)


def test_reported_tc_is_the_median_over_equal_reduced_compositions(known):
    match = known.lookup(Composition("Mg3B6"))
    assert match.known_superconductor
    assert match.reported_tc_kelvin == pytest.approx(38.0)  # MgB2 39 K and Mg2B4 37 K
    assert not match.in_supercon3d


def test_related_superconductors_share_the_element_set_and_exclude_the_composition(known):
    match = known.lookup(Composition("Mg0.85Al0.15B2"))
    assert not match.known_superconductor and match.reported_tc_kelvin is None
    assert match.related_count == 2  # Mg0.9Al0.1B2 (30 K) and Mg0.8Al0.2B2 (12 K)
    assert match.related_best_tc_kelvin == 30.0
    assert match.related_superconductors == "2 (best 30 K)"
    assert known.lookup(Composition("Mg0.9Al0.1B2")).related_count == 1


def test_a_measured_non_superconductor_is_told_apart_from_an_unknown_one(known):
    assert known.lookup(Composition("NaCl")).reported_non_superconductor
    assert not known.lookup(Composition("KCl")).reported_non_superconductor
    nb3sn = known.lookup(Composition("Nb3Sn"))  # a superconducting report wins over Tc = 0
    assert nb3sn.known_superconductor and not nb3sn.reported_non_superconductor
    assert known.lookup(Composition("AlB2")).related_superconductors == ""


def test_supercon3d_entries_count_as_known_with_their_literature_tc(known):
    match = known.lookup(Composition("H3S"))
    assert match.in_supercon3d and match.reported_tc_kelvin == 203.0
    assert len(known) == 5

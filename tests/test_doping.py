"""Doping: dopants of compatible charge and size, substitution and vacancy variants within
the redox window, the partially occupied CIF round trip through the input contract, the
parents refused, and the ranked results of api.dope."""

from __future__ import annotations

import re

import pytest
from pymatgen.core import Composition, Element, Lattice, Species, Structure

from conftest import p1_cif
from supercon3d.data.cif import read_cif
from supercon3d.data.taxonomy import classify_disorder
from supercon3d.doping import doped_variants
from supercon3d.doping.cif import write_variant_cif
from supercon3d.doping.dopants import (
    MAX_CHARGE_DIFFERENCE,
    MAX_RADIUS_MISMATCH,
    NEVER_DOPANTS,
    declared_oxidation_states,
    dopants_for,
    host_oxidation_states,
    oxidation_states,
    zintl_oxidation_states,
)
from supercon3d.doping.parents import parent_refusal
from supercon3d.doping.vacancies import max_vacancy_fraction
from supercon3d.doping.variants import MIN_CHANGE_PER_FORMULA_UNIT, MIN_FRACTION


@pytest.fixture(scope="module")
def la2cuo4() -> Structure:
    """La₂CuO₄ in a simple tetragonal cell (I4/mmm K₂NiF₄ type)."""
    return Structure.from_spacegroup(
        "I4/mmm", Lattice.tetragonal(3.78, 13.2), ["La", "Cu", "O", "O"],
        [[0, 0, 0.361], [0, 0, 0], [0, 0.5, 0], [0, 0, 0.182]],
    )  # fmt: skip


@pytest.fixture(scope="module")
def mgb2() -> Structure:
    """MgB₂ (P6/mmm AlB₂ type)."""
    return Structure.from_spacegroup(
        "P6/mmm", Lattice.hexagonal(3.086, 3.524), ["Mg", "B"], [[0, 0, 0], [1 / 3, 2 / 3, 0.5]]
    )


def ybco(oxygen: float = 7.0) -> Structure:
    """YBa₂Cu₃O_oxygen (Pmmm), the chain O site (O1) occupied by ``oxygen − 6``."""
    structure = Structure.from_spacegroup(
        "Pmmm", Lattice.orthorhombic(3.82, 3.89, 11.68),
        ["Y", "Ba", "Cu", "Cu", "O", "O", "O", "O"],
        [[0.5, 0.5, 0.5], [0.5, 0.5, 0.184], [0, 0, 0], [0, 0, 0.355], [0, 0.5, 0],
         [0.5, 0, 0.378], [0, 0.5, 0.377], [0, 0, 0.159]],
    )  # fmt: skip
    chain = [i for i, site in enumerate(structure) if site.frac_coords[1] == 0.5 and
             site.frac_coords[2] == 0]  # fmt: skip
    for index in chain:
        structure.replace(index, {"O": oxygen - 6}, structure[index].frac_coords)
    return structure


def test_dopants_keep_the_sign_nearly_the_charge_and_the_size_of_the_host(la2cuo4):
    assert oxidation_states(Composition("La2CuO4")) == {"La": 3, "Cu": 2, "O": -2}
    found = dopants_for(la2cuo4)
    assert {(d.host, d.dopant) for d in found} >= {("La", "Sr"), ("O", "F")}
    for dopant in found:
        assert dopant.dopant_oxidation * dopant.host_oxidation > 0
        assert abs(dopant.dopant_oxidation - dopant.host_oxidation) <= MAX_CHARGE_DIFFERENCE
        assert dopant.dopant not in {"La", "Cu", "O"} and dopant.dopant not in NEVER_DOPANTS
        assert 0 <= dopant.radius_mismatch <= MAX_RADIUS_MISMATCH
    by_pair = {(d.host, d.dopant): d.carriers for d in found}
    assert by_pair[("La", "Sr")] == "hole" and by_pair[("O", "F")] == "electron"


def test_the_textbook_dopants_of_mgb2_are_found_with_their_carriers(mgb2):
    assert zintl_oxidation_states(Composition("MgB2")) == {"Mg": 2, "B": -1}
    assert host_oxidation_states(mgb2) == {"Mg": 2, "B": -1}
    found = {(d.host, d.dopant): d for d in dopants_for(mgb2)}
    assert found[("Mg", "Al")].carriers == "electron"  # Al³⁺ for Mg²⁺
    assert found[("B", "C")].carriers == "electron"  # one more valence electron
    assert not {("B", "Se"), ("B", "Te"), ("Mg", "Mn")} & set(found)  # size, bonding
    assert all(d.carriers != "unknown" for d in found.values())


def test_the_textbook_dopants_of_ybco_are_found():
    found = {(d.host, d.dopant): d.carriers for d in dopants_for(ybco())}
    assert found[("Y", "Ca")] == "hole"
    assert found[("Y", "Pr")] == "electron"  # Pr⁴⁺ fits the Y³⁺ site better than Pr³⁺
    assert found[("Cu", "Zn")] == "isovalent" and found[("Cu", "Ni")] == "isovalent"
    assert ("O", "F") in found


def test_an_intermetallic_gets_dopants_of_its_kind_with_unknown_carriers():
    nb3sn = Structure.from_spacegroup(
        "Pm-3n", Lattice.cubic(5.29), ["Nb", "Sn"], [[0.25, 0, 0.5], [0, 0, 0]]
    )
    assert host_oxidation_states(nb3sn) is None
    found = dopants_for(nb3sn)
    assert found and all(d.carriers == "unknown" and d.host_oxidation is None for d in found)
    assert all(Element(d.dopant).is_metal for d in found)
    assert {("Nb", "Ti"), ("Sn", "In")} <= {(d.host, d.dopant) for d in found}
    assert "Zr" not in {d.dopant for d in found if d.host == "Sn"}  # a d metal for a p metal
    metal = Structure(Lattice.cubic(3.0), [Species("Nb", 0)], [[0, 0, 0]])
    assert declared_oxidation_states(metal) is None  # a CIF of a metal declaring 0 for all


def test_noble_gases_are_never_dopants_though_the_icsd_table_lists_them():
    zr2h5n = Structure(Lattice.cubic(6.0), ["Zr", "Zr", "N"] + ["H"] * 5,
                       [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0], [0.25, 0.25, 0.25],
                        [0.75, 0.75, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75],
                        [0, 0.5, 0]])  # fmt: skip
    found = dopants_for(zr2h5n)
    assert found and not {d.dopant for d in found} & {"He", "Ne", "Ar", "Kr", "Xe", "Rn"}


def test_vacancies_stay_inside_the_redox_window():
    parent = ybco(6.85)
    states = host_oxidation_states(parent)
    composition = parent.composition.element_composition
    window = max_vacancy_fraction(composition, states, "O")
    assert window == pytest.approx((13.7 - 10) / 13.7)  # three Cu down to Cu⁺
    fractions = sorted(v.fraction for v in doped_variants(parent, "Y123") if v.kind == "vacancy")
    assert fractions == [0.05, 0.1, 0.2]  # 30 % (≈ O4.8, mean Cu 0.86) is not proposed
    assert max_vacancy_fraction(composition, None, "O") == 0.0  # unknown states: none


def test_fractions_and_changes_below_the_minimum_are_not_proposed(mgb2):
    with pytest.raises(ValueError, match=f"between {MIN_FRACTION:g} and 1"):
        doped_variants(mgb2, "MgB2", fractions=(MIN_FRACTION / 2,))
    trace = mgb2.copy()
    trace.replace(0, {"Mg": 0.999, "Al": 0.001}, trace[0].frac_coords)
    variants = doped_variants(trace, "trace")
    assert variants and all(v.host != "Al" for v in variants)
    assert all(re.search(r"Al0\.001(?!\d)", v.formula) for v in variants)
    assert not any(re.search(r"[A-Za-z]0(?![.\d])", v.formula) for v in variants)  # no "Ga0"
    before = trace.composition
    for v in variants:
        after = v.structure.composition
        changed = max(abs(after[e] - before[e]) for e in set(after) | set(before))
        assert changed >= MIN_CHANGE_PER_FORMULA_UNIT  # one formula unit per cell


def test_a_parent_with_overlapping_atoms_is_refused(mgb2):
    assert parent_refusal(mgb2, "MgB2") is None
    close = Structure(Lattice.cubic(4.0), ["Nb", "Nb"], [[0, 0, 0], [0.075, 0, 0]])
    assert parent_refusal(close, "x.cif") == (
        "x.cif: sites 0 and 1 are 0.300 Å apart (overlapping atoms); not doped"
    )


def test_variants_substitute_and_empty_the_right_share(la2cuo4):
    variants = doped_variants(la2cuo4, "La2CuO4")
    sr = next(v for v in variants if v.dopant == "Sr" and v.fraction == 0.1)
    assert sr.kind == "substitution" and sr.host == "La" and sr.formula == "La1.8Sr0.2CuO4"
    assert sr.structure.composition["Sr"] / sr.structure.composition["Cu"] == pytest.approx(0.2)
    vacancies = [v for v in variants if v.kind == "vacancy"]
    assert [v.fraction for v in vacancies] == [0.05, 0.1]  # Cu²⁺ falls to Cu⁺ at x = 1/8
    assert all(v.host == "O" and v.dopant is None for v in vacancies)
    assert vacancies[0].structure.composition["O"] == pytest.approx(0.95 * 4 * 2)
    assert len({v.name for v in variants}) == len(variants)
    assert all("/" not in v.name and " " not in v.name for v in variants)
    with pytest.raises(ValueError, match="1 excluded"):
        doped_variants(la2cuo4, "x", fractions=(0.1, 1.0))


def test_doped_cifs_read_back_through_the_input_contract(la2cuo4, tmp_path):
    variants = doped_variants(la2cuo4, "La2CuO4", fractions=(0.1,))
    for kind, expected in (("substitution", "SD"), ("vacancy", "PD")):
        variant = next(v for v in variants if v.kind == kind)
        record = read_cif(write_variant_cif(variant, tmp_path))
        assert record.structure.composition.almost_equals(variant.structure.composition)
        assert str(classify_disorder(record.structure).disorder_class) == expected
    with pytest.raises(FileExistsError, match="exists; --force replaces it"):
        write_variant_cif(variant, tmp_path)
    assert write_variant_cif(variant, tmp_path, force=True).is_file()


def test_dope_ranks_variants_by_predicted_delta_tc_against_the_parent(la2cuo4, tmp_path):
    from supercon3d import api

    missing = tmp_path / "missing.cif"
    results = api.dope(
        [la2cuo4, missing], top=3, fractions=(0.1,), names=["La2CuO4"], max_dopants_per_host=1
    )
    ranked, failed = results[:3], results[3]
    deltas = [r.delta_tc_kelvin for r in ranked]
    assert deltas == sorted(deltas, reverse=True)
    for r in ranked:
        assert r.delta_tc_model_kelvin == pytest.approx(
            r.prediction.tc_kelvin - r.parent_prediction.tc_kelvin
        )
        assert r.delta_tc_kelvin != pytest.approx(r.delta_tc_model_kelvin)  # calibrated
        assert r.variant.parent == "La2CuO4" and r.to_json()["disorder_class"] in ("SD", "PD")
    assert failed.variant is None and failed.error.startswith(str(missing))
    assert failed.to_json() == {
        "parent": str(missing),
        "error": failed.error,
        "parent_warnings": [],
    }


def test_dope_predicts_that_al_and_c_lower_the_tc_of_mgb2(mgb2):
    from supercon3d import api

    results = api.dope([mgb2], top=None, fractions=(0.05, 0.1), names=["MgB2"])
    lowered = {(r.variant.dopant, r.variant.fraction): r.delta_tc_kelvin for r in results}
    for dopant in ("Al", "C"):
        for fraction in (0.05, 0.1):
            assert lowered[(dopant, fraction)] < 0


def test_dope_refuses_bad_fractions_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from supercon3d.cli.main import app

    for given in ("0.1,1.5", "0.001"):
        result = CliRunner().invoke(app, ["dope", str(tmp_path / "a.cif"), "--fractions", given])
        assert result.exit_code == 2
        assert f"each must lie between {MIN_FRACTION:g} and 1 (1 excluded)" in result.output


def test_dope_refuses_what_stability_refuses_and_keeps_cif_warnings(tmp_path):
    from typer.testing import CliRunner

    from supercon3d.cli.main import app

    close = tmp_path / "close.cif"
    close.write_text(p1_cif(4.0, [("Nb", 0, 0, 0, 1.0), ("Nb", 0.075, 0, 0, 1.0)]))
    result = CliRunner().invoke(app, ["dope", str(close)])
    assert result.exit_code == 1  # the only parent failed
    assert "sites 0 and 1 are 0.300 Å apart (overlapping atoms); not doped" in result.output
    assert "closer than 0.5 Å" in result.output  # the reader's warning, printed


@pytest.mark.data
def test_the_prior_is_fitted_without_any_benchmark_pair():
    from supercon3d.data.supercon3d import read_tc_table
    from supercon3d.doping.calibration import PRIOR_SLOPE, fit_prior_slope, prior_fit_relations
    from supercon3d.doping.series import supercon3d_relations

    fit, tc, excluded = prior_fit_relations()
    table = read_tc_table()

    def reduced(formula: str) -> str:
        return Composition(formula).reduced_formula

    benchmark = {
        (reduced(table.loc[r.parent, "cf"]), reduced(table.loc[r.relative, "cf"]))
        for r in supercon3d_relations()
    }
    fitted = {(reduced(r.parent), reduced(r.relative)) for r in fit}
    assert len(benchmark) > 50 and len(fitted) > 1000
    assert not benchmark & fitted
    assert not {name for pair in fitted for name in pair} & excluded
    assert fit_prior_slope(fit, tc) == pytest.approx(PRIOR_SLOPE, abs=5e-4)


def test_api_dope_keeps_each_cifs_warnings_and_refuses_what_stability_refuses(tmp_path):
    from supercon3d import api

    warned, close, clean = tmp_path / "warned.cif", tmp_path / "close.cif", tmp_path / "clean.cif"
    warned.write_text(p1_cif(4.2, [("Nb", 0, 0, 0, 1.02), ("O", 0.5, 0.5, 0.5, 1.0)]))
    close.write_text(p1_cif(4.0, [("Nb", 0, 0, 0, 1.0), ("Nb", 0.075, 0, 0, 1.0)]))
    clean.write_text(p1_cif(4.2, [("Nb", 0, 0, 0, 1.0), ("O", 0.5, 0.5, 0.5, 1.0)]))

    results = api.dope([warned, close, clean], top=2, fractions=(0.1,))
    by_parent: dict[str, list] = {}
    for result in results:
        by_parent.setdefault(result.parent_prediction.file, []).append(result)
    assert list(by_parent) == [str(warned), str(close), str(clean)]  # input order
    rescaled = "occupancies at 1 position(s) sum to > 1 (up to 1.02): rescaled to 1"
    assert all(r.parent_warnings == [rescaled] for r in by_parent[str(warned)])
    assert all(r.parent_warnings == [] for r in by_parent[str(clean)])
    (refused,) = by_parent[str(close)]
    assert refused.variant is None
    assert refused.error == (
        f"{close}: sites 0 and 1 are 0.300 Å apart (overlapping atoms); not doped"
    )
    assert any("closer than 0.5 Å" in warning for warning in refused.parent_warnings)
    assert refused.to_json() == {
        "parent": str(close),
        "error": refused.error,
        "parent_warnings": refused.parent_warnings,
    }
    assert refused.parent_prediction.warnings == refused.parent_warnings

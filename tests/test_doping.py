"""Doping: plausible dopants, substitution and vacancy variants, the partially occupied CIF
round trip through the input contract, and the ranked results of api.dope."""

from __future__ import annotations

import pytest
from pymatgen.core import Composition, Element, Lattice, Species, Structure

from supercon3d.data.cif import read_cif
from supercon3d.data.taxonomy import classify_disorder
from supercon3d.doping import DEFAULT_FRACTIONS, doped_variants
from supercon3d.doping.cif import write_variant_cif
from supercon3d.doping.dopants import (
    MAX_CHARGE_DIFFERENCE,
    NEVER_DOPANTS,
    declared_oxidation_states,
    dopants_for,
    oxidation_states,
)


@pytest.fixture(scope="module")
def la2cuo4() -> Structure:
    """La₂CuO₄ in a simple tetragonal cell (I4/mmm K₂NiF₄ type)."""
    return Structure.from_spacegroup(
        "I4/mmm", Lattice.tetragonal(3.78, 13.2), ["La", "Cu", "O", "O"],
        [[0, 0, 0.361], [0, 0, 0], [0, 0.5, 0], [0, 0, 0.182]],
    )  # fmt: skip


def test_dopants_keep_the_sign_and_nearly_the_charge_of_the_host():
    composition = Composition("La2CuO4")
    states = oxidation_states(composition)
    assert states == {"La": 3, "Cu": 2, "O": -2}
    found = dopants_for(composition, states)
    assert {(d.host, d.dopant) for d in found} >= {("La", "Sr"), ("O", "F")}
    for dopant in found:
        assert dopant.dopant_oxidation * dopant.host_oxidation > 0
        assert abs(dopant.dopant_oxidation - dopant.host_oxidation) <= MAX_CHARGE_DIFFERENCE
        assert dopant.dopant not in {"La", "Cu", "O"} and dopant.dopant not in NEVER_DOPANTS
    by_pair = {(d.host, d.dopant): d.carriers for d in found}
    assert by_pair[("La", "Sr")] == "hole" and by_pair[("O", "F")] == "electron"


def test_noble_gases_are_never_dopants_though_the_icsd_table_lists_them():
    composition = Composition("Zr2H5N")  # the ICSD table ranks Kr among H's substitutes
    found = dopants_for(composition, oxidation_states(composition))
    assert found and not {d.dopant for d in found} & {"He", "Ne", "Ar", "Kr", "Xe", "Rn"}


def test_an_intermetallic_gets_dopants_of_its_kind_with_unknown_carriers():
    found = dopants_for(Composition("MgB2"), None)
    assert found and all(d.carriers == "unknown" and d.host_oxidation is None for d in found)
    assert all(Element(d.dopant).is_metal == (d.host == "Mg") for d in found)
    assert ("B", "C") in {(d.host, d.dopant) for d in found}
    metal = Structure(Lattice.cubic(3.0), [Species("Nb", 0)], [[0, 0, 0]])
    assert declared_oxidation_states(metal) is None  # a CIF of a metal declaring 0 for all


def test_variants_substitute_and_empty_the_right_share(la2cuo4):
    variants = doped_variants(la2cuo4, "La2CuO4")
    sr = next(v for v in variants if v.dopant == "Sr" and v.fraction == 0.1)
    assert sr.kind == "substitution" and sr.host == "La" and sr.formula == "La1.8Sr0.2CuO4"
    assert sr.structure.composition["Sr"] / sr.structure.composition["Cu"] == pytest.approx(0.2)
    vacancies = [v for v in variants if v.kind == "vacancy"]
    assert [v.fraction for v in vacancies] == list(DEFAULT_FRACTIONS)
    assert all(v.host == "O" and v.dopant is None for v in vacancies)
    assert vacancies[0].structure.composition["O"] == pytest.approx(0.95 * 4 * 2)
    assert len({v.name for v in variants}) == len(variants)
    assert all("/" not in v.name and " " not in v.name for v in variants)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
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


def test_dope_ranks_variants_by_predicted_tc_against_the_parent(la2cuo4, tmp_path):
    from supercon3d import api

    missing = tmp_path / "missing.cif"
    results = api.dope(
        [la2cuo4, missing], top=3, fractions=(0.1,), names=["La2CuO4"], max_dopants_per_host=1
    )
    ranked, failed = results[:3], results[3]
    tcs = [r.prediction.tc_kelvin for r in ranked]
    assert tcs == sorted(tcs, reverse=True)
    for r in ranked:
        assert r.delta_tc_kelvin == pytest.approx(
            r.prediction.tc_kelvin - r.parent_prediction.tc_kelvin
        )
        assert r.variant.parent == "La2CuO4" and r.to_json()["disorder_class"] in ("SD", "PD")
    assert failed.variant is None and failed.error.startswith(str(missing))
    assert set(failed.to_json()) == {"parent", "error"}


def test_dope_refuses_bad_fractions_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from supercon3d.cli.main import app

    result = CliRunner().invoke(app, ["dope", str(tmp_path / "a.cif"), "--fractions", "0.1,1.5"])
    assert result.exit_code == 2
    assert "each must lie strictly between 0 and 1" in result.output

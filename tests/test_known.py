"""The known-superconductor look-up: reported Tc, measured non-superconductors, related ones;
which sources hold a composition (novelty as "new to the literature"), and discover's use of
it."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pandas as pd
import pytest
from pymatgen.core import Composition, Lattice, Structure

from conftest import p1_cif
from supercon3d.data import known as known_module
from supercon3d.data.cif import write_cif
from supercon3d.data.known import (
    MOLECULE,
    KnownCompositions,
    KnownSuperconductors,
    molecule_name,
    structure_compositions,
)
from supercon3d.discovery.candidates import with_known
from supercon3d.discovery.steps import (
    KNOWN_COMPOSITION,
    KNOWN_MOLECULE,
    KNOWN_STRUCTURE,
    with_novelty,
)
from supercon3d.settings import dataset_path

AMMONIA = Structure(Lattice.cubic(5.1), ["N", "H", "H", "H"],
                    [[0, 0, 0], [0.19, 0, 0], [0, 0.19, 0], [0, 0, 0.19]])  # fmt: skip
ROCKSALT = Structure.from_spacegroup(
    "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0] * 3, [0.5] * 3]
)


def _write_cif_folders(root) -> None:
    """The three CIF folders: an MP NaCl and CsCl, a 3DSC doped MgB2 (names as in the data
    folder) and a SuperCon3D CIF without ``_chemical_formula_sum`` (parsed instead)."""
    for folder in ("supercon3d/cif", "3dsc_mp/cifs", "mp_structures/cifs"):
        (root / folder).mkdir(parents=True)
    write_cif(ROCKSALT, root / "mp_structures/cifs/mp-22862.cif")
    cscl = Structure(Lattice.cubic(4.1), ["Cs", "Cl"], [[0] * 3, [0.5] * 3])
    write_cif(cscl, root / "mp_structures/cifs/mp-22865.cif")
    doped = Structure(
        Lattice.hexagonal(3.08, 3.52),
        [{"Mg": 0.7, "Al": 0.3}, "B", "B"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]],
    )
    write_cif(doped, root / "3dsc_mp/cifs/Mg0.7Al0.3B2-MP-mp-763-synth_doped.cif")
    nbn = p1_cif(4.39, [("Nb", 0, 0, 0, 1), ("N", 0.5, 0.5, 0.5, 1)])
    (root / "supercon3d/cif/41364.cif").write_text(nbn)


@pytest.fixture
def known(tmp_path) -> KnownSuperconductors:
    (tmp_path / "supercon_formulas").mkdir()
    (tmp_path / "supercon3d").mkdir()
    _write_cif_folders(tmp_path)
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


def test_every_source_holding_a_composition_is_named(known, tmp_path):
    literature = KnownCompositions.load(tmp_path)
    assert literature.known_in(Composition("Mg3B6")) == "SuperCon"  # 11949 and Stanev
    assert literature.known_in(Composition("NaCl")) == "SuperCon;MP"  # Tc = 0 counts too
    assert literature.known_in(Composition("CsCl")) == "MP"
    assert literature.known_in(Composition("Mg0.7Al0.3B2")) == "3DSC"
    assert literature.known_in(Composition("H3S")) == "SuperCon3D"  # tc.csv's cf
    assert literature.known_in(Composition("NbN")) == "SuperCon3D"  # parsed from the CIF
    assert literature.sources(Composition("KCl")) == ()
    assert literature.known_in(Composition("KCl")) == ""


def test_common_molecules_are_known_by_reduced_composition(known, tmp_path):
    literature = KnownCompositions.load(tmp_path)
    for formula, name in (("H3N", "ammonia"), ("NH3", "ammonia"), ("H4O2", "water")):
        assert literature.sources(Composition(formula)) == (MOLECULE,)
        assert molecule_name(Composition(formula)) == name
    assert molecule_name(Composition("C6H6")) == "acetylene / benzene"
    assert molecule_name(Composition("H3S")) is None  # the hydride, not H2S
    assert literature.known_in(Composition("H2S")) == MOLECULE


def test_folder_compositions_are_read_once_then_cached_per_file_list(known, tmp_path, monkeypatch):
    first = structure_compositions(tmp_path)

    def no_reading(path):
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(known_module, "cif_formula", no_reading)
    assert structure_compositions(tmp_path) == first  # from the cache
    monkeypatch.undo()
    kbr = Structure(Lattice.cubic(6.6), ["K", "Br"], [[0] * 3, [0.5] * 3])
    write_cif(kbr, tmp_path / "mp_structures/cifs/mp-23251.cif")
    again = structure_compositions(tmp_path)  # another file list: read anew
    assert again["MP"] == first["MP"] | {(("Br", 0.5), ("K", 0.5))}


def test_an_unreadable_cif_is_left_out_with_one_line_naming_it(known, tmp_path):
    (tmp_path / "mp_structures/cifs/mp-1.cif").write_text("data_broken\n_cell_length_a 3\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = structure_compositions(tmp_path)
    assert len(found["MP"]) == 2  # NaCl and CsCl
    messages = [str(w.message) for w in caught if "known compositions" in str(w.message)]
    assert len(messages) == 1 and "mp-1.cif" in messages[0]


def _context(data, reference=()) -> SimpleNamespace:
    """What :func:`with_novelty` reads of a discovery run's context."""
    return SimpleNamespace(
        known_compositions=KnownCompositions.load(data), novelty_reference=list(reference)
    )


def test_novel_means_no_source_holds_the_composition_and_no_structure_matches(known, tmp_path):
    kcl = ROCKSALT.copy()
    kcl.replace_species({"Na": "K"})
    kbr = kcl.copy()
    kbr.replace_species({"Cl": "Br"})
    iodine = Structure(Lattice.cubic(8.0), ["I", "I"], [[0, 0, 0], [0.33, 0, 0]])  # I2 2.6 Å
    structures = [ROCKSALT, kcl, kbr, AMMONIA, iodine]
    table = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"],
        "formula": [s.composition.reduced_formula for s in structures],
    })  # fmt: skip
    judged, dropped = with_novelty(_context(tmp_path, reference=[kbr]), table, structures)
    assert list(judged["known_in"]) == ["SuperCon;MP", "", "", "molecule", ""]
    assert list(judged["novel"]) == [False, True, False, False, False]  # KBr: the reference
    assert [(d.id, d.reason) for d in dropped] == [
        ("a", KNOWN_COMPOSITION), ("c", KNOWN_STRUCTURE), ("d", KNOWN_MOLECULE),
        ("e", KNOWN_MOLECULE),
    ]  # fmt: skip
    assert dropped[0].detail == "SuperCon;MP" and "finite" in dropped[3].detail
    both = with_known(judged, known)
    assert not (both["novel"] & both["known_superconductor"]).any()


@pytest.mark.data
def test_supercon3d_entries_and_ammonia_are_not_novel_in_the_data_folder():
    """What a user found: SuperCon3D's 97102 and 164065 were novel and known at once, and
    ammonia a novel superconductor."""
    from supercon3d.data.cif import read_cif

    folder = dataset_path("supercon3d/cif")
    structures = [read_cif(folder / f"{name}.cif").structure for name in ("97102", "164065")]
    structures.append(AMMONIA)
    table = pd.DataFrame({
        "id": ["97102", "164065", "ammonia"],
        "formula": [s.composition.reduced_formula for s in structures],
    })  # fmt: skip
    judged, _ = with_novelty(_context(None), table, structures)
    judged = with_known(judged, KnownSuperconductors.load())
    assert not judged["novel"].any()
    assert list(judged["known_superconductor"]) == [True, True, False]
    assert all("SuperCon3D" in sources for sources in judged["known_in"][:2])
    assert judged["known_in"].iloc[2] == MOLECULE

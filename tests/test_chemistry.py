"""A chemist's first checks (supercon3d.chemistry): charge balance, elements, molecular
structures and symmetrisation, on compositions and cells built here."""

from __future__ import annotations

import pytest
from pymatgen.core import Composition, DummySpecies, Lattice, Molecule, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from supercon3d.chemistry import (
    ALLOWABLE_ACTINIDES,
    charge_balance,
    chemistry_profile,
    is_molecular,
    n_elements,
    radioactive_elements,
    space_group,
    symmetrise,
)
from supercon3d.chemistry.charge import DOPED, INTERMETALLIC, IONIC, METAL_RICH, UNBALANCED
from supercon3d.chemistry.oxidation import can_be_neutral, mixed_valence_charges

AMMONIA = [("N", (0.0, 0.0, 0.0)), ("H", (0.0, 0.94, 0.38)), ("H", (0.81, -0.47, 0.38)),
           ("H", (-0.81, -0.47, 0.38))]  # fmt: skip
METHANE = [("C", (0.0, 0.0, 0.0)), ("H", (0.63, 0.63, 0.63)), ("H", (-0.63, -0.63, 0.63)),
           ("H", (-0.63, 0.63, -0.63)), ("H", (0.63, -0.63, -0.63))]  # fmt: skip


def _boxed(atoms, side: float) -> Structure:
    species, coords = zip(*atoms)
    return Molecule(species, coords).get_boxed_structure(side, side, side)


def _rock_salt() -> Structure:
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


def _mgb2() -> Structure:
    return Structure.from_spacegroup(
        "P6/mmm", Lattice.hexagonal(3.086, 3.524), ["Mg", "B"], [[0, 0, 0], [1 / 3, 2 / 3, 0.5]]
    )


@pytest.mark.parametrize(
    ("formula", "balanced", "kind"),
    [
        ("NaCl", True, IONIC),
        ("YBa2Cu3O7", True, IONIC),  # mixed valence: Cu2+ and Cu3+
        ("La1.85Sr0.15CuO4", True, IONIC),  # fractional amounts made whole first
        ("LaFeAsO", True, IONIC),
        ("KBrO3", True, IONIC),  # Br5+ beside the more electronegative O2-
        ("NbTi", True, INTERMETALLIC),
        ("MgB2", True, INTERMETALLIC),  # B is no anion former here: judged as intermetallic
        ("Nb3Ge", True, INTERMETALLIC),
        ("Tb2Fe2As2O1.8F0.2", True, DOPED),  # electron-doped: Fe at +1.9
        ("PbTe", True, IONIC),  # Pb (2.33) a little more electronegative than Te (2.10)
        ("SrPd2As2", True, IONIC),
        ("Ti2P", True, METAL_RICH),  # metal-rich pnictides, chalcogenides, hydrides
        ("Nb2N", True, METAL_RICH),
        ("Mo8P5", True, METAL_RICH),
        ("LuS", True, METAL_RICH),
        ("PdH", True, METAL_RICH),
        ("SmThTiMoHC", False, UNBALANCED),  # C besides the anion formers: no metal-rich reading
        ("Li3ScCrH5", False, UNBALANCED),  # Sc+ and Cr+ are not common states; Li: a salt
        ("CaH", False, UNBALANCED),  # an alkaline-earth metal is fully ionised
        ("LaO3", False, UNBALANCED),  # too many anions
        ("LaH10", False, UNBALANCED),
    ],
)
def test_charge_balance(formula, balanced, kind):
    verdict = charge_balance(Composition(formula))
    assert (verdict.charge_balanced, verdict.kind) == (balanced, kind)


def test_the_pauling_test_refuses_a_cation_more_electronegative_than_an_anion():
    # Na+ Br5+ (X2-)3 balances in numbers; with S2- the cation Br (2.96) would be more
    # electronegative than the anion S (2.58)
    assert can_be_neutral([[1], [-1, 5], [-2]], [0.93, 2.96, 3.44], [1, 1, 3])  # NaBrO3
    assert not can_be_neutral([[1], [-1, 5], [-2]], [0.93, 2.96, 2.58], [1, 1, 3])  # "NaBrS3"


def test_mixed_valence_charges_sum_every_choice():
    assert mixed_valence_charges([2, 3], 3) == {6, 7, 8, 9}
    assert mixed_valence_charges([], 2) == set()


def test_elements_and_the_radioactive_gate():
    assert n_elements(Composition("KBaNa2LiPr2CuS10IBr")) == 9
    assert radioactive_elements(Composition("YNp2Au")) == ["Np"]
    assert radioactive_elements(Composition("ThUPt")) == ["Th", "U"]
    assert radioactive_elements(Composition("ThUPt"), ALLOWABLE_ACTINIDES) == []
    assert radioactive_elements(Composition("YNp2Au"), ALLOWABLE_ACTINIDES) == ["Np"]


@pytest.mark.parametrize(("atoms", "side"), [(AMMONIA, 8.0), (METHANE, 8.0), (AMMONIA, 3.4)])
def test_molecules_in_a_box_are_molecular(atoms, side):
    assert is_molecular(_boxed(atoms, side))


@pytest.mark.parametrize("build", [_rock_salt, _mgb2])
def test_solids_are_not_molecular(build):
    assert not is_molecular(build())
    assert not is_molecular(build() * (2, 1, 1))


def test_a_one_atom_cell_bonded_to_its_images_is_not_molecular():
    bcc = Structure(
        Lattice.from_parameters(2.7, 2.7, 2.7, 109.47, 109.47, 109.47), ["Mo"], [[0] * 3]
    )
    assert not is_molecular(bcc)


def test_a_cell_of_lone_atoms_is_not_molecular():
    stretched = Structure(Lattice.cubic(4.5), ["Mo"], [[0] * 3])  # Mo-Mo 4.5 Å: no bond
    assert not is_molecular(stretched)


def test_a_chain_is_not_molecular():
    chain = Structure(Lattice.orthorhombic(2.0, 8.0, 8.0), ["Se"], [[0, 0, 0]])  # Se-Se 2.0 Å
    assert not is_molecular(chain)


def test_profile_of_an_ammonia_crystal():
    profile = chemistry_profile(_boxed(AMMONIA, 8.0))
    assert profile.molecular and profile.n_elements == 2 and profile.radioactive == ()
    assert profile.columns()["radioactive"] == ""


JITTER = ([0.01, -0.005, 0.008], [-0.008, 0.01, -0.005])
"""Å: the displacement of the rock-salt cell's two sites; an operation maps one displacement
onto its opposite, so twice their difference (0.054 Å) stays inside the 0.1 Å tolerance."""


def test_symmetrising_a_jittered_rock_salt_gives_fm3m():
    jittered = _rock_salt().get_primitive_structure()
    for site, shift in enumerate(JITTER):  # Å, fixed: a random jitter made the test flaky
        jittered.translate_sites([site], shift, frac_coords=False)
    assert space_group(jittered) == ("Fm-3m", 225)
    result = symmetrise(jittered)
    assert (result.space_group, result.space_group_number) == ("Fm-3m", 225)
    assert result.structure.composition.reduced_formula == "NaCl"
    assert space_group(result.structure) == ("Fm-3m", 225)
    tight = SpacegroupAnalyzer(result.structure, symprec=1e-4)  # the atoms sit on ideal sites
    assert tight.get_space_group_number() == 225


def test_an_element_without_radius_or_electronegativity_is_judged_all_the_same():
    profile = chemistry_profile(Structure(Lattice.cubic(3.0), ["Og", "Cl"], [[0] * 3, [0.5] * 3]))
    assert profile.radioactive == ("Og",) and not profile.molecular


def test_a_species_that_is_no_element_raises_a_value_error():
    dummy = Structure(Lattice.cubic(3.0), [DummySpecies("X"), "Cl"], [[0] * 3, [0.5] * 3])
    with pytest.raises(ValueError, match="X"):
        chemistry_profile(dummy)


def test_metals_alone_are_never_molecular():
    pairs = Structure(Lattice.cubic(6.0), ["Be", "Ru"], [[0, 0, 0], [0.4, 0, 0]])
    assert not is_molecular(pairs)  # Be-Ru 2.4 Å bonded, the pairs 3.6 Å apart: a metal
    assert is_molecular(Structure(Lattice.cubic(6.0), ["B", "I"], [[0, 0, 0], [0.35, 0, 0]]))

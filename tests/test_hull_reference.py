"""The shipped CHGNet reference hull: element references that stand for real phases (H from
an H₂ molecule, bcc Nb/Mo/Ta on the hull), no structure without bonds, pinned energies, and a
table computed with another version of the potential refused in one line."""

from __future__ import annotations

import pytest
from pymatgen.core import Composition, Lattice, Structure

from supercon3d.stability.hull import (
    HullUnavailableError,
    PotentialVersionError,
    check_potential_version,
    reference_hull,
    reference_path,
    shipped_binaries,
    shipped_entries,
)
from supercon3d.stability.prototypes import (
    DIMER_BOX,
    MOLECULAR_ELEMENTS,
    crystal_prototypes,
    dimer,
    elemental_prototypes,
    unbonded,
)

pytest.importorskip("chgnet")

H2_BOND = 0.74
"""Å: the bond length of the H₂ molecule."""
BCC_A = {"Nb": 3.30, "Mo": 3.15, "Ta": 3.31}
"""Å: experimental bcc lattice constants, the starting cells relaxed below."""
ON_HULL = 0.02
"""eV/atom: how far from the hull an element's ground state may lie."""


@pytest.fixture(scope="module")
def chgnet(one_torch_thread):
    from supercon3d.stability.potentials import load_potential

    return load_potential("chgnet")


def h2_molecule(bond: float = H2_BOND, box: float = 10.0) -> Structure:
    return Structure(Lattice.cubic(box), ["H", "H"], [[0, 0, 0], [bond, 0, 0]],
                     coords_are_cartesian=True)  # fmt: skip


def test_no_element_reference_is_a_structure_without_bonds():
    elements = {f: row for f, row in shipped_entries("chgnet").items()
                if len(Composition(f).elements) == 1}  # fmt: skip
    assert len(elements) >= 84
    assert "mp-23907" not in {source for _, source in elements.values()}
    assert elements["H2"][1] == "prototype-dimer-H"
    apart = Structure(Lattice.hexagonal(3.9, 6.36), ["H", "H"],
                      [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]])  # fmt: skip
    assert unbonded(apart)  # mp-23907's cell: H atoms 3.90 Å apart
    assert not unbonded(h2_molecule())
    assert not unbonded(Structure(Lattice.cubic(5.26), ["Ar"], [[0, 0, 0]]))  # noble gas
    assert not any(unbonded(cell) for cell in crystal_prototypes("Cs").values())


def test_every_element_gets_five_crystals_and_molecular_ones_a_dimer():
    assert set(elemental_prototypes("Nb")) == {"fcc", "bcc", "hcp", "sc", "diamond"}
    for symbol in MOLECULAR_ELEMENTS:
        cells = elemental_prototypes(symbol)
        assert "dimer" in cells and not cells["dimer"][1] and len(cells) == 6
    assert min(dimer("I").lattice.abc) == DIMER_BOX >= 10.0


def test_the_h_reference_is_an_h2_molecule(chgnet):
    from supercon3d.stability.relax import relax

    molecule = relax(h2_molecule(), chgnet, relax_cell=False)
    assert molecule.converged
    # pinned CHGNet 0.3.0 energy of H₂ at 0.74 Å in a 10 Å box
    from supercon3d.stability.relax import static_energies

    assert static_energies([h2_molecule()], chgnet)[0] == pytest.approx(-3.3318, abs=2e-3)
    assert shipped_entries("chgnet")["H2"][0] == pytest.approx(molecule.energy_per_atom, abs=0.01)


def test_a_one_atom_h_cell_lies_far_above_the_hull(chgnet):
    from supercon3d.stability.relax import static_energies

    cell = Structure(Lattice.cubic(3.0), ["H"], [[0, 0, 0]])
    energy = static_energies([cell], chgnet)[0]
    position = reference_hull("chgnet").position(Composition("H"), energy)
    assert position.e_above_hull > 1.0


@pytest.mark.parametrize("symbol", sorted(BCC_A))
def test_bcc_transition_metals_lie_on_the_hull(chgnet, symbol):
    from supercon3d.stability.relax import relax

    bcc = Structure(Lattice.cubic(BCC_A[symbol]), [symbol] * 2, [[0, 0, 0], [0.5] * 3])
    relaxed = relax(bcc, chgnet)
    assert relaxed.converged
    position = reference_hull("chgnet").position(Composition(symbol), relaxed.energy_per_atom)
    assert abs(position.e_above_hull) <= ON_HULL and not position.hull_incomplete


@pytest.mark.data
def test_a_hydride_is_placed_against_the_h2_reference(chgnet):
    from supercon3d.data.cif import read_cif
    from supercon3d.settings import dataset_path
    from supercon3d.stability.relax import static_energies

    cah6 = read_cif(dataset_path("supercon3d/cif") / "Ca1H6.cif").structure
    energy = static_energies([cah6], chgnet)[0]
    position = reference_hull("chgnet").position(cah6.composition, energy)
    # pinned: the 150 GPa CIF cell as it is, static, above the ambient hull
    assert energy == pytest.approx(-2.1133, abs=2e-3)
    assert position.e_above_hull == pytest.approx(1.334, abs=5e-3)


def test_a_table_of_another_potential_version_is_refused_in_one_line(monkeypatch):
    installed = {"potential": "chgnet", "package": "chgnet", "package_version": "9.9.9",
                 "model": "0.3.0"}  # fmt: skip
    monkeypatch.setattr("supercon3d.stability.hull.potential_version", lambda name: installed)
    with pytest.raises(PotentialVersionError) as raised:
        check_potential_version(reference_path("chgnet"), "chgnet")
    message = str(raised.value)
    assert "\n" not in message and "chgnet 9.9.9" in message and "chgnet==" in message
    assert isinstance(raised.value, HullUnavailableError)
    shipped_entries.cache_clear()
    shipped_binaries.cache_clear()
    try:
        with pytest.raises(PotentialVersionError):
            reference_hull("chgnet")
    finally:
        shipped_entries.cache_clear()
        shipped_binaries.cache_clear()


def test_a_table_without_its_record_is_refused(tmp_path):
    table = tmp_path / "chgnet_reference.csv.gz"
    table.write_bytes(reference_path("chgnet").read_bytes())
    with pytest.raises(PotentialVersionError, match="no readable record"):
        check_potential_version(table, "chgnet")

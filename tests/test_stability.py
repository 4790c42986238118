"""Stability filter: reference hull and its coverage, its completion with prototype binaries
(cached), ordered approximants, prototypes, the potentials' loading (a missing package is one
line), one real relaxation and the command."""

from __future__ import annotations

import json
import pickle

import pytest
from pymatgen.core import Composition, Lattice, Structure
from typer.testing import CliRunner

from supercon3d.cli.main import app
from supercon3d.executor import SerialExecutor
from supercon3d.stability import completion, potentials
from supercon3d.stability.approximants import MAX_APPROXIMANT_SITES, ordered_approximants
from supercon3d.stability.hull import (
    MAX_BELOW_HULL,
    HullUnavailableError,
    ReferenceHull,
    binaries_path,
    lowest_entries,
    reference_hull,
    shipped_binaries,
    shipped_entries,
    write_reference_table,
)
from supercon3d.stability.potentials import PotentialUnavailableError, check_potential
from supercon3d.stability.prototypes import (
    CLOSEST_SHARE,
    MIN_RADIUS,
    binary_prototypes,
    elemental_prototypes,
)

JSON_KEYS = {"file", "formula", "energy_per_atom", "e_above_hull", "hull_incomplete",
             "relaxed", "converged", "error", "space_group", "space_group_number",
             "charge_balanced", "n_elements", "molecular"}  # fmt: skip


@pytest.fixture
def hull() -> ReferenceHull:
    """A, B, AB at -1 eV/atom below the elements; C alone; D missing."""
    return ReferenceHull({
        "Na": (-1.0, "a"), "Cl": (-2.0, "b"), "NaCl": (-2.5, "ab"), "K": (-1.0, "c"),
    })  # fmt: skip


def test_e_above_hull_against_the_reference_entries(hull):
    on_hull = hull.position(Composition("NaCl"), -2.5)
    assert on_hull.e_above_hull == pytest.approx(0.0, abs=1e-9)
    ionic = hull.position(Composition({"Na+": 1, "Cl-": 1}), -2.5)  # oxidation states ignored
    assert ionic.e_above_hull == pytest.approx(0.0, abs=1e-9)
    assert not on_hull.hull_incomplete
    above = hull.position(Composition("Na3Cl"), -1.0)
    # hull at Na3Cl: half Na (−1) and half NaCl (−2.5) per atom = −1.75 eV/atom
    assert above.e_above_hull == pytest.approx(0.75)
    below = hull.position(Composition("NaCl"), -2.65)
    assert below.e_above_hull == pytest.approx(-0.15) and not below.hull_incomplete
    far_below = hull.position(Composition("Na2Cl"), -3.0)  # 1 eV/atom: phases must be missing
    assert far_below.e_above_hull < -MAX_BELOW_HULL and far_below.hull_incomplete


def test_a_system_with_a_pair_of_elements_in_no_compound_is_incomplete(hull):
    assert hull.position(Composition("KCl"), -1.5).hull_incomplete
    assert not hull.position(Composition("K"), -1.0).hull_incomplete
    assert hull.position(Composition("KNaCl2"), -1.5).hull_incomplete  # no K-Cl, no K-Na
    covered = ReferenceHull({**hull.entries, "KCl": (-2.4, "kcl"), "KNa": (-1.0, "kna")})
    assert not covered.position(Composition("KNaCl2"), -2.4).hull_incomplete
    with pytest.raises(HullUnavailableError, match="no elemental reference for Og"):
        hull.position(Composition("NaOg"), -1.0)


def test_reference_table_round_trip(tmp_path, hull):
    path = tmp_path / "t.csv.gz"
    write_reference_table(path, [(f, e, s) for f, (e, s) in hull.entries.items()])
    assert ReferenceHull.from_file(path).entries == hull.entries


def test_missing_pairs_of_the_systems_met_once_each_and_only_with_elemental_references(hull):
    systems = [frozenset({"K", "Na", "Cl"}), frozenset({"K", "Cl"}), frozenset({"Na", "Og"})]
    assert completion.missing_pairs(hull, systems) == [("Cl", "K"), ("K", "Na")]
    assert completion.missing_pairs(hull, [frozenset({"Na", "Cl"})]) == []


@pytest.fixture
def without_shipped_binaries(monkeypatch):
    """The hull as if no prototype binaries shipped (what a run completes on demand)."""
    monkeypatch.setattr("supercon3d.stability.hull.shipped_binaries", lambda potential: {})


def test_the_shipped_binaries_cover_only_pairs_without_a_binary_compound_and_reach_the_hull():
    reference, binaries = shipped_entries("chgnet"), shipped_binaries("chgnet")
    assert len(binaries) >= 5 * 1000
    hull = ReferenceHull(reference)
    systems = {frozenset(str(e) for e in Composition(f).elements) for f in binaries}
    assert all(len(system) == 2 and hull.missing_pairs(system) for system in systems)
    assert all(source.startswith("prototype-") for _, source in binaries.values())
    entries = reference_hull("chgnet").entries
    assert all(entries[formula] == entry for formula, entry in binaries.items())


def test_the_hull_reads_the_cached_binaries_beside_the_shipped_tables(monkeypatch, tmp_path):
    monkeypatch.setenv("SUPERCON3D_CACHE", str(tmp_path))
    cached = binaries_path("chgnet")
    cached.parent.mkdir(parents=True, exist_ok=True)
    shipped = lowest_entries(shipped_entries("chgnet"), shipped_binaries("chgnet"))
    formula, (energy, _) = next(iter(shipped.items()))
    write_reference_table(cached, [(formula, energy - 1.0, "lower"), ("Og", -1.0, "og")])
    entries = reference_hull("chgnet").entries
    assert entries[formula] == (pytest.approx(energy - 1.0), "lower") and "Og" in entries
    write_reference_table(cached, [(formula, energy + 1.0, "higher")])
    assert reference_hull("chgnet").entries[formula] == shipped[formula]
    cached.write_bytes(b"not gzip")
    with pytest.warns(UserWarning, match="unreadable"):
        assert reference_hull("chgnet").entries == shipped


def test_binary_prototypes_cover_five_stoichiometries_in_small_cells():
    cells = binary_prototypes("Ag", "Ca")
    assert len(cells) == 10 and all(2 <= len(cell) <= 4 for cell in cells.values())
    formulas = {cell.composition.reduced_formula for cell in cells.values()}
    assert formulas == {"CaAg", "CaAg2", "Ca2Ag", "CaAg3", "Ca3Ag"}
    for symbols in (("Ag", "Ca"), ("H", "S")):  # H-S: S-S would sit 0.87 Å apart in AlB2
        for name, cell in binary_prototypes(*symbols).items():
            radii = [max(MIN_RADIUS, site.specie.atomic_radius) for site in cell]
            i, j, _, distances = cell.get_neighbor_list(r=6.0)
            closest = min(d / (radii[a] + radii[b]) for a, b, d in zip(i, j, distances))
            assert closest >= CLOSEST_SHARE - 1e-6, name


def test_approximants_are_ordered_small_and_keep_the_rounded_composition():
    cu3au = Structure.from_spacegroup("Fm-3m", Lattice.cubic(3.8), [{"Cu": 0.75, "Au": 0.25}],
                                      [[0, 0, 0]])  # fmt: skip
    orderings = ordered_approximants(cu3au)
    assert orderings and all(s.is_ordered for s in orderings)
    assert all(s.composition.reduced_formula == "Cu3Au" for s in orderings)
    oxide = Structure(Lattice.cubic(4.0), ["Ba", {"O": 0.9}], [[0, 0, 0], [0.5, 0.5, 0.5]])
    for ordering in ordered_approximants(oxide):
        assert ordering.is_ordered and len(ordering) <= MAX_APPROXIMANT_SITES
        amounts = ordering.composition
        assert amounts["O"] / amounts["Ba"] == pytest.approx(0.9, abs=0.07)


def test_prototypes_five_crystals_and_a_dimer_for_molecular_elements():
    assert set(elemental_prototypes("O")) == {"fcc", "bcc", "hcp", "sc", "diamond", "dimer"}
    crystals = elemental_prototypes("Mg")
    assert set(crystals) == {"fcc", "bcc", "hcp", "sc", "diamond"}
    assert all(relaxes for _, relaxes in crystals.values())


def test_a_missing_potential_package_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(potentials.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(PotentialUnavailableError) as raised:
        check_potential("sevennet")
    assert "\n" not in str(raised.value) and 'pip install "supercon3d[stability]"' in str(
        raised.value
    )
    assert str(pickle.loads(pickle.dumps(raised.value))) == str(raised.value)
    cif = tmp_path / "a.cif"
    Structure(Lattice.cubic(3.0), ["Cu"], [[0, 0, 0]]).to(filename=str(cif))
    result = CliRunner().invoke(app, ["stability", str(cif), "--potential", "chgnet"])
    assert result.exit_code == 1
    assert "pip install" in result.output and "Traceback" not in result.output


def test_an_unknown_potential_is_refused():
    with pytest.raises(PotentialUnavailableError, match="choose one of chgnet, sevennet"):
        check_potential("mace")


def test_a_structure_the_chemists_checks_cannot_judge_keeps_them_empty_with_a_warning():
    from pymatgen.core import DummySpecies

    from supercon3d.stability.assess import StabilityRecord, _chemistry

    record = StabilityRecord("x")
    _chemistry(
        record, Structure(Lattice.cubic(3.0), [DummySpecies("X"), "Cl"], [[0] * 3, [0.5] * 3])
    )
    assert record.charge_balanced is None and record.warnings[0].startswith("chemist's checks")
    _chemistry(record, Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0] * 3, [0.5] * 3]))
    assert record.charge_balanced and record.charge_kind == "ionic" and record.n_elements == 2


chgnet = pytest.importorskip("chgnet")


def test_one_relaxation_and_an_element_outside_the_potential(tmp_path):
    from supercon3d import api

    cscl = Structure(Lattice.cubic(3.3), ["Cs+", "Cl-"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    beyond = Structure(Lattice.cubic(3.0), ["Og"], [[0, 0, 0]])
    lonely = Structure(Lattice.cubic(12.0), ["Cu"], [[0, 0, 0]])
    crowded = Structure(Lattice.cubic(3.0), ["Zr", "H", "H"], [[0, 0, 0], [0.5] * 3, [0.501] * 3])
    packed = Structure(Lattice.cubic(1.0), ["H"], [[0, 0, 0]])  # 1 Å³/atom
    cif = tmp_path / "unreadable.cif"
    cif.write_text("not a cif")
    records = api.stability(
        [cscl, beyond, lonely, crowded, packed, cif],
        ["cscl", "og", "gas", "zrh2", "dense"],
        max_steps=3,
    )
    relaxed, outside, isolated, overlapping, dense, unreadable = records
    assert relaxed.error is None and relaxed.relaxed and relaxed.steps <= 3
    assert relaxed.formula == "CsCl" and relaxed.energy_per_atom < 0
    assert relaxed.e_above_hull is not None and not relaxed.hull_incomplete
    assert relaxed.structure is not None and "structure" not in relaxed.to_json()
    assert (relaxed.space_group, relaxed.space_group_number) == ("Pm-3m", 221)
    assert relaxed.charge_balanced and relaxed.n_elements == 2 and relaxed.molecular is False
    assert outside.space_group is None  # refused by the input contract before any relaxation
    assert (
        outside.error.startswith("og: site 0: Og (Z = 118) is beyond")
        and "[rule: element]" in outside.error
    )
    assert isolated.error.startswith("gas: 1 atom(s) without a neighbour within 6 Å")
    assert overlapping.error.startswith("zrh2: sites 1 and 2 are 0.005 Å apart (overlapping")
    assert dense.error.startswith("dense: 514 neighbours per atom within 5 Å, denser than any")
    assert unreadable.error.startswith(str(cif)) and "\n" not in unreadable.error
    assert all(JSON_KEYS <= set(r.to_json()) for r in records)


def test_the_command_prints_json_records(tmp_path):
    cif = tmp_path / "cu.cif"
    fcc = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
    Structure(Lattice.cubic(3.61), ["Cu"] * 4, fcc).to(filename=str(cif))
    result = CliRunner().invoke(app, ["stability", str(cif), "--json", "--max-steps", "2"])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert JSON_KEYS <= set(record) and record["formula"] == "Cu" and record["error"] is None
    assert (record["space_group"], record["space_group_number"]) == ("Fm-3m", 225)
    assert record["charge_balanced"] and record["molecular"] is False


def test_relaxations_in_two_processes_equal_those_run_here():
    from supercon3d.stability import assess_stability

    cells = [
        Structure(Lattice.cubic(a), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
        for a in (3.9, 4.0, 4.1, 4.2, 4.3, 4.4)
    ]
    names = [f"cscl-{i}" for i in range(len(cells))]
    here = assess_stability(cells, names, max_steps=2, workers=1)
    spread = assess_stability(cells, names, max_steps=2, workers=2)
    assert [r.file for r in spread] == names
    assert [r.to_json() for r in spread] == [r.to_json() for r in here]


def test_a_collapsing_cell_is_stopped_as_a_failed_relaxation():
    from supercon3d.stability.potentials import load_potential, potential_threads
    from supercon3d.stability.relax import RelaxationError, relax

    swollen = Structure(Lattice.cubic(4.5), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with potential_threads(), pytest.raises(RelaxationError, match="collapsed"):
        relax(swollen, load_potential("chgnet"), max_steps=200, max_volume_loss=0.05)


def test_a_missing_pair_is_completed_once_and_its_systems_become_complete(
    monkeypatch, tmp_path, without_shipped_binaries
):
    monkeypatch.setenv("SUPERCON3D_CACHE", str(tmp_path))
    calcium_silver = frozenset({"Ag", "Ca"})
    before = reference_hull("chgnet")
    assert completion.missing_pairs(before, [calcium_silver]) == [("Ag", "Ca")]
    assert before.position(Composition("CaAg2"), -2.8).hull_incomplete
    with SerialExecutor() as executor:
        after = completion.complete_hull([("Ag", "Ca")], "chgnet", executor, max_steps=3)
    binaries = {"CaAg", "CaAg2", "Ca2Ag", "CaAg3", "Ca3Ag"}
    assert all(after.entries[f][1].startswith("prototype-") for f in binaries)
    assert not after.position(Composition("CaAg2"), -2.8).hull_incomplete
    assert completion.missing_pairs(reference_hull("chgnet"), [calcium_silver]) == []


def test_only_structures_within_the_window_of_the_incomplete_hull_get_it_completed(
    monkeypatch, tmp_path, without_shipped_binaries
):
    from supercon3d.stability import assess_stability

    monkeypatch.setenv("SUPERCON3D_CACHE", str(tmp_path))
    stretched = binary_prototypes("Ag", "Ca")["cscl-AB"]
    stretched.scale_lattice(stretched.volume * 2.0)
    (far,) = assess_stability([stretched], ["far"], max_steps=0, completion_window=0.1)
    assert far.hull_incomplete and far.e_above_hull > 0.1
    assert not binaries_path("chgnet").exists()
    (placed,) = assess_stability([stretched], ["far"], max_steps=0)
    assert not placed.hull_incomplete and placed.e_above_hull > far.e_above_hull
    assert binaries_path("chgnet").exists()

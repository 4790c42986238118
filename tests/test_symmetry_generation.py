"""Space-group-constrained generation: templates, projections and sampling inside them."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from pymatgen.core import Element, Lattice, Structure

from supercon3d.generation.charge import ChargeBalance
from supercon3d.generation.checkpoint import GeneratorCheckpoint
from supercon3d.generation.corpus import CorpusSettings, StructureCorpus
from supercon3d.generation.diffusion import DiffusionConfig, clean_type_probabilities
from supercon3d.generation.generator import CrystalGenerator
from supercon3d.generation.network import Denoiser, NetworkConfig
from supercon3d.generation.symmetry_projection import SymmetryConstraint
from supercon3d.generation.symmetry_template import (
    TemplateError,
    TemplateLibrary,
    generator_cell,
    merge_collapsed_orbits,
    symmetry_outcome,
    template_from_cif,
    template_from_structure,
)
from supercon3d.generation.workflow import GenerationSettings, draw_templates

TINY_NETWORK = NetworkConfig(hidden=8, layers=1, frequencies=2, time_features=4)


@functools.cache
def mgb2() -> Structure:
    """MgB2, P6/mmm: Mg on 1a, B on 2d."""
    structure = Structure(
        Lattice.hexagonal(3.086, 3.524),
        ["Mg", "B", "B"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]],
    )
    return structure.get_reduced_structure()


@functools.cache
def rock_salt() -> Structure:
    """NaCl, Fm-3m, in its two-atom primitive cell."""
    conventional = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    return generator_cell(conventional)


@functools.cache
def tetragonal_with_free_z() -> Structure:
    """ThCr2Si2-type BaFe2As2 (I4/mmm), whose As sits on 4e (0, 0, z): one free coordinate."""
    conventional = Structure.from_spacegroup(
        "I4/mmm",
        Lattice.tetragonal(3.96, 13.0),
        ["Ba", "Fe", "As"],
        [[0, 0, 0], [0, 0.5, 0.25], [0, 0, 0.354]],
    )
    return generator_cell(conventional)


STRUCTURES = {
    "MgB2": (mgb2, 191),
    "NaCl": (rock_salt, 225),
    "BaFe2As2": (tetragonal_with_free_z, 139),
}


def random_state(constraint: SymmetryConstraint, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    n = int(constraint.num_atoms.sum())
    lattice = torch.randn(len(constraint.templates), 3, 3, generator=generator) * 4
    return lattice, torch.rand(n, 3, generator=generator), torch.randn(n, 100, generator=generator)


@pytest.mark.parametrize("name", STRUCTURES)
def test_a_known_structure_gives_its_space_group_and_orbits(name):
    build, number = STRUCTURES[name]
    structure = build()
    template = template_from_structure(structure)
    assert template.space_group == number
    assert sorted(len(orbit.atoms) for orbit in template.orbits) == sorted(
        np.unique(structure.atomic_numbers, return_counts=True)[1]
    )
    assert symmetry_outcome(structure, template) == "exact"


def test_free_coordinates_follow_the_wyckoff_positions():
    free = {o.wyckoff: o.free_coordinates for o in template_from_structure(mgb2()).orbits}
    assert free == {"a": 0, "d": 0}
    template = template_from_structure(tetragonal_with_free_z())
    assert sorted(o.free_coordinates for o in template.orbits) == [0, 0, 1]


@pytest.mark.parametrize("name", STRUCTURES)
def test_projections_are_idempotent(name):
    constraint = SymmetryConstraint([template_from_structure(STRUCTURES[name][0]())])
    lattice, frac, types = random_state(constraint)
    _, reference = constraint.reference()
    once = constraint.frac(frac, reference)
    assert torch.allclose(constraint.frac(once, once), once, atol=1e-6)
    assert torch.allclose(constraint.frac(once + 0.0, reference), once, atol=1e-6)
    lattice_once = constraint.lattice(lattice)
    assert torch.allclose(constraint.lattice(lattice_once), lattice_once, atol=1e-4)
    types_once = constraint.types(types)
    assert torch.allclose(constraint.types(types_once), types_once)


def test_lattice_projection_makes_a_hexagonal_cell():
    template = template_from_structure(mgb2())
    assert template.lattice[0] @ template.lattice[1] < 0  # the cell's gamma is 120°
    constraint = SymmetryConstraint([template])
    lattice, _, _ = random_state(constraint, seed=3)
    before = Lattice(lattice[0].double().numpy())
    assert not np.allclose(before.angles, (90, 90, 120), atol=1)
    projected = Lattice(constraint.lattice(lattice)[0].double().numpy())
    assert projected.a == pytest.approx(projected.b, rel=1e-5)
    assert projected.angles == pytest.approx((90, 90, 120), abs=1e-4)


def test_lattice_projection_keeps_the_orientation_of_a_symmetric_cell():
    template = template_from_structure(rock_salt())
    constraint = SymmetryConstraint([template])
    lattice = torch.as_tensor(template.lattice)[None]
    assert torch.allclose(constraint.lattice(lattice), lattice, atol=1e-10)


@pytest.mark.parametrize("name", STRUCTURES)
def test_random_coordinates_projected_are_in_the_template_space_group(name):
    build, number = STRUCTURES[name]
    template = template_from_structure(build())
    constraint = SymmetryConstraint([template])
    _, reference = constraint.reference()
    for seed in range(3):
        frac = constraint.initial_frac(reference, torch.Generator().manual_seed(seed))
        structure = Structure(Lattice(template.lattice), template.atomic_numbers, frac.numpy())
        assert symmetry_outcome(structure, template) in ("exact", "supergroup")


def test_orbits_share_one_species_after_the_type_projection():
    template = template_from_structure(tetragonal_with_free_z())
    constraint = SymmetryConstraint([template])
    _, _, types = random_state(constraint)
    z = constraint.types(types).argmax(-1)
    for orbit in template.orbits:
        assert len(set(z[list(orbit.atoms)].tolist())) == 1


def test_type_noise_is_one_draw_per_orbit_with_the_variance_of_one_atom():
    template = template_from_structure(tetragonal_with_free_z())
    constraint = SymmetryConstraint([template])
    noise = torch.randn(50, template.num_atoms, 100, generator=torch.Generator().manual_seed(0))
    drawn = torch.stack([constraint.orbit_noise(sample) for sample in noise])
    averaged = torch.stack([constraint.types(sample) for sample in noise])
    assert torch.allclose(torch.stack([constraint.types(d) for d in drawn]), drawn, atol=1e-6)
    for orbit in template.orbits:
        atoms = list(orbit.atoms)
        assert torch.allclose(drawn[:, atoms], drawn[:, atoms[:1]].expand_as(drawn[:, atoms]))
        assert drawn[:, atoms[0]].var().item() == pytest.approx(1.0, abs=0.1)
        if len(atoms) > 1:
            assert averaged[:, atoms[0]].var().item() < 0.7


def test_the_charge_balance_judges_the_composition_the_orbits_will_hold():
    """MgB2's template (Mg on 1a, two atoms on 2d): the denoiser says Cl (0.9) for one 2d atom
    and Se (0.6) for the other. Atom by atom that is MgClSe, not neutral; but the orbit ends
    as one species, Cl by its mean probability, and MgCl2 is neutral: nothing to push."""
    template = template_from_structure(mgb2())
    constraint = SymmetryConstraint([template])
    pair = next(list(orbit.atoms) for orbit in template.orbits if len(orbit.atoms) == 2)
    single = next(orbit.atoms[0] for orbit in template.orbits if len(orbit.atoms) == 1)
    mg, cl, se = (Element(symbol).Z - 1 for symbol in ("Mg", "Cl", "Se"))
    probabilities = torch.full((3, 100), 1e-6)
    probabilities[single, mg] = 1.0
    probabilities[pair[0], cl], probabilities[pair[0], se] = 0.9, 0.1
    probabilities[pair[1], cl], probabilities[pair[1], se] = 0.4, 0.6
    logits, atoms = probabilities.log(), torch.zeros(3, dtype=torch.long)
    balance = ChargeBalance(scale=1.0)
    assert balance.direction(clean_type_probabilities(logits, None), atoms).abs().sum() > 0
    per_orbit = clean_type_probabilities(logits, constraint)
    assert torch.allclose(per_orbit[pair[0]], per_orbit[pair[1]])
    assert torch.allclose(per_orbit.sum(-1), torch.ones(3))
    assert not balance.direction(per_orbit, atoms).any()


def test_a_permuted_cell_projects_to_the_permuted_result():
    structure = tetragonal_with_free_z()
    order = np.random.default_rng(0).permutation(len(structure))
    permuted = Structure(structure.lattice, [structure[i].species for i in order],
                         structure.frac_coords[order])  # fmt: skip
    constraints = [SymmetryConstraint([template_from_structure(s)]) for s in (structure, permuted)]
    frac = torch.rand(
        len(structure), 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64
    )
    frac = frac * 0.05  # a small displacement from the reference, then projected
    results = []
    for constraint, rows in zip(constraints, (np.arange(len(structure)), order)):
        _, reference = constraint.reference()
        reference = reference.double()
        results.append(constraint.frac(torch.remainder(reference + frac[rows], 1.0), reference))
    first, second = results
    difference = (first[order] - second).numpy()
    assert np.abs(difference - np.round(difference)).max() < 1e-5


def tiny_generator(seed: int = 0) -> CrystalGenerator:
    torch.manual_seed(seed)
    denoiser = GeneratorCheckpoint(
        "denoiser", Denoiser(TINY_NETWORK).eval(), DiffusionConfig(timesteps=20), [0, 1, 1]
    )
    return CrystalGenerator(denoiser, charge_balance=0.0)


def test_sampling_from_noise_keeps_every_structure_in_its_template():
    templates = [template_from_structure(build()) for build, _ in STRUCTURES.values()]
    made = tiny_generator().from_noise(
        3, generator=torch.Generator().manual_seed(0), templates=templates
    )
    for structure, template in zip(made, templates):
        assert len(structure) <= template.num_atoms  # fewer where an orbit collapsed
        assert symmetry_outcome(structure, template) in ("exact", "supergroup")


def test_seed_optimisation_keeps_the_seed_space_group():
    seeds = [tetragonal_with_free_z(), mgb2()]
    made = tiny_generator().from_seeds(
        seeds, (0.3, 1.0), generator=torch.Generator().manual_seed(0), constrained=True
    )
    for result in made:
        template = template_from_structure(seeds[result.seed].get_reduced_structure())
        assert symmetry_outcome(result.structure, template) in ("exact", "supergroup")


def test_library_draws_only_the_asked_space_group_and_names_a_missing_one():
    library = TemplateLibrary.from_structures([mgb2(), rock_salt(), tetragonal_with_free_z()])
    assert library.counts()[(191, "ad")] == 1
    drawn = library.draw(5, torch.Generator().manual_seed(0), space_group=225)
    assert {t.space_group for t in drawn} == {225}
    with pytest.raises(TemplateError, match="no template of space group 194"):
        library.draw(1, None, space_group=194)


def test_settings_refuse_contradictory_symmetry_options():
    assert GenerationSettings(space_group=191).constrained
    assert not GenerationSettings(symmetry="free").constrained
    with pytest.raises(TemplateError, match="1 to 230"):
        GenerationSettings(space_group=231)
    with pytest.raises(TemplateError, match="own space group"):
        GenerationSettings(from_seeds=True, space_group=191)


def test_a_template_from_a_cif_uses_its_primitive_cell_and_refuses_a_large_one(tmp_path):
    from supercon3d.data.cif import write_cif

    path = tmp_path / "nacl.cif"
    conventional = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    write_cif(conventional, path)
    template = template_from_cif(path, max_atoms=20)
    assert (template.space_group, template.num_atoms) == (225, 2)
    with pytest.raises(TemplateError, match="nacl.cif: its primitive cell has 2 atoms"):
        template_from_cif(path, max_atoms=1)


def test_draw_templates_for_a_run_follows_the_settings(tmp_path):
    cells = [mgb2(), rock_salt(), tetragonal_with_free_z()]
    corpus = StructureCorpus(
        cells, ["a", "b", "c"], ["mp"] * 3, np.zeros(3, dtype=bool), {}, CorpusSettings()
    )
    drawn = draw_templates(GenerationSettings(n=4, space_group=139), corpus)
    assert [t.space_group for t in drawn] == [139] * 4
    with pytest.raises(TemplateError, match="space group 194"):
        draw_templates(GenerationSettings(n=1, space_group=194), corpus)


def test_an_orbit_collapsed_onto_a_special_position_becomes_one_atom():
    lattice = Lattice.cubic(5.0)
    general = Structure(
        lattice, ["Na", "Na", "Cl"], [[0.2, 0.3, 0.1], [-0.2, -0.3, -0.1], [0.5] * 3]
    )
    template = template_from_structure(general)
    assert template.space_group == 2 and len(template.orbits) == 2
    collapsed = Structure(
        lattice, ["Na", "Na", "Cl"], [[0.001, 0.002, 0.0], [-0.001, -0.002, 0.0], [0.5] * 3]
    )
    merged = merge_collapsed_orbits(collapsed, template)
    assert sorted(merged.formula.split()) == ["Cl1", "Na1"]
    assert np.abs(merged[0].frac_coords - np.round(merged[0].frac_coords)).max() < 1e-9
    assert symmetry_outcome(merged, template) in ("exact", "supergroup")
    assert merge_collapsed_orbits(general, template).matches(general)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--space-group", "231"], "space group 231: expected 1 to 230"),
        (["--from-seeds", "--space-group", "191"], "seeds keep their own space group"),
        (["--method", "mutation"], "--method 'mutation'"),
    ],
)
def test_generate_refuses_bad_symmetry_options_in_one_line(tmp_path, arguments, message):
    from typer.testing import CliRunner

    from supercon3d.cli.main import app

    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "out"), *arguments])
    assert result.exit_code != 0
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output

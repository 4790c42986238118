"""The substitution source: seeded, charge-balanced, new compositions only, no duplicates,
within the atom cap; on a hand-made corpus of five parents."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Composition, Lattice, Structure

from supercon3d.chemistry import charge_balance, space_group
from supercon3d.data.composition import composition_key
from supercon3d.data.known import SUPERCON, KnownCompositions
from supercon3d.generation import substitution
from supercon3d.generation.corpus import CorpusSettings, StructureCorpus
from supercon3d.generation.substitution import (
    PROPERTY_KEYS,
    substitute_structures,
    substituted_composition,
    weighted_order,
)

KNOWN = ("KCl", "SrTiO3", "BaTiO3")
"""Compositions the fake literature reports (two of them substitutions of the parents)."""
LARGE_ATOMS = 24


def _perovskite(a_site: str, b_site: str, a: float) -> Structure:
    return Structure(
        Lattice.cubic(a),
        [a_site, b_site, "O", "O", "O"],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
    )


def _large() -> Structure:
    """24 atoms of MgO at random positions (beyond a cap of 20)."""
    coords = np.random.default_rng(0).random((LARGE_ATOMS, 3))
    return Structure(Lattice.cubic(9.0), ["Mg"] * 12 + ["O"] * 12, coords)


PARENTS = {
    "1": ("supercon3d", Structure(Lattice.cubic(4.1), ["Cs", "Cl"], [[0, 0, 0], [0.5] * 3])),
    "mp-2": ("mp", _perovskite("Sr", "Ti", 3.9)),
    "mp-3": ("mp", Structure(Lattice.hexagonal(3.09, 3.52), ["Mg", "B", "B"],
                             [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]])),
    "mp-4": ("mp", _large()),
    "Na1Cl1-MP-mp-5": ("3dsc", Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    ).get_primitive_structure()),
}  # fmt: skip


@pytest.fixture
def fake_corpus(monkeypatch):
    """The corpus and the literature of the substitution source replaced by the fakes."""
    corpus = StructureCorpus(
        structures=[structure for _, structure in PARENTS.values()],
        ids=list(PARENTS),
        sources=[source for source, _ in PARENTS.values()],
        held_out=np.zeros(len(PARENTS), dtype=bool),
        counts={},
        settings=CorpusSettings(),
    )
    known = KnownCompositions({SUPERCON: frozenset(composition_key(Composition(f)) for f in KNOWN)})
    monkeypatch.setattr(substitution, "load_or_build_corpus", lambda settings, data: corpus)
    monkeypatch.setattr(KnownCompositions, "load", classmethod(lambda cls, data=None: known))
    return corpus


def test_the_same_seed_gives_the_same_structures_and_another_seed_another_order(fake_corpus):
    first = substitute_structures(8, seed=3)
    again = substitute_structures(8, seed=3)
    other = substitute_structures(8, seed=4)
    assert len(first) == 8
    assert [s.properties for s in first] == [s.properties for s in again]
    assert all(a == b for a, b in zip(first, again))
    assert [s.properties["substitution"] for s in first] != [
        s.properties["substitution"] for s in other
    ]


def test_every_structure_is_balanced_new_unique_and_tagged_with_its_parent(fake_corpus):
    made = substitute_structures(40, seed=0)
    assert len(made) > 10
    formulas = [s.composition.reduced_formula for s in made]
    known = {composition_key(Composition(f)) for f in KNOWN}
    assert all(charge_balance(s.composition).charge_balanced for s in made)
    assert not known & {composition_key(s.composition) for s in made}
    assert len({(f, space_group(s)[1]) for f, s in zip(formulas, made)}) == len(made)
    for structure in made:
        assert tuple(structure.properties) == PROPERTY_KEYS
        parent = PARENTS[structure.properties["parent"]][1]
        old, new = structure.properties["substitution"].split("->")
        expected = substituted_composition(parent.composition, old, new)
        assert structure.composition.reduced_formula == expected.reduced_formula
        assert structure.properties["parent_source"] == PARENTS[structure.properties["parent"]][0]
        assert structure.properties["probability"] >= substitution.MIN_PROBABILITY
        assert len(structure) == len(parent)


def test_the_atom_cap_leaves_out_larger_parents(fake_corpus):
    made = substitute_structures(200, seed=0, max_atoms=4)
    assert made
    assert all(len(s) <= 4 for s in made)
    assert {s.properties["parent"] for s in made} <= {"1", "mp-3", "Na1Cl1-MP-mp-5"}
    everything = substitute_structures(400, seed=0, max_atoms=LARGE_ATOMS)
    assert "mp-4" in {s.properties["parent"] for s in everything}


def test_substituting_an_ion_keeps_the_charge_of_an_isovalent_swap():
    assert substituted_composition(Composition("SrTiO3"), "Sr", "Ba") == Composition("BaTiO3")


def test_the_weighted_order_is_a_permutation_favouring_heavy_weights():
    weights = np.array([1.0, 1.0, 100.0, 1.0])
    firsts = [weighted_order(weights, seed)[0] for seed in range(50)]
    assert sorted(weighted_order(weights, 0)) == [0, 1, 2, 3]
    assert firsts.count(2) > 40

"""Compounds superconducting only under pressure, and the ambient labels of the P(SC) data."""

from __future__ import annotations

from pymatgen.core import Composition

from supercon3d.data.pressure_only import (
    PRESSURE_ONLY_SUPERCONDUCTORS,
    is_pressure_only_superconductor,
)
from supercon3d.training.superconductor_data import ambient_labels


def test_every_entry_names_its_source_and_is_recognised():
    for formula, source in PRESSURE_ONLY_SUPERCONDUCTORS.items():
        assert "ambient" in source or "GPa" in source, formula
        assert is_pressure_only_superconductor(Composition(formula))


def test_recognised_by_composition_not_by_string():
    assert is_pressure_only_superconductor(Composition("Ga2As2"))
    assert not is_pressure_only_superconductor(Composition("GaAs0.9"))
    assert not is_pressure_only_superconductor(Composition("Cu0.1Bi2Se3"))  # ambient, doped


def test_ambient_labels_relabel_elements_and_pressure_only_compounds():
    formulas = ["GaAs", "Nb", "Si", "Nb3Sn", "CeRhIn5", "NaCl"]
    labels = ambient_labels([Composition(f) for f in formulas], [1, 1, 1, 1, 1, 0])
    assert labels.tolist() == [0, 1, 0, 1, 0, 0]

"""The doping level from charge neutrality (supercon3d.models.oxidation_state)."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Composition

from supercon3d.models.oxidation_state import (
    OXIDATION_FEATURES,
    oxidation_descriptors,
    oxidation_feature_matrix,
)


def _described(formula: str) -> dict[str, float]:
    return dict(zip(OXIDATION_FEATURES, oxidation_descriptors(Composition(formula))))


@pytest.mark.parametrize(
    ("formula", "state", "d_electrons"),
    [
        ("YBa2Cu3O7", 7 / 3, 11 - 7 / 3),  # Y +3, Ba +2, O -2: holes on Cu
        ("YBa2Cu3O6", 5 / 3, 11 - 5 / 3),
        ("La1.85Sr0.15CuO4", 2.15, 8.85),
        ("Tl2Ba2CaCu2O8", 2.0, 9.0),  # Tl held at +3
        ("LaFeAsO0.9F0.1", 1.9, 6.1),  # electrons on Fe from F
    ],
)
def test_metal_oxidation_state_follows_the_doping(formula, state, d_electrons):
    values = _described(formula)
    assert values["metal_oxidation_state"] == pytest.approx(state)
    assert values["metal_d_electrons"] == pytest.approx(d_electrons)


def test_metals_share_the_charge_and_their_mean_group():
    values = _described("BaFe1.8Co0.2As2")  # Co doping adds d electrons, not charge
    assert values["metal_oxidation_state"] == pytest.approx(2.0)
    assert values["metal_group"] == pytest.approx(8.1)
    assert values["metal_d_electrons"] == pytest.approx(6.1)
    assert values["metal_share"] == pytest.approx(0.4)
    assert values["anion_share"] == pytest.approx(0.4)


@pytest.mark.parametrize("formula", ["NaCl", "Nb3Sn", "Fe", "GaAs", "LaH10", "MgB2"])
def test_undefined_without_a_d_metal_and_an_anion(formula):
    assert np.isnan(oxidation_descriptors(Composition(formula))).all()


def test_feature_matrix_has_one_row_per_composition():
    matrix = oxidation_feature_matrix([Composition("YBa2Cu3O7"), Composition("NaCl")])
    assert matrix.shape == (2, len(OXIDATION_FEATURES))
    assert oxidation_feature_matrix([]).shape == (0, len(OXIDATION_FEATURES))

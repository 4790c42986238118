"""CuO2 planes and their hole count from bond valences (supercon3d.chemistry.cuprate_planes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from conftest import ybco
from supercon3d.chemistry.cuprate_planes import (
    BOND_VALENCE_B,
    COPPER_ANION_R0,
    CUPRATE_PLANE_FEATURES,
    copper_valences,
    cuprate_plane_descriptors,
)


def _bond(length: float) -> float:
    return math.exp((COPPER_ANION_R0["O"] - length) / BOND_VALENCE_B)


def infinite_layer(a: float = 3.85) -> Structure:
    """CaCuO2: one flat CuO2 plane per cell, no apical oxygen."""
    return Structure(
        Lattice.tetragonal(a, 3.2),
        ["Ca", "Cu", "O", "O"],
        [[0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0, 0], [0, 0.5, 0]],
    )


def test_infinite_layer_copper_is_a_plane_site_with_its_bond_valence_sum():
    ((valence, in_plane),) = copper_valences(infinite_layer()).values()
    assert in_plane
    assert valence == pytest.approx(4 * _bond(3.85 / 2))
    values = dict(zip(CUPRATE_PLANE_FEATURES, cuprate_plane_descriptors(infinite_layer(), 2.0)))
    assert values["cuo2_hole_count"] == pytest.approx(valence - 2)
    assert values["cuo2_copper_share"] == 1.0
    assert values["cuo2_neutral_hole_count"] == pytest.approx(0.0)


def test_compressed_planes_hold_more_holes():
    squeezed = cuprate_plane_descriptors(infinite_layer(3.80), 2.0)[0]
    assert squeezed > cuprate_plane_descriptors(infinite_layer(3.90), 2.0)[0]


def test_ybco_chain_copper_is_not_a_plane_site():
    valences = copper_valences(ybco())
    assert [in_plane for _, in_plane in valences.values()] == [False, True, True]
    chain = valences[3][0]
    assert chain == pytest.approx(2 * _bond(0.158 * 11.68) + 2 * _bond(3.89 / 2), abs=1e-3)
    holes, neutral, share = cuprate_plane_descriptors(ybco(), 7 / 3)
    assert share == pytest.approx(2 / 3)
    assert 0.05 < holes < 0.25  # the planes' sum, not the composition's 0.33 per Cu
    assert neutral == pytest.approx((1.0 - (chain - 2)) / 2)


def test_half_empty_chains_lower_the_chain_copper_valence_only():
    full, half = copper_valences(ybco()), copper_valences(ybco(chain_oxygen=0.5))
    assert half[3][0] == pytest.approx(full[3][0] - _bond(3.89 / 2))
    assert half[4] == pytest.approx(full[4])


def test_isolated_square_and_copper_free_structures():
    square = Structure(
        Lattice.cubic(10.0),
        ["Cu", "O", "O", "O", "O"],
        [[0, 0, 0], [0.195, 0, 0], [-0.195, 0, 0], [0, 0.195, 0], [0, -0.195, 0]],
    )
    holes, neutral, share = cuprate_plane_descriptors(square, 2.0)
    assert share == 0.0 and np.isnan(holes) and np.isnan(neutral)
    rocksalt = Structure(Lattice.cubic(4.2), ["Mg", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert np.isnan(cuprate_plane_descriptors(rocksalt, 2.0)).all()

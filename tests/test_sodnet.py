"""SODNet: invariances of the prediction, equivariance of every layer, ablation switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from e3nn import o3
from e3nn.util.test import assert_equivariant
from pymatgen.core import Composition, Lattice, Structure
from torch_geometric.data import Batch

from conftest import random_rotation
from supercon3d.graphs import GraphSettings, structure_to_graph
from supercon3d.models.sodnet import SODNet, SODNetConfig
from supercon3d.models.sodnet.layers import (
    EquivariantLayerNorm,
    FeedForward,
    GraphAttention,
    TransformerBlock,
)

TINY = SODNetConfig(
    lmax=2, scalars=8, vectors=4, tensors=4, blocks=2, heads=2, radial_basis=8,
    radial_hidden=16, readout_hidden=16, k=8, cutoff=6.0,
)  # fmt: skip
IRREPS = TINY.irreps_node
SH = o3.Irreps.spherical_harmonics(2)


def disordered_structure(occupancy: float = 0.6, rotation: np.ndarray | None = None) -> Structure:
    """A triclinic cell with no symmetry (no ties among neighbour distances), one mixed site
    (Nb/Ti) and one partial site (O at 0.8)."""
    lattice = Lattice.from_parameters(4.1, 4.6, 5.3, 81, 97, 104).matrix
    if rotation is not None:
        lattice = lattice @ rotation.T
    species = [
        Composition({"Nb": occupancy, "Ti": 1 - occupancy}),
        "Sn",
        Composition({"O": 0.8}),
        "Cu",
    ]
    coords = [[0.02, 0.03, 0.01], [0.51, 0.47, 0.55], [0.26, 0.71, 0.33], [0.77, 0.18, 0.62]]
    return Structure(lattice, species, coords)


def predict(model: SODNet, structure: Structure) -> float:
    graph = structure_to_graph(structure, GraphSettings(k=TINY.k, cutoff=TINY.cutoff))
    with torch.no_grad():
        return float(model(Batch.from_data_list([graph]))[0])


@pytest.fixture(scope="module")
def model() -> SODNet:
    torch.manual_seed(0)
    return SODNet(TINY).eval()


def test_rotation_of_the_frame(model):
    reference = predict(model, disordered_structure())
    for seed in range(3):
        rotated = predict(model, disordered_structure(rotation=random_rotation(seed)))
        assert abs(rotated - reference) < 1e-4


def test_translation_of_all_atoms(model):
    structure = disordered_structure()
    shifted = structure.copy()
    shifted.translate_sites(range(len(shifted)), [0.37, -0.21, 0.58], frac_coords=True)
    assert abs(predict(model, shifted) - predict(model, structure)) < 1e-4


def test_permutation_of_sites(model):
    structure = disordered_structure()
    order = [2, 0, 3, 1]
    permuted = Structure(
        structure.lattice,
        [structure[i].species for i in order],
        [structure[i].frac_coords for i in order],
    )
    assert abs(predict(model, permuted) - predict(model, structure)) < 1e-4


def test_supercell(model):
    structure = disordered_structure()
    assert abs(predict(model, structure * (2, 1, 1)) - predict(model, structure)) < 1e-4


def test_occupancies_change_the_prediction(model):
    assert (
        abs(predict(model, disordered_structure(0.6)) - predict(model, disordered_structure(0.7)))
        > 1e-4
    )


def test_without_occupancy_information_only_the_majority_species_counts():
    torch.manual_seed(0)
    blind = SODNet(
        SODNetConfig(**{**TINY.to_dict(), "occupancy_nodes": False, "occupancy_edges": False})
    )
    blind.eval()
    assert (
        abs(predict(blind, disordered_structure(0.6)) - predict(blind, disordered_structure(0.7)))
        < 1e-6
    )
    assert (
        abs(predict(blind, disordered_structure(0.6)) - predict(blind, disordered_structure(0.4)))
        > 1e-4
    )


def test_edge_weighting_switch_uses_occupancies():
    torch.manual_seed(0)
    config = SODNetConfig(**{**TINY.to_dict(), "occupancy_nodes": False})
    weighted = SODNet(config).eval()
    torch.manual_seed(0)
    unweighted = SODNet(SODNetConfig(**{**config.to_dict(), "occupancy_edges": False})).eval()
    structure = disordered_structure()  # the partial O site makes some weights 0.8
    assert abs(predict(weighted, structure) - predict(unweighted, structure)) > 1e-5


def test_invariant_only_network_has_scalar_irreps():
    config = SODNetConfig(**{**TINY.to_dict(), "lmax": 0})
    assert config.irreps_node == o3.Irreps("8x0e")
    torch.manual_seed(0)
    model = SODNet(config).eval()
    reference = predict(model, disordered_structure())
    assert abs(predict(model, disordered_structure(rotation=random_rotation(1))) - reference) < 1e-4


def test_forward_backward_on_a_batch(model):
    train_model = SODNet(TINY)
    graphs = [
        structure_to_graph(disordered_structure(occ), GraphSettings(k=TINY.k, cutoff=TINY.cutoff))
        for occ in (0.5, 0.9)
    ]
    batch = Batch.from_data_list(graphs)
    out = train_model(batch)
    assert out.shape == (2,)
    out.sum().backward()
    grads = [p.grad for p in train_model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


def test_coincident_atoms_give_finite_predictions(model):
    structure = Structure(
        Lattice.cubic(4.0), ["H", "H", "Nb"], [[0, 0, 0], [0, 0, 0], [0.5, 0.5, 0.5]]
    )
    assert np.isfinite(predict(model, structure))


# Equivariance of each layer under O(3), checked by e3nn's assertion.


def _edges(n_nodes: int = 5, n_edges: int = 12):
    generator = torch.Generator().manual_seed(0)
    edge_index = torch.randint(0, n_nodes, (2, n_edges), generator=generator)
    radial = torch.rand(n_edges, TINY.radial_basis, generator=generator)
    return edge_index, radial


def test_layer_norm_is_equivariant():
    assert_equivariant(EquivariantLayerNorm(IRREPS), irreps_in=[IRREPS], irreps_out=[IRREPS])


def test_feed_forward_is_equivariant():
    assert_equivariant(FeedForward(IRREPS), irreps_in=[IRREPS], irreps_out=[IRREPS])


@pytest.mark.parametrize("layer", [GraphAttention, TransformerBlock])
def test_attention_layers_are_equivariant(layer):
    torch.manual_seed(0)
    module = layer(IRREPS, SH, TINY.radial_basis, TINY.radial_hidden, TINY.heads)
    edge_index, radial = _edges()
    assert_equivariant(
        lambda x, sh: module(x, edge_index, sh, radial),
        args_in=[IRREPS.randn(5, -1), SH.randn(12, -1)],
        irreps_in=[IRREPS, SH],
        irreps_out=[IRREPS, o3.Irreps(f"{TINY.heads}x0e")],
    )

"""SODNet: invariances of the prediction, equivariance of every layer, ablation switches, and
the factored message path of l <= 1 networks against e3nn's tensor product."""

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
TINY_L1 = SODNetConfig(**{**TINY.to_dict(), "lmax": 1})
IRREPS_L1 = TINY_L1.irreps_node
SH_L1 = o3.Irreps.spherical_harmonics(1)


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


def test_l1_network_is_invariant_under_rotation():
    torch.manual_seed(0)
    model = SODNet(TINY_L1).eval()
    assert all(block.attention.factored is not None for block in model.blocks)
    reference = predict(model, disordered_structure())
    for seed in range(3):
        rotated = predict(model, disordered_structure(rotation=random_rotation(seed)))
        assert abs(rotated - reference) < 1e-4


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


@pytest.mark.parametrize("irreps, sh", [(IRREPS, SH), (IRREPS_L1, SH_L1)], ids=["l2", "l1"])
@pytest.mark.parametrize("layer", [GraphAttention, TransformerBlock])
def test_attention_layers_are_equivariant(layer, irreps, sh):
    torch.manual_seed(0)
    module = layer(irreps, sh, TINY.radial_basis, TINY.radial_hidden, TINY.heads)
    edge_index, radial = _edges()
    assert_equivariant(
        lambda x, harmonics: module(x, edge_index, harmonics, radial),
        args_in=[irreps.randn(5, -1), sh.randn(12, -1)],
        irreps_in=[irreps, sh],
        irreps_out=[irreps, o3.Irreps(f"{TINY.heads}x0e")],
    )


def test_only_l1_attention_takes_the_factored_path():
    l2 = GraphAttention(IRREPS, SH, TINY.radial_basis, TINY.radial_hidden, TINY.heads)
    l1 = GraphAttention(IRREPS_L1, SH_L1, TINY.radial_basis, TINY.radial_hidden, TINY.heads)
    assert l2.factored is None and l1.factored is not None


def _attention_and_gradients(module: GraphAttention, factored: bool):
    """Outputs of ``module`` on fixed inputs and the gradients of their sum over its
    parameters, through the factored path or e3nn's tensor product."""
    edge_index, radial = _edges()
    torch.manual_seed(1)
    x, sh = IRREPS_L1.randn(5, -1), SH_L1.randn(12, -1)
    path, module.factored = module.factored, module.factored if factored else None
    try:
        module.zero_grad()
        out, alpha = module(x, edge_index, sh, radial)
        (out.sum() + alpha.pow(2).sum()).backward()
    finally:
        module.factored = path
    return out.detach(), alpha.detach(), [p.grad.clone() for p in module.parameters()]


def test_factored_message_equals_the_tensor_product_with_gradients():
    torch.manual_seed(0)
    module = GraphAttention(IRREPS_L1, SH_L1, TINY.radial_basis, TINY.radial_hidden, TINY.heads)
    out, alpha, grads = _attention_and_gradients(module, factored=True)
    out_e3nn, alpha_e3nn, grads_e3nn = _attention_and_gradients(module, factored=False)
    torch.testing.assert_close(out, out_e3nn, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(alpha, alpha_e3nn, rtol=1e-5, atol=1e-6)
    for grad, grad_e3nn in zip(grads, grads_e3nn):
        torch.testing.assert_close(grad, grad_e3nn, rtol=1e-4, atol=1e-5)

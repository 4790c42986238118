import numpy as np
import pytest
import torch
from pymatgen.core import DummySpecies, Lattice, Structure
from torch_geometric.data import Batch

from conftest import cubic, random_rotation
from supercon3d.data.cif import read_cif
from supercon3d.graphs import (
    GraphBuildError,
    GraphSettings,
    element_table,
    graphs_from_cifs,
    structure_to_graph,
)
from supercon3d.graphs.cache import graph_cache_dir
from supercon3d.graphs.neighbors import knn_edges
from supercon3d.settings import dataset_path

MGB2 = "671985.cif"
CS2RBC60 = "602516.cif"  # disordered


def sorted_distances_per_site(graph) -> list[tuple]:
    center = graph.edge_index[1].numpy()
    lengths = graph.edge_len.numpy()
    return sorted(tuple(np.round(np.sort(lengths[center == i]), 4)) for i in range(graph.num_nodes))


@pytest.mark.data
@pytest.mark.parametrize("name", [MGB2, CS2RBC60])
def test_supercell_has_the_same_neighbour_distances(name):
    structure = read_cif(dataset_path(f"supercon3d/cif/{name}")).structure
    settings = GraphSettings(k=16, cutoff=8.0)
    primitive = sorted_distances_per_site(structure_to_graph(structure, settings))
    supercell = sorted_distances_per_site(structure_to_graph(structure * (2, 1, 1), settings))
    assert supercell == sorted(primitive * 2)


@pytest.mark.data
def test_rotation_rotates_edge_vectors_and_keeps_lengths():
    structure = read_cif(dataset_path(f"supercon3d/cif/{CS2RBC60}")).structure
    rotation = random_rotation(1)
    rotated = Structure(
        Lattice(structure.lattice.matrix @ rotation.T),
        structure.species_and_occu,
        structure.frac_coords,
    )
    settings = GraphSettings(k=10_000, cutoff=5.0)  # every neighbour inside 5 Å: no ties at k
    a, b = structure_to_graph(structure, settings), structure_to_graph(rotated, settings)

    def by_edge(g):
        keys = zip(g.edge_index.T.tolist(), g.edge_shift.round().int().tolist())
        return {(tuple(e), tuple(s)): i for i, (e, s) in enumerate(keys)}

    index_a, index_b = by_edge(a), by_edge(b)
    assert index_a.keys() == index_b.keys()
    order_a = list(index_a.values())
    order_b = [index_b[key] for key in index_a]
    rot = torch.as_tensor(rotation, dtype=torch.float32)
    torch.testing.assert_close(a.edge_vec[order_a] @ rot.T, b.edge_vec[order_b], atol=1e-4, rtol=0)
    torch.testing.assert_close(a.edge_len[order_a], b.edge_len[order_b], atol=1e-4, rtol=0)


def test_substitutional_site_gets_the_mean_of_two_elements():
    s = cubic(4.0, [{"Ba": 0.5, "K": 0.5}, "Bi"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    graph = structure_to_graph(s)
    table = element_table("magpie")
    expected = 0.5 * (table[56 - 1] + table[19 - 1])
    np.testing.assert_allclose(graph.x[0, :-1].numpy(), expected, atol=1e-6)
    assert graph.x[0, -1].item() == pytest.approx(1.0)
    assert graph.species[0, 56 - 1].item() == pytest.approx(0.5)


def test_the_chgnet_embedding_is_the_pretrained_table_standardized():
    from chgnet.model import CHGNet

    table = element_table("chgnet")
    learnt = CHGNet.load(model_name="0.3.0").atom_embedding.embedding.weight.detach().numpy()
    assert table.shape == (103, learnt.shape[1])
    np.testing.assert_allclose(table[:94].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(table[:94].std(axis=0), 1.0, atol=1e-5)
    assert not table[94:].any()
    # standardizing keeps the order of the elements along every learnt direction
    assert (np.argsort(table[:94], axis=0) == np.argsort(learnt, axis=0)).all()
    s = cubic(4.0, [{"Ba": 0.5, "K": 0.5}, "Bi"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    graph = structure_to_graph(s, GraphSettings(embedding="chgnet"))
    expected = 0.5 * (table[56 - 1] + table[19 - 1])
    np.testing.assert_allclose(graph.x[0, :-1].numpy(), expected, atol=1e-6)


def test_half_occupied_site_halves_its_edge_weights():
    s = cubic(3.9, ["Cu", {"O": 0.5}, "O"], [[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0]])
    graph = structure_to_graph(s, GraphSettings(k=8, cutoff=6.0))
    src, dst = graph.edge_index
    partial = 1
    to_or_from_partial = (src == partial) ^ (dst == partial)
    assert to_or_from_partial.any()
    torch.testing.assert_close(
        graph.edge_weight[to_or_from_partial],
        torch.full_like(graph.edge_weight[to_or_from_partial], 0.5),
    )
    both_full = (src != partial) & (dst != partial)
    assert torch.all(graph.edge_weight[both_full] == 1.0)
    assert graph.x[partial, -1].item() == pytest.approx(0.5)


def test_no_self_loop_at_zero_distance_but_periodic_self_images():
    graph = structure_to_graph(cubic(3.0, ["Po"], [[0, 0, 0]]), GraphSettings(k=6, cutoff=4.0))
    assert graph.num_edges == 6
    assert torch.all(graph.edge_len > 2.99)
    assert torch.all(graph.edge_index[0] == graph.edge_index[1])


def test_a_shell_cut_by_k_keeps_the_same_neighbours_whatever_the_rounding_noise():
    """fcc Cu: 12 nearest neighbours at one distance, k = 8 keeps 8 of them; noise far below
    TIE_TOLERANCE in the coordinates (as another library version may give) keeps the same 8,
    the lowest (index, image)."""
    fcc = Structure(
        Lattice.cubic(3.61), ["Cu"] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
    )
    rng = np.random.default_rng(0)
    jittered = Structure(
        fcc.lattice, fcc.species, fcc.frac_coords + rng.normal(scale=1e-13, size=(4, 3))
    )
    chosen = [knn_edges(s, 8, 5.0) for s in (fcc, jittered)]
    (center, neighbor, image, distance), (center2, neighbor2, image2, _) = chosen
    assert np.allclose(distance, 3.61 / np.sqrt(2))
    assert np.array_equal(center, center2) and np.array_equal(neighbor, neighbor2)
    assert np.array_equal(image, image2)
    keys = [(n, *i) for n, i in zip(neighbor[center == 0], image[center == 0].tolist())]
    assert keys == sorted(keys)


def test_unknown_element_is_an_error_naming_the_structure():
    s = cubic(4.0, [DummySpecies("X"), "Nb"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(GraphBuildError, match="weird.cif: element X"):
        structure_to_graph(s, name="weird.cif")


def test_isolated_atom_is_an_error():
    with pytest.raises(GraphBuildError, match="no neighbour within the 8 Å cutoff"):
        structure_to_graph(cubic(20.0, ["Nb"], [[0, 0, 0]]), name="lonely.cif")


def test_a_cell_too_large_to_search_is_an_error_not_a_huge_allocation():
    """A degenerate generated cell (one Cs atom, edges up to 51,274 Å, one angle 12°) would make
    the neighbour search ask for hundreds of GB."""
    sheared = Lattice.from_parameters(920.0, 3804.0, 51274.0, 85.7, 11.9, 87.2)
    huge = Structure(sheared, ["Cs"], [[0, 0, 0]])
    with pytest.raises(GraphBuildError, match="huge.cif: cell too large or too skewed"):
        structure_to_graph(huge, name="huge.cif")


@pytest.mark.data
def test_batched_edge_vectors_follow_from_positions_lattice_and_shifts():
    cif_dir = dataset_path("supercon3d/cif")
    graphs = graphs_from_cifs([cif_dir / MGB2, cif_dir / CS2RBC60], workers=1).graphs
    batch = Batch.from_data_list(graphs)
    src, dst = batch.edge_index
    lattice = batch.lattice[batch.batch[dst]]
    recomputed = (
        batch.pos[src] + torch.einsum("ei,eij->ej", batch.edge_shift, lattice) - batch.pos[dst]
    )
    torch.testing.assert_close(recomputed, batch.edge_vec, atol=1e-3, rtol=0)
    assert batch.lattice.shape == (2, 3, 3)


@pytest.mark.data
def test_cache_is_reused_and_keyed_by_content(tmp_path):
    source = dataset_path(f"supercon3d/cif/{MGB2}")
    copy = tmp_path / "mgb2.cif"
    copy.write_bytes(source.read_bytes())
    settings = GraphSettings(k=12, cutoff=6.0)
    first = graphs_from_cifs([copy], settings, workers=1).graphs[0]
    cached = list(graph_cache_dir(settings).glob("*.pt"))
    assert len(cached) == 1
    second = graphs_from_cifs([copy], settings, workers=1).graphs[0]
    torch.testing.assert_close(first.edge_vec, second.edge_vec)
    assert second.name == "mgb2.cif"

    cached[0].write_bytes(b"corrupt")  # a damaged cache file is rebuilt, not fatal
    with pytest.warns(UserWarning, match="cannot be read"):
        rebuilt = graphs_from_cifs([copy], settings, workers=1).graphs[0]
    torch.testing.assert_close(first.x, rebuilt.x)

    copy.write_text(copy.read_text().replace("_cell_length_a", "_cell_length_a ", 1))
    graphs_from_cifs([copy], settings, workers=1)
    assert len(list(graph_cache_dir(settings).glob("*.pt"))) == 2


@pytest.mark.data
def test_folder_build_skips_broken_files(tmp_path):
    broken = tmp_path / "broken.cif"
    broken.write_text("not a cif")
    good = dataset_path(f"supercon3d/cif/{MGB2}")
    result = graphs_from_cifs([good, broken, tmp_path / "missing.cif"], workers=1)
    assert [g.name for g in result.graphs] == [MGB2]
    assert len(result.failures) == 2
    assert "broken.cif" in str(result.failures[0]) and "missing.cif" in str(result.failures[1])


def mgb2_cif(folder):
    from pymatgen.io.cif import CifWriter

    structure = Structure(
        Lattice.hexagonal(3.086, 3.524), ["Mg", "B", "B"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.5], [2 / 3, 1 / 3, 0.5]],
    )  # fmt: skip
    path = folder / "mgb2.cif"
    CifWriter(structure).write_file(path)
    return path


def cache_warnings(recwarn, words: str) -> list[str]:
    return [str(w.message) for w in recwarn if words in str(w.message)]


def test_a_graph_cache_that_cannot_be_created_is_warned_of_once(tmp_path, recwarn):
    cif = mgb2_cif(tmp_path)
    settings = GraphSettings(k=12, cutoff=6.0)
    uncached = graphs_from_cifs([cif], settings, use_cache=False, workers=1).graphs[0]
    blocker = tmp_path / "not-a-folder"  # as a read-only disk, whoever runs the test
    blocker.write_text("")
    for _ in range(2):
        built = graphs_from_cifs([cif, cif], settings, cache_root=blocker / "cache", workers=1)
        assert len(built.graphs) == 2 and built.failures == []
        torch.testing.assert_close(built.graphs[0].edge_vec, uncached.edge_vec)
    (message,) = cache_warnings(recwarn, "cannot be created")
    assert message.startswith(str(blocker / "cache")) and "\n" not in message


def test_a_graph_that_cannot_be_cached_is_kept_with_one_warning(tmp_path, monkeypatch, recwarn):
    cif = mgb2_cif(tmp_path)
    settings = GraphSettings(k=12, cutoff=6.0)

    def refuse(*args, **kwargs):  # as a read-only cache folder (root writes anywhere)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(torch, "save", refuse)
    for _ in range(2):
        built = graphs_from_cifs([cif], settings, cache_root=tmp_path / "cache", workers=1)
        assert len(built.graphs) == 1 and built.failures == []
    (message,) = cache_warnings(recwarn, "cannot be written (Permission denied)")
    assert "\n" not in message
    assert list(graph_cache_dir(settings, tmp_path / "cache").iterdir()) == []  # no temporaries


def test_a_damaged_graph_file_is_warned_of_and_rebuilt(tmp_path, recwarn):
    cif = mgb2_cif(tmp_path)
    settings = GraphSettings(k=12, cutoff=6.0)
    first = graphs_from_cifs([cif], settings, cache_root=tmp_path / "cache", workers=1).graphs[0]
    (cached,) = graph_cache_dir(settings, tmp_path / "cache").glob("*.pt")
    cached.write_bytes(b"damaged")
    again = graphs_from_cifs([cif], settings, cache_root=tmp_path / "cache", workers=1).graphs[0]
    torch.testing.assert_close(first.edge_vec, again.edge_vec)
    (message,) = cache_warnings(recwarn, "cannot be read")
    assert message.startswith(str(cached)) and "rebuilt" in message
    torch.load(cached, weights_only=True)  # written again, whole

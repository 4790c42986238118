"""The generator's pre-training corpus, built from a tiny fake data folder."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from fake_datasets import write_fake_datasets
from supercon3d.generation import corpus as corpus_module
from supercon3d.generation.corpus import (
    CorpusSettings,
    StructureCorpus,
    build_corpus,
    corpus_cache_file,
    holdout_mask,
    load_or_build_corpus,
    ordered_split,
    without_elements,
)
from supercon3d.settings import DataFolderError, data_dir


@pytest.fixture(scope="module")
def fake_data(tmp_path_factory):
    return write_fake_datasets(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(scope="module")
def corpus(fake_data) -> StructureCorpus:
    return build_corpus(CorpusSettings(holdout_fraction=0.5), data=fake_data, workers=1)


def test_counts_account_for_every_file(corpus):
    assert corpus.counts == {
        "read": 10,
        "failed": 1,
        "disordered": 2,
        "too_large": 1,
        "evaluation_overlap": 1,
        "duplicates": 2,
        "kept_supercon3d": 2,
        "kept_mp": 1,
        "kept_3dsc": 1,
        "held_out": 2,
        "train": 2,
    }


def test_duplicates_keep_the_first_source(corpus):
    assert corpus.ids == ["1.cif", "2.cif", "mp-1", "Mg1O1-MP-mp-1265"]
    assert corpus.sources == ["supercon3d", "supercon3d", "mp", "3dsc"]
    formulas = [s.composition.reduced_formula for s in corpus.structures]
    assert formulas == ["NaCl", "CsCl", "Cu", "MgO"]


def test_structures_are_ordered_primitive_cells(corpus):
    assert [len(s) for s in corpus.structures] == [2, 2, 1, 2]
    assert all(s.is_ordered for s in corpus.structures)
    copper = corpus.structures[2]
    assert copper.volume == pytest.approx(3.61**3 / 4)


def test_max_atoms_caps_the_primitive_cell(fake_data):
    small = build_corpus(CorpusSettings(max_atoms=1), data=fake_data, workers=1)
    assert small.ids == ["mp-1"]
    assert small.counts["too_large"] == 5


def test_validation_and_test_entries_never_enter_the_corpus(corpus):
    assert not {"3.cif", "4.cif", "Fe1-MP-mp-13"} & set(corpus.ids)
    assert not {"Fe", "Al"} & {s.composition.reduced_formula for s in corpus.structures}


def test_train_and_held_out_partition_the_corpus(corpus):
    assert corpus.held_out.dtype == bool and corpus.held_out.sum() == 2
    train, held = corpus.train(), corpus.held_out_structures()
    assert len(train) + len(held) == len(corpus)
    assert {id(s) for s in train}.isdisjoint(id(s) for s in held)


def test_holdout_mask_is_deterministic_with_the_requested_fraction():
    mask = holdout_mask(1000, 0.1, seed=0)
    assert mask.sum() == 100
    assert np.array_equal(mask, holdout_mask(1000, 0.1, seed=0))
    assert not np.array_equal(mask, holdout_mask(1000, 0.1, seed=1))
    assert holdout_mask(7, 0.0, seed=0).sum() == 0


def test_save_load_round_trip_is_exact(corpus, tmp_path):
    path = tmp_path / "corpus.npz"
    corpus.save(path)
    loaded = StructureCorpus.load(path)
    assert (loaded.ids, loaded.sources) == (corpus.ids, corpus.sources)
    assert np.array_equal(loaded.held_out, corpus.held_out)
    assert (loaded.counts, loaded.settings) == (corpus.counts, corpus.settings)
    for before, after in zip(corpus.structures, loaded.structures, strict=True):
        assert np.array_equal(before.lattice.matrix, after.lattice.matrix)
        assert before.atomic_numbers == after.atomic_numbers
        assert np.array_equal(before.frac_coords, after.frac_coords)


def test_cache_is_reused_and_named_by_the_settings(fake_data, tmp_path, monkeypatch):
    settings = CorpusSettings(seed=3)
    built = load_or_build_corpus(settings, data=fake_data, cache_folder=tmp_path, workers=1)
    assert corpus_cache_file(settings, fake_data, tmp_path).is_file()
    assert corpus_cache_file(CorpusSettings(), fake_data, tmp_path) != corpus_cache_file(
        settings, fake_data, tmp_path
    )

    def no_build(*args, **kwargs):
        raise AssertionError("the cached corpus should have been loaded")

    monkeypatch.setattr(corpus_module, "build_corpus", no_build)
    cached = load_or_build_corpus(settings, data=fake_data, cache_folder=tmp_path)
    assert cached.ids == built.ids and np.array_equal(cached.held_out, built.held_out)


def test_parallel_build_equals_serial_build(fake_data, corpus):
    progress = []
    parallel = build_corpus(corpus.settings, fake_data, workers=2, progress=progress.append)
    assert sum(progress) == 11 + 2  # the corpus candidates and the val/test entries
    assert parallel.ids == corpus.ids and parallel.counts == corpus.counts
    for serial, other in zip(corpus.structures, parallel.structures):
        assert np.array_equal(serial.frac_coords, other.frac_coords)


def test_ordered_split_reads_names_structures_and_ln_tc(fake_data):
    ((name, structure, ln_tc),) = ordered_split("val", fake_data)
    assert (name, ln_tc) == ("3.cif", 0.5)
    assert structure.composition.reduced_formula == "Fe"


def test_without_elements_leaves_out_structures_holding_them():
    lattice = Lattice.cubic(4.0)
    entries = [
        ("lah.cif", Structure(lattice, ["La3+", "H-"], [[0, 0, 0], [0.5, 0.5, 0.5]]), 5.0),
        ("nb.cif", Structure(lattice, ["Nb"], [[0, 0, 0]]), 2.0),
        ("mgb.cif", Structure(lattice, ["Mg", "B"], [[0, 0, 0], [0.5, 0.5, 0.5]]), 3.6),
    ]
    assert [name for name, _, _ in without_elements(entries, ["H"])] == ["nb.cif", "mgb.cif"]
    assert [name for name, _, _ in without_elements(entries, ["H", "B"])] == ["nb.cif"]
    assert without_elements(entries, []) == entries


def test_unknown_split_and_bad_settings_are_errors(fake_data):
    with pytest.raises(ValueError, match="holdout"):
        ordered_split("holdout", fake_data)
    with pytest.raises(ValueError, match="holdout_fraction"):
        CorpusSettings(holdout_fraction=1.0)


def real_data_available() -> bool:
    try:
        data_dir()
    except DataFolderError:
        return False
    return True


@pytest.mark.data
@pytest.mark.skipif(not real_data_available(), reason="the real data folder is not available")
def test_real_validation_split():
    entries = ordered_split("val")
    assert len(entries) == 201
    assert all(structure.is_ordered for _, structure, _ in entries)


def test_a_corpus_cache_that_cannot_be_written_is_warned_of_and_the_corpus_built(
    fake_data, corpus, tmp_path, recwarn
):
    blocker = tmp_path / "not-a-folder"  # as a read-only disk, whoever runs the test
    blocker.write_text("")
    settings = CorpusSettings(holdout_fraction=0.5)
    for _ in range(2):
        built = load_or_build_corpus(settings, data=fake_data, cache_folder=blocker, workers=1)
        assert built.ids == corpus.ids
    (message,) = [str(w.message) for w in recwarn if "cannot be written" in str(w.message)]
    assert message.startswith(str(corpus_cache_file(settings, fake_data, blocker)))


def test_a_damaged_corpus_file_is_warned_of_and_the_corpus_built_again(fake_data, corpus, tmp_path):
    settings = CorpusSettings(holdout_fraction=0.5)
    path = corpus_cache_file(settings, fake_data, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 damaged")
    with pytest.warns(UserWarning, match="cannot be read"):
        built = load_or_build_corpus(settings, data=fake_data, cache_folder=tmp_path, workers=1)
    assert built.ids == corpus.ids
    assert StructureCorpus.load(path).ids == corpus.ids  # written again, whole

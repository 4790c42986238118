"""The Magpie descriptor caches: bounded in process, append-only on disk."""

from __future__ import annotations

import numpy as np
import pytest
from matminer.featurizers.composition import ElementProperty
from pymatgen.core import Composition

from supercon3d.models import composition as composition_module
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.feature_cache import AppendOnlyCsv, LruCache

FORMULAS = ["MgB2", "Nb3Sn", "YBa2Cu3O7", "LaH10", "H3S", "NbN", "FeSe", "Ba0.6K0.4Fe2As2"]


@pytest.fixture
def compositions() -> list[Composition]:
    return [Composition(f) for f in FORMULAS]


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    """Each test starts with an empty in-process cache."""
    monkeypatch.setattr(composition_module, "_MEMORY", LruCache(1000))


def cache_lines(folder) -> list[str]:
    return next(folder.glob("magpie-*.csv")).read_text().splitlines()


def test_new_compositions_are_appended_and_read_back(tmp_path, compositions, monkeypatch):
    first = MagpieFeaturizer(tmp_path).transform(compositions[:5])
    file = next(tmp_path.glob("magpie-*.csv"))
    before = file.read_bytes()
    assert len(cache_lines(tmp_path)) == 1 + 5  # header + one line per composition

    # three new compositions and two already cached: three lines appended, nothing rewritten
    more = MagpieFeaturizer(tmp_path).transform(compositions[3:])
    after = file.read_bytes()
    assert after.startswith(before)
    assert len(cache_lines(tmp_path)) == 1 + 8

    monkeypatch.setattr(composition_module, "_MEMORY", LruCache(1000))
    monkeypatch.setattr(ElementProperty, "featurize", lambda self, c: pytest.fail("featurized"))
    again = MagpieFeaturizer(tmp_path).transform(compositions)
    np.testing.assert_array_equal(again[:5], first)
    np.testing.assert_array_equal(again[3:], more)


def test_in_process_cache_stays_within_its_bound(compositions, monkeypatch):
    unbounded = MagpieFeaturizer().transform(compositions)
    bounded = LruCache(3)
    monkeypatch.setattr(composition_module, "_MEMORY", bounded)
    featurizer = MagpieFeaturizer()
    np.testing.assert_array_equal(featurizer.transform(compositions), unbounded)
    assert len(bounded) == 3
    np.testing.assert_array_equal(featurizer.transform(compositions[::-1]), unbounded[::-1])
    assert len(bounded) == 3


def test_descriptors_do_not_depend_on_which_nearly_equal_composition_came_first(
    tmp_path, monkeypatch
):
    nearly = [Composition({"Mg": 1, "B": 2}), Composition({"Mg": 1 + 1e-12, "B": 2})]
    forward = MagpieFeaturizer(tmp_path / "forward").transform(nearly)
    monkeypatch.setattr(composition_module, "_MEMORY", LruCache(1000))
    backward = MagpieFeaturizer(tmp_path / "backward").transform(nearly[::-1])
    np.testing.assert_array_equal(forward[0], forward[1])
    np.testing.assert_array_equal(forward, backward)
    # a cache on disk filled in the other order reads back the same rows
    monkeypatch.setattr(composition_module, "_MEMORY", LruCache(1000))
    np.testing.assert_array_equal(
        MagpieFeaturizer(tmp_path / "backward").transform(nearly), forward
    )


def test_reading_skips_malformed_lines_and_keeps_the_last_duplicate(tmp_path):
    path = tmp_path / "vectors.csv"
    path.write_text(
        "key,x,y\n"
        "a,1.0,2.0\n"
        "b,3.0\n"  # a field short
        "key,x,y\n"  # a second header from a concurrent first writer
        "a,5.0,\n"  # the last line of a wins; an empty field is NaN
        "c,bad,1.0\n"  # not a number
        "d,7.0,8.0"  # cut short by a crash: no newline
    )
    cache = AppendOnlyCsv(path, ["x", "y"], "key")
    found = cache.get_many(["a", "b", "c", "d", "key"])
    assert list(found) == ["a"]
    np.testing.assert_array_equal(found["a"], [5.0, np.nan])
    cache.append("e", np.array([0.1, np.inf]))
    assert path.read_text().endswith("e,0.1,inf\n")
    np.testing.assert_array_equal(AppendOnlyCsv(path, ["x", "y"], "key").get_many(["e"])["e"],
                                  [0.1, np.inf])  # fmt: skip


def test_lru_cache_evicts_the_least_recently_used():
    cache = LruCache(2)
    cache["a"], cache["b"] = 1, 2
    assert cache["a"] == 1  # a is now the most recently used
    cache["c"] = 3
    assert list(cache) == ["a", "c"]


def warned(recwarn, words: str) -> list[str]:
    return [str(w.message) for w in recwarn if words in str(w.message)]


def test_a_cache_folder_that_cannot_be_written_is_warned_of_once(
    tmp_path, compositions, monkeypatch, recwarn
):
    uncached = MagpieFeaturizer().transform(compositions)
    blocker = tmp_path / "not-a-folder"  # as a read-only disk, whoever runs the test
    blocker.write_text("")
    for _ in range(2):  # a second featurizer on the same cache is not warned of again
        monkeypatch.setattr(composition_module, "_MEMORY", LruCache(1000))
        np.testing.assert_array_equal(
            MagpieFeaturizer(blocker / "cache").transform(compositions), uncached
        )
    (message,) = warned(recwarn, "cannot be written")
    assert message.startswith(str(blocker / "cache")) and "\n" not in message


@pytest.mark.parametrize("damage", ["bytes", "folder"])
def test_a_damaged_or_unreadable_cache_file_is_warned_of_once_and_left_alone(
    tmp_path, compositions, monkeypatch, recwarn, damage
):
    featurizer = MagpieFeaturizer(tmp_path)
    expected = featurizer.transform(compositions)
    file = featurizer.cache_file
    file.unlink()
    if damage == "bytes":
        file.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\nMgB2,1,2\n")
    else:
        file.mkdir()  # a folder in its place: it cannot be read
    before = file.read_bytes() if file.is_file() else None
    for _ in range(2):
        monkeypatch.setattr(composition_module, "_MEMORY", LruCache(1000))
        np.testing.assert_array_equal(MagpieFeaturizer(tmp_path).transform(compositions), expected)
    (message,) = warned(recwarn, "cannot be read")
    assert message.startswith(str(file)) and "\n" not in message
    assert (file.read_bytes() if file.is_file() else None) == before  # never written to


def test_a_file_whose_first_line_is_not_the_header_is_neither_read_nor_written(tmp_path):
    path = tmp_path / "vectors.csv"
    path.write_text("other,x,y\na,1.0,2.0\n")
    cache = AppendOnlyCsv(path, ["x", "y"], "key")
    with pytest.warns(UserWarning, match="first line is not the header"):
        assert cache.get_many(["a"]) == {}
    cache.append("b", np.array([3.0, 4.0]))
    assert path.read_text() == "other,x,y\na,1.0,2.0\n"

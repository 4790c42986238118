"""Element-embedding statistics beside the Magpie descriptors (CHGNet's atom embedding)."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Composition

from supercon3d.graphs.elements import element_table
from supercon3d.models import composition as composition_module
from supercon3d.models.composition import (
    BaselineConfig,
    MagpieFeaturizer,
    embedding_statistics,
)

pytest.importorskip("chgnet")


@pytest.fixture(scope="module")
def chgnet() -> MagpieFeaturizer:
    return MagpieFeaturizer(element_embedding="chgnet")


def test_statistics_are_the_fraction_weighted_mean_and_std(chgnet):
    table = element_table("chgnet").astype(float)
    mg, b = table[12 - 1], table[5 - 1]
    features = chgnet.transform([Composition("MgB2"), Composition("Nb")])
    magpie = MagpieFeaturizer().transform([Composition("MgB2"), Composition("Nb")])
    np.testing.assert_array_equal(features[:, :132], magpie)
    mean = mg / 3 + 2 * b / 3
    std = np.sqrt((mg - mean) ** 2 / 3 + 2 * (b - mean) ** 2 / 3)
    # described by the cache key: the fractions 1/3 and 2/3 rounded to 9 decimals
    np.testing.assert_allclose(features[0, 132:196], mean, rtol=0, atol=1e-8)
    np.testing.assert_allclose(features[0, 196:], std, rtol=0, atol=1e-8)
    np.testing.assert_allclose(features[1, 132:196], table[41 - 1], rtol=1e-12)
    np.testing.assert_array_equal(features[1, 196:], 0.0)
    assert len(chgnet.labels) == features.shape[1] == 132 + 128
    assert chgnet.labels[132] == "chgnet mean 0" and chgnet.labels[-1] == "chgnet std 63"


def test_oxidation_states_and_canonical_rounding_do_not_change_them():
    canonical = MagpieFeaturizer(element_embedding="chgnet")
    nearly = [Composition({"Mg": 1, "B": 2}), Composition({"Mg": 1 + 1e-12, "B": 2})]
    rows = canonical.transform(nearly)
    np.testing.assert_array_equal(rows[0], rows[1])
    table = element_table("chgnet").astype(float)
    charged = embedding_statistics([Composition({"Fe2+": 1, "O2-": 1})], table)
    np.testing.assert_array_equal(charged, embedding_statistics([Composition("FeO")], table))


def test_an_element_outside_the_table_gives_a_nan_row():
    table = element_table("chgnet").astype(float)
    rows = embedding_statistics([Composition("Og"), Composition("NbN")], table)
    assert np.isnan(rows[0]).all() and np.isfinite(rows[1]).all()


def test_the_disk_cache_is_shared_with_magpie_alone(tmp_path, chgnet):
    plain = MagpieFeaturizer(tmp_path)
    with_chgnet = MagpieFeaturizer(tmp_path, element_embedding="chgnet")
    assert with_chgnet.cache_file == plain.cache_file


def test_an_unknown_embedding_is_refused_by_name():
    with pytest.raises(ValueError, match="word2vec.*chgnet"):
        MagpieFeaturizer(element_embedding="word2vec")


def test_the_baseline_name_says_which_features():
    assert BaselineConfig(extra_formulas=True).name == "magpie-lgbm+formulas"
    config = BaselineConfig(extra_formulas=True, element_embedding="chgnet")
    assert config.name == "magpie+chgnet-lgbm+formulas"


def test_statistics_are_computed_once_per_composition(monkeypatch):
    compositions = [Composition("Nb3Sn"), Composition("YBa2Cu3O7")]
    first = MagpieFeaturizer(element_embedding="chgnet").transform(compositions)

    def recompute(compositions, table):
        assert not compositions, "statistics recomputed for a cached composition"
        return np.empty((0, 2 * table.shape[1]))

    monkeypatch.setattr(composition_module, "embedding_statistics", recompute)
    again = MagpieFeaturizer(element_embedding="chgnet").transform(compositions)
    np.testing.assert_array_equal(again, first)

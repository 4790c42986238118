"""LightGBM model files hold only what prediction reads, and predict exactly the same."""

from __future__ import annotations

import lzma

import lightgbm
import numpy as np
import pytest

from supercon3d.models.booster_file import (
    DIAGNOSTIC_FIELDS,
    prediction_text,
    read_booster,
    write_booster,
)


@pytest.fixture(scope="module")
def booster() -> lightgbm.Booster:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 6))
    features[::9, 2] = np.nan
    target = features[:, 0] * 2 + np.sin(features[:, 1]) + rng.normal(scale=0.1, size=400)
    return lightgbm.train(
        {"objective": "regression", "num_leaves": 15, "verbose": -1, "seed": 0},
        lightgbm.Dataset(features, target),
        num_boost_round=40,
    )


def test_a_written_model_predicts_exactly_as_the_fitted_one(booster, tmp_path):
    path = write_booster(booster, tmp_path / "model.txt.xz")
    rng = np.random.default_rng(1)
    probe = rng.normal(size=(500, 6)) * 3
    probe[::4, 1] = np.nan
    assert np.array_equal(read_booster(path).predict(probe), booster.predict(probe))


def test_the_file_drops_every_diagnostic_field_and_is_smaller(booster, tmp_path):
    full = booster.model_to_string()
    assert all(field in full for field in DIAGNOSTIC_FIELDS)
    text = lzma.decompress(write_booster(booster, tmp_path / "m.txt.xz").read_bytes()).decode()
    assert text == prediction_text(booster)
    assert not [line for line in text.splitlines() if line.startswith(DIAGNOSTIC_FIELDS)]
    assert len(text) < 0.7 * len(full)


def test_a_file_that_is_not_a_model_is_named(tmp_path):
    path = tmp_path / "broken.txt.xz"
    with lzma.open(path, "wt") as handle:
        handle.write("not a model")
    with pytest.raises(ValueError, match="broken.txt.xz: not a readable LightGBM model"):
        read_booster(path)

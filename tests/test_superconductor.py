"""P(superconductor): the shipped classifier, its structure descriptors, calibration, saving
and loading, and the pieces of its training."""

from __future__ import annotations

import json
import platform

import lightgbm
import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Composition, Lattice, Structure

from conftest import ybco as ybco_structure
from supercon3d.chemistry.cuprate_planes import CUPRATE_PLANE_FEATURES
from supercon3d.data.cif import read_cif
from supercon3d.evaluation.reference_materials import textbook_non_superconductors
from supercon3d.models.calibration import CALIBRATION_METHODS, ProbabilityCalibration
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.oxidation_state import OXIDATION_FEATURES
from supercon3d.models.structure_features import STRUCTURE_FEATURES, structure_descriptors
from supercon3d.models.superconductor import (
    METADATA_FILE,
    SuperconductorClassifier,
    composition_features,
    feature_names,
    model_file,
    structure_feature_matrix,
)
from supercon3d.settings import dataset_path
from supercon3d.training.superconductor import (
    ClassifierEvaluation,
    calibration_scores,
    cross_fitted_calibration,
    fit_shipped_classifier,
    out_of_fold_probabilities,
    random_folds,
)
from supercon3d.training.superconductor_data import structure_table

MGB2, HG1223 = "671985.cif", "97102.cif"  # MgB2 (39 K) and HgBa2Ca2Cu3O8+x (134 K)
# The shipped model's output on fixed inputs, to 1e-6, as (the boosters' mean probability,
# calibrated P): the first catches a change of weights or features, the second a change of
# calibration.
PINNED = {
    "MgB2 (671985.cif)": (0.983646353765973, 0.8974637271012292),
    "NaCl": (0.5108358695255297, 0.3088298845302845),
    "Nb3Sn (composition)": (0.9943802572101598, 0.9507938069773163),
}


@pytest.fixture(scope="module")
def shipped() -> SuperconductorClassifier:
    return SuperconductorClassifier.shipped()


@pytest.fixture(scope="module")
def superconductors() -> dict[str, Structure]:
    folder = dataset_path("supercon3d/cif")
    return {name: read_cif(folder / name).structure for name in (MGB2, HG1223)}


def _predict(classifier: SuperconductorClassifier, structures: list[Structure]) -> np.ndarray:
    return classifier.predict_proba([s.composition for s in structures], structures)


def test_shipped_classifier_gives_probabilities(shipped):
    compositions = [Composition(f) for f in ("Nb3Sn", "NaCl", "YBa2Cu3O7", "LaH10")]
    p = shipped.predict_proba(compositions, [None] * len(compositions))
    assert p.shape == (4,)
    assert ((p > 0) & (p < 1)).all()
    assert np.array_equal(p, shipped.predict_proba(compositions))
    assert shipped.predict_proba([]).shape == (0,)


def test_shipped_classifier_is_loaded_once(shipped):
    assert SuperconductorClassifier.shipped() is shipped


@pytest.mark.parametrize("name", ["NaCl", "MgO", "Si", "diamond", "GaAs"])
def test_textbook_non_superconductors_are_unlikely(shipped, name):
    structure = textbook_non_superconductors()[name]
    assert _predict(shipped, [structure])[0] < 0.5


@pytest.mark.data
def test_known_superconductors_are_likely(shipped, superconductors):
    p = _predict(shipped, list(superconductors.values()))
    assert (p > 0.5).all(), dict(zip(superconductors, p))


@pytest.mark.data
def test_shipped_output_is_pinned(shipped, superconductors):
    nacl = textbook_non_superconductors()["NaCl"]
    inputs = {
        "MgB2 (671985.cif)": ([superconductors[MGB2].composition], [superconductors[MGB2]]),
        "NaCl": ([nacl.composition], [nacl]),
        "Nb3Sn (composition)": ([Composition("Nb3Sn")], [None]),
    }
    for name, (compositions, structures) in inputs.items():
        features = np.hstack(
            [
                composition_features(shipped.featurizer, compositions, shipped.doping_level),
                structure_feature_matrix(structures),
            ]
        )
        booster, calibrated = PINNED[name]
        assert shipped.uncalibrated(features)[0] == pytest.approx(booster, abs=1e-6), name
        assert shipped.predict_proba(compositions, structures)[0] == pytest.approx(
            calibrated, abs=1e-6
        ), name


def test_structures_must_match_compositions(shipped):
    with pytest.raises(ValueError, match="2 compositions but 1 structures"):
        shipped.predict_proba([Composition("NaCl"), Composition("MgO")], [None])


def test_structure_descriptors_of_rock_salt(rocksalt):
    values = dict(zip(STRUCTURE_FEATURES, structure_descriptors(rocksalt)))
    assert values["volume_per_atom"] == pytest.approx(5.64**3 / 8)
    assert values["density"] == pytest.approx(rocksalt.density)
    assert values["space_group"] == 225
    assert values["n_distinct_sites"] == 2
    assert values["mean_nn_distance"] == pytest.approx(5.64 / 2)
    assert values["partial_site_fraction"] == 0


def test_structure_descriptors_count_partial_sites():
    structure = Structure(
        Lattice.cubic(3.0), [{"Nb": 0.5, "Ti": 0.5}, {"O": 0.8}], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    values = dict(zip(STRUCTURE_FEATURES, structure_descriptors(structure)))
    assert values["partial_site_fraction"] == 1
    assert values["volume_per_atom"] == pytest.approx(27.0 / 1.8)


def _tiny_classifier(
    element_embedding: str | None = None, doping_level: bool = False, plane_doping: bool = False
) -> SuperconductorClassifier:
    featurizer = MagpieFeaturizer(element_embedding=element_embedding)
    rng = np.random.default_rng(0)
    names = feature_names(featurizer, doping_level, plane_doping)
    features = rng.normal(size=(60, len(names)))
    if plane_doping:  # make the planes' hole count matter
        features[:, -3] = features[:, 0]
    labels = (features[:, 0] > 0).astype(int)
    boosters = [  # a two-seed ensemble
        lightgbm.LGBMClassifier(
            n_estimators=5, min_child_samples=5, subsample=0.5, subsample_freq=1, random_state=seed
        )
        .set_params(verbose=-1)
        .fit(features, labels)
        .booster_
        for seed in (0, 1)
    ]
    calibration = ProbabilityCalibration("platt", {"a": [0.5], "b": [0.1]})
    metadata = {"note": "tiny"}
    return SuperconductorClassifier(
        boosters, calibration, metadata, featurizer, doping_level, plane_doping
    )


@pytest.mark.parametrize(
    ("element_embedding", "doping_level"), [(None, False), ("chgnet", False), ("chgnet", True)]
)
def test_save_and_load_round_trip(tmp_path, element_embedding, doping_level):
    classifier = _tiny_classifier(element_embedding, doping_level)
    classifier.save(tmp_path)
    loaded = SuperconductorClassifier.load(tmp_path)
    compositions = [Composition("YBa2Cu3O7"), Composition("YBa2Cu3O6"), Composition("NaCl")]
    assert np.array_equal(
        loaded.predict_proba(compositions), classifier.predict_proba(compositions)
    )
    assert loaded.metadata["note"] == "tiny"
    assert loaded.featurizer.element_embedding == element_embedding
    assert loaded.doping_level == doping_level
    assert loaded.calibration == classifier.calibration
    assert len(loaded.boosters) == 2


def test_plane_doping_columns_come_last_and_are_read_from_the_structure(tmp_path):
    featurizer = MagpieFeaturizer()
    names = feature_names(featurizer, plane_doping=True)
    assert names[-len(CUPRATE_PLANE_FEATURES) :] == list(CUPRATE_PLANE_FEATURES)
    classifier = _tiny_classifier(plane_doping=True)
    classifier.save(tmp_path)
    loaded = SuperconductorClassifier.load(tmp_path)
    assert loaded.plane_doping
    ybco = ybco_structure()
    described = loaded.describe([ybco, None])
    assert described.shape == (2, len(STRUCTURE_FEATURES) + len(CUPRATE_PLANE_FEATURES))
    assert described[0, -1] == pytest.approx(2 / 3)  # two plane Cu of three
    assert np.isnan(described[1]).all()
    p = loaded.predict_proba([ybco.composition] * 2, [ybco, None])
    assert np.array_equal(p, classifier.predict_proba([ybco.composition] * 2, [ybco, None]))
    with pytest.raises(ValueError, match="structure columns"):
        loaded.predict_proba_described([ybco.composition], structure_feature_matrix([ybco]))


def test_ensemble_averages_its_boosters():
    classifier = _tiny_classifier()
    features = np.random.default_rng(1).normal(size=(8, classifier.boosters[0].num_feature()))
    first, second = (booster.predict(features) for booster in classifier.boosters)
    assert not np.allclose(first, second)  # the seeds made different boosters
    assert np.allclose(classifier.uncalibrated(features), (first + second) / 2)


def test_a_fitted_classifier_records_the_versions_it_was_fitted_with(tmp_path):
    featurizer = MagpieFeaturizer()
    rng = np.random.default_rng(2)
    features = rng.normal(size=(40, len(feature_names(featurizer, False))))
    labels = (features[:, 0] > 0).astype(int)
    evaluation = ClassifierEvaluation(
        {}, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, {}, {"platt": 0.2}, "platt", rng.uniform(size=40)
    )
    table = pd.DataFrame({"label": labels})
    fit_shipped_classifier(table, features, evaluation, n_jobs=1, seeds=(0,)).save(tmp_path)
    loaded = SuperconductorClassifier.load(tmp_path)
    assert loaded.metadata["fitted_with"]["lightgbm"] == lightgbm.__version__
    assert loaded.metadata["fitted_with"]["python"] == platform.python_version()
    assert loaded.metadata["seeds"] == [0]
    assert loaded.metadata["composition_weighted_training"] is False


def test_composition_weighted_training_weighs_a_repeated_composition_once():
    rng = np.random.default_rng(3)
    featurizer = MagpieFeaturizer()
    features = rng.normal(size=(60, len(feature_names(featurizer, False))))
    labels = (features[:, 0] > 0).astype(int)
    features[:30], labels[:30] = features[0], 1  # one composition, 30 rows
    keys = ["repeated"] * 30 + [f"c{i}" for i in range(30)]
    evaluation = ClassifierEvaluation(
        {}, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, {}, {"platt": 0.2}, "platt", rng.uniform(size=60)
    )
    table = pd.DataFrame({"label": labels, "label_key": keys})
    fitted = {
        weighted: fit_shipped_classifier(
            table, features, evaluation, n_jobs=1, seeds=(0,), weight_compositions=weighted
        )
        for weighted in (False, True)
    }
    assert fitted[True].metadata["composition_weighted_training"] is True
    weighted, unweighted = (fitted[w].uncalibrated(features) for w in (True, False))
    assert not np.allclose(weighted, unweighted)


def test_doping_level_columns_sit_before_the_structure_and_must_match(tmp_path):
    featurizer = MagpieFeaturizer()
    names = feature_names(featurizer, doping_level=True)
    assert names[len(featurizer.labels) :] == [*OXIDATION_FEATURES, *STRUCTURE_FEATURES]
    _tiny_classifier(doping_level=True).save(tmp_path)
    metadata = json.loads((tmp_path / "classifier.json").read_text())
    metadata["doping_level"] = False  # a file claiming fewer columns than its booster has
    (tmp_path / "classifier.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="trained on other features"):
        SuperconductorClassifier.load(tmp_path)


def test_load_names_the_unreadable_file(tmp_path):
    _tiny_classifier().save(tmp_path)
    (tmp_path / model_file(1)).write_bytes(b"not xz")
    with pytest.raises(ValueError, match=model_file(1)):
        SuperconductorClassifier.load(tmp_path)
    metadata = json.loads((tmp_path / METADATA_FILE).read_text())
    (tmp_path / METADATA_FILE).write_text(json.dumps({**metadata, "features": ["x"]}))
    with pytest.raises(ValueError, match="other features"):
        SuperconductorClassifier.load(tmp_path)
    (tmp_path / METADATA_FILE).write_text(json.dumps({**metadata, "n_boosters": 0}))
    with pytest.raises(ValueError, match="n_boosters must be a positive integer"):
        SuperconductorClassifier.load(tmp_path)


@pytest.mark.parametrize("method", ["identity", "platt", "isotonic"])
def test_calibration_is_monotone_and_round_trips(method):
    rng = np.random.default_rng(0)
    raw = rng.uniform(size=500)
    labels = (rng.uniform(size=500) < raw**2).astype(int)  # over-confident raw scores
    fitted = ProbabilityCalibration.fit(method, raw, labels)
    grid = np.linspace(0, 1, 101)
    calibrated = fitted.apply(grid)
    assert (np.diff(calibrated) >= 0).all()
    assert ((calibrated > 0) & (calibrated < 1)).all()
    assert ProbabilityCalibration.from_dict(json.loads(json.dumps(fitted.to_dict()))) == fitted
    if method != "identity":
        assert fitted.apply(np.array([0.5]))[0] < 0.4  # learnt that 0.5 means about 0.25


def test_cross_fitted_calibration_uses_other_folds_only():
    raw = np.array([0.2, 0.8, 0.2, 0.8])
    labels = np.array([0, 1, 1, 0])
    folds = np.array([0, 0, 1, 1])
    calibrated = cross_fitted_calibration(raw, labels, folds, "isotonic")
    # fold 0 is calibrated on fold 1, where 0.2 → 1 and 0.8 → 0 (isotonic: flat 0.5)
    assert calibrated[:2] == pytest.approx([0.5, 0.5])


def test_calibration_scores_prefer_a_fitted_map_for_overconfident_scores():
    rng = np.random.default_rng(1)
    raw = rng.uniform(size=600)
    labels = (rng.uniform(size=600) < raw**4).astype(int)  # P is raw⁴, not raw
    folds = np.arange(600) % 3
    scores = calibration_scores(raw, labels, folds)
    assert set(scores) == set(CALIBRATION_METHODS)
    assert min(scores, key=scores.get) != "identity"
    assert scores["identity"] > scores["platt"] + 0.01


def test_out_of_fold_probabilities_average_the_seeds():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(120, 4))
    labels = (features[:, 0] + rng.normal(scale=0.5, size=120) > 0).astype(int)
    folds = np.arange(120) % 2
    one, other = (out_of_fold_probabilities(features, labels, folds, 1, seeds=[s]) for s in (0, 1))
    both = out_of_fold_probabilities(features, labels, folds, 1, seeds=[0, 1])
    assert not np.allclose(one, other)
    assert np.allclose(both, (one + other) / 2)


def test_random_folds_are_balanced_and_seeded():
    folds = random_folds(103, 5)
    assert np.bincount(folds).tolist() == [21, 21, 21, 20, 20]
    assert not np.array_equal(folds, random_folds(103, 5, seed=1))


@pytest.mark.data
def test_structure_table_is_cached(monkeypatch):
    folder = dataset_path("supercon3d/cif")
    files = [folder / MGB2, folder / HG1223]
    first = structure_table(files, workers=1)
    assert list(first.columns) == ["composition", *STRUCTURE_FEATURES]
    assert json.loads(first.iloc[0]["composition"]) == {"Mg": 1.0, "B": 2.0}
    monkeypatch.setattr(
        "supercon3d.training.superconductor_data.read_cifs",
        lambda *args: pytest.fail("cached files were read again"),
    )
    again = structure_table(files, workers=1)
    assert np.allclose(
        again[list(STRUCTURE_FEATURES)].to_numpy(float),
        first[list(STRUCTURE_FEATURES)].to_numpy(float),
        equal_nan=True,
    )

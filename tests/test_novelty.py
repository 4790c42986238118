"""Novelty on every prediction and conformal intervals that widen with it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Composition

from supercon3d.evaluation.intervals import (
    UNSEEN_FAMILY,
    coverage_by,
    coverage_by_fold,
    fit_novelty_calibration,
    held_out_half_widths,
)
from supercon3d.models.intervals import INTERVALS_FILE, NOVELTY_FORMAT, IntervalCalibration
from supercon3d.models.novelty import (
    FORMAT,
    NOVELTY_FILE,
    NoveltyReference,
    mean_neighbour_distance,
    read_novelty,
)
from supercon3d.models.shipped import SHIPPED_MODELS, shipped_model_dir
from supercon3d.models.weights import MANIFEST_FILE, CheckpointError
from supercon3d.screening.prediction import TcPrediction, csv_row


@pytest.fixture(scope="module")
def reference() -> NoveltyReference:
    found = read_novelty(shipped_model_dir())
    assert found is not None
    return found


def test_every_shipped_tc_model_has_a_novelty_reference():
    for name in SHIPPED_MODELS:
        folder = shipped_model_dir(name)
        if (folder / INTERVALS_FILE).is_file():  # a Tc model
            assert read_novelty(folder) is not None
    calibration = IntervalCalibration.load(shipped_model_dir() / INTERVALS_FILE)
    assert calibration.difficulty is not None


def test_a_training_composition_is_not_novel_and_an_exotic_one_is(reference):
    familiar = ["MgB2", "YBa2Cu3O7", "Nb3Sn"]
    exotic = ["Xe2F3", "Cs3Kr2"]  # noble gases, never in a superconductor table
    novelty = [n.novelty for n in reference.describe([Composition(f) for f in familiar + exotic])]
    assert max(novelty[: len(familiar)]) < 0.1
    assert min(novelty[len(familiar) :]) > 1.0


def test_in_domain_follows_the_threshold(reference):
    found = reference.describe([Composition("MgB2"), Composition("Xe2F3")])
    assert [n.in_domain for n in found] == [True, False]
    assert reference.in_domain_threshold > 0


def test_nearest_known_lists_supercon_formulas_with_their_tc(reference):
    (found,) = reference.describe([Composition("MgB2")])
    assert 1 <= len(found.nearest_known) <= 3
    first = found.nearest_known[0]
    assert set(first) == {"formula", "tc_kelvin"}
    assert Composition(first["formula"]).reduced_formula == "MgB2"
    assert 30 < first["tc_kelvin"] < 45  # MgB2: 39 K


def test_mean_neighbour_distance_is_zero_on_a_repeated_point():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]])
    distances = mean_neighbour_distance(points, np.array([[0.0, 0.0], [3.0, 4.0]]), k=2)
    np.testing.assert_allclose(distances, [0.0, 2.5])


def test_the_interval_widens_with_novelty():
    calibration = IntervalCalibration.load(shipped_model_dir() / INTERVALS_FILE)
    near = calibration.half_width_for("other", 0.1)
    far = calibration.half_width_for("other", 2.0)
    assert far > near > 0
    low, high = calibration.bounds(3.0, "other", 2.0)
    assert high - low == pytest.approx(2 * far)


def test_an_unknown_novelty_gets_the_widest_interval():
    calibration = IntervalCalibration.load(shipped_model_dir() / INTERVALS_FILE)
    widest = calibration.half_width_for("other", calibration.difficulty.cap)
    assert calibration.half_width_for("other", None) == pytest.approx(widest)
    assert calibration.half_width_for("other", 100.0) == pytest.approx(widest)


def _heteroscedastic(n: int, seed: int) -> pd.DataFrame:
    """Errors whose spread grows with novelty: |N(0, 0.2 + 0.5 novelty)|."""
    rng = np.random.default_rng(seed)
    novelty = rng.uniform(0, 3, n)
    return pd.DataFrame({
        "id": [f"{seed}-{i}" for i in range(n)],
        "fold": rng.integers(0, 5, n),
        "ln_tc": (0.2 + 0.5 * novelty) * rng.normal(size=n),
        "ln_tc_pred": 0.0,
        "family": "other",
        "novelty": novelty,
    })  # fmt: skip


def test_the_novelty_calibration_covers_far_and_near_alike():
    val, test = _heteroscedastic(4000, 0), _heteroscedastic(4000, 1)
    calibration = fit_novelty_calibration(val.assign(error=val["ln_tc"].abs()), cap=3.0)
    assert calibration.difficulty.slope > 0
    for band in (test["novelty"] < 1, test["novelty"] > 2):
        rows = test[band]
        widths = np.array([calibration.half_width_for("other", n) for n in rows["novelty"]])
        assert 0.85 < float((rows["ln_tc"].abs() <= widths).mean()) < 0.95
    coverage = coverage_by_fold(val, test, novelty_cap=3.0)
    assert 0.87 < coverage["coverage"].mean() < 0.93


def test_errors_on_an_unseen_family_widen_the_pooled_interval_not_their_familys():
    seen = _heteroscedastic(2000, 3).assign(family="cuprate", **{UNSEEN_FAMILY: False})
    unseen = _heteroscedastic(2000, 4).assign(family="cuprate", **{UNSEEN_FAMILY: True})
    unseen["ln_tc"] *= 4.0  # a family the model never saw is missed by far more
    errors = pd.concat([seen, unseen], ignore_index=True)
    calibration = fit_novelty_calibration(errors.assign(error=errors["ln_tc"].abs()), cap=3.0)
    alone = fit_novelty_calibration(seen.assign(error=seen["ln_tc"].abs()), cap=3.0)
    assert calibration.n["cuprate"] == len(seen)
    assert calibration.n["all"] == len(errors)
    assert calibration.half_width["all"] > 1.5 * calibration.half_width["cuprate"]
    # the difficulty is learnt from both, so the family quantile is of other normalised errors
    assert calibration.difficulty != alone.difficulty
    for band in (seen["novelty"] < 1, seen["novelty"] > 2):
        rows = seen[band]
        widths = np.array([calibration.half_width_for("cuprate", n) for n in rows["novelty"]])
        assert 0.85 < float((rows["ln_tc"].abs() <= widths).mean()) < 0.95


def test_coverage_by_family_and_by_fold_come_from_the_same_rows():
    val, test = _heteroscedastic(3000, 5), _heteroscedastic(3000, 6)
    test["family"] = np.where(test["novelty"] < 1.5, "cuprate", "other")
    scored = held_out_half_widths(val, test, novelty_cap=3.0)
    assert scored["covered"].equals(scored["error"] <= scored["half_width"])
    by_family = coverage_by(scored, "family").set_index("family")
    assert by_family["n_test"].sum() == len(test)
    # far-from-the-data rows get the wider intervals
    assert by_family.loc["other", "mean_half_width"] > by_family.loc["cuprate", "mean_half_width"]
    by_fold = coverage_by_fold(val, test, novelty_cap=3.0)
    weighted = (by_fold["coverage"] * by_fold["n_test"]).sum() / len(test)
    assert weighted == pytest.approx(scored["covered"].mean())


def test_a_novelty_calibration_round_trips_and_a_bad_difficulty_is_refused(tmp_path):
    val = _heteroscedastic(500, 2)
    calibration = fit_novelty_calibration(val.assign(error=val["ln_tc"].abs()), cap=3.0)
    path = calibration.save(tmp_path / INTERVALS_FILE)
    assert json.loads(path.read_text())["format"] == NOVELTY_FORMAT
    assert IntervalCalibration.load(path) == calibration
    values = json.loads(path.read_text())
    values["difficulty"]["base"] = -1.0
    path.write_text(json.dumps(values))
    with pytest.raises(ValueError, match="difficulty"):
        IntervalCalibration.load(path)


def test_prediction_records_carry_novelty_in_json_and_csv():
    record = TcPrediction(
        file="a.cif", formula="MgB2", tc_kelvin=38.0, novelty=0.02, in_domain=True,
        nearest_known=[{"formula": "MgB2", "tc_kelvin": 39.0}],
    ).to_dict()  # fmt: skip
    assert {"novelty", "in_domain", "nearest_known"} <= set(record)
    assert record["nearest_known"] == [{"formula": "MgB2", "tc_kelvin": 39.0}]
    assert csv_row(record)["nearest_known"] == "MgB2 (39 K)"


def test_the_shipped_reference_is_checked_against_the_manifest(tmp_path):
    folder = shipped_model_dir()
    shutil.copy(folder / NOVELTY_FILE, tmp_path / NOVELTY_FILE)
    manifest = [line for line in (folder / MANIFEST_FILE).read_text().splitlines()
                if line.endswith(f"  {NOVELTY_FILE}")]  # fmt: skip
    (tmp_path / MANIFEST_FILE).write_text("\n".join(manifest) + "\n")
    assert NoveltyReference.load(tmp_path / NOVELTY_FILE).formulas
    data = bytearray((tmp_path / NOVELTY_FILE).read_bytes())
    data[-5] ^= 0x01
    (tmp_path / NOVELTY_FILE).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        NoveltyReference.load(tmp_path / NOVELTY_FILE)


def test_a_file_of_another_format_is_refused(tmp_path, reference):
    path = reference.save(tmp_path / NOVELTY_FILE)
    assert NoveltyReference.load(path).distance_scale == pytest.approx(reference.distance_scale)
    from safetensors.numpy import load_file, save_file

    save_file(load_file(path), path, metadata={"format": "something-else"})
    with pytest.raises(CheckpointError, match=FORMAT):
        NoveltyReference.load(path)


@pytest.mark.data
def test_predict_reports_novelty_and_a_novelty_interval_for_a_cif():
    from supercon3d.models.sodnet.ensemble import SODNetEnsemble
    from supercon3d.screening import predict_inputs
    from supercon3d.settings import dataset_path

    ensemble = SODNetEnsemble.shipped()
    (prediction,) = predict_inputs([dataset_path("supercon3d/cif") / "671985.cif"], workers=1)
    record = prediction.to_dict()
    assert record["in_domain"] is True and record["novelty"] < 0.1
    assert Composition(record["nearest_known"][0]["formula"]).reduced_formula == "MgB2"
    low, high = ensemble.intervals.bounds(prediction.ln_tc, prediction.family, record["novelty"])
    assert record["tc_low_kelvin"] == pytest.approx(np.exp(low))
    assert record["tc_high_kelvin"] == pytest.approx(np.exp(high))

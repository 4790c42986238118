"""Calibrated prediction intervals for ln Tc: split-conformal on the validation folds.

Every fold model k of a run was selected on validation fold k + 1 and never trained on it, so
its absolute errors there, |ln Tc - prediction| (ln K), are out-of-sample. Pooled over the
ten validation folds they form the calibration set; the half-width of the interval at level
1 - alpha is their conformal quantile, the ceil((n + 1)(1 - alpha))-th smallest error, which
covers a new entry drawn like the calibration entries with probability at least 1 - alpha.

Errors differ a lot between chemical families (cuprates and doping series are easy, sparse
families hard), so the quantile is taken per family (Mondrian conformal prediction), falling
back to the pooled quantile for a family with fewer than
:data:`~supercon3d.models.intervals.MIN_GROUP_SIZE` calibration entries. The interval is the
ensemble's mean ln Tc plus or minus the half-width; in kelvin, ``exp`` of both ends.

Errors also grow with the distance from the training data (the novelty of
:mod:`supercon3d.models.novelty`): far from it a model extrapolates, and a family it never saw
is missed by 1–3 ln K. The novelty calibration (normalised conformal prediction) first fits a
difficulty, the mean absolute error as a straight line in the novelty
(:func:`fit_difficulty`, ln K), then takes the family-wise conformal quantiles of
|error| / difficulty; a material's half-width is its family's quantile times its difficulty.
It is fitted on errors held out by chemical system (a grouped split's validation folds), whose
novelties span what a user meets: from doping-series neighbours to unseen element sets, and
may add errors made on a family the model never saw (:data:`UNSEEN_FAMILY`), which reach the
difficulty and the pooled quantile only: counted in their own family's quantile they would
widen the intervals of that family's familiar members (a cuprate's twice).

Coverage is measured without looking at the test fold: for test fold k the quantiles are
computed from the validation errors of the entries outside fold k, and the share of fold k's
test entries whose error (of fold model k) is within them is the coverage of fold k.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from supercon3d.models.intervals import ALL, Difficulty, IntervalCalibration

INTERVAL_LEVEL = 0.9
"""Target coverage of the shipped intervals."""
DIFFICULTY_BINS = 10
"""Novelty bins (equal counts) whose mean errors the difficulty line is fitted to."""
MIN_DIFFICULTY = 0.05
"""Smallest difficulty (ln K) at novelty 0: keeps the normalised errors finite."""
UNSEEN_FAMILY = "unseen_family"
"""Column of a calibration table marking errors made on a family the model never saw (the
leave-one-family-out test folds): they shape the difficulty and the pooled quantile, not the
quantile of their own family, whose members the shipped model did see."""


def conformal_quantile(errors: np.ndarray, level: float) -> float:
    """The ceil((n + 1) level)-th smallest of ``errors`` (ln K); inf when n is too small."""
    errors = np.sort(np.asarray(errors, dtype=float))
    rank = math.ceil((len(errors) + 1) * level)
    return float(errors[rank - 1]) if rank <= len(errors) else math.inf


def fit_calibration(
    errors: pd.DataFrame, level: float = INTERVAL_LEVEL, group: str = "family"
) -> IntervalCalibration:
    """Conformal half-widths from a table of calibration errors (columns ``error`` in ln K
    and ``group``): pooled, and per group value. Rows marked :data:`UNSEEN_FAMILY` (an
    optional boolean column) count in the pooled quantile only."""
    half_width = {ALL: conformal_quantile(errors["error"].to_numpy(), level)}
    n = {ALL: len(errors)}
    if UNSEEN_FAMILY in errors:
        errors = errors[~errors[UNSEEN_FAMILY].astype(bool)]
    for key, rows in errors.groupby(group, sort=True):
        quantile = conformal_quantile(rows["error"].to_numpy(), level)
        if math.isfinite(quantile):
            half_width[str(key)] = quantile
            n[str(key)] = len(rows)
    return IntervalCalibration(level, half_width, n)


def fit_difficulty(novelty: np.ndarray, errors: np.ndarray, cap: float) -> Difficulty:
    """The least-squares line through the (median novelty, mean |error| (ln K)) points of
    :data:`DIFFICULTY_BINS` equal-count novelty bins, slope at least 0, value at novelty 0 at
    least :data:`MIN_DIFFICULTY`; flat beyond ``cap``."""
    order = np.argsort(novelty)
    bins = np.array_split(order, DIFFICULTY_BINS)
    x = np.array([np.median(np.minimum(novelty[b], cap)) for b in bins])
    y = np.array([errors[b].mean() for b in bins])
    slope, base = np.polyfit(x, y, 1)
    slope = max(float(slope), 0.0)
    base = max(float(y.mean() - slope * x.mean()), MIN_DIFFICULTY)
    return Difficulty(base, slope, float(cap))


def fit_novelty_calibration(
    errors: pd.DataFrame, cap: float, level: float = INTERVAL_LEVEL, group: str = "family"
) -> IntervalCalibration:
    """:func:`fit_calibration` of |error| / difficulty: columns ``error`` (ln K),
    ``novelty`` and ``group``; the difficulty from :func:`fit_difficulty`."""
    difficulty = fit_difficulty(errors["novelty"].to_numpy(), errors["error"].to_numpy(), cap)
    sigma = np.array([difficulty.sigma(n) for n in errors["novelty"]])
    scores = fit_calibration(errors.assign(error=errors["error"] / sigma), level, group)
    return IntervalCalibration(scores.level, scores.half_width, scores.n, difficulty)


def with_errors(predictions: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` (columns ``ln_tc``, ``ln_tc_pred``) with ``error`` = |difference|."""
    return predictions.assign(error=(predictions["ln_tc"] - predictions["ln_tc_pred"]).abs())


def held_out_half_widths(
    val: pd.DataFrame,
    test: pd.DataFrame,
    level: float = INTERVAL_LEVEL,
    group: str = "family",
    novelty_cap: float | None = None,
) -> pd.DataFrame:
    """``test`` with ``error``, ``half_width`` (ln K) and ``covered``: every test fold's rows
    get the intervals calibrated on the validation errors of the entries outside that fold;
    with ``novelty_cap``, the novelty calibration (:func:`fit_novelty_calibration`, both
    tables then need ``novelty``).

    ``val`` and ``test`` have one row per (entry, fold model): ``id``, ``fold`` (the fold
    model's), ``ln_tc``, ``ln_tc_pred`` and ``group``; a test row's ``fold`` is its own fold.
    """
    val, test = with_errors(val), with_errors(test)
    widths = pd.Series(np.nan, index=test.index)
    for _, held_out in test.groupby("fold", sort=True):
        calibration_rows = val[~val["id"].isin(held_out["id"])]
        if novelty_cap is None:
            calibration = fit_calibration(calibration_rows, level, group)
            novelty = [None] * len(held_out)
        else:
            calibration = fit_novelty_calibration(calibration_rows, novelty_cap, level, group)
            novelty = held_out["novelty"]
        widths[held_out.index] = [calibration.half_width_for(g, n)
                                  for g, n in zip(held_out[group], novelty)]  # fmt: skip
    return test.assign(half_width=widths, covered=test["error"] <= widths)


def coverage_by(scored: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per value of column ``key`` of :func:`held_out_half_widths`' table: ``coverage`` (the
    share of rows inside their interval), ``mean_half_width`` (ln K) and ``n_test``."""
    table = scored.groupby(key, sort=True).agg(
        coverage=("covered", "mean"), mean_half_width=("half_width", "mean"), n_test=("id", "size")
    )
    return table.reset_index()


def coverage_by_fold(
    val: pd.DataFrame,
    test: pd.DataFrame,
    level: float = INTERVAL_LEVEL,
    group: str = "family",
    novelty_cap: float | None = None,
) -> pd.DataFrame:
    """Per test fold (``fold``): the coverage and mean half-width (ln K) of
    :func:`held_out_half_widths` (same arguments)."""
    coverage = coverage_by(held_out_half_widths(val, test, level, group, novelty_cap), "fold")
    return coverage.astype({"fold": int, "coverage": float})

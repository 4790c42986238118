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

Coverage is measured without looking at the test fold: for test fold k the quantiles are
computed from the validation errors of the entries outside fold k, and the share of fold k's
test entries whose error (of fold model k) is within them is the coverage of fold k.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from supercon3d.models.intervals import ALL, IntervalCalibration

INTERVAL_LEVEL = 0.9
"""Target coverage of the shipped intervals."""


def conformal_quantile(errors: np.ndarray, level: float) -> float:
    """The ceil((n + 1) level)-th smallest of ``errors`` (ln K); inf when n is too small."""
    errors = np.sort(np.asarray(errors, dtype=float))
    rank = math.ceil((len(errors) + 1) * level)
    return float(errors[rank - 1]) if rank <= len(errors) else math.inf


def fit_calibration(
    errors: pd.DataFrame, level: float = INTERVAL_LEVEL, group: str = "family"
) -> IntervalCalibration:
    """Conformal half-widths from a table of calibration errors (columns ``error`` in ln K
    and ``group``): pooled, and per group value."""
    half_width = {ALL: conformal_quantile(errors["error"].to_numpy(), level)}
    n = {ALL: len(errors)}
    for key, rows in errors.groupby(group, sort=True):
        quantile = conformal_quantile(rows["error"].to_numpy(), level)
        if math.isfinite(quantile):
            half_width[str(key)] = quantile
            n[str(key)] = len(rows)
    return IntervalCalibration(level, half_width, n)


def with_errors(predictions: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` (columns ``ln_tc``, ``ln_tc_pred``) with ``error`` = |difference|."""
    return predictions.assign(error=(predictions["ln_tc"] - predictions["ln_tc_pred"]).abs())


def coverage_by_fold(
    val: pd.DataFrame,
    test: pd.DataFrame,
    level: float = INTERVAL_LEVEL,
    group: str = "family",
) -> pd.DataFrame:
    """Per test fold: the coverage and mean half-width (ln K) of intervals calibrated on the
    validation errors of entries outside that fold.

    ``val`` and ``test`` have one row per (entry, fold model): ``id``, ``fold`` (the fold
    model's), ``ln_tc``, ``ln_tc_pred`` and ``group``; a test row's ``fold`` is its own fold.
    """
    val, test = with_errors(val), with_errors(test)
    rows = []
    for fold, held_out in test.groupby("fold", sort=True):
        calibration = fit_calibration(val[~val["id"].isin(held_out["id"])], level, group)
        widths = np.array([calibration.half_width_for(g) for g in held_out[group]])
        rows.append({
            "fold": int(fold),
            "coverage": float((held_out["error"].to_numpy() <= widths).mean()),
            "mean_half_width": float(widths.mean()),
            "n_test": len(held_out),
        })  # fmt: skip
    return pd.DataFrame(rows)

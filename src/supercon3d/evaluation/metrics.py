"""Metrics on ln Tc (ln K) and their summary over cross-validation folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, r2_score

PREDICTION_COLUMNS = ("id", "fold", "ln_tc", "ln_tc_pred", "family", "disorder")


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE and R² of predictions (ln K); R² is NaN for fewer than two samples."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    r2 = float(r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan")
    return {"mae": float(mean_absolute_error(y_true, y_pred)), "r2": r2, "n": int(len(y_true))}


def fold_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per test fold: ``fold``, ``mae``, ``r2``, ``n_test``."""
    rows = []
    for fold, group in predictions.groupby("fold", sort=True):
        m = regression_metrics(group["ln_tc"], group["ln_tc_pred"])
        rows.append({"fold": int(fold), "mae": m["mae"], "r2": m["r2"], "n_test": m["n"]})
    return pd.DataFrame(rows)


def breakdown(predictions: pd.DataFrame, by: str) -> pd.DataFrame:
    """MAE, R² and count per group (``family`` or ``disorder``), pooled over all test folds."""
    rows = []
    for key, group in predictions.groupby(by, sort=True):
        m = regression_metrics(group["ln_tc"], group["ln_tc_pred"])
        rows.append({by: key, "mae": m["mae"], "r2": m["r2"], "n": m["n"]})
    return pd.DataFrame(rows)


def summarize(predictions: pd.DataFrame, model: str) -> dict:
    """The cross-validation summary of out-of-fold predictions (one row per test entry).

    ``mae_std`` and ``r2_std`` are the sample standard deviations (ddof=1) over test folds.
    """
    missing = set(PREDICTION_COLUMNS) - set(predictions.columns)
    if missing:
        raise ValueError(f"predictions lack columns {sorted(missing)}")
    folds = fold_metrics(predictions)
    ddof = 1 if len(folds) > 1 else 0
    return {
        "model": model,
        "mae_mean": float(folds["mae"].mean()),
        "mae_std": float(folds["mae"].std(ddof=ddof)),
        "r2_mean": float(folds["r2"].mean()),
        "r2_std": float(folds["r2"].std(ddof=ddof)),
        "folds": folds.to_dict(orient="records"),
        "by_family": breakdown(predictions, "family").to_dict(orient="records"),
        "by_disorder": breakdown(predictions, "disorder").to_dict(orient="records"),
    }

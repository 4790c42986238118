"""Saving cross-validation results: JSON summary, out-of-fold predictions, parity plot.

Plots use matplotlib's object-oriented ``Figure`` API, which needs no global backend: saving
a PNG renders with Agg whatever backend the caller's matplotlib is set to.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def parity_plot(predictions: pd.DataFrame, path: str | os.PathLike, title: str) -> Path:
    """Predicted against measured ln Tc (ln K), coloured by family; written as PNG."""
    from matplotlib.figure import Figure

    path = Path(path)
    fig = Figure(figsize=(5.5, 5.5), dpi=120)
    ax = fig.subplots()
    for family, group in predictions.groupby("family", sort=True):
        ax.scatter(group["ln_tc"], group["ln_tc_pred"], s=8, alpha=0.6, label=family)
    low = float(np.floor(min(predictions["ln_tc"].min(), predictions["ln_tc_pred"].min())))
    high = float(np.ceil(max(predictions["ln_tc"].max(), predictions["ln_tc_pred"].max())))
    ax.plot([low, high], [low, high], color="black", linewidth=0.8)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel("measured ln Tc (ln K)")
    ax.set_ylabel("predicted ln Tc (ln K)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    return path


def save_results(
    summary: dict, predictions: pd.DataFrame, out_dir: str | os.PathLike, stem: str
) -> dict[str, Path]:
    """Write ``<stem>.json``, ``<stem>_predictions.csv`` and ``<stem>_parity.png``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / f"{stem}.json",
        "predictions": out_dir / f"{stem}_predictions.csv",
        "parity": out_dir / f"{stem}_parity.png",
    }
    paths["json"].write_text(json.dumps(summary, indent=2))
    predictions.to_csv(paths["predictions"], index=False)
    parity_plot(
        predictions, paths["parity"], f"{summary['model']}: MAE {summary['mae_mean']:.3f} ln K"
    )
    return paths


def site_importance_plot(
    labels: list[str], importance: np.ndarray, path: str | os.PathLike, title: str
) -> Path:
    """Horizontal bar chart of per-site importance (%), largest at the top."""
    from matplotlib.figure import Figure

    order = np.argsort(importance)
    height = max(2.5, 0.28 * len(labels) + 1)
    fig = Figure(figsize=(6, min(height, 30)))
    ax = fig.subplots()
    ax.barh([labels[i] for i in order], importance[order], color="tab:blue")
    ax.set_xlabel("importance (%)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return Path(path)

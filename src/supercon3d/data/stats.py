"""Summary statistics of SuperCon3D and the Tc histogram per family."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from supercon3d.data.supercon3d import FAMILIES, SuperCon3D
from supercon3d.data.taxonomy import DISORDER_CLASSES


def dataset_stats(dataset: SuperCon3D) -> dict:
    """Counts per disorder class and family, their cross table, Tc range (K), data warnings."""
    table = dataset.table()
    by_disorder = {c: int((table["disorder"] == c).sum()) for c in DISORDER_CLASSES}
    families = list(FAMILIES) + sorted(set(table["family"]) - set(FAMILIES))
    by_family = {f: int((table["family"] == f).sum()) for f in families}
    cross = pd.crosstab(table["family"], table["disorder"]).reindex(
        index=families, columns=list(DISORDER_CLASSES), fill_value=0
    )
    overlapping = [e.id for e in dataset.entries if e.disorder.overlapping_full_pairs]
    return {
        "entries": len(dataset),
        "unreadable": [str(f) for f in dataset.failures],
        "by_disorder": by_disorder,
        "by_family": by_family,
        "family_by_disorder": {
            f: {c: int(cross.loc[f, c]) for c in cross.columns} for f in families
        },
        "tc_kelvin": {
            "min": float(table["tc"].min()),
            "median": float(table["tc"].median()),
            "max": float(table["tc"].max()),
        },
        "sites_per_cell": {
            "median": float(table["n_sites"].median()),
            "p90": float(table["n_sites"].quantile(0.9)),
            "max": int(table["n_sites"].max()),
        },
        "entries_with_cif_warnings": sum(1 for e in dataset.entries if e.warnings),
        "ordered_with_overlapping_atoms": overlapping,
    }


def tc_histogram(dataset: SuperCon3D, path: str | os.PathLike) -> Path:
    """Histograms of Tc (K, log-spaced bins) per family, one panel each, written as PNG (with
    matplotlib's ``Figure`` API, which needs no global backend)."""
    from matplotlib.figure import Figure

    table = dataset.table()
    families = [f for f in FAMILIES if f in set(table["family"])]
    bins = np.logspace(np.log10(table["tc"].min()), np.log10(table["tc"].max()), 30)
    fig = Figure(figsize=(6, 1.6 * len(families)), dpi=120)
    axes = fig.subplots(len(families), 1, sharex=True)
    for ax, family in zip(np.atleast_1d(axes), families):
        values = table.loc[table["family"] == family, "tc"]
        ax.hist(values, bins=bins, color="tab:blue")
        ax.set_xscale("log")
        ax.set_ylabel("entries")
        ax.set_title(f"{family} (n = {len(values)})", fontsize=9)
    np.atleast_1d(axes)[-1].set_xlabel("Tc (K)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path

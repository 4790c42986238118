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


def sources_summary(data: str | os.PathLike | None = None) -> dict[str, dict]:
    """Every dataset of the data folder, by name: SuperCon3D's entries (ordered, disordered),
    the SuperCon formula tables (formulas, unparsed rows, non-superconductors), the 3DSC
    structures (files, doped, formulas, how many get a Tc from supercon_stanev2018 by
    composition) and the Materials Project structures."""
    from supercon3d.data.supercon3d import read_tc_table
    from supercon3d.data.tables import load_3dsc_index, load_mp_index, load_supercon_formulas

    tc_table = read_tc_table(data)
    formulas = load_supercon_formulas("supercon_11949", data)
    stanev = load_supercon_formulas("supercon_stanev2018", data)
    dsc = load_3dsc_index(data, stanev)
    matched = dsc["n_matches"] > 0
    return {
        "supercon3d": {
            "entries": len(tc_table),
            "order": int((tc_table["order"] == "order").sum()),
            "disorder": int((tc_table["order"] == "disorder").sum()),
        },
        "supercon_11949": {"formulas": len(formulas), "unparsed": formulas.attrs["unparsed"]},
        "supercon_stanev2018": {
            "formulas": len(stanev),
            "unparsed": stanev.attrs["unparsed"],
            "non_superconductors": int((stanev["tc"] == 0).sum()),
        },
        "3dsc_mp": {
            "files": len(dsc),
            "synth_doped": int(dsc["synth_doped"].sum()),
            "distinct_formulas": int(dsc["formula"].nunique()),
            "matched_tc": int(matched.sum()),
            "matched_superconductors": int((matched & (dsc["tc"] > 0)).sum()),
            "unmatched": int((~matched).sum()),
        },
        "mp_structures": {"files": len(load_mp_index(data))},
    }

"""The candidate table: one row per candidate with its Tc prediction, stability, novelty and
what the literature reports, and the ranking a chemist reads it in.

Ranking: likely superconductors (P(SC) ≥ :data:`LIKELY_SUPERCONDUCTOR`) first, by predicted
Tc; then the rest, by P(SC)-weighted Tc (the Tc expected when a non-superconductor counts as
0 K). Tc alone would rank the cells the classifier doubts above the ones it believes in;
P(SC)·Tc alone would let a 30 % chance of 100 K outrank a 90 % chance of 25 K.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from supercon3d.data.known import KnownSuperconductors
from supercon3d.discovery.settings import LIKELY_SUPERCONDUCTOR
from supercon3d.screening.prediction import TcPrediction

OUTPUT_COLUMNS = [
    "rank", "file", "formula", "disorder_class", "family", "p_superconductor", "tc_kelvin",
    "tc_low_kelvin", "tc_high_kelvin", "e_above_hull", "hull_incomplete", "novel", "known_in",
    "known_superconductor", "reported_tc_kelvin", "related_superconductors", "parent",
    "id", "source", "origin", "doping", "dopant", "host", "fraction", "carriers",
    "radius_mismatch", "ln_tc_std",
    "energy_per_atom", "converged", "volume_change", "relax_steps", "high_pressure_hydride",
    "space_group", "space_group_number", "charge_balanced", "charge_kind", "n_elements",
    "molecular", "novelty", "in_domain", "nearest_known",
]  # fmt: skip
"""Columns of ``candidates_ordered.csv`` and ``candidates_disordered.csv``, in this order:
the interface columns first, then provenance (``id``, ``source``, ``origin``; for a doped
variant ``doping`` (substitution or vacancy), ``dopant``, ``host``, ``fraction``,
``carriers`` and ``radius_mismatch``, the relative size mismatch of dopant and host on the
site), the relaxation's details, a chemist's checks (:data:`CHEMISTRY_COLUMNS`,
the space group of the symmetrised relaxed structure), and how far the composition lies from
the Tc model's training data (``novelty``, ``in_domain``, ``nearest_known`` as JSON
[{formula, tc_kelvin}], :mod:`supercon3d.models.novelty`)."""
PREDICTION_COLUMNS = [
    "formula", "disorder_class", "family", "high_pressure_hydride", "p_superconductor",
    "tc_kelvin", "tc_low_kelvin", "tc_high_kelvin", "ln_tc_std", "novelty", "in_domain",
    "nearest_known",
]  # fmt: skip
STABILITY_COLUMNS = [
    "energy_per_atom", "e_above_hull", "hull_incomplete", "converged", "volume_change",
    "relax_steps", "space_group", "space_group_number",
]  # fmt: skip
CHEMISTRY_COLUMNS = ["charge_balanced", "charge_kind", "n_elements", "molecular"]
"""Columns of :class:`~supercon3d.chemistry.ChemistryProfile` in the tables: charge balance
(and why: ionic, intermetallic...), the number of elements, whether the structure is
molecular (judged on the relaxed structure once relaxed)."""


def prediction_row(prediction: TcPrediction) -> dict:
    """The prediction columns of a successful prediction (``nearest_known`` as JSON text, or
    None)."""
    row = {column: getattr(prediction, column) for column in PREDICTION_COLUMNS}
    if row["nearest_known"] is not None:
        row["nearest_known"] = json.dumps(row["nearest_known"])
    return row


def with_predictions(table: pd.DataFrame, predictions: Sequence[TcPrediction]) -> pd.DataFrame:
    """``table`` (one row per prediction, same order) with the prediction columns replaced."""
    rows = pd.DataFrame([prediction_row(p) for p in predictions], index=table.index)
    return table.drop(columns=[c for c in PREDICTION_COLUMNS if c in table]).join(rows)


def with_known(table: pd.DataFrame, known: KnownSuperconductors) -> pd.DataFrame:
    """``table`` with what the literature reports on each formula: ``known_superconductor``,
    ``reported_tc_kelvin`` (K) and ``related_superconductors`` (other superconductors of the
    same elements, ``"<count> (best <Tc> K)"``)."""
    matches = [known.lookup(Composition(formula)) for formula in table["formula"]]
    table = table.copy()
    table["known_superconductor"] = [m.known_superconductor for m in matches]
    table["reported_tc_kelvin"] = [m.reported_tc_kelvin for m in matches]
    table["related_superconductors"] = [m.related_superconductors for m in matches]
    return table


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` in ranking order (module docstring) with ``rank`` from 1."""
    p = table["p_superconductor"].astype(float).fillna(0.0)
    tc = table["tc_kelvin"].astype(float).fillna(0.0)
    likely = p >= LIKELY_SUPERCONDUCTOR
    key = pd.DataFrame({"likely": likely, "score": np.where(likely, tc, p * tc)})
    order = key.sort_values(["likely", "score"], ascending=False, kind="stable").index
    table = table.loc[order].reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def literature_consistent(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``novel`` False on every row whose composition the literature holds: a
    reported superconductor (``known_superconductor``) or a composition some source of the
    data folder holds (``known_in``). Novelty and the literature are looked up in different
    steps (novelty before the relaxed cell is re-scored, the literature after), and a resumed
    run reads its finished stages back as the version that ran them wrote them: this is
    where the two are made to agree."""
    if "novel" not in table:
        return table
    novel = table["novel"].astype("boolean").fillna(False).to_numpy(bool)
    known = np.zeros(len(table), dtype=bool)
    if "known_superconductor" in table:
        known |= table["known_superconductor"].astype("boolean").fillna(False).to_numpy(bool)
    if "known_in" in table:
        known |= (table["known_in"].fillna("").astype(str) != "").to_numpy()
    table = table.copy()
    table.loc[novel & known, "novel"] = False
    return table


def output_table(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the :data:`OUTPUT_COLUMNS` (missing ones empty) then any others, and
    no row both novel and known to the literature (:func:`literature_consistent`)."""
    table = literature_consistent(table.copy())
    for column in OUTPUT_COLUMNS:
        if column not in table:
            table[column] = math.nan
    rest = [column for column in table.columns if column not in OUTPUT_COLUMNS]
    return table[OUTPUT_COLUMNS + rest]

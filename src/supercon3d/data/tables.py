"""Composition-only Tc tables (SuperCon) and the other structure sets (3DSC, Materials Project).

The formula tables are read into one normalized shape: ``formula``, ``tc`` (K), ``family``
(when the table has it), ``composition`` (pymatgen, element-level) and ``key``
(:func:`~supercon3d.data.composition.composition_key`). Rows whose formula does not parse are
dropped and counted in ``DataFrame.attrs["unparsed"]``.

The structure sets are indexed from their file names only; structures are read on demand with
:func:`read_indexed` (unreadable files are counted in the result's ``failures``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supercon3d.data.cif import FolderReadResult, cif_files, read_cifs
from supercon3d.data.composition import CompositionKey, composition_key, parse_formula
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.settings import dataset_path


@dataclass(frozen=True)
class FormulaTable:
    """Where a SuperCon formula table lives and how its columns map to the normalized ones."""

    path: str
    columns: dict[str, str]


FORMULA_TABLES: dict[str, FormulaTable] = {
    "supercon_11949": FormulaTable(
        "supercon_formulas/supercon_11949.csv",
        {"Formula": "formula", "Tc": "tc", "Materials_family": "family"},
    ),
    "supercon_stanev2018": FormulaTable(
        "supercon_formulas/supercon_stanev2018.csv", {"name": "formula", "Tc": "tc"}
    ),
}

_3DSC_NAME = re.compile(r"^(?P<formula>.+)-MP-(?P<mp_id>[a-z]+-\d+)(?P<synth>-synth_doped)?\.cif$")


def load_supercon_formulas(
    name: str = "supercon_11949", data: str | os.PathLike | None = None, ambient: bool = False
) -> pd.DataFrame:
    """A SuperCon formula table: ``formula``, ``tc`` (K), [``family``], ``composition``, ``key``.

    ``supercon_stanev2018`` marks non-superconductors with ``tc == 0``. Rows whose formula does
    not parse are dropped; their number is ``attrs["unparsed"]``. With ``ambient`` the rows
    :func:`~supercon3d.data.family.is_high_pressure_hydride` flags are dropped too (their
    number: ``attrs["high_pressure"]``).
    """
    if name not in FORMULA_TABLES:
        raise KeyError(f"unknown formula table {name!r}; choose from {', '.join(FORMULA_TABLES)}")
    spec = FORMULA_TABLES[name]
    raw = pd.read_csv(dataset_path(spec.path, data), usecols=list(spec.columns))
    table = raw.rename(columns=spec.columns)
    table["formula"] = table["formula"].astype(str)
    table["tc"] = table["tc"].astype(float)
    table["composition"] = [parse_formula(f) for f in table["formula"]]
    parsed = table["composition"].notna()
    table = table[parsed].reset_index(drop=True)
    table["key"] = [composition_key(c) for c in table["composition"]]
    table.attrs["unparsed"] = int((~parsed).sum())
    if ambient:
        pressure = np.array([is_high_pressure_hydride(c) for c in table["composition"]], bool)
        table = table[~pressure].reset_index(drop=True)
        table.attrs["high_pressure"] = int(pressure.sum())
    return table


def tc_by_key(formulas: pd.DataFrame) -> dict[CompositionKey, tuple[float, int]]:
    """Per composition key: the median ``tc`` (K) of the rows with that key, and their count."""
    return {
        key: (float(np.median(group.to_numpy())), len(group))
        for key, group in formulas.groupby("key", sort=False)["tc"]
    }


def parse_3dsc_name(name: str) -> tuple[str, str, bool]:
    """``(formula, mp_id, synth_doped)`` from a 3DSC file name; ValueError if it does not fit."""
    match = _3DSC_NAME.match(name)
    if match is None:
        raise ValueError(f"{name}: not a 3DSC name (<formula>-MP-<mp id>[-synth_doped].cif)")
    return match["formula"], match["mp_id"], match["synth"] is not None


def load_3dsc_index(
    data: str | os.PathLike | None = None, tc_table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The 3DSC structures indexed from their file names (no CIF is parsed).

    Columns: ``file`` (path), ``formula`` (the SuperCon formula of the name), ``mp_id``,
    ``synth_doped``, ``tc`` (K; median over the ``tc_table`` rows whose composition key
    equals the formula's, NaN when none does, 0 for a non-superconductor) and ``n_matches``.
    ``tc_table`` defaults to ``supercon_stanev2018``.
    """
    if tc_table is None:
        tc_table = load_supercon_formulas("supercon_stanev2018", data)
    lookup = tc_by_key(tc_table)
    rows = []
    for path in cif_files(dataset_path("3dsc_mp/cifs", data)):
        formula, mp_id, synth_doped = parse_3dsc_name(path.name)
        composition = parse_formula(formula)
        key = composition_key(composition) if composition is not None else None
        tc, n_matches = lookup.get(key, (float("nan"), 0))
        rows.append((str(path), formula, mp_id, synth_doped, tc, n_matches))
    return pd.DataFrame(
        rows, columns=["file", "formula", "mp_id", "synth_doped", "tc", "n_matches"]
    )


def load_mp_index(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """The Materials Project structures: ``file`` (path) and ``mp_id`` (no CIF is parsed)."""
    files = cif_files(dataset_path("mp_structures/cifs", data))
    return pd.DataFrame({"file": [str(p) for p in files], "mp_id": [p.stem for p in files]})


def read_indexed(
    index: pd.DataFrame,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FolderReadResult:
    """Read the structures of an index table's ``file`` column (3DSC, MP, or a subset of one)."""
    return read_cifs(index["file"], workers, progress)

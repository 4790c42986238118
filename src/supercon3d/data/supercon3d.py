"""The SuperCon3D dataset: 1,578 experimental superconductors with crystal structures."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pymatgen.core import Structure

from supercon3d.data.cif import CifReadError, read_cifs
from supercon3d.data.family import is_high_pressure_hydride
from supercon3d.data.taxonomy import (
    DisorderClass,
    DisorderReport,
    DisorderTolerances,
    classify_disorder,
)
from supercon3d.progress import ProgressFactory, no_progress
from supercon3d.settings import dataset_path

FAMILIES: tuple[str, ...] = ("cuprate", "iron-based", "heavy-Fermion", "h_based", "others")


@dataclass
class Entry:
    """One SuperCon3D entry: a structure with its measured critical temperature."""

    id: str
    structure: Structure
    tc: float
    family: str
    formula: str
    order_label: str
    disorder: DisorderReport
    warnings: list[str] = field(default_factory=list)

    @property
    def ln_tc(self) -> float:
        """Natural log of Tc (ln K), the regression target."""
        return math.log(self.tc)

    @property
    def disorder_class(self) -> DisorderClass:
        return self.disorder.disorder_class


@dataclass
class SuperCon3D:
    """The loaded dataset: entries sorted by id, and the files that could not be read."""

    entries: list[Entry]
    failures: list[CifReadError]

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> Entry:
        return self.entries[index]

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.entries]

    def without_high_pressure_hydrides(self) -> SuperCon3D:
        """The ambient-pressure view: the entries whose structure's composition is not flagged
        by :func:`~supercon3d.data.family.is_high_pressure_hydride` (the superhydrides
        measured at 100–250 GPa); failures kept."""
        kept = [e for e in self.entries if not is_high_pressure_hydride(e.structure.composition)]
        return SuperCon3D(kept, self.failures)

    def table(self) -> pd.DataFrame:
        """One row per entry: id, tc (K), ln_tc (ln K), family, formula, disorder, n_sites."""
        return pd.DataFrame(
            {
                "id": [e.id for e in self.entries],
                "tc": [e.tc for e in self.entries],
                "ln_tc": [e.ln_tc for e in self.entries],
                "family": [e.family for e in self.entries],
                "formula": [e.formula for e in self.entries],
                "disorder": [e.disorder_class.value for e in self.entries],
                "n_sites": [len(e.structure) for e in self.entries],
            }
        )


def read_tc_table(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """``supercon3d/tc.csv`` indexed by CIF file name: tc (K), family, cf, order."""
    table = pd.read_csv(dataset_path("supercon3d/tc.csv", data), index_col=0)
    table.index.name = "id"
    return table


def load_dataset(
    data: str | os.PathLike | None = None,
    *,
    progress: ProgressFactory = no_progress,
    ambient: bool = False,
    tolerances: DisorderTolerances = DisorderTolerances(),
) -> SuperCon3D:
    """All SuperCon3D entries (without the high-pressure hydrides when ``ambient``;
    disorder classes with ``tolerances``), with a progress bar over the CIFs; unreadable CIFs
    are in ``failures``."""
    with progress("reading CIFs", len(read_tc_table(data))) as advance:
        dataset = load_supercon3d(data, progress=advance, tolerances=tolerances)
    return dataset.without_high_pressure_hydrides() if ambient else dataset


def load_supercon3d(
    data: str | os.PathLike | None = None,
    ids: list[str] | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    tolerances: DisorderTolerances = DisorderTolerances(),
) -> SuperCon3D:
    """Load SuperCon3D from ``<data>/supercon3d`` (all entries, or only ``ids``).

    Each entry's disorder class is computed with ``tolerances``.

    Unreadable CIFs are skipped and returned in ``failures``; the rest load.
    """
    table = read_tc_table(data)
    if ids is not None:
        missing = sorted(set(ids) - set(table.index))
        if missing:
            raise KeyError(f"not in SuperCon3D: {', '.join(missing[:5])}")
        table = table.loc[ids]
    table = table.sort_index()
    cif_dir: Path = dataset_path("supercon3d/cif", data)
    result = read_cifs([cif_dir / name for name in table.index], workers, progress)
    entries = []
    for record in result.records:
        row = table.loc[record.name]
        entries.append(
            Entry(
                id=record.name,
                structure=record.structure,
                tc=float(row["tc"]),
                family=str(row["family"]),
                formula=str(row["cf"]),
                order_label=str(row["order"]),
                disorder=classify_disorder(
                    record.structure, tolerances, record.overfull_occupancies
                ),
                warnings=record.warnings,
            )
        )
    return SuperCon3D(entries, result.failures)

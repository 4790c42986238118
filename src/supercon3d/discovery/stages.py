"""A run folder's stages on disk: each stage is written to a hidden temporary folder and
renamed to ``DIR/<stage>/`` when complete (``table.csv`` of the candidates kept, ``dropped.csv``
of those that fell out with the reason, ``cifs/<id>.cif``, ``relaxed/<id>.cif`` of every
structure a stability stage relaxed, and ``stage.json`` last), so a
stage folder that exists is finished and a rerun reads it instead of computing it again.
Every CIF is read back under the input contract as it is written: a structure the contract
refuses (a generated cell with a lattice vector under 1 Å, a relaxation that collapsed) is
dropped there with the contract's reason, so a finished stage can always be read back."""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from pymatgen.core import Structure

from supercon3d.data.cif import CifReadError, read_cif, write_cif

TABLE_FILE = "table.csv"
DROPPED_FILE = "dropped.csv"
STAGE_FILE = "stage.json"
CIF_FOLDER = "cifs"
RELAXED_FOLDER = "relaxed"
DROPPED_COLUMNS = [
    "id", "formula", "stage", "reason", "detail", "e_above_hull", "energy_per_atom", "converged",
    "p_superconductor", "tc_kelvin",
]  # fmt: skip
NUMBER_FIELDS = ("e_above_hull", "energy_per_atom", "p_superconductor", "tc_kelvin")
"""The dropped table's columns read back as numbers (NaN when empty)."""
TEXT_COLUMNS = {"id": str, "parent": str, "formula": str}
"""Columns read as text (an id such as 671985 stays a name, not a number)."""
REFUSED = "refused by the input contract"
"""Why a structure whose CIF cannot be read back is dropped (detail: the contract's line)."""


@dataclass
class Dropped:
    """A candidate that fell out of a stage: ``reason`` is the category counted in the run
    record and the report, ``detail`` the one-line specifics (e.g. the relaxation's error),
    ``e_above_hull`` and ``energy_per_atom`` (eV/atom) and ``converged`` where the stability
    filter relaxed it, ``p_superconductor`` and ``tc_kelvin`` (K) where it was scored."""

    id: str
    formula: str
    reason: str
    detail: str = ""
    e_above_hull: float = math.nan
    energy_per_atom: float = math.nan
    converged: bool | None = None
    p_superconductor: float = math.nan
    tc_kelvin: float = math.nan


@dataclass
class StageResult:
    """What one stage kept (``table``, one row per candidate with its ``id``; ``structures``
    by id) and dropped, with its counts and wall time (s); ``relaxed``: the relaxed
    structure of every candidate the stage relaxed, kept or dropped, by id (written to
    ``<stage>/relaxed/<id>.cif``, not read back)."""

    name: str
    table: pd.DataFrame
    structures: dict[str, Structure]
    dropped: list[Dropped] = field(default_factory=list)
    n_in: int = 0
    seconds: float = 0.0
    relaxed: dict[str, Structure] = field(default_factory=dict)

    @property
    def n_out(self) -> int:
        return len(self.table)

    def reasons(self) -> dict[str, int]:
        """Candidates dropped per reason."""
        return dict(Counter(item.reason for item in self.dropped))

    def record(self) -> dict:
        """The run record's entry: name, n_in, n_out, seconds and dropped per reason."""
        return {
            "name": self.name, "n_in": self.n_in, "n_out": self.n_out,
            "seconds": round(self.seconds, 1), "dropped": self.reasons(),
        }  # fmt: skip


def cif_path(stage: str, candidate: str) -> str:
    """Where a stage writes a candidate's CIF, relative to the run folder."""
    return f"{stage}/{CIF_FOLDER}/{candidate}.cif"


def relaxed_path(stage: str, candidate: str) -> str:
    """Where a stage writes a candidate's relaxed structure, relative to the run folder."""
    return f"{stage}/{RELAXED_FOLDER}/{candidate}.cif"


def _converged(text: str) -> bool | None:
    return {"True": True, "False": False}.get(text)


class StageStore:
    """The stages of the run folder ``root``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def finished(self, name: str) -> bool:
        return (self.root / name / STAGE_FILE).is_file()

    def write(self, result: StageResult) -> StageResult:
        """Write ``result`` to a temporary folder and rename it to ``root/<name>``; returns
        the stage as :meth:`read` would, the structures those read back from the CIFs as
        they were written: one the input contract refuses is moved to the dropped
        (:data:`REFUSED`, the contract's line as detail)."""
        temporary = self.root / f".{result.name}.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        (temporary / CIF_FOLDER).mkdir(parents=True)
        structures, dropped = {}, list(result.dropped)
        for candidate, structure in result.structures.items():
            path = temporary / CIF_FOLDER / f"{candidate}.cif"
            write_cif(structure, path)
            try:
                structures[candidate] = read_cif(path).structure
            except CifReadError as error:
                path.unlink()
                formula = structure.composition.reduced_formula
                dropped.append(Dropped(candidate, formula, REFUSED, error.reason))
        if result.relaxed:
            (temporary / RELAXED_FOLDER).mkdir()
        for candidate, structure in result.relaxed.items():
            write_cif(structure, temporary / RELAXED_FOLDER / f"{candidate}.cif")
        table = result.table[result.table["id"].isin(structures)].copy()
        table["file"] = [cif_path(result.name, candidate) for candidate in table["id"]]
        table.to_csv(temporary / TABLE_FILE, index=False)
        rows = [{**vars(item), "stage": result.name} for item in dropped]
        pd.DataFrame(rows, columns=DROPPED_COLUMNS).to_csv(temporary / DROPPED_FILE, index=False)
        written = replace(result, table=table, structures=structures, dropped=dropped)
        (temporary / STAGE_FILE).write_text(json.dumps(written.record(), indent=1))
        target = self.root / result.name
        shutil.rmtree(target, ignore_errors=True)
        os.replace(temporary, target)
        return self._load(result.name, structures)

    def read(self, name: str) -> StageResult:
        """A finished stage as written (structures read back from its CIFs; a CIF the input
        contract refuses raises :class:`~supercon3d.data.cif.CifReadError`)."""
        return self._load(name)

    def _load(self, name: str, structures: dict[str, Structure] | None = None) -> StageResult:
        """The stage ``name`` from its folder; ``structures`` (by id) instead of reading
        its CIFs when given."""
        folder = self.root / name
        record = json.loads((folder / STAGE_FILE).read_text())
        table = pd.read_csv(folder / TABLE_FILE, dtype=TEXT_COLUMNS)
        dropped_table = pd.read_csv(folder / DROPPED_FILE, dtype=str, keep_default_na=False)
        dropped = [
            Dropped(
                row["id"],
                row["formula"],
                row["reason"],
                row["detail"],
                converged=_converged(row.get("converged", "")),
                **{key: float(row.get(key) or math.nan) for key in NUMBER_FIELDS},
            )  # fmt: skip
            for row in dropped_table.to_dict("records")
        ]
        if structures is None:
            structures = {
                candidate: read_cif(self.root / path).structure
                for candidate, path in zip(table["id"], table["file"])
            }
        return StageResult(name, table, structures, dropped, record["n_in"], record["seconds"])

    def clear(self, names: Mapping[str, object] | list[str]) -> None:
        """Remove the folders of the stages ``names`` (finished or not)."""
        for name in names:
            shutil.rmtree(self.root / name, ignore_errors=True)
            shutil.rmtree(self.root / f".{name}.tmp", ignore_errors=True)

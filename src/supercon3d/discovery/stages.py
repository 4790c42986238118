"""A run folder's stages on disk: each stage is written to a hidden temporary folder and
renamed to ``DIR/<stage>/`` when complete (``table.csv`` of the candidates kept, ``dropped.csv``
of those that fell out with the reason, ``cifs/<id>.cif`` and ``stage.json`` last), so a
stage folder that exists is finished and a rerun reads it instead of computing it again."""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pymatgen.core import Structure

from supercon3d.data.cif import read_cif, write_cif

TABLE_FILE = "table.csv"
DROPPED_FILE = "dropped.csv"
STAGE_FILE = "stage.json"
CIF_FOLDER = "cifs"
DROPPED_COLUMNS = ["id", "formula", "stage", "reason", "detail", "e_above_hull"]
TEXT_COLUMNS = {"id": str, "parent": str, "formula": str}
"""Columns read as text (an id such as 671985 stays a name, not a number)."""


@dataclass
class Dropped:
    """A candidate that fell out of a stage: ``reason`` is the category counted in the run
    record and the report, ``detail`` the one-line specifics (e.g. the relaxation's error),
    ``e_above_hull`` (eV/atom) where the stability filter computed one."""

    id: str
    formula: str
    reason: str
    detail: str = ""
    e_above_hull: float = math.nan


@dataclass
class StageResult:
    """What one stage kept (``table``, one row per candidate with its ``id``; ``structures``
    by id) and dropped, with its counts and wall time (s)."""

    name: str
    table: pd.DataFrame
    structures: dict[str, Structure]
    dropped: list[Dropped] = field(default_factory=list)
    n_in: int = 0
    seconds: float = 0.0

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


class StageStore:
    """The stages of the run folder ``root``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def finished(self, name: str) -> bool:
        return (self.root / name / STAGE_FILE).is_file()

    def write(self, result: StageResult) -> None:
        """Write ``result`` to a temporary folder and rename it to ``root/<name>``."""
        temporary = self.root / f".{result.name}.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        (temporary / CIF_FOLDER).mkdir(parents=True)
        for candidate, structure in result.structures.items():
            write_cif(structure, temporary / CIF_FOLDER / f"{candidate}.cif")
        table = result.table.copy()
        table["file"] = [cif_path(result.name, candidate) for candidate in table["id"]]
        table.to_csv(temporary / TABLE_FILE, index=False)
        dropped = [{**vars(item), "stage": result.name} for item in result.dropped]
        pd.DataFrame(dropped, columns=DROPPED_COLUMNS).to_csv(temporary / DROPPED_FILE, index=False)
        (temporary / STAGE_FILE).write_text(json.dumps(result.record(), indent=1))
        target = self.root / result.name
        shutil.rmtree(target, ignore_errors=True)
        os.replace(temporary, target)

    def read(self, name: str) -> StageResult:
        """A finished stage as written (structures read back from its CIFs)."""
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
                float(row["e_above_hull"] or math.nan),
            )  # fmt: skip
            for row in dropped_table.to_dict("records")
        ]
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

"""The task unit of a screen (:class:`Shard`) and the columns that name a row.

Light on purpose: the coordinator imports this module (and :mod:`.tasks`, the two tasks sent
out with a shard) to write the rows of unreadable items and to send work to its workers, so
it loads neither the models nor pymatgen; the stages themselves
(:mod:`supercon3d.screening.scoring`) load in the workers. On two cores the coordinator's
imports (about 4 s) came before the workers started and shared their cores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from supercon3d.models.shipped import shipped_model_dir
from supercon3d.screening.database import STAGE_FAILED
from supercon3d.screening.sources import StructureItem


@dataclass(frozen=True)
class Shard:
    """The task unit: items to score, the model folder (None: shipped) and the data folder
    (None: the configured one) of the known-superconductor tables."""

    items: tuple[StructureItem, ...]
    checkpoints: str | None = None
    data: str | None = None


def model_folder(checkpoints: str | os.PathLike | None) -> Path:
    """The run folder of the structural ensemble (default: the shipped one)."""
    return Path(checkpoints) if checkpoints is not None else shipped_model_dir()


def identity(item: StructureItem) -> dict:
    """The columns that name an item's row: id, source, name and sha256."""
    return {"id": item.id, "source": item.source, "name": item.name, "sha256": item.sha256}


def failed_row(item: StructureItem, error: str) -> dict:
    """The row of an item that could not be read."""
    return {**identity(item), "stage": STAGE_FAILED, "error": error}

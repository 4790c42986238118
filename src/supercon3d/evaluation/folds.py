"""The one cross-validation protocol every model in supercon3d is scored with.

10 folds over SuperCon3D: entry ids sorted, permuted with ``numpy.random.default_rng(42)``,
cut into 10 near-equal folds (``numpy.array_split``). For fold k the test set is fold k, the
validation set fold k+1 (mod 10), the training set the other eight. The assignment ships with
the package (``resources/supercon3d_folds.csv``) and a test checks it against this recipe.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

N_FOLDS = 10
SEED = 42
SHIPPED_FOLDS = "supercon3d_folds.csv"


@dataclass(frozen=True)
class FoldSplit:
    """The ids of one fold's training, validation and test sets."""

    fold: int
    train: list[str]
    val: list[str]
    test: list[str]


@dataclass(frozen=True)
class FoldAssignment:
    """Which fold each entry id belongs to."""

    fold_of: dict[str, int]
    n_folds: int = N_FOLDS

    @classmethod
    def make(cls, ids: list[str], n_folds: int = N_FOLDS, seed: int = SEED) -> FoldAssignment:
        """Assign ``ids`` to folds by the protocol's recipe."""
        ordered = sorted(ids)
        permuted = np.random.default_rng(seed).permutation(len(ordered))
        fold_of = {}
        for fold, members in enumerate(np.array_split(permuted, n_folds)):
            for index in members:
                fold_of[ordered[index]] = fold
        return cls(dict(sorted(fold_of.items())), n_folds)

    @classmethod
    def read(cls, path: str | os.PathLike) -> FoldAssignment:
        """Read an assignment written by :meth:`write` (columns ``id``, ``fold``)."""
        table = pd.read_csv(path)
        return cls(dict(zip(table["id"], table["fold"].astype(int))), int(table["fold"].max()) + 1)

    @classmethod
    def shipped(cls) -> FoldAssignment:
        """The SuperCon3D assignment that ships with the package."""
        with resources.as_file(resources.files("supercon3d.resources") / SHIPPED_FOLDS) as path:
            return cls.read(path)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the assignment as CSV with columns ``id``, ``fold``."""
        path = Path(path)
        pd.DataFrame({"id": list(self.fold_of), "fold": list(self.fold_of.values())}).to_csv(
            path, index=False
        )
        return path

    def members(self, fold: int) -> list[str]:
        return [i for i, f in self.fold_of.items() if f == fold]

    def split(self, fold: int) -> FoldSplit:
        """Test = ``fold``, validation = ``fold + 1`` (mod n), training = the rest."""
        if not 0 <= fold < self.n_folds:
            raise ValueError(f"fold must be in 0..{self.n_folds - 1}, got {fold}")
        val_fold = (fold + 1) % self.n_folds
        train = [i for i, f in self.fold_of.items() if f not in (fold, val_fold)]
        return FoldSplit(fold, train, self.members(val_fold), self.members(fold))

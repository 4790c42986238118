"""The cross-validation protocol every model in supercon3d is scored with, on three splits.

``random`` (the shared protocol): 10 folds over SuperCon3D: entry ids sorted, permuted with
``numpy.random.default_rng(42)``, cut into 10 near-equal folds (``numpy.array_split``). For
fold k the test set is fold k, the validation set fold k+1 (mod 10), the training set the
other eight. The assignment ships with the package (``resources/supercon3d_folds.csv``) and a
test checks it against this recipe.

``chemical-system``: 10 folds in which all entries of one element set stay together
(:func:`~supercon3d.evaluation.splits.chemical_system_folds` over the structures'
compositions), test k, validation k+1, training the rest, as above.

``family``: leave-one-family-out over the rule families of
:func:`~supercon3d.data.family.chemical_family` (fold k tests on ``FAMILIES[k]``, whether or
not the data holds that family, so a fold number always names the same family). The
validation set is a fixed share (:data:`FAMILY_VALIDATION_SHARE`) of all entries, drawn with
``numpy.random.default_rng(42)``; fold k validates on those outside its test family and
trains on the rest.

What counts as "the same material" follows the split (:func:`held_out_keys`): extra training
data (composition-only formulas) is kept out of a fold when it shares the split's key with a
test entry, or the validation key with a validation entry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import numpy as np
import pandas as pd

from supercon3d.data.composition import composition_key
from supercon3d.data.family import FAMILIES, chemical_family
from supercon3d.defaults import DEFAULT_SPLIT, SplitName
from supercon3d.errors import SuperCon3DError
from supercon3d.evaluation.splits import chemical_system, chemical_system_folds

if TYPE_CHECKING:
    from pymatgen.core import Composition

    from supercon3d.data.supercon3d import SuperCon3D

N_FOLDS = 10
SEED = 42
SHIPPED_FOLDS = "supercon3d_folds.csv"
SPLITS: tuple[str, ...] = get_args(SplitName)
"""``random``, ``chemical-system``, ``family``."""
FAMILY_VALIDATION_SHARE = 1 / 9
"""Share of the entries validating the leave-one-family-out folds (the random protocol's
validation fold is one of nine non-test folds)."""

MaterialKey = Callable[["Composition"], Hashable]
"""A function saying which compositions count as the same material."""


class SplitError(SuperCon3DError, ValueError):
    """A split that cannot be used as asked (unknown, or not the one a run was trained on)."""


@dataclass(frozen=True)
class FoldSplit:
    """The ids of one fold's training, validation and test sets."""

    fold: int
    train: list[str]
    val: list[str]
    test: list[str]


@dataclass(frozen=True)
class FoldAssignment:
    """Which fold each entry id belongs to, under which split.

    ``validation``: a fixed validation set (leave-one-family-out; each fold validates on its
    members outside the test fold); None: fold k validates on fold k + 1. ``fold_names``: what
    each fold stands for (the family); None: the fold numbers.
    """

    fold_of: dict[str, int]
    n_folds: int = N_FOLDS
    split_name: str = DEFAULT_SPLIT
    validation: frozenset[str] | None = None
    fold_names: tuple[str, ...] | None = None

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

    def fold_name(self, fold: int) -> str:
        """What fold ``fold`` stands for: its family, or its number."""
        return self.fold_names[fold] if self.fold_names is not None else str(fold)

    def split(self, fold: int) -> FoldSplit:
        """Test = ``fold``; validation = ``fold + 1`` (mod n), or the fixed validation set's
        entries outside the test fold; training = the rest."""
        if not 0 <= fold < self.n_folds:
            raise ValueError(f"fold must be in 0..{self.n_folds - 1}, got {fold}")
        if self.validation is None:
            val_fold = (fold + 1) % self.n_folds
            val = self.members(val_fold)
        else:
            val = [i for i, f in self.fold_of.items() if f != fold and i in self.validation]
        held_out = set(val)
        test = self.members(fold)
        train = [i for i, f in self.fold_of.items() if f != fold and i not in held_out]
        return FoldSplit(fold, train, val, test)


def check_split(split: str) -> str:
    """``split`` if it is one of :data:`SPLITS`; :class:`SplitError` otherwise."""
    if split not in SPLITS:
        raise SplitError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    return split


def fold_count(split: str) -> int:
    """The number of folds of a split: 10, or one per family for ``family``."""
    return len(FAMILIES) if check_split(split) == "family" else N_FOLDS


def held_out_keys(split: str) -> tuple[MaterialKey, MaterialKey]:
    """(validation key, test key): the functions saying which compositions count as the same
    material as a held-out validation or test entry. ``random``: the composition key for
    both; ``chemical-system``: the chemical system for both (the validation fold is a grouped
    fold too); ``family``: the composition key for validation (a random share of the training
    families) and the family for test."""
    by_split: dict[str, tuple[MaterialKey, MaterialKey]] = {
        "random": (composition_key, composition_key),
        "chemical-system": (chemical_system, chemical_system),
        "family": (composition_key, chemical_family),
    }
    return by_split[check_split(split)]


def split_folds(split: str, dataset: SuperCon3D) -> FoldAssignment:
    """The fold assignment of ``split`` over the entries of ``dataset`` (see the module
    docstring); ``random`` is the shipped assignment, which also lists ids absent from a
    subset of the data."""
    if check_split(split) == "random":
        return FoldAssignment.shipped()
    ids = sorted(entry.id for entry in dataset.entries)
    composition = {entry.id: entry.structure.composition for entry in dataset.entries}
    compositions = [composition[i] for i in ids]
    if split == "chemical-system":
        folds = chemical_system_folds(compositions, N_FOLDS, SEED)
        return FoldAssignment(dict(zip(ids, map(int, folds))), N_FOLDS, split)
    fold_of = {i: FAMILIES.index(chemical_family(c)) for i, c in zip(ids, compositions)}
    n_validation = round(FAMILY_VALIDATION_SHARE * len(ids))
    drawn = np.random.default_rng(SEED).permutation(len(ids))[:n_validation]
    validation = frozenset(ids[index] for index in drawn)
    return FoldAssignment(fold_of, len(FAMILIES), split, validation, tuple(FAMILIES))

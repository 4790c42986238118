"""Shared by the composition benchmarks on the 10 folds (random unless a script asks for
another split): their inputs, one fold's training rows (its SuperCon3D entries and the
SuperCon formula rows the composition baseline may add, ``fold_extra_rows``: none shares the
split's key with a validation or test entry) and the closing summary of per-fold MAEs."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from supercon3d.data.supercon3d import Entry, load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment, FoldSplit, split_folds
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import fold_extra_rows

FORMULAS_TABLE = "supercon_11949"
"""The composition baseline's formula table."""


@dataclass
class Inputs:
    """SuperCon3D entries by id, the folds of ``split``, the cached Magpie featurizer and the
    formula table."""

    by_id: dict[str, Entry]
    folds: FoldAssignment
    featurizer: MagpieFeaturizer
    formulas: pd.DataFrame
    split: str = "random"


def load_inputs(split: str = "random") -> Inputs:
    """What every composition benchmark reads first (``split``: random, chemical-system)."""
    dataset = load_supercon3d()
    return Inputs(
        {entry.id: entry for entry in dataset.entries},
        split_folds(split, dataset),
        MagpieFeaturizer(cache_dir()),
        load_supercon_formulas(FORMULAS_TABLE),
        split,
    )


@dataclass
class FoldRows:
    """A fold's entries and its training compositions with their ln Tc (ln K)."""

    train: list[Entry]
    val: list[Entry]
    test: list[Entry]
    compositions: list[Composition]
    ln_tc: np.ndarray


def fold_rows(
    by_id: dict[str, Entry], split: FoldSplit, formulas: pd.DataFrame, split_name: str = "random"
) -> FoldRows:
    """The training entries plus the formula rows allowed on ``split_name`` of ``split``."""
    train, val, test = (
        [by_id[i] for i in ids if i in by_id] for ids in (split.train, split.val, split.test)
    )
    extra = fold_extra_rows(formulas, val, test, split_name)
    compositions = [e.structure.composition for e in train] + list(extra["composition"])
    ln_tc = np.concatenate([[e.ln_tc for e in train], np.log(extra["tc"].to_numpy(float))])
    return FoldRows(train, val, test, compositions, ln_tc)


def print_means(results: dict[str, list[float]], started: float) -> None:
    """Mean ± sample std of each model's test-fold MAEs (ln K), then the wall time since
    ``started`` (``time.perf_counter()``)."""
    print("\nmean ± std over the test folds (ln K):")
    for name, maes in results.items():
        spread = f" ± {np.std(maes, ddof=1):.4f}" if len(maes) > 1 else " (one fold)"
        print(f"  {name}: {np.mean(maes):.4f}{spread}")
    print(f"wall time {time.perf_counter() - started:.0f} s")

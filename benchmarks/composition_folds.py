"""Shared by the composition benchmarks on the random 10 folds: their inputs, one fold's
training rows (its SuperCon3D entries and the SuperCon formula rows the composition baseline
may add, ``fold_extra_rows``: none shares a composition key with a validation or test entry)
and the closing summary of per-fold MAEs."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from supercon3d.data.supercon3d import Entry, load_supercon3d
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment, FoldSplit
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import fold_extra_rows

FORMULAS_TABLE = "supercon_11949"
"""The composition baseline's formula table."""


@dataclass
class Inputs:
    """SuperCon3D entries by id, the shipped random folds, the cached Magpie featurizer and
    the formula table."""

    by_id: dict[str, Entry]
    folds: FoldAssignment
    featurizer: MagpieFeaturizer
    formulas: pd.DataFrame


def load_inputs() -> Inputs:
    """What every composition benchmark reads first."""
    dataset = load_supercon3d()
    return Inputs(
        {entry.id: entry for entry in dataset.entries},
        FoldAssignment.shipped(),
        MagpieFeaturizer(cache_dir()),
        load_supercon_formulas(FORMULAS_TABLE),
    )


@dataclass
class FoldRows:
    """A fold's entries and its training compositions with their ln Tc (ln K)."""

    train: list[Entry]
    val: list[Entry]
    test: list[Entry]
    compositions: list[Composition]
    ln_tc: np.ndarray


def fold_rows(by_id: dict[str, Entry], split: FoldSplit, formulas: pd.DataFrame) -> FoldRows:
    """The training entries plus the allowed formula rows of ``split`` (random split)."""
    train, val, test = (
        [by_id[i] for i in ids if i in by_id] for ids in (split.train, split.val, split.test)
    )
    extra = fold_extra_rows(formulas, val, test, "random")
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

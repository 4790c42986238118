"""Cross-validating the composition baselines on a split of the 10-fold protocol.

An entry's composition is its structure's (element-level, occupancies included). With
``extra_formulas`` each fold's training set also gets the SuperCon formula table, minus every
formula that counts as the same material as a validation or test entry of the fold, by the
split's keys (:func:`~supercon3d.evaluation.folds.held_out_keys`: the composition key on the
random split, the chemical system on the chemical-system split, the family for the test
entries of the leave-one-family-out split), taken both from the entry's structure and from
its ``formula`` column.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supercon3d.data.composition import composition_key, parse_formula
from supercon3d.data.supercon3d import Entry, SuperCon3D
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.defaults import DEFAULT_SPLIT
from supercon3d.evaluation.folds import FoldAssignment, FoldSplit, MaterialKey, held_out_keys
from supercon3d.evaluation.metrics import summarize
from supercon3d.models.composition import BaselineConfig, MagpieFeaturizer, MagpieRegressor
from supercon3d.progress import ProgressFactory, no_progress
from supercon3d.settings import cache_dir


def entry_keys(entries: Iterable[Entry], key: MaterialKey = composition_key) -> set[Hashable]:
    """Material keys (default: composition keys) of entries, from their structures and from
    their formula column."""
    keys = set()
    for entry in entries:
        keys.add(key(entry.structure.composition))
        formula = parse_formula(entry.formula)
        if formula is not None:
            keys.add(key(formula))
    return keys


def rows_without_keys(
    formulas: pd.DataFrame, excluded_keys: set[Hashable], key: MaterialKey = composition_key
) -> pd.DataFrame:
    """The formula-table rows (any ``tc``) whose ``composition``'s ``key`` is not in
    ``excluded_keys``."""
    allowed = [key(composition) not in excluded_keys for composition in formulas["composition"]]
    return formulas[np.asarray(allowed, dtype=bool)].reset_index(drop=True)


def _superconductors(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows["tc"] > 0).to_numpy()].reset_index(drop=True)


def extra_training_rows(
    formulas: pd.DataFrame, excluded_keys: set[Hashable], key: MaterialKey = composition_key
) -> pd.DataFrame:
    """The formula-table rows that may join training: ``tc`` > 0 K and the ``key`` of their
    ``composition`` not in ``excluded_keys``."""
    return _superconductors(rows_without_keys(formulas, excluded_keys, key))


def fold_held_out_free_rows(
    formulas: pd.DataFrame, val: list[Entry], test: list[Entry], split: str
) -> pd.DataFrame:
    """The formula-table rows (any ``tc``) none of which shares the split's validation key
    with a validation entry or its test key with a test entry."""
    val_key, test_key = held_out_keys(split)
    rows = rows_without_keys(formulas, entry_keys(test, test_key), test_key)
    return rows_without_keys(rows, entry_keys(val, val_key), val_key)


def fold_extra_rows(
    formulas: pd.DataFrame, val: list[Entry], test: list[Entry], split: str
) -> pd.DataFrame:
    """The formula-table rows that may join a fold's training on ``split``: superconductors
    (``tc`` > 0 K) of :func:`fold_held_out_free_rows`."""
    return _superconductors(fold_held_out_free_rows(formulas, val, test, split))


def fit_fold_baseline(
    by_id: dict[str, Entry],
    split: FoldSplit,
    config: BaselineConfig,
    formulas: pd.DataFrame | None,
    featurizer: MagpieFeaturizer,
    split_name: str = "random",
) -> tuple[MagpieRegressor, dict]:
    """Fit one fold's composition model on its training entries (and validation entries
    with ``train_on_validation``) plus the extra formulas allowed on ``split_name``; returns
    the model and the counts ``n_train``, ``n_extra``, ``n_extra_excluded``."""
    train, val, test = (
        [by_id[i] for i in ids if i in by_id] for ids in (split.train, split.val, split.test)
    )
    if config.train_on_validation:
        train = train + val
    compositions = [entry.structure.composition for entry in train]
    targets = [entry.ln_tc for entry in train]
    n_extra = n_excluded = 0
    if formulas is not None:
        extra = fold_extra_rows(formulas, val, test, split_name)
        compositions += list(extra["composition"])
        targets += [math.log(tc) for tc in extra["tc"]]
        n_extra = len(extra)
        n_excluded = int((formulas["tc"] > 0).sum()) - n_extra
    model = MagpieRegressor(config.model, config.seed, config.n_jobs, featurizer)
    model.fit(compositions, targets)
    return model, {"n_train": len(train), "n_extra": n_extra, "n_extra_excluded": n_excluded}


def cross_validate_baseline(
    dataset: SuperCon3D,
    folds: FoldAssignment,
    *,
    config: BaselineConfig = BaselineConfig(),
    data: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Train on each fold's training ids, predict its test ids; target ln Tc (ln K). The
    extra formulas are excluded by the keys of ``folds.split_name``.

    Fold ids missing from ``dataset`` (a subset, or unreadable CIFs) are skipped, and so is a
    fold left without test entries.
    Returns the :func:`~supercon3d.evaluation.metrics.summarize` dict, whose ``folds`` records
    also hold ``fold_name``, ``n_train`` (structures), ``n_extra`` (formulas added) and
    ``n_extra_excluded`` (formulas kept out for sharing a key with a held-out entry), and the
    out-of-fold predictions. ``progress`` is called with 1 after each fold.
    """
    by_id = {entry.id: entry for entry in dataset.entries}
    featurizer = MagpieFeaturizer(
        cache_dir() if config.disk_cache else None, element_embedding=config.element_embedding
    )
    formulas = None
    if config.extra_formulas:
        formulas = load_supercon_formulas(config.formulas_table, data, config.ambient)

    test_folds = config.test_folds if config.test_folds is not None else range(folds.n_folds)
    predictions, fold_counts = [], {}
    for fold in test_folds:
        split = folds.split(fold)
        test = [by_id[i] for i in split.test if i in by_id]
        if not test:  # a family the data does not hold
            if progress is not None:
                progress(1)
            continue
        model, counts = fit_fold_baseline(
            by_id, split, config, formulas, featurizer, folds.split_name
        )
        predicted = model.predict([entry.structure.composition for entry in test])
        predictions.append(
            pd.DataFrame(
                {
                    "id": [entry.id for entry in test],
                    "fold": fold,
                    "formula": [entry.formula for entry in test],
                    "tc": [entry.tc for entry in test],
                    "ln_tc": [entry.ln_tc for entry in test],
                    "ln_tc_pred": predicted,
                    "family": [entry.family for entry in test],
                    "disorder": [entry.disorder_class.value for entry in test],
                }
            )
        )
        fold_counts[fold] = counts
        if progress is not None:
            progress(1)

    table = pd.concat(predictions, ignore_index=True)
    summary = summarize(table, config.name)
    for record in summary["folds"]:
        record.update(fold_counts[record["fold"]], fold_name=folds.fold_name(record["fold"]))
    summary["split"] = folds.split_name
    summary["config"] = {
        "model": config.model,
        "extra_formulas": config.extra_formulas,
        "train_on_validation": config.train_on_validation,
        "formulas_table": config.formulas_table if config.extra_formulas else None,
        "formulas_unparsed": formulas.attrs["unparsed"] if formulas is not None else None,
        "seed": config.seed,
        "element_embedding": config.element_embedding,
    }
    return summary, table


@dataclass
class BaselineRun:
    """A composition baseline's cross-validation: ``summary`` (per fold, by family and by
    disorder class, MAE and R² in ln K; ``wall_s``), the per-entry ``predictions`` and the
    entries ``skipped`` (one line each: unreadable CIF)."""

    summary: dict
    predictions: pd.DataFrame
    skipped: list[str]


def run_baseline(
    config: BaselineConfig,
    *,
    split: str = DEFAULT_SPLIT,
    data: str | os.PathLike | None = None,
    progress: ProgressFactory = no_progress,
) -> BaselineRun:
    """Load SuperCon3D and cross-validate the composition baseline ``config`` on the test
    folds of ``split`` (:func:`cross_validate_baseline`)."""
    from supercon3d.data.supercon3d import load_dataset
    from supercon3d.evaluation.folds import split_folds

    started = time.perf_counter()
    dataset = load_dataset(data, progress=progress)
    assignment = split_folds(split, dataset)
    n_runs = len(config.test_folds) if config.test_folds is not None else assignment.n_folds
    with progress(f"{config.name} folds", n_runs) as advance:
        summary, predictions = cross_validate_baseline(
            dataset, assignment, config=config, data=data, progress=advance
        )
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    return BaselineRun(summary, predictions, [str(failure) for failure in dataset.failures])

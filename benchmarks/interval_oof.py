"""Out-of-fold predictions of a run's composition model on the three splits, with the
training compositions of every fold: what ``interval_coverage.py`` scores the intervals and
the novelty on.

The composition model (LightGBM on Magpie and the run's element-embedding statistics, with
the SuperCon formulas, :func:`~supercon3d.training.blend.composition_model`) is what the
shipped blend leans on (blend weights 0.15–0.35 on the network). The random folds use the
run's own fold models. The chemical-system and leave-one-family-out folds need it refitted
(15 fits): on a loaded 2-core machine the shipped recipe's 1,000 trees take over 10 min a fit,
so the refits grow :data:`REFIT_TREES` trees at a proportionally larger learning rate (the
same number of trees times learning rate, every other setting of
:func:`~supercon3d.models.composition.make_regressor` kept): a slightly weaker model, so the
intervals calibrated on its errors err on the wide side. Predictions are cached under the
cache folder per fold (``interval-oof-<run>-<split>-<fold>.csv``) and per split, so the
coverage benchmark reruns in seconds.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from lightgbm import LGBMRegressor

from supercon3d.data.family import chemical_family
from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.evaluation.folds import SPLITS, split_folds
from supercon3d.models.composition import MagpieFeaturizer, make_regressor
from supercon3d.screening.scoring import composition_models
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import fold_extra_rows


def fold_training_compositions(by_id: dict, split, formulas: pd.DataFrame, split_name: str):
    """(compositions, ln Tc (ln K)) of one fold's training set: its training entries and the
    SuperCon formulas the split lets join."""
    train = [by_id[i] for i in split.train if i in by_id]
    val = [by_id[i] for i in split.val if i in by_id]
    test = [by_id[i] for i in split.test if i in by_id]
    extra = fold_extra_rows(formulas, val, test, split_name)
    compositions = [e.structure.composition for e in train] + list(extra["composition"])
    ln_tc = [e.ln_tc for e in train] + [math.log(tc) for tc in extra["tc"]]
    return compositions, np.asarray(ln_tc)


REFIT_TREES = 250
"""Trees of a refitted composition model (the shipped recipe: 1,000 at learning rate 0.03)."""


def refit_regressor() -> LGBMRegressor:
    """The composition model's LightGBM with :data:`REFIT_TREES` trees, one thread."""
    recipe = make_regressor("lgbm", n_jobs=1)
    rate = recipe.learning_rate * recipe.n_estimators / REFIT_TREES
    return recipe.set_params(n_estimators=REFIT_TREES, learning_rate=rate)


def out_of_fold(
    run: Path,
    dataset: SuperCon3D,
    formulas: pd.DataFrame,
    split_name: str,
    featurizer: MagpieFeaturizer,
) -> pd.DataFrame:
    """Per (entry, fold model): ``id``, ``fold``, ``part`` (val or test), ``ln_tc``,
    ``ln_tc_pred`` (ln K) and ``rule_family``; cached (see the module docstring)."""
    path = cache_dir() / f"interval-oof-{run.name}-{split_name}.csv"
    if path.is_file():
        return pd.read_csv(path)
    by_id = {entry.id: entry for entry in dataset.entries}
    folds = split_folds(split_name, dataset)
    shipped = composition_models(run) if split_name == "random" else None
    frames = []
    for fold in range(folds.n_folds):
        split = folds.split(fold)
        if not [i for i in split.test if i in by_id]:
            continue
        fold_path = path.with_name(f"{path.stem}-{fold}.csv")
        if fold_path.is_file():
            frames.append(pd.read_csv(fold_path))
            continue
        if shipped is not None:
            predict = shipped[fold].predict
        else:
            compositions, ln_tc = fold_training_compositions(by_id, split, formulas, split_name)
            model = refit_regressor().fit(featurizer.transform(compositions), ln_tc)
            predict = lambda c, model=model: model.predict(featurizer.transform(c))  # noqa: E731
        parts = []
        for part in ("val", "test"):
            entries = [by_id[i] for i in getattr(split, part) if i in by_id]
            compositions = [e.structure.composition for e in entries]
            parts.append(
                pd.DataFrame(
                    {
                        "id": [e.id for e in entries],
                        "fold": fold,
                        "part": part,
                        "ln_tc": [e.ln_tc for e in entries],
                        "ln_tc_pred": predict(compositions),
                        "rule_family": [chemical_family(c) for c in compositions],
                    }
                )  # fmt: skip
            )
        frames.append(pd.concat(parts, ignore_index=True))
        frames[-1].to_csv(fold_path, index=False)
        print(f"{split_name} fold {fold} done", flush=True)
    table = pd.concat(frames, ignore_index=True)
    table.to_csv(path, index=False)
    return table


if __name__ == "__main__":
    import sys

    from supercon3d.data.supercon3d import load_supercon3d
    from supercon3d.data.tables import load_supercon_formulas
    from supercon3d.models.sodnet.ensemble import blend_featurizer, shipped_model_dir

    run = shipped_model_dir()
    data = load_supercon3d(workers=1)
    table = load_supercon_formulas()
    features = MagpieFeaturizer(cache_dir(), blend_featurizer(run).element_embedding)
    for name in sys.argv[1:] or SPLITS:
        out_of_fold(run, data, table, name, features)

"""The composition prior: Tc knowledge from the composition-only SuperCon formulas.

A LightGBM model on Magpie descriptors is fitted to the SuperCon formula table minus every
formula that counts as the same material as any SuperCon3D entry (from its structure or its
formula column): on the random split the same composition key, on the chemical-system split
the same chemical system. It has therefore seen none of the SuperCon3D materials, so its
prediction is equally out-of-sample for the training, validation and test entries of every
fold, and SODNet can learn the structure's correction to it (``composition_prior``). No
shared prior can be out-of-sample on the leave-one-family-out split (the formulas of every
family would have to go), so prior-using configurations refuse that split.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.defaults import DEFAULT_SPLIT
from supercon3d.evaluation.folds import SplitError, held_out_keys
from supercon3d.models.composition import MagpieBooster, MagpieFeaturizer, MagpieRegressor
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import entry_keys, extra_training_rows
from supercon3d.training.loop import World

PRIOR_TABLE = "supercon_11949"
PRIOR_SPLITS = ("random", "chemical-system")
"""The splits a shared prior can be out-of-sample for."""


def check_prior_split(split: str) -> None:
    """:class:`SplitError` when no shared composition prior is out-of-sample on ``split``."""
    if split not in PRIOR_SPLITS:
        raise SplitError(
            f"the composition prior cannot be out-of-sample on the {split} split (its formulas "
            "include every family); train with --ablation no-prior (composition_prior=False)"
        )


def fit_composition_prior(
    dataset: SuperCon3D,
    data: str | os.PathLike | None = None,
    seed: int = 0,
    split: str = DEFAULT_SPLIT,
    ambient: bool = False,
) -> tuple[MagpieBooster, int]:
    """The prior model for ``split`` and the number of formulas it was trained on; with
    ``ambient`` the high-pressure hydride formulas are left out."""
    check_prior_split(split)
    _, key = held_out_keys(split)
    formulas = load_supercon_formulas(PRIOR_TABLE, data, ambient)
    rows = extra_training_rows(formulas, entry_keys(dataset.entries, key), key)
    featurizer = MagpieFeaturizer(cache_dir())
    regressor = MagpieRegressor("lgbm", seed=seed, featurizer=featurizer)
    regressor.fit(list(rows["composition"]), [math.log(tc) for tc in rows["tc"]])
    return MagpieBooster.from_regressor(regressor), len(rows)


def load_or_fit_prior(
    path: str | os.PathLike,
    dataset: SuperCon3D,
    data: str | os.PathLike | None = None,
    split: str = DEFAULT_SPLIT,
    ambient: bool = False,
) -> MagpieBooster:
    """The prior saved at ``path`` (a run's ``prior.txt.xz``), fitted for ``split`` (without
    the high-pressure hydride formulas when ``ambient``) and saved if absent (a run folder
    holds one split and one data view: its ``config.json`` says which)."""
    path = Path(path)
    if path.is_file():
        return MagpieBooster.load(path)
    prior, _ = fit_composition_prior(dataset, data, split=split, ambient=ambient)
    if World.from_environment().is_main:  # data-parallel ranks fit the same prior; one writes
        written = prior.save(path.with_name(path.name + ".tmp"))
        os.replace(written, path)
    return prior

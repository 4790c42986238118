"""The composition prior: Tc knowledge from the composition-only SuperCon formulas.

A LightGBM model on Magpie descriptors is fitted to the SuperCon formula table minus every
formula whose composition key equals that of any SuperCon3D entry (from its structure or its
formula column). It has therefore seen none of the SuperCon3D compositions, so its
prediction is equally out-of-sample for the training, validation and test entries of every
fold, and SODNet can learn the structure's correction to it (``composition_prior``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.models.composition import MagpieBooster, MagpieFeaturizer, MagpieRegressor
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import entry_keys, extra_training_rows

PRIOR_TABLE = "supercon_11949"


def fit_composition_prior(
    dataset: SuperCon3D, data: str | os.PathLike | None = None, seed: int = 0
) -> tuple[MagpieBooster, int]:
    """The prior model and the number of formulas it was trained on."""
    formulas = load_supercon_formulas(PRIOR_TABLE, data)
    rows = extra_training_rows(formulas, entry_keys(dataset.entries))
    featurizer = MagpieFeaturizer(cache_dir())
    regressor = MagpieRegressor("lgbm", seed=seed, featurizer=featurizer)
    regressor.fit(list(rows["composition"]), [math.log(tc) for tc in rows["tc"]])
    return MagpieBooster.from_regressor(regressor), len(rows)


def load_or_fit_prior(
    path: str | os.PathLike, dataset: SuperCon3D, data: str | os.PathLike | None = None
) -> MagpieBooster:
    """The prior saved at ``path`` (a run's ``prior.txt.xz``), fitted and saved if absent."""
    path = Path(path)
    if path.is_file():
        return MagpieBooster.load(path)
    prior, _ = fit_composition_prior(dataset, data)
    prior.save(path)
    return prior

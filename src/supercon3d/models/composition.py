"""Composition-only Tc baselines: Magpie descriptors and a fixed regressor.

Magpie descriptors are matminer's ``ElementProperty.from_preset("magpie")`` (132 statistics
of elemental properties; matminer ships the element data). Featurized compositions are cached
in process (the most recently used :data:`MAX_CACHED_COMPOSITIONS`) and, optionally, on disk
in an append-only CSV under :func:`~supercon3d.settings.cache_dir`, in a file whose name
carries a hash of the featurizer settings and versions.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import lightgbm
import matminer
import numpy as np
from lightgbm import LGBMRegressor
from matminer.featurizers.composition import ElementProperty
from pymatgen.core import Composition
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from supercon3d.data.composition import composition_key
from supercon3d.defaults import RegressorName
from supercon3d.models.booster_file import read_booster, write_booster
from supercon3d.models.feature_cache import AppendOnlyCsv, LruCache

REGRESSORS: tuple[str, ...] = get_args(RegressorName)
MAGPIE_PRESET = "magpie"
FEATURIZER_VERSION = 1
MAX_CACHED_COMPOSITIONS = 50_000
"""Descriptor vectors kept in process (about 1.3 kB each, 65 MB in all): every SuperCon
formula table and 3DSC together fit."""
_CACHE_DECIMALS = 9
_MEMORY = LruCache(MAX_CACHED_COMPOSITIONS)
_CANONICAL_MEMORY = LruCache(MAX_CACHED_COMPOSITIONS)


def _cache_id(composition: Composition) -> str:
    """The cache key of a composition: its fractional composition to 9 decimals."""
    return " ".join(f"{el}{x}" for el, x in composition_key(composition, _CACHE_DECIMALS))


class MagpieFeaturizer:
    """Magpie descriptors of compositions, cached by fractional composition.

    ``cache_folder``: where the on-disk CSV cache lives (new compositions are appended to it,
    one line each); None keeps the cache in process only.
    ``canonical``: describe each composition by its cache key (fractions rounded to 9
    decimals) in a cache of its own (shared by every canonical featurizer of the process: the
    Tc models and the classifier describe a composition once), so that a prediction never
    depends on which nearly equal composition (e.g. occupancies stored as float32) was seen
    first; used for predicting.
    """

    def __init__(self, cache_folder: str | os.PathLike | None = None, canonical: bool = False):
        self.canonical = canonical
        self._memory = _CANONICAL_MEMORY if canonical else _MEMORY
        self._featurizer = ElementProperty.from_preset(MAGPIE_PRESET)
        self.labels: list[str] = list(self._featurizer.feature_labels())
        self.settings_hash = hashlib.sha256(
            json.dumps(
                [MAGPIE_PRESET, FEATURIZER_VERSION, matminer.__version__, self.labels]
            ).encode()
        ).hexdigest()[:12]
        self.cache_file = (
            Path(cache_folder) / f"magpie-{self.settings_hash}.csv" if cache_folder else None
        )
        self._disk = (
            AppendOnlyCsv(self.cache_file, self.labels, "composition") if self.cache_file else None
        )

    def transform(
        self,
        compositions: Sequence[Composition],
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """The (n, 132) descriptor matrix; NaN where an element lacks a property.

        ``progress`` is called with the number of compositions featurized (not cached).
        """
        ids = [_cache_id(c) for c in compositions]
        if not ids:
            return np.empty((0, len(self.labels)))
        found = {i: self._memory[i] for i in dict.fromkeys(ids) if i in self._memory}
        missing = {i: c for i, c in zip(ids, compositions) if i not in found}
        if self._disk is not None:
            found.update(self._disk.get_many(missing))
        for cache_id, composition in missing.items():
            if cache_id in found:
                continue
            if self.canonical:
                composition = Composition(dict(composition_key(composition, _CACHE_DECIMALS)))
            found[cache_id] = np.asarray(
                self._featurizer.featurize(composition.element_composition), dtype=float
            )
            if self._disk is not None:
                self._disk.append(cache_id, found[cache_id])
            if progress is not None:
                progress(1)
        for cache_id in missing:
            self._memory[cache_id] = found[cache_id]
        return np.vstack([found[i] for i in ids])


def make_regressor(name: RegressorName, seed: int = 0, n_jobs: int = 2) -> BaseEstimator:
    """A regressor with fixed hyperparameters (never tuned on test folds).

    - ``lgbm``: LightGBM, 1000 trees, learning rate 0.03, 63 leaves, ≥ 5 samples per leaf,
      80 % row and 50 % feature subsampling, L2 penalty 1 (the best of four settings by mean
      validation-fold MAE, with and without the extra formulas).
    - ``rf``: random forest, 300 trees, a third of the features per split.
    - ``svr``: median imputation, standardization, RBF SVR with C = 3 (best of 3, 10, 30 by
      validation-fold MAE without extra formulas), epsilon = 0.1 (ln K).
    """
    if name == "lgbm":
        return LGBMRegressor(
            n_estimators=1000,
            learning_rate=0.03,
            num_leaves=63,
            min_child_samples=5,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.5,
            reg_lambda=1.0,
            n_jobs=n_jobs,
            random_state=seed,
            deterministic=True,
            verbose=-1,
        )
    if name == "rf":
        return RandomForestRegressor(
            n_estimators=300, max_features=1 / 3, n_jobs=n_jobs, random_state=seed
        )
    if name == "svr":
        return make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), SVR(C=3.0, epsilon=0.1)
        )
    raise ValueError(f"unknown regressor {name!r}; choose from {', '.join(REGRESSORS)}")


class MagpieRegressor(RegressorMixin, BaseEstimator):
    """Magpie descriptors, then a :func:`make_regressor` model; X is a list of Compositions."""

    def __init__(
        self,
        model: RegressorName = "lgbm",
        seed: int = 0,
        n_jobs: int = 2,
        featurizer: MagpieFeaturizer | None = None,
    ):
        self.model = model
        self.seed = seed
        self.n_jobs = n_jobs
        self.featurizer = featurizer

    def _features(self, compositions: Sequence[Composition]) -> np.ndarray:
        return (self.featurizer or MagpieFeaturizer()).transform(compositions)

    def fit(self, compositions: Sequence[Composition], y: Sequence[float]) -> MagpieRegressor:
        """Fit on compositions and targets (ln K)."""
        self.regressor_ = make_regressor(self.model, self.seed, self.n_jobs)
        self.regressor_.fit(self._features(compositions), np.asarray(y, dtype=float))
        return self

    def predict(self, compositions: Sequence[Composition]) -> np.ndarray:
        """Predicted targets (ln K)."""
        return np.asarray(self.regressor_.predict(self._features(compositions)), dtype=float)


@dataclass(frozen=True)
class BaselineConfig:
    """A composition baseline run on the shared 10-fold protocol.

    ``extra_formulas`` adds the ``formulas_table`` rows to every fold's training set, minus
    those sharing a composition key with the fold's validation or test entries.
    ``train_on_validation`` also trains on the validation fold (nine folds instead of eight;
    the baselines choose no model on it). ``test_folds`` picks the test folds to run (None:
    all). ``disk_cache`` keeps Magpie descriptors under the cache folder between runs.
    ``ambient`` leaves the high-pressure hydride formulas out of the extra rows.
    """

    model: RegressorName = "lgbm"
    extra_formulas: bool = False
    train_on_validation: bool = False
    formulas_table: str = "supercon_11949"
    seed: int = 0
    n_jobs: int = 2
    test_folds: tuple[int, ...] | None = None
    disk_cache: bool = True
    ambient: bool = False

    @property
    def name(self) -> str:
        """The model name in results, e.g. ``magpie-lgbm`` or ``magpie-lgbm+formulas+val``."""
        extra = "+formulas" if self.extra_formulas else ""
        return f"magpie-{self.model}{extra}" + ("+val" if self.train_on_validation else "")


class MagpieBooster:
    """A fitted LightGBM model on Magpie descriptors predicting ln Tc (ln K), saved as
    xz-compressed LightGBM text (:mod:`supercon3d.models.booster_file`): loading it runs no
    pickle."""

    def __init__(self, booster: lightgbm.Booster, featurizer: MagpieFeaturizer | None = None):
        self.booster = booster
        self.featurizer = featurizer or MagpieFeaturizer(canonical=True)

    @classmethod
    def from_regressor(cls, regressor: MagpieRegressor) -> MagpieBooster:
        if not isinstance(getattr(regressor, "regressor_", None), LGBMRegressor):
            raise ValueError("only a fitted LightGBM MagpieRegressor can be saved")
        return cls(regressor.regressor_.booster_)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model (:func:`~supercon3d.models.booster_file.write_booster`)."""
        return write_booster(self.booster, path)

    @classmethod
    def load(cls, path: str | os.PathLike, featurizer: MagpieFeaturizer | None = None):
        """The saved model; ``ValueError`` naming the file if it is not a LightGBM model."""
        return cls(read_booster(path), featurizer)

    def predict(self, compositions: Sequence[Composition]) -> np.ndarray:
        """Predicted ln Tc (ln K) per composition."""
        return np.asarray(self.booster.predict(self.featurizer.transform(compositions)), float)

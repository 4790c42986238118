"""Composition-only Tc baselines: Magpie descriptors and a fixed regressor.

Magpie descriptors are matminer's ``ElementProperty.from_preset("magpie")`` (132 statistics
of elemental properties; matminer ships the element data). Every composition is described by
its cache key (fractions rounded to 9 decimals), so a descriptor never depends on which nearly
equal composition a cache saw first. Featurized compositions are cached in process (the most
recently used :data:`MAX_CACHED_COMPOSITIONS`) and, optionally, on disk in an append-only CSV
under :func:`~supercon3d.settings.cache_dir`, in a file whose name carries a hash of the
featurizer settings and versions.

Optionally a pretrained element embedding (:data:`COMPOSITION_EMBEDDINGS`, see
:func:`~supercon3d.graphs.elements.element_table`) adds the fraction-weighted mean and
standard deviation of the composition's element vectors after the Magpie columns: transfer
learning on the composition side (CHGNet's 64 learnt numbers per element, 128 features).
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
from supercon3d.defaults import CompositionEmbeddingName, RegressorName
from supercon3d.graphs.elements import MAX_Z, element_table
from supercon3d.models.booster_file import read_booster, write_booster
from supercon3d.models.feature_cache import AppendOnlyCsv, LruCache

REGRESSORS: tuple[str, ...] = get_args(RegressorName)
MAGPIE_PRESET = "magpie"
COMPOSITION_EMBEDDINGS: tuple[str, ...] = get_args(CompositionEmbeddingName)
FEATURIZER_VERSION = 2
"""Part of the disk cache's file name. 2: every composition described by its cache key; the
version-1 caches hold the descriptors of whichever nearly equal composition (fractions within
5e-10) came first, which made a refit depend on the order a cache was filled
(docs/notebook/benchmarks-2026-11.md, "P(superconductor): a five-seed ensemble, shipped")."""
MAX_CACHED_COMPOSITIONS = 50_000
"""Descriptor vectors kept in process (about 1.3 kB each, 65 MB in all): every SuperCon
formula table and 3DSC together fit."""
_CACHE_DECIMALS = 9
_MEMORY = LruCache(MAX_CACHED_COMPOSITIONS)
_STATISTICS_MEMORY = {name: LruCache(MAX_CACHED_COMPOSITIONS) for name in COMPOSITION_EMBEDDINGS}
"""Embedding statistics per embedding, by cache key: computed once per process however many
models read them."""


def _cache_id(composition: Composition) -> str:
    """The cache key of a composition: its fractional composition to 9 decimals."""
    return " ".join(f"{el}{x}" for el, x in composition_key(composition, _CACHE_DECIMALS))


def _canonical(composition: Composition) -> Composition:
    """The composition its cache key stands for (fractions rounded to 9 decimals)."""
    return Composition(dict(composition_key(composition, _CACHE_DECIMALS)))


def embedding_statistics(compositions: Sequence[Composition], table: np.ndarray) -> np.ndarray:
    """Per composition, the fraction-weighted mean and standard deviation of its elements'
    rows of ``table`` (row Z - 1 is element Z; oxidation states dropped): an (n, 2d) matrix,
    a NaN row where an element lies outside the table."""
    width = table.shape[1]
    rows = np.full((len(compositions), 2 * width), np.nan)
    for row, composition in zip(rows, compositions):
        fractions = composition.element_composition.fractional_composition
        numbers = [getattr(element, "Z", 0) for element in fractions]
        if not numbers or not all(1 <= z <= MAX_Z for z in numbers):
            continue
        vectors = table[[z - 1 for z in numbers]]
        weights = np.array([fractions[element] for element in fractions])[:, None]
        mean = (weights * vectors).sum(axis=0)
        row[:width] = mean
        row[width:] = np.sqrt((weights * (vectors - mean) ** 2).sum(axis=0))
    return rows


class MagpieFeaturizer:
    """Magpie descriptors of compositions, each described by its cache key (fractions rounded
    to 9 decimals, so occupancies stored as float32 or float64 give one row), cached in
    process for every featurizer of the process (the Tc models and the classifier describe a
    composition once).

    ``cache_folder``: where the on-disk CSV cache lives (new compositions are appended to it,
    one line each); None keeps the cache in process only.
    ``element_embedding``: one of :data:`COMPOSITION_EMBEDDINGS` whose
    :func:`embedding_statistics` follow the Magpie columns (cached in process only, by the
    same key), or None for Magpie alone.
    """

    def __init__(
        self,
        cache_folder: str | os.PathLike | None = None,
        element_embedding: str | None = None,
    ):
        if element_embedding is not None and element_embedding not in COMPOSITION_EMBEDDINGS:
            raise ValueError(
                f"unknown composition embedding {element_embedding!r}; "
                f"choose from {', '.join(COMPOSITION_EMBEDDINGS)}"
            )
        self.element_embedding = element_embedding
        self._featurizer = ElementProperty.from_preset(MAGPIE_PRESET)
        magpie_labels = list(self._featurizer.feature_labels())
        self._table = None
        self.labels: list[str] = list(magpie_labels)
        if element_embedding is not None:
            self._table = element_table(element_embedding).astype(float)
            width = self._table.shape[1]
            self.labels += [f"{element_embedding} {stat} {i}" for stat in ("mean", "std")
                            for i in range(width)]  # fmt: skip
        self.settings_hash = hashlib.sha256(
            json.dumps(
                [MAGPIE_PRESET, FEATURIZER_VERSION, matminer.__version__, magpie_labels]
            ).encode()
        ).hexdigest()[:12]
        self.cache_file = (
            Path(cache_folder) / f"magpie-{self.settings_hash}.csv" if cache_folder else None
        )
        self._disk = (
            AppendOnlyCsv(self.cache_file, magpie_labels, "composition")
            if self.cache_file
            else None
        )

    def transform(
        self,
        compositions: Sequence[Composition],
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """The (n, len(labels)) descriptor matrix (132 Magpie columns, then the embedding
        statistics); NaN where an element lacks a property.

        ``progress`` is called with the number of compositions featurized (not cached).
        """
        ids = [_cache_id(c) for c in compositions]
        if not ids:
            return np.empty((0, len(self.labels)))
        found = {i: _MEMORY[i] for i in dict.fromkeys(ids) if i in _MEMORY}
        missing = {i: c for i, c in zip(ids, compositions) if i not in found}
        if self._disk is not None:
            found.update(self._disk.get_many(missing))
        for cache_id, composition in missing.items():
            if cache_id in found:
                continue
            found[cache_id] = np.asarray(
                self._featurizer.featurize(_canonical(composition).element_composition),
                dtype=float,
            )
            if self._disk is not None:
                self._disk.append(cache_id, found[cache_id])
            if progress is not None:
                progress(1)
        for cache_id in missing:
            _MEMORY[cache_id] = found[cache_id]
        magpie = np.vstack([found[i] for i in ids])
        if self._table is None:
            return magpie
        memory = _STATISTICS_MEMORY[self.element_embedding]
        fresh = {i: _canonical(c) for i, c in zip(ids, compositions) if i not in memory}
        computed = dict(zip(fresh, embedding_statistics(list(fresh.values()), self._table)))
        statistics = np.vstack([computed[i] if i in computed else memory[i] for i in ids])
        for cache_id, row in computed.items():
            memory[cache_id] = row
        return np.hstack([magpie, statistics])


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
    ``element_embedding`` adds that embedding's statistics to the Magpie descriptors
    (:class:`MagpieFeaturizer`).
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
    element_embedding: str | None = None

    @property
    def name(self) -> str:
        """The model name in results, e.g. ``magpie-lgbm``, ``magpie-lgbm+formulas+val`` or
        ``magpie+chgnet-lgbm+formulas``."""
        features = "magpie" + (f"+{self.element_embedding}" if self.element_embedding else "")
        extra = "+formulas" if self.extra_formulas else ""
        return f"{features}-{self.model}{extra}" + ("+val" if self.train_on_validation else "")


class MagpieBooster:
    """A fitted LightGBM model on Magpie descriptors (and the statistics of an element
    embedding, if its ``featurizer`` adds them) predicting ln Tc (ln K), saved as
    xz-compressed LightGBM text (:mod:`supercon3d.models.booster_file`): loading it runs no
    pickle. ``ValueError`` if the booster and the featurizer disagree on the feature count."""

    def __init__(self, booster: lightgbm.Booster, featurizer: MagpieFeaturizer | None = None):
        self.booster = booster
        self.featurizer = featurizer or MagpieFeaturizer()
        if booster.num_feature() != len(self.featurizer.labels):
            raise ValueError(
                f"the booster has {booster.num_feature()} features, "
                f"the featurizer {len(self.featurizer.labels)}"
            )

    @classmethod
    def from_regressor(cls, regressor: MagpieRegressor) -> MagpieBooster:
        """The fitted LightGBM of ``regressor``, predicting through a featurizer (in process
        only) with the regressor's element embedding."""
        if not isinstance(getattr(regressor, "regressor_", None), LGBMRegressor):
            raise ValueError("only a fitted LightGBM MagpieRegressor can be saved")
        embedding = regressor.featurizer.element_embedding if regressor.featurizer else None
        featurizer = MagpieFeaturizer(element_embedding=embedding)
        return cls(regressor.regressor_.booster_, featurizer)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model (:func:`~supercon3d.models.booster_file.write_booster`)."""
        return write_booster(self.booster, path)

    @classmethod
    def load(cls, path: str | os.PathLike, featurizer: MagpieFeaturizer | None = None):
        """The saved model; ``ValueError`` naming the file if it is not a LightGBM model or
        not one over ``featurizer``'s features."""
        booster = read_booster(path)
        try:
            return cls(booster, featurizer)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None

    def predict(self, compositions: Sequence[Composition]) -> np.ndarray:
        """Predicted ln Tc (ln K) per composition."""
        return np.asarray(self.booster.predict(self.featurizer.transform(compositions)), float)

"""Novelty of a composition: how far it lies from the compositions a Tc model was trained on.

The distance is measured in the composition model's feature space (Magpie descriptors and
the run's element-embedding statistics, :class:`~supercon3d.models.composition.MagpieFeaturizer`):
every feature is scaled robustly (minus the reference set's median, over its interquartile
range as a standard deviation, 1.349 IQR = 1 σ for a normal distribution; a feature whose IQR
is zero uses its standard deviation), clipped to ±:data:`CLIP` (a rare element's property
should not outweigh the rest), missing values set to the median, then projected on the leading
principal axes of the reference set (:data:`N_COMPONENTS`; ``benchmarks/interval_coverage.py``
prints the share of the scaled variance they keep): the reference matrix ships as float16, a
few hundred kB.

The raw distance of a composition is the mean Euclidean distance to its :data:`N_NEIGHBOURS`
nearest distinct reference compositions (one: a training composition has novelty 0, and the
first of ``nearest_known`` sets it); ``novelty`` is that over ``distance_scale``, the median
raw distance of held-out chemical systems to their fold's training compositions
(chemical-system folds), so novelty 1 is "as far from the training data as a typical chemical
system the model has not seen". ``in_domain`` is novelty at most ``in_domain_threshold``;
``nearest_known`` lists the :data:`N_NEAREST_KNOWN` nearest reference compositions with
their (median) SuperCon Tc. How ``distance_scale`` and the threshold are chosen:
``benchmarks/interval_coverage.py``.

The reference ships beside the model as ``novelty.safetensors`` (format tag
:data:`FORMAT`; nothing is unpickled; checked against the folder's manifest).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pymatgen.core import Composition
from scipy.spatial import cKDTree

from supercon3d.data.composition import composition_key
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.weights import CheckpointError, verify_files

NOVELTY_FILE = "novelty.safetensors"
FORMAT = "supercon3d-novelty-1"
N_NEIGHBOURS = 1
"""Neighbours averaged into the raw distance: the nearest alone, so that a training
composition has novelty 0 (up to the float16 rounding of the stored points) and the novelty
is set by the first of ``nearest_known``."""
N_NEAREST_KNOWN = 3
"""Reference compositions listed as ``nearest_known``."""
N_COMPONENTS = 24
"""Principal axes kept of the scaled features."""
CLIP = 10.0
"""Largest |scaled feature| (in robust standard deviations)."""
IQR_PER_SIGMA = 1.349
"""Interquartile range of a normal distribution in standard deviations."""
_QUERIED = max(N_NEIGHBOURS, N_NEAREST_KNOWN)
_TENSORS = ("center", "scale", "components", "points", "tc_kelvin", "formulas")


@dataclass(frozen=True)
class Novelty:
    """The novelty of one composition: ``novelty`` (1 = as far as a typical unseen chemical
    system), ``in_domain`` and ``nearest_known`` ([{formula, tc_kelvin}], nearest first)."""

    novelty: float
    in_domain: bool
    nearest_known: list[dict]


@dataclass(frozen=True)
class FeatureProjection:
    """Robust scaling (``center``, ``scale`` per feature) and the principal axes
    (``components``, features × axes) that map descriptors into the novelty space."""

    center: np.ndarray
    scale: np.ndarray
    components: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray, n_components: int = N_COMPONENTS) -> FeatureProjection:
        """Scaling from the median and IQR of ``features`` (n, d), axes from the SVD of the
        scaled, clipped, centred rows."""
        center = np.nanmedian(features, axis=0)
        q75, q25 = np.nanpercentile(features, [75, 25], axis=0)
        scale = (q75 - q25) / IQR_PER_SIGMA
        spread = np.nanstd(features, axis=0)
        scale = np.where(scale > 0, scale, np.where(spread > 0, spread, 1.0))
        center = np.nan_to_num(center)
        scaled = _scaled(features, center, scale)
        _, _, axes = np.linalg.svd(scaled - scaled.mean(axis=0), full_matrices=False)
        return cls(center, scale, axes[:n_components].T.copy())

    def variance_kept(self, features: np.ndarray) -> float:
        """The share of the scaled features' variance (n, d) that the axes keep."""
        scaled = _scaled(features, self.center, self.scale)
        return float(self.project(features).var(axis=0).sum() / scaled.var(axis=0).sum())

    def project(self, features: np.ndarray) -> np.ndarray:
        """The (n, axes) coordinates of descriptor rows (n, d) in the novelty space."""
        return _scaled(features, self.center, self.scale) @ self.components


def _scaled(features: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    scaled = (np.asarray(features, dtype=float) - center) / scale
    return np.clip(np.nan_to_num(scaled, nan=0.0), -CLIP, CLIP)


def mean_neighbour_distance(
    points: np.ndarray, queries: np.ndarray, k: int = N_NEIGHBOURS
) -> np.ndarray:
    """Per query row, the mean Euclidean distance to its ``k`` nearest rows of ``points``
    (a KD-tree over the points: milliseconds for thousands of queries)."""
    distances, _ = cKDTree(points).query(queries, k=min(k, len(points)))
    return np.asarray(distances, dtype=float).reshape(len(queries), -1).mean(axis=1)


def distinct_compositions(
    compositions: Sequence[Composition], formulas: Sequence[str], tc_kelvin: Sequence[float]
) -> tuple[list[int], list[str], np.ndarray]:
    """(index of the first row, formula of that row, median Tc) per distinct composition
    key, in order of first appearance."""
    rows: dict = {}
    for index, composition in enumerate(compositions):
        rows.setdefault(composition_key(composition), []).append(index)
    first = [members[0] for members in rows.values()]
    tc = np.array([np.median([tc_kelvin[i] for i in members]) for members in rows.values()])
    return first, [formulas[i] for i in first], tc


class NoveltyReference:
    """The training compositions of a model in the novelty space, with their formulas and
    Tc (K), and the scale and threshold that turn a distance into ``novelty`` and
    ``in_domain`` (see the module docstring). ``element_embedding``: the one whose
    statistics follow the Magpie columns of the descriptors (None: Magpie alone), as in the
    run's composition models."""

    def __init__(
        self,
        projection: FeatureProjection,
        points: np.ndarray,
        formulas: Sequence[str],
        tc_kelvin: np.ndarray,
        distance_scale: float,
        in_domain_threshold: float,
        element_embedding: str | None,
    ):
        if not (len(points) == len(formulas) == len(tc_kelvin) >= _QUERIED):
            raise ValueError(f"points, formulas and tc_kelvin need one row each, ≥ {_QUERIED}")
        if not (distance_scale > 0 and in_domain_threshold > 0):
            raise ValueError("distance_scale and in_domain_threshold must be positive")
        self.projection = projection
        self.points = np.asarray(points, dtype=np.float32)
        self.formulas = list(formulas)
        self.tc_kelvin = np.asarray(tc_kelvin, dtype=float)
        self.distance_scale = float(distance_scale)
        self.in_domain_threshold = float(in_domain_threshold)
        self.featurizer = MagpieFeaturizer(element_embedding=element_embedding)
        if len(self.featurizer.labels) != len(projection.center):
            raise ValueError(
                f"the projection has {len(projection.center)} features, "
                f"the featurizer {len(self.featurizer.labels)}"
            )
        self._tree = cKDTree(self.points)

    @classmethod
    def build(
        cls,
        compositions: Sequence[Composition],
        formulas: Sequence[str],
        tc_kelvin: Sequence[float],
        projection: FeatureProjection,
        featurizer: MagpieFeaturizer,
        distance_scale: float,
        in_domain_threshold: float,
    ) -> NoveltyReference:
        """The reference of a training set: one row per distinct composition (by
        :func:`~supercon3d.data.composition.composition_key`), named by its first formula,
        with the median Tc (K) of its rows."""
        points, names, tc = distinct_compositions(compositions, formulas, tc_kelvin)
        features = featurizer.transform([compositions[i] for i in points])
        return cls(
            projection,
            projection.project(features),
            names,
            tc,
            distance_scale,
            in_domain_threshold,
            featurizer.element_embedding,
        )

    def _query(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distances to and indices of the nearest :data:`_QUERIED` points, (n, k) each."""
        queries = self.projection.project(np.atleast_2d(features)).astype(np.float32)
        distances, index = self._tree.query(queries, k=_QUERIED)
        return distances.reshape(len(queries), -1), index.reshape(len(queries), -1)

    def describe(self, compositions: Sequence[Composition]) -> list[Novelty]:
        """:class:`Novelty` of each composition, in one batched tree query (descriptors come
        from the process-wide Magpie cache the composition models fill)."""
        if len(compositions) == 0:
            return []
        distances, index = self._query(self.featurizer.transform(compositions))
        novelty = distances[:, :N_NEIGHBOURS].mean(axis=1) / self.distance_scale
        return [
            Novelty(
                float(value),
                bool(value <= self.in_domain_threshold),
                [
                    {"formula": self.formulas[j], "tc_kelvin": round(float(self.tc_kelvin[j]), 3)}
                    for j in rows[:N_NEAREST_KNOWN]
                ],
            )  # fmt: skip
            for value, rows in zip(novelty, index)
        ]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the reference as safetensors (float16 points, UTF-8 formulas)."""
        from safetensors.numpy import save_file

        path = Path(path)
        tensors = {
            "center": self.projection.center.astype(np.float32),
            "scale": self.projection.scale.astype(np.float32),
            "components": self.projection.components.astype(np.float32),
            "points": self.points.astype(np.float16),
            "tc_kelvin": self.tc_kelvin.astype(np.float32),
            "formulas": np.frombuffer("\n".join(self.formulas).encode(), dtype=np.uint8),
        }
        metadata = {
            "format": FORMAT,
            "distance_scale": repr(self.distance_scale),
            "in_domain_threshold": repr(self.in_domain_threshold),
            "n_neighbours": str(N_NEIGHBOURS),
            "element_embedding": self.featurizer.element_embedding or "",
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> NoveltyReference:
        """A saved reference, checked against its folder's manifest when there is one;
        :class:`~supercon3d.models.weights.CheckpointError` naming the file if it is not a
        complete, finite reference of this format."""
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        verify_files(path.parent, [path])
        try:
            with safe_open(path, framework="numpy") as handle:
                metadata = handle.metadata() or {}
                if metadata.get("format") != FORMAT:
                    raise ValueError(f"format is {metadata.get('format')!r}, expected {FORMAT!r}")
                if set(handle.keys()) != set(_TENSORS):
                    raise ValueError(
                        f"tensors {sorted(handle.keys())}, expected {sorted(_TENSORS)}"
                    )
                tensors = {name: handle.get_tensor(name) for name in _TENSORS}
                if int(metadata.get("n_neighbours", -1)) != N_NEIGHBOURS:
                    raise ValueError(f"n_neighbours is not {N_NEIGHBOURS}")
            numbers = [tensors[n].astype(float) for n in _TENSORS[:-1]]
            if not all(np.isfinite(values).all() for values in numbers):
                raise ValueError("a NaN or infinite value")
            center, scale, components, points, tc_kelvin = numbers
            if not (center.shape == scale.shape == components.shape[:1]
                    and points.shape[1:] == components.shape[1:]):  # fmt: skip
                raise ValueError("the scaling, axes and points disagree in shape")
            formulas = tensors["formulas"].tobytes().decode().split("\n")
            return cls(
                FeatureProjection(center, scale, components),
                points,
                formulas,
                tc_kelvin,
                float(metadata["distance_scale"]),
                float(metadata["in_domain_threshold"]),
                metadata["element_embedding"] or None,
            )
        except (SafetensorError, OSError, KeyError, TypeError, ValueError) as error:
            raise CheckpointError(path, f"not a readable novelty reference ({error})") from None


def read_novelty(folder: str | os.PathLike) -> NoveltyReference | None:
    """The folder's ``novelty.safetensors``, or None when it has none."""
    path = Path(folder) / NOVELTY_FILE
    return NoveltyReference.load(path) if path.is_file() else None

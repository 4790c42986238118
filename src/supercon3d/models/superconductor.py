"""P(superconductor): a LightGBM binary classifier over Magpie composition descriptors (and,
if it was trained with them, an element embedding's statistics and the doping level of
:mod:`supercon3d.models.oxidation_state`) plus, where a structure is given, the cheap
structure descriptors of :mod:`supercon3d.models.structure_features` (NaN otherwise, which
LightGBM routes as missing) and, if it was trained with them, the CuO2 planes' hole counts
(:func:`~supercon3d.models.oxidation_state.plane_doping_descriptors`, NaN but for cuprate
structures).

The classifier is a seed ensemble: several LightGBM boosters fitted with different seeds (row
and feature subsampling) whose probabilities are averaged before the calibration, which makes
P steadier than any one fit (see the model card). A saved classifier is a folder with one
``classifier-<i>.txt.xz`` per booster (xz-compressed LightGBM text) and ``classifier.json``
(feature names, the number of boosters, the probability calibration as plain numbers, and the
training figures); loading it runs no pickle, and checks both files against the folder's
``MANIFEST.sha256`` when it has one (the shipped folder must). The shipped one lives in
``resources/models/superconductor`` (see its MODEL_CARD.md).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import lightgbm
import numpy as np
from pymatgen.core import Composition, Structure

from supercon3d.chemistry.cuprate_planes import CUPRATE_PLANE_FEATURES
from supercon3d.models.booster_file import read_booster, write_booster
from supercon3d.models.calibration import ProbabilityCalibration
from supercon3d.models.composition import MagpieFeaturizer
from supercon3d.models.oxidation_state import (
    OXIDATION_FEATURES,
    oxidation_feature_matrix,
    plane_doping_matrix,
)
from supercon3d.models.shipped import SHIPPED_CLASSIFIER
from supercon3d.models.structure_features import STRUCTURE_FEATURES, structure_descriptors
from supercon3d.models.weights import verify_files

METADATA_FILE = "classifier.json"
FORMAT = "supercon3d-superconductor-classifier-2"


def model_file(index: int) -> str:
    """The file name of the ensemble's booster number ``index`` (from 0)."""
    return f"classifier-{index}.txt.xz"


def structure_feature_matrix(structures: Sequence[Structure | None]) -> np.ndarray:
    """The (n, len(STRUCTURE_FEATURES)) descriptor matrix; a NaN row where a structure is None."""
    rows = [
        structure_descriptors(s) if s is not None else np.full(len(STRUCTURE_FEATURES), np.nan)
        for s in structures
    ]
    return np.vstack(rows) if rows else np.empty((0, len(STRUCTURE_FEATURES)))


def composition_features(
    featurizer: MagpieFeaturizer, compositions: Sequence[Composition], doping_level: bool
) -> np.ndarray:
    """The classifier's composition columns: ``featurizer``'s descriptors, then with
    ``doping_level`` the :data:`~supercon3d.models.oxidation_state.OXIDATION_FEATURES`."""
    described = featurizer.transform(compositions)
    if not doping_level:
        return described
    return np.hstack([described, oxidation_feature_matrix(compositions)])


def feature_names(
    featurizer: MagpieFeaturizer, doping_level: bool = False, plane_doping: bool = False
) -> list[str]:
    """The classifier's feature columns: the featurizer's labels, the doping level's (with
    ``doping_level``), the structure descriptors, then the CuO2 planes' (with
    ``plane_doping``)."""
    doping = list(OXIDATION_FEATURES) if doping_level else []
    planes = list(CUPRATE_PLANE_FEATURES) if plane_doping else []
    return [*featurizer.labels, *doping, *STRUCTURE_FEATURES, *planes]


class SuperconductorClassifier:
    """Fitted LightGBM boosters predicting P(superconductor) (their mean probability), with
    its calibration."""

    def __init__(
        self,
        boosters: Sequence[lightgbm.Booster],
        calibration: ProbabilityCalibration,
        metadata: dict | None = None,
        featurizer: MagpieFeaturizer | None = None,
        doping_level: bool = False,
        plane_doping: bool = False,
    ):
        if not boosters:
            raise ValueError("a classifier needs at least one booster")
        self.boosters = list(boosters)
        self.calibration = calibration
        self.metadata = dict(metadata or {})
        self.featurizer = featurizer or MagpieFeaturizer()
        self.doping_level = doping_level
        self.plane_doping = plane_doping
        expected = len(feature_names(self.featurizer, doping_level, plane_doping))
        for booster in self.boosters:
            if booster.num_feature() != expected:
                raise ValueError(
                    f"a booster has {booster.num_feature()} features, the featurizer {expected}"
                )

    @classmethod
    def shipped(cls) -> SuperconductorClassifier:
        """The classifier that ships with the package (loaded once per process)."""
        return _shipped()

    @classmethod
    def load(cls, folder: str | os.PathLike, shipped: bool = False) -> SuperconductorClassifier:
        """The classifier saved in ``folder``; ValueError naming the file that is unreadable
        or does not match the folder's manifest (required for the ``shipped`` model)."""
        folder = Path(folder)
        metadata_path = folder / METADATA_FILE
        verify_files(folder, [metadata_path], required=shipped)
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{metadata_path}: not a readable classifier file ({error})") from None
        if metadata.get("format") != FORMAT:
            raise ValueError(f"{metadata_path}: not a {FORMAT} file")
        n_boosters = metadata.get("n_boosters")
        if not isinstance(n_boosters, int) or n_boosters < 1:
            raise ValueError(f"{metadata_path}: n_boosters must be a positive integer")
        model_paths = [folder / model_file(index) for index in range(n_boosters)]
        verify_files(folder, model_paths, required=shipped)
        try:
            featurizer = MagpieFeaturizer(element_embedding=metadata.get("element_embedding"))
        except ValueError as error:
            raise ValueError(f"{metadata_path}: {error}") from None
        doping_level = bool(metadata.get("doping_level", False))
        plane_doping = bool(metadata.get("plane_doping", False))
        if metadata.get("features") != feature_names(featurizer, doping_level, plane_doping):
            raise ValueError(f"{metadata_path}: trained on other features than this version's")
        boosters = [read_booster(path) for path in model_paths]
        calibration = ProbabilityCalibration.from_dict(metadata["calibration"])
        return cls(boosters, calibration, metadata, featurizer, doping_level, plane_doping)

    def save(self, folder: str | os.PathLike) -> Path:
        """Write the boosters and the metadata into ``folder`` (created if needed)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for index, booster in enumerate(self.boosters):
            write_booster(booster, folder / model_file(index))
        metadata = {
            **self.metadata,
            "format": FORMAT,
            "n_boosters": len(self.boosters),
            "element_embedding": self.featurizer.element_embedding,
            "doping_level": self.doping_level,
            "plane_doping": self.plane_doping,
            "features": feature_names(self.featurizer, self.doping_level, self.plane_doping),
            "calibration": self.calibration.to_dict(),
        }
        (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=1) + "\n", encoding="utf-8")
        return folder

    def predict_proba(
        self,
        compositions: Sequence[Composition],
        structures: Sequence[Structure | None] | None = None,
    ) -> np.ndarray:
        """Calibrated P(superconductor) in (0, 1) per composition; a structure, where given,
        adds its descriptors (``structures`` may be None or hold None per row)."""
        if structures is None:
            structures = [None] * len(compositions)
        return self.predict_proba_described(compositions, self.describe(structures))

    def describe(self, structures: Sequence[Structure | None]) -> np.ndarray:
        """The structure columns this classifier reads: :func:`structure_feature_matrix`, then
        with ``plane_doping`` the CuO2 planes' hole counts (NaN rows where a structure is
        None)."""
        described = structure_feature_matrix(structures)
        if not self.plane_doping:
            return described
        return np.hstack([described, plane_doping_matrix(structures)])

    def predict_proba_described(
        self, compositions: Sequence[Composition], descriptors: np.ndarray
    ) -> np.ndarray:
        """:meth:`predict_proba` with the structures already described: ``descriptors`` are
        the rows of :meth:`describe` (a NaN row: no structure), e.g. computed where the
        structure was read."""
        if len(descriptors) != len(compositions):
            raise ValueError(f"{len(compositions)} compositions but {len(descriptors)} structures")
        if len(compositions) == 0:
            return np.empty(0)
        width = len(STRUCTURE_FEATURES) + (len(CUPRATE_PLANE_FEATURES) if self.plane_doping else 0)
        if np.shape(descriptors)[1] != width:
            raise ValueError(
                f"{np.shape(descriptors)[1]} structure columns; the classifier reads {width}"
            )
        described = composition_features(self.featurizer, compositions, self.doping_level)
        return self.calibration.apply(self.uncalibrated(np.hstack([described, descriptors])))

    def uncalibrated(self, features: np.ndarray) -> np.ndarray:
        """The boosters' mean probability of each row of the full feature matrix (columns
        as :func:`feature_names`), before the calibration."""
        return np.mean([booster.predict(features) for booster in self.boosters], axis=0)


@functools.lru_cache(maxsize=1)
def _shipped() -> SuperconductorClassifier:
    folder = resources.files("supercon3d.resources") / SHIPPED_CLASSIFIER
    with resources.as_file(folder) as path:
        return SuperconductorClassifier.load(path, shipped=True)

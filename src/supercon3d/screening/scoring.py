"""The two stages of the screening funnel, run on a shard of items in a worker (sent there
as :func:`~supercon3d.screening.tasks.score_shard` and
:func:`~supercon3d.screening.tasks.rescore_shard`).

Stage 1 (:func:`composition_rows`), for every structure: read it under the input contract, its
disorder class, chemical family and number of sites; then, from its composition alone,
P(superconductor) (the shipped classifier with its structure descriptors missing, which
LightGBM routes as missing values), ln Tc (ln K) as the mean and spread of the model's
composition models (Magpie + LightGBM, one per fold; the composition prior for a run without
them), what the literature reports
(:class:`~supercon3d.data.known.KnownSuperconductors`) and the chemist's checks
(:mod:`supercon3d.chemistry`: number of elements and charge balance per composition, whether
the structure is molecular), and how far the composition lies from the Tc model's training
compositions (``novelty``, ``in_domain``, ``nearest_known``: :mod:`supercon3d.models.novelty`).
The per-composition ones are cached in the worker, so a formula seen again costs only the
reading and the molecular check.

Stage 2 (:func:`structure_rows`), for the rows the funnel selects: exactly what ``predict``
reports (:func:`~supercon3d.screening.predict.predict_prepared`): P(superconductor) with the
structure descriptors, and the structural ensemble's ln Tc, spread and calibrated interval.
Each worker loads its models once (:func:`worker_resource`).

Both return plain row dicts (columns of :mod:`supercon3d.screening.database`): only results
travel back to the coordinator.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pymatgen.core import Composition

from supercon3d.chemistry import charge_balance, is_molecular, n_elements
from supercon3d.data.cif import CifReadError
from supercon3d.data.composition import composition_key
from supercon3d.data.family import chemical_family, is_high_pressure_hydride
from supercon3d.data.inputs import read_item
from supercon3d.data.known import KnownSuperconductors
from supercon3d.data.taxonomy import classify_disorder
from supercon3d.executor import worker_resource
from supercon3d.models.composition import MagpieBooster
from supercon3d.models.feature_cache import LruCache
from supercon3d.models.novelty import NoveltyReference, read_novelty
from supercon3d.models.sodnet.ensemble import blend_featurizer
from supercon3d.models.superconductor import SuperconductorClassifier
from supercon3d.screening.database import STAGE_COMPOSITION, STAGE_STRUCTURE
from supercon3d.screening.shards import Shard, failed_row, identity, model_folder
from supercon3d.screening.sources import KIND_ERROR, StructureItem

COMPOSITION_MODELS_FOLDER = "composition"
PRIOR_FILE = "prior.txt.xz"
MAX_CACHED_FORMULAS = 50_000
"""Compositions whose stage-1 estimates a worker keeps (a few hundred bytes each)."""
COMPOSITION_DECIMALS = 9
"""Compositions are the same for the caches when their fractions agree to this many decimals
(as for the Magpie descriptor cache)."""


def composition_models(folder: Path) -> list[MagpieBooster]:
    """The composition models of a run folder: one per fold (on the blend's features), else
    its composition prior (Magpie)."""
    folds = sorted((folder / COMPOSITION_MODELS_FOLDER).glob("fold*.txt.xz"))
    if folds:
        featurizer = blend_featurizer(folder)
        return [MagpieBooster.load(path, featurizer) for path in folds]
    prior = folder / PRIOR_FILE
    return [MagpieBooster.load(prior)] if prior.is_file() else []


class CompositionStage:
    """The stage-1 models of one worker, with everything they give cached per composition."""

    def __init__(self, checkpoints: str | None, data: str | None):
        self.classifier = SuperconductorClassifier.shipped()
        self.boosters = composition_models(model_folder(checkpoints))
        self.novelty = read_novelty(model_folder(checkpoints))
        self.known = KnownSuperconductors.load(data)
        self._estimates = LruCache(MAX_CACHED_FORMULAS)

    def estimates(self, compositions: Sequence[Composition]) -> list[dict]:
        """Per composition: P(superconductor) from the composition alone (the classifier
        with its structure descriptors missing), the mean and spread of ln Tc (ln K) over the
        composition models, the literature look-up, the number of elements, the charge
        balance and the novelty (:func:`novelty_columns`); computed once per composition."""
        keys = [composition_key(c, COMPOSITION_DECIMALS) for c in compositions]
        missing = {k: c for k, c in zip(keys, compositions) if k not in self._estimates}
        if missing:
            batch = list(missing.values())
            chances = self.classifier.predict_proba(batch)
            if self.boosters:
                each = np.stack([booster.predict(batch) for booster in self.boosters])
                means, spreads = each.mean(axis=0), each.std(axis=0)
            else:
                means = spreads = np.full(len(batch), np.nan)
            novelties = novelty_columns(self.novelty, batch)
            for key, composition, chance, mean, spread, novelty in zip(
                missing, batch, chances, means, spreads, novelties
            ):
                self._estimates[key] = {
                    "p_superconductor_composition": float(chance),
                    "ln_tc_composition": float(mean),
                    "ln_tc_composition_std": float(spread),
                    "n_elements": n_elements(composition),
                    "charge_balanced": charge_balance(composition).charge_balanced,
                    **self._lookup(composition),
                    **novelty,
                }
        return [self._estimates[key] for key in keys]

    def _lookup(self, composition: Composition) -> dict:
        match = self.known.lookup(composition)
        return {
            "known_superconductor": match.known_superconductor,
            "reported_tc_kelvin": match.reported_tc_kelvin,
            "reported_non_superconductor": match.reported_non_superconductor,
            "related_superconductors": match.related_superconductors,
            "related_count": match.related_count,
            "related_best_tc_kelvin": match.related_best_tc_kelvin,
            "in_supercon3d": match.in_supercon3d,
        }


def novelty_columns(reference: NoveltyReference | None, batch: Sequence[Composition]) -> list:
    """Per composition: ``novelty``, ``in_domain`` and ``nearest_known`` (JSON text) from the
    run's novelty reference; all None without one."""
    if reference is None:
        return [{"novelty": None, "in_domain": None, "nearest_known": None} for _ in batch]
    return [
        {
            "novelty": round(found.novelty, 4),
            "in_domain": found.in_domain,
            "nearest_known": json.dumps(found.nearest_known),
        }
        for found in reference.describe(batch)
    ]


def _describe(item: StructureItem) -> tuple[dict, Composition] | dict:
    """The stage-1 fields that need the structure, and its composition; or the failed row."""
    if item.kind == KIND_ERROR:
        return failed_row(item, item.error)
    try:
        structure, warnings, overfull = read_item(item)
    except CifReadError as error:
        return failed_row(item, str(error))
    composition = structure.composition
    report = classify_disorder(structure, overfull_occupancies=overfull)
    row = {
        **identity(item),
        "formula": composition.formula,
        "reduced_formula": composition.reduced_formula,
        "disorder_class": report.disorder_class.value,
        "family": chemical_family(composition),
        "high_pressure_hydride": is_high_pressure_hydride(composition),
        "n_sites": len(structure),
        "n_warnings": len(warnings),
        "molecular": is_molecular(structure),
        "stage": STAGE_COMPOSITION,
    }
    return row, composition


def composition_rows(shard: Shard) -> list[dict]:
    """Stage 1 for every item of ``shard``: one row each, in order."""
    stage = worker_resource(
        ("screen-composition", shard.checkpoints, shard.data),
        lambda: CompositionStage(shard.checkpoints, shard.data),
    )
    described = [_describe(item) for item in shard.items]
    ready = [entry for entry in described if isinstance(entry, tuple)]
    for (row, _), estimate in zip(ready, stage.estimates([c for _, c in ready])):
        row.update(estimate)
        row.update(
            p_superconductor=estimate["p_superconductor_composition"],
            ln_tc=estimate["ln_tc_composition"],
            ln_tc_std=estimate["ln_tc_composition_std"],
            tc_kelvin=float(np.exp(estimate["ln_tc_composition"])),
        )
    return [entry[0] if isinstance(entry, tuple) else entry for entry in described]


def structure_rows(shard: Shard) -> list[dict]:
    """Stage 2 for every item of ``shard``: one row each with the
    :data:`~supercon3d.screening.database.STRUCTURE_COLUMNS`, in order. A structure the
    ensemble cannot take stays at stage 1 with ``structure_error`` set."""
    from supercon3d.models.sodnet.ensemble import load_ensemble
    from supercon3d.screening.predict import predict_prepared, prepare_structure

    ensemble = worker_resource(
        ("screen-structure", shard.checkpoints), lambda: load_ensemble(shard.checkpoints)
    )
    prepared = []
    for item in shard.items:
        try:
            structure, _, _ = read_item(item)
        except CifReadError as error:
            prepared.append(_unread(item.id, str(error)))
            continue
        prepared.append(prepare_structure(structure, item.id, ensemble.graph_settings))
    rows = []
    classifier = SuperconductorClassifier.shipped()
    for item, outcome in zip(shard.items, predict_prepared(prepared, ensemble, classifier)):
        row = identity(item)
        if outcome.error is not None:
            row.update(stage=STAGE_COMPOSITION, structure_error=outcome.error)
        else:
            row.update(
                stage=STAGE_STRUCTURE,
                p_superconductor=outcome.p_superconductor,
                ln_tc=outcome.ln_tc,
                ln_tc_std=outcome.ln_tc_std,
                tc_kelvin=outcome.tc_kelvin,
                tc_low_kelvin=outcome.tc_low_kelvin,
                tc_high_kelvin=outcome.tc_high_kelvin,
            )
        rows.append(row)
    return rows


def _unread(name: str, error: str):
    from supercon3d.screening.prediction import TcPrediction

    return TcPrediction(file=name, error=error)

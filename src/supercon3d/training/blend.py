"""Blending each SODNet fold model with a composition model of the same fold.

On 1,578 structures, element knowledge and the 16k composition-only SuperCon formulas carry
information a structure model cannot learn from the structures alone. For every fold the
composition model is the ``magpie-lgbm+formulas`` baseline of that fold (training entries
plus the SuperCon formulas, minus every formula counting as the same material as one of the
fold's validation or test entries by the split's keys, see
:func:`~supercon3d.evaluation.folds.held_out_keys`; optionally with an element embedding's
statistics beside Magpie, ``magpie+chgnet-lgbm+formulas``), and the blend weight w in ln K,
``w * SODNet + (1 - w) * composition``, is the grid value (step 0.05) with the lowest MAE on
the fold's validation entries. The test fold is never looked at.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.data.tables import load_supercon_formulas
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.models.composition import BaselineConfig, MagpieBooster, MagpieFeaturizer
from supercon3d.models.sodnet.ensemble import (
    BLEND_FILE,
    SODNetEnsemble,
    composition_model_file,
)
from supercon3d.settings import cache_dir
from supercon3d.training.baseline import fit_fold_baseline
from supercon3d.training.sodnet import TrainingSet

COMPOSITION_MODEL = BaselineConfig(model="lgbm", extra_formulas=True)
"""The blend's composition model (with :func:`composition_model`'s element embedding)."""
WEIGHT_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)


def composition_model(element_embedding: str | None = None) -> BaselineConfig:
    """:data:`COMPOSITION_MODEL` with ``element_embedding``'s statistics beside Magpie."""
    return dataclasses.replace(COMPOSITION_MODEL, element_embedding=element_embedding)


def best_weight(sodnet: np.ndarray, composition: np.ndarray, target: np.ndarray) -> float:
    """The grid weight of SODNet minimising the MAE of the blend (ties: larger weight)."""
    errors = [np.abs(w * sodnet + (1 - w) * composition - target).mean() for w in WEIGHT_GRID]
    best = min(errors)
    return float(max(w for w, e in zip(WEIGHT_GRID, errors) if e <= best + 1e-12))


def fit_blend(
    run_dir: str | os.PathLike,
    dataset: SuperCon3D,
    data: TrainingSet,
    folds: FoldAssignment,
    *,
    datasets_folder: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
    ambient: bool = False,
    element_embedding: str | None = None,
) -> dict:
    """Fit every fold's composition model (without the high-pressure hydride formulas when
    ``ambient``; with ``element_embedding``'s statistics beside Magpie), choose its blend
    weight on the validation fold and write ``composition/fold<k>.txt.xz`` and
    ``blend.json`` (which records ``folds``'s split and the element embedding) into
    ``run_dir``."""
    run_dir = Path(run_dir)
    ensemble = SODNetEnsemble.from_dir(run_dir, blend=False)
    by_id = {entry.id: entry for entry in dataset.entries}
    config = composition_model(element_embedding)
    featurizer = MagpieFeaturizer(cache_dir(), element_embedding=element_embedding)
    formulas = load_supercon_formulas(config.formulas_table, datasets_folder, ambient)
    records = {}
    for member in ensemble.members:
        split = folds.split(member.fold)
        regressor, counts = fit_fold_baseline(
            by_id, split, config, formulas, featurizer, folds.split_name
        )
        booster = MagpieBooster.from_regressor(regressor)
        booster.save(run_dir / composition_model_file(member.fold))
        val = [i for i in split.val if i in data.graphs]
        graphs = [data.graphs[i] for i in val]
        target = np.array([by_id[i].ln_tc for i in val])
        sodnet = member.predict(graphs)
        composition = booster.predict([graph.composition() for graph in graphs])
        weight = best_weight(sodnet, composition, target)
        records[str(member.fold)] = {
            "sodnet_weight": weight,
            "val_mae_sodnet": float(np.abs(sodnet - target).mean()),
            "val_mae_composition": float(np.abs(composition - target).mean()),
            "val_mae_blend": float(
                np.abs(weight * sodnet + (1 - weight) * composition - target).mean()
            ),
            **counts,
        }
        if progress:
            progress(1)
    blend = {
        "composition_model": config.name,
        "element_embedding": element_embedding,
        "split": folds.split_name,
        "folds": records,
    }
    (run_dir / BLEND_FILE).write_text(json.dumps(blend, indent=1))
    return blend

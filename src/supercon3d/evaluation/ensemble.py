"""Scoring fold models on their own held-out test folds (the cross-validation figure)."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from supercon3d.data.supercon3d import SuperCon3D
from supercon3d.evaluation.folds import FoldAssignment
from supercon3d.evaluation.metrics import summarize
from supercon3d.graphs import CrystalGraph
from supercon3d.models.sodnet.ensemble import SODNetEnsemble


def cross_validate_ensemble(
    ensemble: SODNetEnsemble,
    graphs: dict[str, CrystalGraph],
    dataset: SuperCon3D,
    folds: FoldAssignment,
    name: str,
    part: Literal["test", "val"] = "test",
) -> tuple[dict, pd.DataFrame]:
    """Each member (blended or not) predicts the test fold it was trained for (ids sorted,
    batches of 64); with ``part="val"``, its validation fold instead (the fold it was
    selected on, never trained on: the calibration set of the prediction intervals).

    Returns the :func:`~supercon3d.evaluation.metrics.summarize` dict and the predictions
    (id, fold, ln_tc, ln_tc_pred, family, disorder); ``fold`` is the member's fold.
    """
    table = dataset.table().set_index("id")
    frames = []
    for member in sorted(ensemble.members, key=lambda m: m.fold):
        ids = [i for i in getattr(folds.split(member.fold), part) if i in graphs]
        if not ids:
            continue
        predicted = member.predict([graphs[i] for i in ids])
        frames.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "fold": member.fold,
                    "ln_tc": table.loc[ids, "ln_tc"].to_numpy(),
                    "ln_tc_pred": predicted,
                    "family": table.loc[ids, "family"].to_numpy(),
                    "disorder": table.loc[ids, "disorder"].to_numpy(),
                }
            )
        )
    predictions = pd.concat(frames, ignore_index=True)
    return summarize(predictions, name), predictions

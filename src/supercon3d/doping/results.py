"""A doped variant's predicted Tc next to its parent's, ranked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supercon3d.doping.variants import DopedVariant
    from supercon3d.screening.prediction import TcPrediction
    from supercon3d.stability.assess import StabilityRecord


@dataclass
class DopingResult:
    """A ``variant`` with its ``prediction``, the ``parent_prediction``, ``delta_tc_kelvin``
    (variant − parent predicted Tc, K; None if either failed) and its ``stability`` (only when
    asked for). A parent that could not be read or predicted is one result with
    ``variant=None`` and ``error``."""

    variant: DopedVariant | None
    prediction: TcPrediction | None
    parent_prediction: TcPrediction
    delta_tc_kelvin: float | None = None
    stability: StabilityRecord | None = None
    error: str | None = None

    def to_json(self) -> dict:
        """The variant's fields, its prediction (P(SC), Tc, interval in K, disorder class),
        the parent's Tc (K), ΔTc (K), its stability record if any, or the parent's error."""
        parent = self.parent_prediction
        if self.error is not None or self.variant is None or self.prediction is None:
            return {"parent": parent.file, "error": self.error or parent.error}
        record = self.variant.to_json()
        predicted = self.prediction
        record.update(
            disorder_class=predicted.disorder_class,
            p_superconductor=predicted.p_superconductor,
            tc_kelvin=predicted.tc_kelvin,
            tc_low_kelvin=predicted.tc_low_kelvin,
            tc_high_kelvin=predicted.tc_high_kelvin,
            parent_tc_kelvin=parent.tc_kelvin,
            parent_p_superconductor=parent.p_superconductor,
            delta_tc_kelvin=self.delta_tc_kelvin,
            error=predicted.error,
        )
        if self.stability is not None:
            record["stability"] = self.stability.to_json()
        return record


def rank_variants(
    variants: list[DopedVariant],
    predictions: list[TcPrediction],
    parent_prediction: TcPrediction,
    top: int | None,
) -> list[DopingResult]:
    """The ``top`` variants (all with None) by predicted Tc, highest first; variants whose
    prediction failed come last, with their error."""
    results = []
    for variant, prediction in zip(variants, predictions):
        delta = None
        if prediction.error is None and parent_prediction.error is None:
            delta = prediction.tc_kelvin - parent_prediction.tc_kelvin
        results.append(DopingResult(variant, prediction, parent_prediction, delta))
    results.sort(key=lambda r: (r.prediction.error is not None, -(r.prediction.tc_kelvin or 0.0)))
    return results if top is None else results[:top]

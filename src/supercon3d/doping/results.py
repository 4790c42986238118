"""A doped variant's predicted Tc and ΔTc next to its parent's, ranked by predicted ΔTc."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supercon3d.doping.variants import DopedVariant
    from supercon3d.screening.prediction import TcPrediction
    from supercon3d.stability.assess import StabilityRecord


@dataclass
class DopingResult:
    """A ``variant`` with its ``prediction``, the ``parent_prediction``, ``delta_tc_kelvin``
    (the predicted ΔTc, K: the model's against the variant's dilute twin plus the doping
    prior, :mod:`supercon3d.doping.calibration`; None if a prediction failed),
    ``delta_tc_model_kelvin`` (the model's variant − parent Tc, K, uncorrected), its
    ``stability`` (only when asked for) and the parent CIF's reader ``parent_warnings``. A
    parent that could not be read, predicted or doped is one result with ``variant=None``
    and ``error``."""

    variant: DopedVariant | None
    prediction: TcPrediction | None
    parent_prediction: TcPrediction
    delta_tc_kelvin: float | None = None
    stability: StabilityRecord | None = None
    error: str | None = None
    parent_warnings: list[str] = field(default_factory=list)
    delta_tc_model_kelvin: float | None = None

    def to_json(self) -> dict:
        """The variant's fields, its prediction (P(SC), Tc, interval in K, disorder class),
        the parent's Tc (K), ΔTc (K, predicted and the model's own), the parent's warnings,
        its stability record if any; or the parent, its error and its warnings."""
        parent = self.parent_prediction
        if self.error is not None or self.variant is None or self.prediction is None:
            return {
                "parent": parent.file,
                "error": self.error or parent.error,
                "parent_warnings": self.parent_warnings,
            }
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
            delta_tc_model_kelvin=self.delta_tc_model_kelvin,
            error=predicted.error,
            parent_warnings=self.parent_warnings,
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
    """The ``top`` variants (all with None) by predicted ΔTc
    (:func:`~supercon3d.doping.calibration.predicted_deltas`), highest first; variants
    whose prediction failed come last, with their error."""
    from supercon3d.doping.calibration import predicted_deltas

    results = []
    for variant, prediction, deltas in zip(
        variants, predictions, predicted_deltas(variants, predictions, parent_prediction)
    ):
        calibrated, model = deltas if deltas is not None else (None, None)
        results.append(
            DopingResult(
                variant, prediction, parent_prediction, calibrated, delta_tc_model_kelvin=model
            )  # fmt: skip
        )
    results.sort(key=lambda r: (r.delta_tc_kelvin is None, -(r.delta_tc_kelvin or 0.0)))
    return results if top is None else results[:top]

"""Recalibrating a classifier's probabilities, stored as plain numbers (JSON), never pickled.

- ``identity``: the probability as the model gives it;
- ``platt``: logistic regression on the logit of the probability, p' = σ(a·logit(p) + b);
- ``isotonic``: a monotone step function fitted by isotonic regression, applied by linear
  interpolation between its knots (``x``, ``y``).

Fitting accepts per-sample weights, so that the map can target a chosen class prior (the
superconductor classifier weights both classes equally). Calibrated probabilities are clipped
to [:data:`PROBABILITY_FLOOR`, 1 − floor], so that no input is declared certain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

CalibrationMethod = Literal["identity", "platt", "isotonic"]
CALIBRATION_METHODS: tuple[str, ...] = get_args(CalibrationMethod)
PROBABILITY_FLOOR = 1e-3
_LOGIT_EPS = 1e-6
_PLATT_C = 1e6  # inverse L2 strength: practically unregularized


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), _LOGIT_EPS, 1 - _LOGIT_EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class ProbabilityCalibration:
    """A fitted calibration map (see the module docstring); ``params`` holds its numbers."""

    method: CalibrationMethod = "identity"
    params: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        method: CalibrationMethod,
        probabilities: np.ndarray,
        labels: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> ProbabilityCalibration:
        """Fit ``method`` on out-of-fold probabilities and their 0/1 labels (optionally
        weighted per sample)."""
        probabilities = np.asarray(probabilities, dtype=float)
        labels = np.asarray(labels, dtype=int)
        if method == "identity":
            return cls("identity")
        if method == "platt":
            model = LogisticRegression(C=_PLATT_C).fit(
                _logit(probabilities)[:, None], labels, sample_weight=sample_weight
            )
            return cls(
                "platt", {"a": [float(model.coef_[0, 0])], "b": [float(model.intercept_[0])]}
            )
        if method == "isotonic":
            model = IsotonicRegression(out_of_bounds="clip").fit(
                probabilities, labels, sample_weight=sample_weight
            )
            return cls(
                "isotonic",
                {"x": model.X_thresholds_.tolist(), "y": model.y_thresholds_.tolist()},
            )
        raise ValueError(f"unknown calibration {method!r}; choose from {CALIBRATION_METHODS}")

    def apply(self, probabilities: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, clipped to [floor, 1 − floor]."""
        p = np.asarray(probabilities, dtype=float)
        if self.method == "platt":
            p = 1 / (1 + np.exp(-(self.params["a"][0] * _logit(p) + self.params["b"][0])))
        elif self.method == "isotonic":
            p = np.interp(p, self.params["x"], self.params["y"])
        return np.clip(p, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)

    def to_dict(self) -> dict:
        return {"method": self.method, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict) -> ProbabilityCalibration:
        """The calibration written by :meth:`to_dict`; ValueError if the method is unknown."""
        if data.get("method") not in CALIBRATION_METHODS:
            raise ValueError(f"unknown calibration method {data.get('method')!r}")
        params = {k: [float(v) for v in values] for k, values in data.get("params", {}).items()}
        return cls(data["method"], params)

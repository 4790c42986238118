"""Prediction intervals for ln Tc from a conformal calibration shipped beside a model.

A run folder may hold ``intervals.json``: the half-widths of intervals at a stated coverage
level, pooled and per chemical family, fitted by
:mod:`supercon3d.evaluation.intervals` on held-out errors. The interval of a prediction is its
ensemble mean ln Tc plus or minus the half-width of its family (the pooled one for a family
with fewer than :data:`MIN_GROUP_SIZE` calibration entries); in kelvin, ``exp`` of both ends.

Format 1 (:data:`FORMAT`): the half-widths are in ln K, the same for every material of a
family. Format 2 (:data:`NOVELTY_FORMAT`, normalised conformal prediction): the calibration
also holds a :class:`Difficulty`, the typical error σ (ln K) as a function of the material's
novelty (:mod:`supercon3d.models.novelty`), and the "half-widths" are dimensionless
quantiles of |error| / σ; the half-width of a material is that quantile times σ(novelty), so
intervals widen with the distance from the training data.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

INTERVALS_FILE = "intervals.json"
FORMAT = "supercon3d-intervals-1"
NOVELTY_FORMAT = "supercon3d-intervals-2"
MIN_GROUP_SIZE = 30
"""Fewest calibration entries for a family to get a half-width of its own."""
ALL = "all"
"""The name of the pooled group."""


@dataclass(frozen=True)
class Difficulty:
    """The typical absolute error (ln K) of a prediction at a given novelty:
    ``base + slope * min(novelty, cap)``; the cap keeps the widest interval finite."""

    base: float
    slope: float
    cap: float

    def sigma(self, novelty: float | None) -> float:
        """σ (ln K) at ``novelty``; at the cap when the novelty is unknown (None or NaN)."""
        if novelty is None or not math.isfinite(novelty):
            novelty = self.cap
        return self.base + self.slope * min(max(novelty, 0.0), self.cap)

    def to_dict(self) -> dict:
        return {"base": self.base, "slope": self.slope, "cap": self.cap}


@dataclass(frozen=True)
class IntervalCalibration:
    """Half-widths of the intervals at ``level``, pooled (``"all"``) and per family, with the
    number of calibration entries behind each: in ln K, or, with a ``difficulty``, quantiles
    of |error| / σ(novelty) (see the module docstring)."""

    level: float
    half_width: dict[str, float]
    n: dict[str, int]
    difficulty: Difficulty | None = None

    def half_width_for(self, family: str | None, novelty: float | None = None) -> float:
        """The half-width (ln K) for a material of ``family`` (the pooled quantile for a
        small or unknown family) at ``novelty`` (used by a novelty calibration only)."""
        if family in self.half_width and self.n.get(family, 0) >= MIN_GROUP_SIZE:
            quantile = self.half_width[family]
        else:
            quantile = self.half_width[ALL]
        if self.difficulty is None:
            return quantile
        return quantile * self.difficulty.sigma(novelty)

    def bounds(
        self, ln_tc: float, family: str | None, novelty: float | None = None
    ) -> tuple[float, float]:
        """The interval (ln K) around ``ln_tc`` for a crystal of ``family`` at ``novelty``."""
        width = self.half_width_for(family, novelty)
        return ln_tc - width, ln_tc + width

    def to_dict(self) -> dict:
        values = {
            "format": FORMAT if self.difficulty is None else NOVELTY_FORMAT,
            "level": self.level,
            "half_width": self.half_width,
            "n": self.n,
        }
        if self.difficulty is not None:
            values["difficulty"] = self.difficulty.to_dict()
        return values

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> IntervalCalibration:
        """A saved calibration; ``ValueError`` naming the file if it is not one."""
        try:
            values = json.loads(Path(path).read_text())
            if values.get("format") not in (FORMAT, NOVELTY_FORMAT):
                raise ValueError(
                    f"format is {values.get('format')!r}, expected {FORMAT!r} or {NOVELTY_FORMAT!r}"
                )
            difficulty = None
            if values["format"] == NOVELTY_FORMAT:
                difficulty = Difficulty(**{k: float(v) for k, v in values["difficulty"].items()})
                numbers = (difficulty.base, difficulty.slope, difficulty.cap)
                if not (all(map(math.isfinite, numbers)) and difficulty.base > 0
                        and difficulty.slope >= 0 and difficulty.cap > 0):  # fmt: skip
                    raise ValueError("the difficulty needs base > 0, slope ≥ 0, cap > 0")
            calibration = cls(
                float(values["level"]),
                {str(k): float(v) for k, v in values["half_width"].items()},
                {str(k): int(v) for k, v in values["n"].items()},
                difficulty,
            )
            widths = calibration.half_width.values()
            if ALL not in calibration.half_width or not all(math.isfinite(w) for w in widths):
                raise ValueError("needs a finite pooled half-width and finite family widths")
        except (OSError, AttributeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}: not a readable interval calibration ({error})") from None
        return calibration


def read_calibration(folder: str | os.PathLike) -> IntervalCalibration | None:
    """The folder's ``intervals.json``, or None when it has none."""
    path = Path(folder) / INTERVALS_FILE
    return IntervalCalibration.load(path) if path.is_file() else None
